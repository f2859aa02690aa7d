/* cputicks.c — the rate of goc__cputicks against CLOCK_MONOTONIC (see
 * cputicks.h).
 *
 * Invariants: start_ns and start_ticks are written once, under start_once,
 * before any rate is computed from them; fixed_q, once nonzero, is a rate
 * measured over at least GOC_TICKS_MIN_NS and never changes again (the
 * samplers compare durations against it on their hot path without a clock
 * read). A waiting caller measures afresh over the whole time since the
 * start: the profiles convert their totals with it when they are written.
 */
#include "cputicks.h"
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

int64_t goc_now(void);

static pthread_once_t start_once = PTHREAD_ONCE_INIT;
static int64_t start_ns;
static uint64_t start_ticks;
static _Atomic uint64_t fixed_q;

static void start(void) {
  start_ticks = goc__cputicks();
  start_ns = goc_now();
}

void goc__ticks_start(void) { pthread_once(&start_once, start); }

uint64_t goc__ticks_fixed(void) { return atomic_load_explicit(&fixed_q, memory_order_relaxed); }

uint64_t goc__ticks_q(bool wait) {
  uint64_t q = atomic_load_explicit(&fixed_q, memory_order_relaxed);
  if (q && !wait) return q;
  goc__ticks_start();
  for (;;) {
    int64_t dns = goc_now() - start_ns;
    uint64_t dt = goc__cputicks() - start_ticks;
    if (dt > 0 && dns > 0) {
      q = (uint64_t)(((unsigned __int128)(uint64_t)dns << 32) / dt);
      if (!q) q = 1;
      if (dns >= GOC_TICKS_MIN_NS) {
        uint64_t none = 0;
        atomic_compare_exchange_strong(&fixed_q, &none, q);
        return q;
      }
      if (!wait) return q;
    } else if (!wait) {
      return (uint64_t)1 << 32;   /* no time has passed yet: any guess */
    }
    /* Only a profile written within 5 ms of profiling's start waits. */
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, NULL);
  }
}
