/* goc_set_maxprocs on the runtime's own state (procresize.c), from a
 * plain thread: which Ps are idle and retired after a shrink and a grow,
 * and timers in the heap of a P that is retired: moved to a live P, they
 * still fire (a periodic one keeps firing) and can still be stopped. The
 * behaviour of running goroutines across resizes is in
 * tests/behaviour/maxprocs_*.goc. */
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include "rt_test.h"
#include "proc.h"

/* The idle list holds live Ps only. A resize wakes an M for work it may
 * have moved, which takes an idle P for a moment: wait until it is back. */
static void idle_settles(int want) {
  for (;;) {
    goc__rt_lock(&goc__sched.lock);
    int n = 0;
    for (goc_p *p = goc__sched.pidle; p; p = p->link) {
      CHECK(p->id < goc__maxprocs());
      n++;
    }
    CHECK(n == atomic_load(&goc__sched.npidle));
    goc__rt_unlock(&goc__sched.lock);
    if (n == want) return;
    struct timespec ms = {0, GOC_MILLISECOND};
    nanosleep(&ms, NULL);   /* the test's timeout */
  }
}

static void case_idle_list(void) {
  setenv("GOC_MAXPROCS", "4", 1);
  CHECK(goc_set_maxprocs(0) == 4);   /* starts the runtime: no M yet */
  idle_settles(4);
  CHECK(goc_set_maxprocs(2) == 4);
  idle_settles(2);
  CHECK(goc__nallp() == 4);
  for (int i = 2; i < 4; i++) CHECK(atomic_load(&goc__allp(i)->status) == GOC_P_RETIRED);
  CHECK(goc_set_maxprocs(6) == 2);   /* the retired two again, and two new */
  idle_settles(6);
  CHECK(goc__nallp() == 6);
  for (int i = 0; i < 6; i++) {
    CHECK(goc__allp(i)->id == i);
    CHECK(atomic_load(&goc__allp(i)->status) != GOC_P_RETIRED);
  }
  CHECK(goc_set_maxprocs(1) == 6);
  idle_settles(1);
  CHECK(goc__sched.pidle == goc__allp(0));
  exit(0);
}

#define NT 40
static goc_rtimer timers[NT], ticker;
static _Atomic int fired, ticks;
static void on_timer(void *arg, int64_t now) {
  (void)arg;
  (void)now;
  atomic_fetch_add(&fired, 1);
}
static void on_tick(void *arg, int64_t now) {
  (void)arg;
  (void)now;
  atomic_fetch_add(&ticks, 1);
}

static int timers_at(int i) {
  goc_p *p = goc__allp(i);
  goc__rt_lock(&p->timerlock);
  int n = p->ntimers;
  goc__rt_unlock(&p->timerlock);
  return n;
}

static void case_timers_of_retired_p(void) {
  setenv("GOC_MAXPROCS", "4", 1);
  CHECK(goc_set_maxprocs(0) == 4);
  /* Timers start in the heap of the caller's P: be an M holding P3 for
   * as long as it takes to start them. */
  static goc_m fake;
  fake.p = goc__allp(3);
  goc__tls_m = &fake;
  int64_t when = goc_now() + 200 * GOC_MILLISECOND;
  for (int i = 0; i < NT; i++) {
    timers[i].when = when + i * GOC_MILLISECOND;
    timers[i].f = on_timer;
    timers[i].heap_index = timers[i].p_id = -1;
    goc__timer_start(&timers[i]);
  }
  ticker.when = goc_now() + GOC_MILLISECOND;
  ticker.period = GOC_MILLISECOND;
  ticker.f = on_tick;
  ticker.heap_index = ticker.p_id = -1;
  goc__timer_start(&ticker);
  goc__tls_m = NULL;
  CHECK(timers_at(3) + atomic_load(&fired) >= NT);   /* the ticker may be running */

  CHECK(goc_set_maxprocs(1) == 4);
  CHECK(timers_at(1) + timers_at(2) + timers_at(3) == 0);
  struct timespec ms = {0, GOC_MILLISECOND};
  while (atomic_load(&fired) < NT) nanosleep(&ms, NULL);   /* the test's timeout */
  int t0 = atomic_load(&ticks);
  while (atomic_load(&ticks) < t0 + 5) nanosleep(&ms, NULL);
  goc__timer_stop(&ticker);
  CHECK(atomic_load(&ticker.status) == 0 && ticker.p_id == -1);
  CHECK(timers_at(0) == 0 && timers_at(3) == 0);
  exit(0);
}

int main(int argc, char **argv) {
  static const rt_case cases[] = {
      {"idle_list", case_idle_list, 0, {0}},
      {"timers_of_retired_p", case_timers_of_retired_p, 0, {0}},
  };
  return rt_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
