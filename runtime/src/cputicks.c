/* cputicks.c — the rate of goc__cputicks against CLOCK_MONOTONIC (see
 * cputicks.h).
 *
 * Invariants: start_ns and start_ticks are written once, under start_once,
 * before any rate is computed from them; each of the two is read with the
 * other at one instant (paired_read); fixed_q, once nonzero, is a rate
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

/* The monotonic clock and the tick counter read at one instant: between
 * two clock reads close together (a thread preempted between the reads
 * would pair a tick count with a time milliseconds away, and a rate
 * measured over 5 ms from such a pair is off by that much: a fixture saw
 * a 3 ms block sampled as shorter than 1 ms on a loaded machine). The
 * closest of a few tries. */
static void paired_read(int64_t *ns, uint64_t *ticks) {
  int64_t best_gap = -1;
  for (int i = 0; i < 8; i++) {
    int64_t a = goc_now();
    uint64_t t = goc__cputicks();
    int64_t b = goc_now();
    if (best_gap < 0 || b - a < best_gap) {
      best_gap = b - a;
      *ns = a + (b - a) / 2;
      *ticks = t;
    }
    if (best_gap < 20000) return;   /* 20 µs: nothing came between */
  }
}

static void start(void) { paired_read(&start_ns, &start_ticks); }

void goc__ticks_start(void) { pthread_once(&start_once, start); }

uint64_t goc__ticks_fixed(void) { return atomic_load_explicit(&fixed_q, memory_order_relaxed); }

uint64_t goc__ticks_q(bool wait) {
  uint64_t q = atomic_load_explicit(&fixed_q, memory_order_relaxed);
  if (q && !wait) return q;
  goc__ticks_start();
  for (;;) {
    int64_t now;
    uint64_t ticks;
    paired_read(&now, &ticks);
    int64_t dns = now - start_ns;
    uint64_t dt = ticks - start_ticks;
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
