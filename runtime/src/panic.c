/* panic.c — failure: panics (user errors), throws (runtime invariants) and
 * deadlock detection (Go's checkdead).
 *
 * Invariants: every failure path prints to stderr and exits with status 2
 * without running atexit handlers (stdio is flushed first so the program's
 * own earlier output is kept); only one thread prints (the others block).
 * Deadlock is declared only in goc__run_main mode, when every M is idle and
 * nothing can make progress: no runnable G, no timer, no I/O waiter, no
 * M in a system call and no live plain thread that has used the runtime
 * (it may still send; it stops counting when it exits, which re-checks).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "proc.h"

static _Atomic int dying;

static void begin_death(void) {
  if (atomic_fetch_add(&dying, 1) != 0) {
    for (;;) pause();   /* the first failure prints and exits */
  }
}

void goc__fatal_exit(void) {
  fflush(stdout);
  fflush(stderr);
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
  for (int32_t i = 0; i < s->gomaxprocs; i++) {
    goc_p *p = &s->allp[i];
    if (!goc__runqempty(p)) return;
    if (atomic_load(&p->timer0when) != INT64_MAX) return;
  }
  begin_death();
  fprintf(stderr, "fatal error: all goroutines are asleep - deadlock!\n\n");
  goc__dump_all(stderr, NULL);
  goc__fatal_exit();
}
