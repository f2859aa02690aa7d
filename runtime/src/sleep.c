/* sleep.c — goc_now and goc_sleep.
 *
 * Invariants: a sleeping G's timer is goc__gx(g)->sleep_timer, started only in the
 * park's commit (so it cannot fire before the park is committed);
 * goc__gx(g)->sleep_state is 1 from the first goc_sleep__async call until the call
 * after the wake-up, which returns 1. A plain thread sleeps in nanosleep
 * and counts as blocked in the runtime (it may still make progress).
 */
#include <errno.h>
#include <time.h>
#include "proc.h"

int64_t goc_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_fire(void *arg, int64_t now) {
  (void)now;
  goc__ready((goc_g *)arg);
}

static void sleep_commit(goc_g *g, void *arg) {
  (void)arg;
  goc__timer_start(&goc__gx(g)->sleep_timer);
}

/* g is the current G. */
int goc_sleep__async(goc_g *g, int64_t ns) {
  if (goc__gx(g)->sleep_state) {
    goc__gx(g)->sleep_state = 0;
    return 1;
  }
  if (ns <= 0) return 1;
  int64_t now = goc_now();
  goc_rtimer *t = &goc__gx(g)->sleep_timer;
  t->when = ns > INT64_MAX - now ? INT64_MAX : now + ns;
  t->period = 0;
  t->f = sleep_fire;
  t->arg = g;
  goc__gx(g)->sleep_state = 1;
  goc__park_g(g, GOC_WAIT_SLEEP, sleep_commit, NULL);
  return 0;
}

void goc_sleep(int64_t ns) {
  if (ns <= 0) return;
  int64_t deadline = goc_now() + ns;
  bool plain = goc__getg() == NULL;
  goc__plain_thread_touch();
  if (plain) atomic_fetch_add(&goc__sched.nblocked, 1);
  else goc_syscall_enter();
  for (;;) {
    int64_t left = deadline - goc_now();
    if (left <= 0) break;
    struct timespec ts = {left / 1000000000, left % 1000000000};
    nanosleep(&ts, NULL);
  }
  if (plain) atomic_fetch_sub(&goc__sched.nblocked, 1);
  else goc_syscall_exit();
}
