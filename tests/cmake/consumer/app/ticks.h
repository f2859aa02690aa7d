/* ticks.h — next to the .goc files that include it ("ticks.h"). */
#ifndef TICKS_H
#define TICKS_H
int count_ticks(int n);  /* a goroutine function of this target (ticks.goc) */
#endif
