/* test_retake.c — a goroutine stuck in plain C code (no preemption checks,
 * no goc_syscall_enter) does not keep its P: the monitor retakes it and
 * hands it to another M; the stuck M gets a P back at its next runtime
 * entry, before it touches P-local state (proc.h, sysmon.c). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include "chan.h"
#include "proc.h"
#include "rt_test.h"

typedef struct { goc_frame fr; int result; long i; } main_frame;

static _Atomic int c_started, c_stop, c_saw_detached, child_ran, done;
static _Atomic long c_iters;
static _Atomic(pthread_t) stuck_thread;

/* Plain C code: never enters the runtime while it runs. `blocking`: it
 * blocks in system calls (nanosleep) instead of spinning. */
static void plain_c(int blocking) {
  atomic_store(&stuck_thread, pthread_self());
  atomic_store(&c_started, 1);
  while (!atomic_load_explicit(&c_stop, memory_order_relaxed)) {
    atomic_fetch_add_explicit(&c_iters, 1, memory_order_relaxed);
    if (atomic_load_explicit(&goc__tls_m->detached, memory_order_relaxed))
      atomic_store(&c_saw_detached, 1);
    if (blocking) {
      struct timespec ts = {0, 200 * 1000};
      nanosleep(&ts, NULL);
    }
  }
}

static int child_step(goc_g *g, goc_frame *f) {
  (void)g;
  (void)f;
  atomic_store(&child_ran, 1);
  return GOC_DONE;
}

typedef struct { goc_frame fr; int blocking; } stuck_frame;
static int stuck_step(goc_g *g, goc_frame *f_) {
  stuck_frame *f = (stuck_frame *)f_;
  static void *const L[] = {&&L0, &&L1};
  goto *L[f->fr.resume];
L0:
  plain_c(f->blocking);
  /* Back in lowered code: the flag the monitor set sends us into the
   * runtime, which gives this M a P again. */
  RT_PREEMPT_CHECK(g, &f->fr, 1);
L1:
  CHECK(goc__tls_m->p != NULL);
  CHECK(!atomic_load(&goc__tls_m->detached));
  {
    /* P-local state: the G free list and the run queue. */
    goc_g *ng;
    RT_NEW(ng, goc_frame, child_step);
    RT_GO(ng);
  }
  atomic_store(&done, 1);
  return GOC_DONE;
}

static int retake_main(goc_g *g, goc_frame *f_, int blocking) {
  main_frame *f = (main_frame *)f_;
  static void *const L[] = {&&L0, &&L1, &&L2, &&L3};
  goto *L[f->fr.resume];
L0:
  CHECK(goc_nprocs() == 1);
  {
    goc_g *ng;
    stuck_frame *sf = RT_NEW(ng, stuck_frame, stuck_step);
    sf->blocking = blocking;
    RT_GO(ng);
  }
  /* With one P, main runs again only if the stuck M lost it. */
L1:
  if (!goc_sleep__async(g, 50 * GOC_MILLISECOND)) RT_SUSPEND(&f->fr, 1);
  CHECK(atomic_load(&c_started));
  CHECK(!pthread_equal(pthread_self(), atomic_load(&stuck_thread)));
  /* The monitor's mark stays until the stuck M enters the runtime, which
   * it does only after c_stop: it sees the mark once it gets a CPU (which
   * on a loaded machine may be later than main's wake-up). */
  while (!atomic_load(&c_saw_detached)) {
L3:
    if (!goc_sleep__async(g, GOC_MILLISECOND)) RT_SUSPEND(&f->fr, 3);
  }
  long before = atomic_load(&c_iters);
  f->i = before;
  atomic_store(&c_stop, 1);
  for (;;) {
L2:
    if (!goc_sleep__async(g, 2 * GOC_MILLISECOND)) RT_SUSPEND(&f->fr, 2);
    if (atomic_load(&done) && atomic_load(&child_ran)) break;
  }
  CHECK(f->i > 0);
  f->result = 0;
  return GOC_DONE;
}
static int spin_main(goc_g *g, goc_frame *f) { return retake_main(g, f, 0); }
static int block_main(goc_g *g, goc_frame *f) { return retake_main(g, f, 1); }

static void case_spin(void) {
  setenv("GOC_MAXPROCS", "1", 1);
  RT_RUN_MAIN(main_frame, spin_main);
}
static void case_blocking(void) {
  setenv("GOC_MAXPROCS", "1", 1);
  RT_RUN_MAIN(main_frame, block_main);
}

/* ---- many stuck episodes against a busy scheduler -------------------------
 * Goroutines alternate between plain C spins longer than two time slices
 * and bursts of runtime work (spawns, channel-free readies via go), while
 * other goroutines keep the run queue busy: retake races with runtime
 * entries. */
static _Atomic int stress_left, stress_spawned, stress_detached;
/* Spins in plain C for ns, or (until_detached) until the monitor has
 * detached this M from its P, however long that takes under load: the
 * detach is what the case checks, so it must not depend on timing. */
static void spin_for(int64_t ns, bool until_detached) {
  int64_t end = goc_now() + ns;
  for (;;) {
    bool detached = atomic_load_explicit(&goc__tls_m->detached, memory_order_relaxed);
    if (detached) atomic_store(&stress_detached, 1);
    if (until_detached ? detached : goc_now() >= end) break;
    struct timespec ts = {0, 50 * 1000};
    nanosleep(&ts, NULL);
  }
}
typedef struct { goc_frame fr; int k; int j; } worker_frame;
static int small_step(goc_g *g, goc_frame *f) {
  (void)g;
  (void)f;
  atomic_fetch_add(&stress_spawned, 1);
  return GOC_DONE;
}
static int worker_step(goc_g *g, goc_frame *f_) {
  worker_frame *f = (worker_frame *)f_;
  static void *const L[] = {&&L0, &&L1, &&L2};
  goto *L[f->fr.resume];
L0:
  for (f->k = 0; f->k < 3; f->k++) {
    spin_for(25 * GOC_MILLISECOND, f->k == 0);
    RT_PREEMPT_CHECK(g, &f->fr, 1);
L1:
    for (f->j = 0; f->j < 200; f->j++) {
      goc_g *ng;
      RT_NEW(ng, goc_frame, small_step);
      RT_GO(ng);
      RT_PREEMPT_CHECK(g, &f->fr, 2);
L2:;
    }
  }
  atomic_fetch_sub(&stress_left, 1);
  return GOC_DONE;
}
static int stress_main(goc_g *g, goc_frame *f_) {
  main_frame *f = (main_frame *)f_;
  static void *const L[] = {&&L0, &&L1};
  goto *L[f->fr.resume];
L0:
  atomic_store(&stress_left, 4);
  for (int i = 0; i < 4; i++) {
    goc_g *ng;
    RT_NEW(ng, worker_frame, worker_step);
    RT_GO(ng);
  }
  while (atomic_load(&stress_left) > 0) {
L1:
    if (!goc_sleep__async(g, 5 * GOC_MILLISECOND)) RT_SUSPEND(&f->fr, 1);
  }
  CHECK(atomic_load(&stress_spawned) <= 4 * 3 * 200);
  CHECK(atomic_load(&stress_detached));
  (void)f->i;
  f->result = 0;
  return GOC_DONE;
}
static void case_stress(void) {
  setenv("GOC_MAXPROCS", "2", 1);
  RT_RUN_MAIN(main_frame, stress_main);
}

/* ---- a goroutine back from blocking plain C code gets a P again ---------
 * Hogs (more than there are Ps, with preemption checks, looping until main
 * stops them) keep every P busy, so no P ever goes idle. A sleeper calls
 * plain C code that sleeps 1 ms 50 times, long enough for the monitor to
 * retake its P; when the call returns, its M must get a P back from the
 * busy ones, several times over. Its system calls never fail with EINTR
 * (the retake interrupts nothing). */
#define SH_ROUNDS 3
static _Atomic int sh_stop, sh_sleeper_done;
static _Atomic long sh_hog_work, sh_eintr;
static void plain_sleeps(void) {
  for (int i = 0; i < 50; i++) {
    /* nanosleep and poll are never restarted after a signal handler */
    if (i % 2 == 0) {
      struct timespec ts = {0, GOC_MILLISECOND};
      if (nanosleep(&ts, NULL) != 0 && errno == EINTR) atomic_fetch_add(&sh_eintr, 1);
    } else if (poll(NULL, 0, 1) < 0 && errno == EINTR) {
      atomic_fetch_add(&sh_eintr, 1);
    }
  }
}
typedef struct { goc_frame fr; long i; } hog_frame;
static int sh_hog_step(goc_g *g, goc_frame *f_) {
  hog_frame *f = (hog_frame *)f_;
  static void *const L[] = {&&L0, &&L1};
  goto *L[f->fr.resume];
L0:
  for (f->i = 0; !atomic_load_explicit(&sh_stop, memory_order_relaxed); f->i++) {
    if ((f->i & 0xfff) == 0) atomic_fetch_add_explicit(&sh_hog_work, 1, memory_order_relaxed);
    RT_PREEMPT_CHECK(g, &f->fr, 1);
L1:;
  }
  return GOC_DONE;
}
typedef struct { goc_frame fr; int k; } sleeper_frame;
static int sh_sleeper_step(goc_g *g, goc_frame *f_) {
  sleeper_frame *f = (sleeper_frame *)f_;
  static void *const L[] = {&&L0, &&L1};
  goto *L[f->fr.resume];
L0:
  for (f->k = 0; f->k < SH_ROUNDS; f->k++) {
    plain_sleeps();
    RT_PREEMPT_CHECK(g, &f->fr, 1);
L1:;
  }
  atomic_store(&sh_sleeper_done, 1);
  return GOC_DONE;
}
static int sh_main(goc_g *g, goc_frame *f_) {
  main_frame *f = (main_frame *)f_;
  static void *const L[] = {&&L0, &&L1};
  goto *L[f->fr.resume];
L0:
  for (int i = 0; i < goc_nprocs() + 2; i++) {
    goc_g *ng;
    RT_NEW(ng, hog_frame, sh_hog_step);
    RT_GO(ng);
  }
  {
    goc_g *ng;
    RT_NEW(ng, sleeper_frame, sh_sleeper_step);
    RT_GO(ng);
  }
  while (!atomic_load(&sh_sleeper_done)) {
L1:
    if (!goc_sleep__async(g, GOC_MILLISECOND)) RT_SUSPEND(&f->fr, 1);
  }
  atomic_store(&sh_stop, 1);
  CHECK(atomic_load(&sh_hog_work) > 0);
  /* The retakes sent no signal into the sleeper's system calls. */
  CHECK(atomic_load(&sh_eintr) == 0);
  f->result = 0;
  return GOC_DONE;
}
static void case_sleeper_hogs_1(void) {
  setenv("GOC_MAXPROCS", "1", 1);
  RT_RUN_MAIN(main_frame, sh_main);
}
static void case_sleeper_hogs_2(void) {
  setenv("GOC_MAXPROCS", "2", 1);
  RT_RUN_MAIN(main_frame, sh_main);
}
static void case_sleeper_hogs_4(void) {
  setenv("GOC_MAXPROCS", "4", 1);
  RT_RUN_MAIN(main_frame, sh_main);
}

/* ---- an M retaken in plain C code never waits for a P holding a lock -----
 * One P. The stuck goroutine spins in plain C until the monitor has
 * retaken its P and another M runs it (main); then it sends
 * on an unbuffered channel nobody receives from yet. Main, spinning with
 * preemption checks, receives as soon as it sees the sender queued. Had
 * the stuck M taken the channel's lock and then waited for a P (in the
 * park), main's M would spin on that lock holding the only P: deadlock
 * (under TSan for good; here until the monitor retakes main's M too). */
static goc_chan *lh_c;
static void lh_spin_until_handed_off(void) {
  goc_m *m = goc__tls_m;
  while (!atomic_load(&m->detached)) {
  }
  /* m->p is stale: wait until another M runs it (main) */
  for (;;) {
    goc_m *o = atomic_load(&m->p->owner);
    if (atomic_load(&m->p->status) == GOC_P_RUNNING && o && o != m) break;
  }
}
typedef struct { goc_frame fr; int v; } lh_frame;
static int lh_stuck_step(goc_g *g, goc_frame *f_) {
  lh_frame *f = (lh_frame *)f_;
  static void *const L[] = {&&L0, &&L1};
  goto *L[f->fr.resume];
L0:
  lh_spin_until_handed_off();
  f->v = 42;
  if (!goc__chan_send(g, lh_c, &f->v)) RT_SUSPEND(&f->fr, 1);
  return GOC_DONE;
L1:
  goc__chan_send_resume(g);
  return GOC_DONE;
}
typedef struct { goc_frame fr; int result; int v; } lh_main_frame;
static int lh_main(goc_g *g, goc_frame *f_) {
  lh_main_frame *f = (lh_main_frame *)f_;
  static void *const L[] = {&&L0, &&L1, &&L2};
  goto *L[f->fr.resume];
L0:
  lh_c = goc_chan_make(sizeof(int), _Alignof(int), 0);
  {
    goc_g *ng;
    RT_NEW(ng, lh_frame, lh_stuck_step);
    RT_GO(ng);
  }
  while (!__atomic_load_n(&lh_c->sendq.first, __ATOMIC_SEQ_CST)) {
    RT_PREEMPT_CHECK(g, &f->fr, 1);
L1:;
  }
  /* The sender holds the lock until its park commits, on a P. Holding it
   * while waiting for one is the bug; the monitor's retake of this M,
   * stuck on the lock, would hide it after a while, so look now. */
  while (atomic_load(&lh_c->lock.v) != 0)
    CHECK(atomic_load(&goc__sched.npwait) == 0);
  if (!goc__chan_recv(g, lh_c, &f->v, NULL)) RT_SUSPEND(&f->fr, 2);
  if (0) {
L2:
    goc__chan_recv_resume(g, NULL);
  }
  CHECK(f->v == 42);
  f->result = 0;
  return GOC_DONE;
}
static void case_lock_held(void) {
  setenv("GOC_MAXPROCS", "1", 1);
  RT_RUN_MAIN(lh_main_frame, lh_main);
}

int main(int argc, char **argv) {
  static const rt_case cases[] = {
      {"spin", case_spin, 0, {0}},
      {"blocking", case_blocking, 0, {0}},
      {"stress", case_stress, 0, {0}},
      {"sleeper_hogs_1", case_sleeper_hogs_1, 0, {0}},
      {"sleeper_hogs_2", case_sleeper_hogs_2, 0, {0}},
      {"sleeper_hogs_4", case_sleeper_hogs_4, 0, {0}},
      {"lock_held", case_lock_held, 0, {0}},
  };
  return rt_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
