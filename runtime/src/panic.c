/* panic.c — failure: panics (user errors), throws (runtime invariants) and
 * deadlock detection (Go's checkdead).
 *
 * Invariants: every failure path prints to stderr and exits with status 2
 * without running atexit handlers (stdio is flushed first so the program's
 * own earlier output is kept); only one thread prints (the others block).
 * Deadlock is declared only in goc__run_main mode, when every M is idle and
 * nothing can make progress: no runnable G, no timer, no I/O waiter, no
 * M in a system call and no other thread alive besides the Ms and the
 * monitor (a plain C thread may still send; the monitor re-checks once it
 * has exited).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "proc.h"
#include "trace.h"

static _Atomic int dying;

static void begin_death(void) {
  if (atomic_fetch_add(&dying, 1) != 0) {
    for (;;) pause();   /* the first failure prints and exits */
  }
}

void goc__fatal_exit(void) {
  fflush(stdout);
  fflush(stderr);
  if (goc__trace_on) goc__trace_flush();
  _exit(2);
}

void goc__throw(const char *msg) {
  begin_death();
  fprintf(stderr, "fatal error: %s\n", msg);
  goc_g *g = goc__getg();
  if (g) {
    fputc('\n', stderr);
    goc__print_goroutine(stderr, g, true);
  }
  goc__fatal_exit();
}

void goc__panic_str(const char *msg) {
  begin_death();
  fprintf(stderr, "panic: %s\n", msg);
  goc_g *g = goc__getg();
  if (g) {
    fputc('\n', stderr);
    goc__print_goroutine(stderr, g, true);
  }
  goc__fatal_exit();
}

void goc_panic(const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  goc__panic_str(buf);
}

/* Threads in this process now (/proc/self/stat field 20), or -1. */
int goc__count_threads(void) {
  FILE *f = fopen("/proc/self/stat", "r");
  if (!f) return -1;
  char buf[1024];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  if (!p) return -1;
  p++;
  for (int field = 2; field < 19 && p; field++) p = strchr(p + 1, ' ');
  return p ? atoi(p + 1) : -1;
}

extern int32_t goc__timer_runs_off_m;   /* timer.c, sched.lock */

/* sched.lock held. */
void goc__checkdead(void) {
  goc_sched *s = &goc__sched;
  if (!s->main_mode) return;
  if (s->mcount - s->nmidle > 0) return;
  if (atomic_load(&s->nblocked) > 0 || atomic_load(&s->nsyscall) > 0 ||
      atomic_load(&s->nplain) > 0 ||
      atomic_load(&s->netpoll_waiters) > 0 || atomic_load(&s->polling) > 0)
    return;
  if (atomic_load(&s->runqsize) > 0) return;
  /* The monitor is running a due timer: it may ready a G (timer.c). */
  if (goc__timer_runs_off_m > 0) return;
  for (int32_t i = 0; i < s->gomaxprocs; i++) {
    goc_p *p = &s->allp[i];
    if (!goc__runqempty(p)) return;
    if (atomic_load(&p->timer0when) != INT64_MAX) return;
  }
  /* Any thread that is neither an M nor the monitor (nor there before the
   * runtime started) is a plain thread that may still wake a goroutine. */
  int nthreads = goc__count_threads();
  if (nthreads < 0 || nthreads > s->base_threads + s->mcount + 1) return;
  begin_death();
  fprintf(stderr, "fatal error: all goroutines are asleep - deadlock!\n\n");
  goc__dump_all(stderr, NULL);
  goc__fatal_exit();
}
