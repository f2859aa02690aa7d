/* pipeline.h — goroutine functions of the pipeline library, shared by .goc
 * files of other targets (chan(T) here is goc_abi.h's macro). */
#ifndef PIPELINE_H
#define PIPELINE_H

/* Sends PIPELINE_SCALE * 1..n on out, then closes it. */
void produce(chan(int) out, int n);
/* Receives until out is closed; returns the sum of the squares. */
long sum_squares(chan(int) in);

#endif
