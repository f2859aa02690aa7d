/* sync: mutex, rwmutex, waitgroup, once, cond, from goroutines (the
 * __async forms, as lowered code calls them) and from plain threads. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include "rt_test.h"

typedef struct { goc_frame fr; int result; long i; } main_frame;

static goc_waitgroup wg;
static goc_mutex mu;
static long shared;   /* guarded by mu */

/* main: start workers (set up by `setup`), wait on wg, run `check`. */
static void (*setup)(void);
static void (*check)(void);
static int wg_main(goc_g *g, goc_frame *f_) {
  main_frame *f = (main_frame *)f_;
  if (f->fr.resume == 0) {
    setup();
    f->fr.resume = 1;
  }
  if (!goc_waitgroup_wait__async(g, &wg)) return GOC_SUSPEND;
  check();
  f->result = 0;
  return GOC_DONE;
}
#define RUN(su, ch)                          \
  do {                                       \
    setup = su;                              \
    check = ch;                              \
    RT_RUN_MAIN(main_frame, wg_main);        \
  } while (0)

/* ---- mutex ---------------------------------------------------------------- */
#define MU_G 8
#define MU_N 3000
#define MU_T 2
typedef struct { goc_frame fr; long i; } mu_frame;
static int mu_step(goc_g *g, goc_frame *f_) {
  mu_frame *f = (mu_frame *)f_;
  static void *const L[] = {&&L0, &&L1, &&L2};
  goto *L[f->fr.resume];
L0:
  for (f->i = 0; f->i < MU_N; f->i++) {
  L1:
    if (!goc_mutex_lock__async(g, &mu)) RT_SUSPEND(&f->fr, 1);
    shared++;
    if (f->i % 64 == 0) {
      /* hold it across a suspension so others park */
    L2:
      if (!goc_yield__async(g)) RT_SUSPEND(&f->fr, 2);
    }
    goc_mutex_unlock(&mu);
  }
  goc_waitgroup_done(&wg);
  return GOC_DONE;
}
static void *mu_thread(void *arg) {
  (void)arg;
  for (int i = 0; i < MU_N; i++) {
    goc_mutex_lock(&mu);
    shared++;
    goc_mutex_unlock(&mu);
  }
  goc_waitgroup_done(&wg);
  return NULL;
}
static void mu_setup(void) {
  goc_waitgroup_add(&wg, MU_G + MU_T);
  for (int k = 0; k < MU_G; k++) {
    goc_g *ng;
    RT_NEW(ng, mu_frame, mu_step);
    RT_GO(ng);
  }
  for (int k = 0; k < MU_T; k++) {
    pthread_t t;
    pthread_create(&t, NULL, mu_thread, NULL);
    pthread_detach(t);
  }
}
static void mu_check(void) {
  goc_mutex_lock(&mu);
  CHECK(shared == (long)(MU_G + MU_T) * MU_N);
  CHECK(!goc_mutex_trylock(&mu));
  goc_mutex_unlock(&mu);
  CHECK(goc_mutex_trylock(&mu));
  goc_mutex_unlock(&mu);
}
static void case_mutex(void) { RUN(mu_setup, mu_check); }

/* plain C inside a goroutine blocks on a mutex held by another goroutine:
 * with one P, the P must be handed off for the holder to release it. */
typedef struct { goc_frame fr; } hold_frame;
static int plainc_step(goc_g *g, goc_frame *f);
static int holder_step(goc_g *g, goc_frame *f) {
  if (f->resume == 0) {
    CHECK(goc_mutex_trylock(&mu));
    goc_g *ng;
    RT_NEW(ng, hold_frame, plainc_step);
    RT_GO(ng);
    f->resume = 1;
  }
  if (!goc_sleep__async(g, 30 * GOC_MILLISECOND)) return GOC_SUSPEND;
  shared = 42;
  goc_mutex_unlock(&mu);
  goc_waitgroup_done(&wg);
  return GOC_DONE;
}
static int plainc_step(goc_g *g, goc_frame *f) {
  (void)g; (void)f;
  goc_mutex_lock(&mu);   /* plain C: blocks the thread, P handed off */
  CHECK(shared == 42);
  goc_mutex_unlock(&mu);
  goc_waitgroup_done(&wg);
  return GOC_DONE;
}
static void handoff_setup(void) {
  goc_waitgroup_add(&wg, 2);
  goc_g *ng;
  RT_NEW(ng, hold_frame, holder_step);
  RT_GO(ng);
}
static void nocheck(void) {}
static void case_mutex_plain_c(void) {
  setenv("GOC_MAXPROCS", "1", 1);
  RUN(handoff_setup, nocheck);
}

/* Starvation mode is reached: with one P, a holder that yields while it
 * holds the mutex and relocks at once after each unlock wins every CAS
 * against the waiter it has just woken (which runs only at the yield, the
 * mutex held), so the waiter gets it only when, after 1 ms of waiting, it
 * sets the starving bit and the holder's unlock hands the mutex to it.
 * Without that mode the holder spins forever: the test's timeout. */
static _Atomic int starved_done, starving_seen;
static int starved_step_started;   /* the barger's, which holds mu */
static int starved_step(goc_g *g, goc_frame *f);
static int barger_step(goc_g *g, goc_frame *f) {
  static void *const L[] = {&&L0, &&L1, &&L2};
  goto *L[f->resume];
L0:
L1:
  if (!goc_mutex_lock__async(g, &mu)) RT_SUSPEND(f, 1);
  if (!starved_step_started) {
    starved_step_started = 1;
    goc_g *ng;
    RT_NEW(ng, hold_frame, starved_step);
    RT_GO(ng);
  }
L2:
  if (!goc_yield__async(g)) RT_SUSPEND(f, 2);
  if (atomic_load(&mu.state) & 4) atomic_store(&starving_seen, 1);
  goc_mutex_unlock(&mu);
  if (!atomic_load(&starved_done)) goto L1;
  goc_waitgroup_done(&wg);
  return GOC_DONE;
}
static int starved_step(goc_g *g, goc_frame *f) {
  if (!goc_mutex_lock__async(g, &mu)) RT_SUSPEND(f, 1);
  atomic_store(&starved_done, 1);
  goc_mutex_unlock(&mu);
  goc_waitgroup_done(&wg);
  return GOC_DONE;
}
static void starving_setup(void) {
  goc_waitgroup_add(&wg, 2);
  goc_g *ng;
  RT_NEW(ng, hold_frame, barger_step);
  RT_GO(ng);
}
static void starving_check(void) {
  CHECK(atomic_load(&starving_seen));
  CHECK(atomic_load(&mu.state) == 0);
}
static void case_mutex_starving(void) {
  setenv("GOC_MAXPROCS", "1", 1);
  RUN(starving_setup, starving_check);
}

/* ---- rwmutex ------------------------------------------------------------- */
static goc_rwmutex rw;
static _Atomic int readers, writers, rw_bad;
typedef struct { goc_frame fr; long i; int writer; } rw_frame;
static int rw_step(goc_g *g, goc_frame *f_) {
  rw_frame *f = (rw_frame *)f_;
  static void *const L[] = {&&L0, &&L1, &&L2, &&L3};
  goto *L[f->fr.resume];
L0:
  for (f->i = 0; f->i < 500; f->i++) {
    if (f->writer) {
    L1:
      if (!goc_rwmutex_lock__async(g, &rw)) RT_SUSPEND(&f->fr, 1);
      if (atomic_fetch_add(&writers, 1) != 0 || atomic_load(&readers) != 0)
        atomic_store(&rw_bad, 1);
      shared++;
      atomic_fetch_sub(&writers, 1);
      goc_rwmutex_unlock(&rw);
    } else {
    L2:
      if (!goc_rwmutex_rlock__async(g, &rw)) RT_SUSPEND(&f->fr, 2);
      atomic_fetch_add(&readers, 1);
      if (atomic_load(&writers) != 0) atomic_store(&rw_bad, 1);
      if (f->i % 50 == 0) {
      L3:
        if (!goc_yield__async(g)) RT_SUSPEND(&f->fr, 3);
      }
      atomic_fetch_sub(&readers, 1);
      goc_rwmutex_runlock(&rw);
    }
  }
  goc_waitgroup_done(&wg);
  return GOC_DONE;
}
static void *rw_thread(void *arg) {
  (void)arg;
  for (int i = 0; i < 500; i++) {
    goc_rwmutex_lock(&rw);
    shared++;
    goc_rwmutex_unlock(&rw);
    goc_rwmutex_rlock(&rw);
    goc_rwmutex_runlock(&rw);
  }
  goc_waitgroup_done(&wg);
  return NULL;
}
static void rw_setup(void) {
  goc_waitgroup_add(&wg, 7);
  for (int k = 0; k < 6; k++) {
    goc_g *ng;
    rw_frame *rf = RT_NEW(ng, rw_frame, rw_step);
    rf->writer = k < 2;
    RT_GO(ng);
  }
  pthread_t t;
  pthread_create(&t, NULL, rw_thread, NULL);
  pthread_detach(t);
}
static void rw_check(void) {
  CHECK(!atomic_load(&rw_bad));
  goc_rwmutex_lock(&rw);
  CHECK(shared == 2 * 500 + 500);
  goc_rwmutex_unlock(&rw);
}
static void case_rwmutex(void) { RUN(rw_setup, rw_check); }

/* ---- once ---------------------------------------------------------------- */
static goc_once once;
static _Atomic int once_runs, once_after;
static void once_fn(void) {
  struct timespec ts = {0, 5 * 1000 * 1000};
  nanosleep(&ts, NULL);
  atomic_fetch_add(&once_runs, 1);
}
typedef struct { goc_frame fr; } once_frame;
static int once_step(goc_g *g, goc_frame *f) {
  f->resume = 1;
  if (!goc_once_do__async(g, &once, once_fn)) return GOC_SUSPEND;
  if (atomic_load(&once_runs) == 1) atomic_fetch_add(&once_after, 1);
  goc_waitgroup_done(&wg);
  return GOC_DONE;
}
static void *once_thread(void *arg) {
  (void)arg;
  goc_once_do(&once, once_fn);
  if (atomic_load(&once_runs) == 1) atomic_fetch_add(&once_after, 1);
  goc_waitgroup_done(&wg);
  return NULL;
}
static void once_setup(void) {
  goc_waitgroup_add(&wg, 12);
  for (int k = 0; k < 10; k++) {
    goc_g *ng;
    RT_NEW(ng, once_frame, once_step);
    RT_GO(ng);
  }
  for (int k = 0; k < 2; k++) {
    pthread_t t;
    pthread_create(&t, NULL, once_thread, NULL);
    pthread_detach(t);
  }
}
static void once_check(void) {
  CHECK(atomic_load(&once_runs) == 1);
  CHECK(atomic_load(&once_after) == 12);
}
static void case_once(void) { RUN(once_setup, once_check); }

/* ---- cond: consumers wait for items, a plain thread produces --------------- */
static goc_cond cond = {.L = &mu};
static int items, consumed;   /* guarded by mu */
#define NITEMS 2000
typedef struct { goc_frame fr; } cons_frame;
static int cons_step(goc_g *g, goc_frame *f) {
  static void *const L[] = {&&L0, &&L1, &&L2};
  goto *L[f->resume];
L0:
L1:
  if (!goc_mutex_lock__async(g, &mu)) RT_SUSPEND(f, 1);
  for (;;) {
    while (items == 0 && consumed < NITEMS) {
    L2:
      if (!goc_cond_wait__async(g, &cond)) RT_SUSPEND(f, 2);
    }
    if (consumed == NITEMS) break;
    items--;
    consumed++;
  }
  goc_mutex_unlock(&mu);
  goc_waitgroup_done(&wg);
  return GOC_DONE;
}
static void *cons_thread(void *arg) {
  (void)arg;
  goc_mutex_lock(&mu);
  for (;;) {
    while (items == 0 && consumed < NITEMS) goc_cond_wait(&cond);
    if (consumed == NITEMS) break;
    items--;
    consumed++;
  }
  goc_mutex_unlock(&mu);
  goc_waitgroup_done(&wg);
  return NULL;
}
static void *prod_thread(void *arg) {
  (void)arg;
  for (int i = 0; i < NITEMS; i++) {
    goc_mutex_lock(&mu);
    items++;
    goc_mutex_unlock(&mu);
    goc_cond_signal(&cond);
    if (i % 100 == 0) sched_yield();
  }
  for (;;) {
    goc_mutex_lock(&mu);
    bool done = consumed == NITEMS;
    goc_mutex_unlock(&mu);
    goc_cond_broadcast(&cond);
    if (done) break;
    goc_sleep(GOC_MILLISECOND);
  }
  goc_waitgroup_done(&wg);
  return NULL;
}
static void cond_setup(void) {
  goc_waitgroup_add(&wg, 6);
  for (int k = 0; k < 4; k++) {
    goc_g *ng;
    RT_NEW(ng, cons_frame, cons_step);
    RT_GO(ng);
  }
  pthread_t t;
  pthread_create(&t, NULL, cons_thread, NULL);
  pthread_detach(t);
  pthread_create(&t, NULL, prod_thread, NULL);
  pthread_detach(t);
}
static void cond_check(void) {
  goc_mutex_lock(&mu);
  CHECK(consumed == NITEMS && items == 0);
  goc_mutex_unlock(&mu);
}
static void case_cond(void) { RUN(cond_setup, cond_check); }

/* ---- plain-thread waitgroup and misuse ------------------------------------ */
static void *wg_done_later(void *arg) {
  (void)arg;
  goc_sleep(10 * GOC_MILLISECOND);
  goc_waitgroup_done(&wg);
  return NULL;
}
static void case_waitgroup_thread(void) {
  goc_waitgroup_add(&wg, 3);
  for (int k = 0; k < 3; k++) {
    pthread_t t;
    pthread_create(&t, NULL, wg_done_later, NULL);
    pthread_detach(t);
  }
  goc_waitgroup_wait(&wg);
  CHECK(atomic_load(&wg.state) == 0);
  exit(0);
}
static void case_wg_negative(void) {
  goc_waitgroup_add(&wg, 1);
  goc_waitgroup_done(&wg);
  goc_waitgroup_done(&wg);
}
static void case_unlock_unlocked(void) { goc_mutex_unlock(&mu); }

int main(int argc, char **argv) {
  static const rt_case cases[] = {
      {"mutex", case_mutex, 0, {0}},
      {"mutex_plain_c", case_mutex_plain_c, 0, {0}},
      {"mutex_starving", case_mutex_starving, 0, {0}},
      {"rwmutex", case_rwmutex, 0, {0}},
      {"once", case_once, 0, {0}},
      {"cond", case_cond, 0, {0}},
      {"waitgroup_thread", case_waitgroup_thread, 0, {0}},
      {"wg_negative", case_wg_negative, 2, {"panic: sync: negative WaitGroup counter\n"}},
      {"unlock_unlocked", case_unlock_unlocked, 2, {"fatal error: sync: unlock of unlocked mutex\n"}},
  };
  return rt_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
