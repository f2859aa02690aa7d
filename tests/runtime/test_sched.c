/* Scheduler: spawning, sleeping, preemption, work stealing, syscalls. */
#include <stdatomic.h>
#include <time.h>
#include "rt_test.h"

typedef struct { goc_frame fr; int result; long i; } main_frame;

/* ---- 1M goroutines, each increments a counter ---------------------------- */
#define NSPAWN 1000000L
static _Atomic long counter;
typedef struct { goc_frame fr; long add; } inc_frame;
static int inc_step(goc_g *g, goc_frame *f) {
  (void)g;
  atomic_fetch_add(&counter, ((inc_frame *)f)->add);
  return GOC_DONE;
}
static int spawn_main(goc_g *g, goc_frame *f_) {
  main_frame *f = (main_frame *)f_;
  static void *const L[] = {&&L0, &&L1, &&L2};
  goto *L[f->fr.resume];
L0:
  for (f->i = 0; f->i < NSPAWN; f->i++) {
    goc_g *ng;
    inc_frame *nf = RT_NEW(ng, inc_frame, inc_step);
    nf->add = 1;
    RT_GO(ng);
    if (f->i % 4096 == 4095) {
      while (atomic_load(&counter) < f->i - 20000) {
      L1:
        if (!goc_yield__async(g)) RT_SUSPEND(&f->fr, 1);
      }
    }
  }
  while (atomic_load(&counter) < NSPAWN) {
  L2:
    if (!goc_yield__async(g)) RT_SUSPEND(&f->fr, 2);
  }
  CHECK(atomic_load(&counter) == NSPAWN);
  f->result = 0;
  return GOC_DONE;
}
static void case_spawn_many(void) { RT_RUN_MAIN(main_frame, spawn_main); }

/* ---- a spawner that fills its P's queue yields -------------------------------
 * At one P, a goroutine that makes Gs in a loop is asked to yield once half
 * the run queue is full (proc.c's go_start), so the Gs it made run before
 * it has made them all; with only the monitor's 10 ms preemption, 300
 * spawns would finish long before any of them ran. */
#define NYIELD 300
static _Atomic long ycounter;
static int yinc_step(goc_g *g, goc_frame *f) {
  (void)g; (void)f;
  atomic_fetch_add(&ycounter, 1);
  return GOC_DONE;
}
typedef struct { goc_frame fr; int result; long i; long ran_before_end; } yield_frame;
static int yield_main(goc_g *g, goc_frame *f_) {
  yield_frame *f = (yield_frame *)f_;
  static void *const L[] = {&&L0, &&L1, &&L2};
  goto *L[f->fr.resume];
L0:
  for (f->i = 0; f->i < NYIELD; f->i++) {
    goc_g *ng;
    RT_NEW(ng, goc_frame, yinc_step);
    RT_GO(ng);
    if (goc__preempt_requested(g)) {
      goc__preempt(g);
      RT_SUSPEND(&f->fr, 1);
    L1:;
    }
  }
  f->ran_before_end = atomic_load(&ycounter);
  while (atomic_load(&ycounter) < NYIELD) {
  L2:
    if (!goc_yield__async(g)) RT_SUSPEND(&f->fr, 2);
  }
  CHECK(f->ran_before_end > 0);
  f->result = 0;
  return GOC_DONE;
}
static void case_spawner_yields(void) {
  setenv("GOC_MAXPROCS", "1", 1);
  RT_RUN_MAIN(yield_frame, yield_main);
}

/* ---- sleep ordering --------------------------------------------------------- */
#define NSLEEP 20
/* Each sleeper checks its own sleep lasted at least what it asked for. The
 * order in which sleepers run after waking is not checked: under load two
 * timers can fire in one batch, and a readied G takes runnext (as in Go). */
static _Atomic int nwoken, short_sleeps;
typedef struct { goc_frame fr; int k; int64_t start; } sleeper_frame;
static int sleeper_step(goc_g *g, goc_frame *f_) {
  sleeper_frame *f = (sleeper_frame *)f_;
  int64_t d = (int64_t)(f->k + 1) * 3 * GOC_MILLISECOND;
  if (f->fr.resume == 0) f->start = goc_now();
  if (!goc_sleep__async(g, d)) {
    f->fr.resume = 1;
    return GOC_SUSPEND;
  }
  if (goc_now() - f->start < d) atomic_fetch_add(&short_sleeps, 1);
  atomic_fetch_add(&nwoken, 1);
  return GOC_DONE;
}
static int sleep_main(goc_g *g, goc_frame *f_) {
  main_frame *f = (main_frame *)f_;
  static void *const L[] = {&&L0, &&L1};
  goto *L[f->fr.resume];
L0:
  /* Before the spawns: the first sleepers may start (and so begin their
   * sleeps) on another P while later ones are still being spawned. */
  f->i = goc_now();
  for (int k = NSLEEP - 1; k >= 0; k--) {
    goc_g *ng;
    sleeper_frame *sf = RT_NEW(ng, sleeper_frame, sleeper_step);
    sf->k = k;
    RT_GO(ng);
  }
  while (atomic_load(&nwoken) < NSLEEP) {
  L1:
    if (!goc_sleep__async(g, GOC_MILLISECOND)) RT_SUSPEND(&f->fr, 1);
  }
  CHECK(atomic_load(&short_sleeps) == 0);
  CHECK(goc_now() - f->i >= NSLEEP * 3 * GOC_MILLISECOND);
  f->result = 0;
  return GOC_DONE;
}
static void case_sleep_order(void) { RT_RUN_MAIN(main_frame, sleep_main); }

/* ---- a hog cannot starve a sleeper with GOC_MAXPROCS=1 -------------------- */
static _Atomic int hog_stop, hog_preempted, hog_started;
typedef struct { goc_frame fr; long n; } hog_frame;
static int hog_step(goc_g *g, goc_frame *f_) {
  hog_frame *f = (hog_frame *)f_;
  static void *const L[] = {&&L0, &&L1};
  goto *L[f->fr.resume];
L1:
  atomic_fetch_add(&hog_preempted, 1);
L0:
  atomic_store(&hog_started, 1);
  while (!atomic_load_explicit(&hog_stop, memory_order_relaxed)) {
    f->n++;
    RT_PREEMPT_CHECK(g, &f->fr, 1);
  }
  return GOC_DONE;
}
static int preempt_main(goc_g *g, goc_frame *f_) {
  main_frame *f = (main_frame *)f_;
  static void *const L[] = {&&L0, &&L1};
  goto *L[f->fr.resume];
L0:
  CHECK(goc_nprocs() == 1);
  {
    goc_g *ng;
    RT_NEW(ng, hog_frame, hog_step);
    RT_GO(ng);
  }
  f->i = goc_now();
L1:
  if (!goc_sleep__async(g, 30 * GOC_MILLISECOND)) RT_SUSPEND(&f->fr, 1);
  /* main runs again on the only P, so the hog (which started) was
   * preempted; hog_preempted counts resumptions and may still be 0 here */
  CHECK(atomic_load(&hog_started) == 1);
  atomic_store(&hog_stop, 1);
  f->result = 0;
  return GOC_DONE;
}
static void case_preempt(void) {
  setenv("GOC_MAXPROCS", "1", 1);
  RT_RUN_MAIN(main_frame, preempt_main);
}

/* ---- work stealing: two spinning goroutines run at the same time ---------- */
static _Atomic int running[2];
static _Atomic int overlap_seen;
typedef struct { goc_frame fr; int k; } spin_frame;
static int spin_step(goc_g *g, goc_frame *f_) {
  spin_frame *f = (spin_frame *)f_;
  static void *const L[] = {&&L0, &&L1};
  goto *L[f->fr.resume];
L0:
L1:
  atomic_store(&running[f->k], 1);
  while (!atomic_load(&overlap_seen)) {
    if (atomic_load(&running[1 - f->k])) atomic_store(&overlap_seen, 1);
    if (goc__preempt_requested(g)) {
      atomic_store(&running[f->k], 0);
      goc__preempt(g);
      RT_SUSPEND(&f->fr, 1);
    }
  }
  atomic_store(&running[f->k], 0);
  return GOC_DONE;
}
static int steal_main(goc_g *g, goc_frame *f_) {
  main_frame *f = (main_frame *)f_;
  static void *const L[] = {&&L0, &&L1};
  goto *L[f->fr.resume];
L0:
  CHECK(goc_nprocs() == 2);
  for (int k = 0; k < 2; k++) {
    goc_g *ng;
    spin_frame *sf = RT_NEW(ng, spin_frame, spin_step);
    sf->k = k;
    RT_GO(ng);
  }
  while (!atomic_load(&overlap_seen)) {
  L1:
    if (!goc_sleep__async(g, GOC_MILLISECOND)) RT_SUSPEND(&f->fr, 1);
  }
  f->result = 0;
  return GOC_DONE;
}
static void case_steal(void) {
  setenv("GOC_MAXPROCS", "2", 1);
  RT_RUN_MAIN(main_frame, steal_main);
}

/* ---- a goroutine in a system call does not hold the only P ---------------- */
static _Atomic int in_syscall, ticks_during;
typedef struct { goc_frame fr; } sys_frame;
static int sys_step(goc_g *g, goc_frame *f) {
  (void)g; (void)f;
  goc_syscall_enter();
  atomic_store(&in_syscall, 1);
  struct timespec ts = {0, 100 * 1000 * 1000};
  nanosleep(&ts, NULL);
  atomic_store(&in_syscall, 2);
  goc_syscall_exit();
  return GOC_DONE;
}
typedef struct { goc_frame fr; } tick_frame;
static int tick_step(goc_g *g, goc_frame *f) {
  static void *const L[] = {&&L0, &&L1};
  goto *L[f->resume];
L0:
  while (atomic_load(&in_syscall) != 2) {
    if (atomic_load(&in_syscall) == 1) atomic_fetch_add(&ticks_during, 1);
  L1:
    if (!goc_sleep__async(g, GOC_MILLISECOND)) RT_SUSPEND(f, 1);
  }
  return GOC_DONE;
}
static int syscall_main(goc_g *g, goc_frame *f_) {
  main_frame *f = (main_frame *)f_;
  static void *const L[] = {&&L0, &&L1};
  goto *L[f->fr.resume];
L0:
  {
    goc_g *ng;
    RT_NEW(ng, tick_frame, tick_step);
    RT_GO(ng);
    RT_NEW(ng, sys_frame, sys_step);
    RT_GO(ng);
  }
  while (atomic_load(&in_syscall) != 2) {
  L1:
    if (!goc_sleep__async(g, 5 * GOC_MILLISECOND)) RT_SUSPEND(&f->fr, 1);
  }
  CHECK(atomic_load(&ticks_during) >= 5);
  f->result = 0;
  return GOC_DONE;
}
static void case_syscall(void) {
  setenv("GOC_MAXPROCS", "1", 1);
  RT_RUN_MAIN(main_frame, syscall_main);
}

/* ---- deep call chains go through the trampoline ---------------------------- */
typedef struct rec_frame { goc_frame fr; int depth; long sum; struct rec_frame *child; } rec_frame;
static int rec_step(goc_g *g, goc_frame *f_) {
  rec_frame *f = (rec_frame *)f_;
  static void *const L[] = {&&L0, &&L1};
  goto *L[f->fr.resume];
L0:
  if (f->depth == 0) { f->sum = 0; return GOC_DONE; }
  {
    rec_frame *c = (rec_frame *)goc__frame_push(g, sizeof *c, RT_FI(rec_step));
    c->depth = f->depth - 1;
    f->child = c;
    if (goc__call(g, &f->fr, &c->fr) == GOC_SUSPEND) RT_SUSPEND(&f->fr, 1);
  }
L1:;
  rec_frame *c = f->child;
  CHECK(c->fr.parent == &f->fr);
  f->sum = c->sum + f->depth;
  goc__frame_pop(g, &c->fr);
  return GOC_DONE;
}
static int deep_main(goc_g *g, goc_frame *f_) {
  main_frame *f = (main_frame *)f_;
  static void *const L[] = {&&L0, &&L1};
  goto *L[f->fr.resume];
L0:;
  rec_frame *c = (rec_frame *)goc__frame_push(g, sizeof *c, RT_FI(rec_step));
  c->depth = 100000;
  f->i = (long)(intptr_t)c;
  if (goc__call(g, &f->fr, &c->fr) == GOC_SUSPEND) RT_SUSPEND(&f->fr, 1);
L1:
  c = (rec_frame *)(intptr_t)f->i;
  CHECK(c->sum == 100000L * 100001L / 2);
  goc__frame_pop(g, &c->fr);
  CHECK(GOC_G(g)->top == &f->fr);
  f->result = 0;
  return GOC_DONE;
}
static void case_deep(void) { RT_RUN_MAIN(main_frame, deep_main); }

/* ---- exit status of main ---------------------------------------------------- */
static int exit7_main(goc_g *g, goc_frame *f_) {
  (void)g;
  ((main_frame *)f_)->result = 7;
  printf("buffered output survives exit\n");
  return GOC_DONE;
}
static void case_exit7(void) { RT_RUN_MAIN(main_frame, exit7_main); }

int main(int argc, char **argv) {
  static const rt_case cases[] = {
      {"spawn_many", case_spawn_many, 0, {0}},
      {"spawner_yields", case_spawner_yields, 0, {0}},
      {"sleep_order", case_sleep_order, 0, {0}},
      {"preempt", case_preempt, 0, {0}},
      {"steal", case_steal, 0, {0}},
      {"syscall", case_syscall, 0, {0}},
      {"deep", case_deep, 0, {0}},
      {"exit7", case_exit7, 7, {0}},
  };
  return rt_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
