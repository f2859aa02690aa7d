/* Failure paths: deadlock detection, panics, throws (each in a child). */
#include <pthread.h>
#include <stdatomic.h>
#include "rt_test.h"
#include "proc.h"

typedef struct { goc_frame fr; int result; } main_frame;

/* main blocks forever on a "channel" nobody will send on */
static int deadlock_main(goc_g *g, goc_frame *f) {
  if (f->resume == 0) {
    f->line = 12;
    goc__park_g(g, GOC_WAIT_CHAN_RECV, NULL, NULL);
    RT_SUSPEND(f, 1);
  }
  CHECK(!"resumed");
  return GOC_DONE;
}
static void case_deadlock(void) { RT_RUN_MAIN(main_frame, deadlock_main); }

/* a sleeping goroutine is progress: the deadlock comes only after it ends */
static _Atomic int64_t sleeper_done_at;
typedef struct { goc_frame fr; } sl_frame;
static int sl_step(goc_g *g, goc_frame *f) {
  if (!goc_sleep__async(g, 50 * GOC_MILLISECOND)) RT_SUSPEND(f, 1);
  atomic_store(&sleeper_done_at, goc_now());
  return GOC_DONE;
}
static int64_t t0;
static void report_at_exit(void) {}
static int deadlock_later_main(goc_g *g, goc_frame *f) {
  if (f->resume == 0) {
    t0 = goc_now();
    atexit(report_at_exit);
    goc_g *ng;
    sl_frame *sf = RT_NEW(ng, sl_frame, sl_step);
    { static const goc_fninfo fi_ = {sl_step, "sleeper", "x.goc"}; sf->fr.fn = &fi_; }
    sf->fr.line = 3;
    RT_GO(ng);
    f->line = 20;
    goc__park_g(g, GOC_WAIT_SELECT_NO_CASES, NULL, NULL);
    RT_SUSPEND(f, 1);
  }
  return GOC_DONE;
}
static void case_deadlock_after_sleep(void) {
  RT_RUN_MAIN(main_frame, deadlock_later_main);
}

/* a goroutine blocked forever alongside main */
typedef struct { goc_frame fr; } blk_frame;
static int blk_step(goc_g *g, goc_frame *f) {
  if (f->resume == 0) {
    f->line = 7;
    goc__park_g(g, GOC_WAIT_CHAN_SEND, NULL, NULL);
    RT_SUSPEND(f, 1);
  }
  return GOC_DONE;
}
static int deadlock2_main(goc_g *g, goc_frame *f) {
  if (f->resume == 0) {
    goc_g *ng;
    blk_frame *bf = RT_NEW(ng, blk_frame, blk_step);
    { static const goc_fninfo fi_ = {blk_step, "worker", "w.goc"}; bf->fr.fn = &fi_; }
    static const goc_site site = {"main", "m.goc", 42};
    goc__go_start(ng, &site);
    f->line = 43;
    goc__park_g(g, GOC_WAIT_WAITGROUP, NULL, NULL);
    RT_SUSPEND(f, 1);
  }
  return GOC_DONE;
}
static void case_deadlock_two(void) { RT_RUN_MAIN(main_frame, deadlock2_main); }

/* Threads that never touch goc do not hide a deadlock: one blocked in the
 * kernel for good, one computing forever (it is running, so it may be
 * about to make its first call: the verdict waits a grace period). */
static void *foreign_sleeper(void *arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}
static _Atomic long foreign_work;
static void *foreign_spinner(void *arg) {
  (void)arg;
  for (;;) atomic_fetch_add_explicit(&foreign_work, 1, memory_order_relaxed);
  return NULL;
}
static void *(*foreign_fn)(void *);
static int foreign_main(goc_g *g, goc_frame *f) {
  if (f->resume == 0) {
    pthread_t t;
    CHECK(pthread_create(&t, NULL, foreign_fn, NULL) == 0);
    f->line = 30;
    goc__park_g(g, GOC_WAIT_CHAN_RECV, NULL, NULL);
    RT_SUSPEND(f, 1);
  }
  CHECK(!"resumed");
  return GOC_DONE;
}
static void case_deadlock_foreign_sleeper(void) {
  foreign_fn = foreign_sleeper;
  RT_RUN_MAIN(main_frame, foreign_main);
}
static void case_deadlock_foreign_spinner(void) {
  foreign_fn = foreign_spinner;
  RT_RUN_MAIN(main_frame, foreign_main);
}

/* A plain thread that used the runtime holds the verdict back while it
 * lives: it blocks in goc_chan_recv, then (registered) runs plain C for a
 * while, blocked in the kernel, and only then sends what main waits for. */
static goc_chan *reg_start, *reg_done;
static void *registered_thread(void *arg) {
  (void)arg;
  int v;
  goc_chan_recv(reg_start, &v);
  struct timespec ts = {0, 30 * 1000 * 1000};
  nanosleep(&ts, NULL);
  goc_chan_send(reg_done, &v);
  return NULL;
}
typedef struct { goc_frame fr; int result; int v; } reg_frame;
static int registered_main(goc_g *g, goc_frame *f_) {
  reg_frame *f = (reg_frame *)f_;
  static void *const L[] = {&&L0, &&L1, &&L2};
  goto *L[f->fr.resume];
L0:
  reg_start = goc_chan_make(sizeof(int), _Alignof(int), 0);
  reg_done = goc_chan_make(sizeof(int), _Alignof(int), 0);
  {
    pthread_t t;
    CHECK(pthread_create(&t, NULL, registered_thread, NULL) == 0);
    pthread_detach(t);
  }
  f->v = 7;
  if (!goc__chan_send(g, reg_start, &f->v)) RT_SUSPEND(&f->fr, 1);
  if (0) {
L1:
    goc__chan_send_resume(g);
  }
  f->v = 0;
  if (!goc__chan_recv(g, reg_done, &f->v, NULL)) RT_SUSPEND(&f->fr, 2);
  if (0) {
L2:
    goc__chan_recv_resume(g, NULL);
  }
  CHECK(f->v == 7);
  f->result = 0;
  return GOC_DONE;
}
static void case_registered_thread(void) { RT_RUN_MAIN(reg_frame, registered_main); }

/* A ticker or goc_after channel nobody is blocked on does not keep a
 * deadlocked program alive (Go 1.23); one someone receives from does. */
static int ticker_deadlock_main(goc_g *g, goc_frame *f) {
  if (f->resume == 0) {
    goc_ticker_new(GOC_MILLISECOND);   /* never read */
    f->line = 40;
    goc__park_g(g, GOC_WAIT_CHAN_RECV, NULL, NULL);
    RT_SUSPEND(f, 1);
  }
  CHECK(!"resumed");
  return GOC_DONE;
}
static void case_deadlock_ticker(void) { RT_RUN_MAIN(main_frame, ticker_deadlock_main); }
static int after_deadlock_main(goc_g *g, goc_frame *f) {
  if (f->resume == 0) {
    (void)goc_after(3600 * GOC_SECOND);   /* abandoned */
    f->line = 50;
    goc__park_g(g, GOC_WAIT_CHAN_RECV, NULL, NULL);
    RT_SUSPEND(f, 1);
  }
  CHECK(!"resumed");
  return GOC_DONE;
}
static void case_deadlock_after(void) { RT_RUN_MAIN(main_frame, after_deadlock_main); }
typedef struct { goc_frame fr; int result; int64_t v; bool ok; int k; goc_ticker *tk; goc_chan *c; } tw_frame;
static int timer_waited_main(goc_g *g, goc_frame *f_) {
  tw_frame *f = (tw_frame *)f_;
  static void *const L[] = {&&L0, &&L1, &&L2};
  goto *L[f->fr.resume];
L0:
  /* blocked on goc_after: not a deadlock */
  f->c = (goc_chan *)goc_after(20 * GOC_MILLISECOND);
  if (!goc__chan_recv(g, f->c, &f->v, &f->ok)) RT_SUSPEND(&f->fr, 1);
  if (0) {
L1:
    goc__chan_recv_resume(g, &f->ok);
  }
  CHECK(f->ok && f->v > 0);
  goc_chan_free(f->c);   /* and its timer (LeakSanitizer) */
  /* nor on a ticker, three ticks */
  f->tk = goc_ticker_new(5 * GOC_MILLISECOND);
  for (f->k = 0; f->k < 3; f->k++) {
    if (!goc__chan_recv(g, (goc_chan *)goc_ticker_chan(f->tk), &f->v, &f->ok))
      RT_SUSPEND(&f->fr, 2);
    if (0) {
L2:
      goc__chan_recv_resume(g, &f->ok);
    }
    CHECK(f->ok);
  }
  goc_ticker_stop(f->tk);
  f->result = 0;
  return GOC_DONE;
}
static void case_timer_waited(void) { RT_RUN_MAIN(tw_frame, timer_waited_main); }

/* panic from a nested frame of a goroutine */
typedef struct { goc_frame fr; } pf_frame;
static int inner_step(goc_g *g, goc_frame *f) {
  (void)g;
  f->line = 99;
  goc_panic("boom %d", 42);
}
static int outer_step(goc_g *g, goc_frame *f) {
  f->line = 50;
  pf_frame *c = (pf_frame *)goc__frame_push(g, sizeof *c, RT_FI(inner_step));
  { static const goc_fninfo fi_ = {inner_step, "inner", "p.goc"}; c->fr.fn = &fi_; }
  return goc__call(g, f, &c->fr);
}
static int panic_main(goc_g *g, goc_frame *f) {
  if (f->resume == 0) {
    goc_g *ng;
    pf_frame *of = RT_NEW(ng, pf_frame, outer_step);
    { static const goc_fninfo fi_ = {outer_step, "outer", "p.goc"}; of->fr.fn = &fi_; }
    static const goc_site site = {"main", "p.goc", 10};
    goc__go_start(ng, &site);
    f->resume = 1;
  }
  if (!goc_sleep__async(g, 5 * GOC_SECOND)) return GOC_SUSPEND;
  return GOC_DONE;
}
static void case_panic(void) {
  printf("before panic\n");
  RT_RUN_MAIN(main_frame, panic_main);
}

static void case_throw(void) { goc__throw("test invariant"); }

/* a plain C program never deadlocks: threads outside may still act */
static void case_no_main_mode(void) {
  goc__runtime_init();
  goc_sleep(20 * GOC_MILLISECOND);
  exit(0);
}

int main(int argc, char **argv) {
  static const rt_case cases[] = {
      {"deadlock", case_deadlock, 2,
       {"fatal error: all goroutines are asleep - deadlock!\n\ngoroutine 1 [chan receive]:\nmain(...)\n",
        "test_failure.c:12\n"}},
      {"deadlock_after_sleep", case_deadlock_after_sleep, 2,
       {"fatal error: all goroutines are asleep - deadlock!",
        "goroutine 1 [select (no cases)]:"}},
      {"deadlock_two", case_deadlock_two, 2,
       {"goroutine 1 [sync.WaitGroup.Wait]:",
        "goroutine 2 [chan send]:\nworker(...)\n\tw.goc:7\ncreated by main in goroutine 1\n\tm.goc:42\n"}},
      {"panic", case_panic, 2,
       {"panic: boom 42\n\ngoroutine 2 [running]:\ninner(...)\n\tp.goc:99\nouter(...)\n\tp.goc:50\n",
        "created by main in goroutine 1\n\tp.goc:10\n"}},
      {"throw", case_throw, 2, {"fatal error: test invariant\n"}},
      {"no_main_mode", case_no_main_mode, 0, {0}},
      {"deadlock_foreign_sleeper", case_deadlock_foreign_sleeper, 2,
       {"fatal error: all goroutines are asleep - deadlock!"}},
      {"deadlock_foreign_spinner", case_deadlock_foreign_spinner, 2,
       {"fatal error: all goroutines are asleep - deadlock!"}},
      {"registered_thread", case_registered_thread, 0, {0}},
      {"deadlock_ticker", case_deadlock_ticker, 2,
       {"fatal error: all goroutines are asleep - deadlock!"}},
      {"deadlock_after", case_deadlock_after, 2,
       {"fatal error: all goroutines are asleep - deadlock!"}},
      {"timer_waited", case_timer_waited, 0, {0}},
  };
  return rt_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
