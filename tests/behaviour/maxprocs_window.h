/* maxprocs_window.h — see maxprocs_window.c. */
#ifndef MAXPROCS_WINDOW_H
#define MAXPROCS_WINDOW_H
/* One sample: enters the window, waits (a bounded spin) until `until`
 * goroutines are inside, leaves; returns the most seen inside. */
int win_sample(int until);
void win_reset(void);
int win_most(void);        /* the most inside at once since win_reset */
int win_timers_from(int from);
int win_retired_drained(int from);
#endif
