/* maxprocs_window.c — how many goroutines run at once, for the
 * goc_set_maxprocs tests. A sample is a window during which the M holds
 * its P and cannot lose it (goc__lockp: no preemption, no retake), so the
 * number of goroutines inside windows at the same time never exceeds the
 * number of live Ps: a count above GOMAXPROCS is a G running without a
 * live P. (A goroutine's own code cannot tell when it is descheduled;
 * between windows it may be, and it is not counted then.) */
#include <stdatomic.h>
#include "proc.h"
#include "maxprocs_window.h"

static atomic_int inside, most;

int win_sample(int until) {
  goc_p *p = goc__lockp();
  int n = atomic_fetch_add(&inside, 1) + 1;
  for (int spin = 0; n < until && spin < 20000; spin++) {
    int k = atomic_load(&inside);
    if (k > n) n = k;
  }
  for (int m = atomic_load(&most); n > m && !atomic_compare_exchange_weak(&most, &m, n);) {
  }
  atomic_fetch_sub(&inside, 1);
  goc__unlockp();
  return p ? n : -1;   /* -1: sampled without a P */
}

void win_reset(void) { atomic_store(&most, 0); }
int win_most(void) { return atomic_load(&most); }

/* Timers waiting in the heaps of Ps at or above from, and whether every
 * such P is retired and drained (only meaningful once nothing runs there). */
int win_timers_from(int from) {
  int n = 0;
  for (int32_t i = from; i < goc__nallp(); i++) {
    goc_p *p = goc__allp(i);
    goc__rt_lock(&p->timerlock);
    n += p->ntimers;
    goc__rt_unlock(&p->timerlock);
  }
  return n;
}

int win_retired_drained(int from) {
  for (int32_t i = from; i < goc__nallp(); i++) {
    goc_p *p = goc__allp(i);
    if (atomic_load(&p->status) != GOC_P_RETIRED || !goc__runqempty(p) ||
        p->chunkfree || atomic_load(&p->timer0when) != INT64_MAX)
      return 0;
    for (int cls = 0; cls <= GOC_GCLASSES; cls++)
      if (p->gfree[cls]) return 0;
  }
  return 1;
}
