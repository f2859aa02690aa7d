/* runq.c's runnext take, whose owner side takes no locked instruction and
 * whose thief side runs membarrier, and chan.h's lock on its futex path
 * (holders that sleep), hammered from plain threads: nothing lost, nothing
 * taken twice. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include "rt_test.h"
#include "chan.h"

/* ---- the channel lock: holders that sleep send the others to the futex;
 * a lost wake-up hangs the case (its timeout) ---- */
enum { LOCKERS = 6, LOCK_ITERS = 20000 };
static goc_chanlock lk;
static long counter;

static void *locker(void *arg) {
  uintptr_t id = (uintptr_t)arg;
  for (int i = 0; i < LOCK_ITERS; i++) {
    goc__chanlock(&lk);
    long c = counter;
    if ((i + (int)id) % 512 == 0) usleep(200);   /* the others go to sleep */
    else if (i % 64 == 0) sched_yield();
    counter = c + 1;
    goc__chanunlock(&lk);
  }
  return NULL;
}

static void case_chanlock(void) {
  setenv("GOC_MAXPROCS", "1", 1);
  goc__runtime_init();
  pthread_t t[LOCKERS];
  for (uintptr_t i = 0; i < LOCKERS; i++) CHECK(pthread_create(&t[i], NULL, locker, (void *)i) == 0);
  for (int i = 0; i < LOCKERS; i++) pthread_join(t[i], NULL);
  CHECK(counter == (long)LOCKERS * LOCK_ITERS);
  CHECK(atomic_load(&lk.v) == 0);
  exit(0);
}

/* ---- runnext: an owner that readies and takes, a thief that steals ----
 * Ps of their own (not in allp, so no M or monitor looks at them), the
 * victim marked running so that the thief takes the barrier path. */
enum { NEXT_GS = 4000 };
static goc_p *victim, *thiefp;
static goc_g *gs[NEXT_GS];
static _Atomic int taken[NEXT_GS];
static _Atomic bool owner_done;

static _Atomic int stolen;

static void *thief(void *arg) {
  (void)arg;
  while (!atomic_load(&owner_done)) {
    goc_g *g = goc__runqsteal(thiefp, victim, true);
    if (g) {
      atomic_fetch_add(&taken[g->id], 1);
      atomic_fetch_add(&stolen, 1);
    }
  }
  return NULL;
}

static void case_runnext(void) {
  setenv("GOC_MAXPROCS", "1", 1);
  goc__runtime_init();
  victim = goc__newp(100);
  thiefp = goc__newp(101);
  atomic_store(&victim->status, GOC_P_RUNNING);
  for (int i = 0; i < NEXT_GS; i++) {
    gs[i] = calloc(1, sizeof(goc_g) + 64);
    gs[i]->id = i;
  }
  pthread_t t;
  CHECK(pthread_create(&t, NULL, thief, NULL) == 0);
  uint32_t x = 1;
  for (int i = 0; i < NEXT_GS; i++) {
    goc__runqput_next(victim, gs[i]);
    /* Leave it a while, sometimes long enough for the thief's 3 us wait
     * and its barrier, and take it (nexttick unchanged: a stuck G). */
    x = x * 1103515245 + 12345;
    int spin = (int)((x >> 16) % 4 == 0 ? (x >> 8) % 400000 : (x >> 8) % 200);
    for (volatile int k = 0; k < spin; k++) {
    }
    goc_g *g = goc__runnext_take(victim);
    if (g) atomic_fetch_add(&taken[g->id], 1);
    CHECK(atomic_load(&victim->runnext) == NULL);
  }
  atomic_store(&owner_done, true);
  pthread_join(t, NULL);
  for (int i = 0; i < NEXT_GS; i++) CHECK(atomic_load(&taken[i]) == 1);
  /* how often the race was run, for whoever reads the log (no threshold) */
  fprintf(stderr, "runnext: %d of %d stolen\n", atomic_load(&stolen), NEXT_GS);
  exit(0);
}

int main(int argc, char **argv) {
  static const rt_case cases[] = {
      {"chanlock", case_chanlock, 0, {0}},
      {"runnext", case_runnext, 0, {0}},
  };
  return rt_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
