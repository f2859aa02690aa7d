/* dump.c — goroutine listings: panics, deadlock, goc_dump, SIGQUIT and
 * GOC_DEBUG=schedtrace.
 *
 * Invariants: listings walk allgs under goc__scan_lock and copy each G's
 * frames through gscan.c before printing them; a G running on another
 * thread is listed without frames (its frames are being written), as Go's
 * "goroutine running on other thread; stack unavailable"; a chain deeper
 * than 100 frames shows its innermost and outermost 50, as Go's does. Durations are
 * printed only by goc_dump/SIGQUIT (in ms), never in failure traces, so
 * those match Go's under-a-minute form "[chan receive]".
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "gscan.h"

static void print_g(FILE *out, goc_g *g, bool here, bool durations) {
  /* Copied before anything is written (gscan.c: no pin across output). */
  goc_scan_stack k;
  int n = goc__scan_g(g, here ? g : NULL, &k, GOC_SCAN_MAX / 2, GOC_SCAN_MAX / 2);
  uint32_t st = k.status;
  char state[96];
  switch (st) {
  case GOC_GRUNNABLE: snprintf(state, sizeof state, "runnable"); break;
  case GOC_GRUNNING: snprintf(state, sizeof state, "running"); break;
  case GOC_GSYSCALL:
    snprintf(state, sizeof state, "%s",
             k.wait_reason ? goc__wait_reason_string(k.wait_reason) : "syscall");
    break;
  case GOC_GWAITING:
    snprintf(state, sizeof state, "%s", goc__wait_reason_string(k.wait_reason));
    break;
  default: snprintf(state, sizeof state, "dead"); break;
  }
  if (durations && (st == GOC_GWAITING || st == GOC_GSYSCALL) && k.wait_ms) {
    size_t l = strlen(state);
    snprintf(state + l, sizeof state - l, ", %u ms", (unsigned)(goc__ms_monitor() - k.wait_ms));
  }
  fprintf(out, "goroutine %lld [%s]:\n", (long long)g->id, state);
  if (n < 0) {
    fprintf(out, "\tgoroutine running on other thread; stack unavailable\n");
  } else {
    for (int i = 0; i < n; i++) {
      if (i == GOC_SCAN_MAX / 2 && k.elided)
        fprintf(out, "...%lld frames elided...\n", (long long)k.elided);
      if (k.f[i].line >= 0)   /* a runtime frame (goc test's) is not the user's */
        fprintf(out, "%s(...)\n\t%s:%d\n", k.f[i].func ? k.f[i].func : "?",
                k.f[i].file ? k.f[i].file : "?", k.f[i].line);
    }
  }
  const goc_site *c = g->created;
  if (g != goc__main_gp && c && c->file)
    fprintf(out, "created by %s in goroutine %lld\n\t%s:%d\n", c->func ? c->func : "?",
            (long long)g->created_goid, c->file, c->line);
}

void goc__print_goroutine(FILE *out, goc_g *g, bool running_here) {
  print_g(out, g, running_here, false);
}

static int by_id(const void *a, const void *b) {
  int64_t x = (*(goc_g *const *)a)->id, y = (*(goc_g *const *)b)->id;
  return x < y ? -1 : x > y;
}

static void dump(FILE *out, goc_g *self, bool durations) {
  goc__scan_lock();
  size_t n = 0;
  for (goc_gslab *s = goc__sched.allgs; s; s = s->next) n += (size_t)atomic_load_explicit(&s->n, memory_order_acquire);
  goc_g **v = malloc(sizeof *v * (n ? n : 1));
  size_t k = 0;
  if (v) GOC_FOR_EACH_G(g) {
    uint32_t st = atomic_load(goc__gstatus(g));
    if (st == GOC_GIDLE || st == GOC_GDEAD) continue;
    v[k++] = g;
  }
  if (v) qsort(v, k, sizeof *v, by_id);
  for (size_t i = 0; v && i < k; i++) {
    if (i) fputc('\n', out);
    print_g(out, v[i], v[i] == self, durations);
  }
  free(v);
  goc__scan_unlock();
}

/* No lock held. skip: unused (the caller's own G is printed as running). */
void goc__dump_all(FILE *out, goc_g *skip) {
  (void)skip;
  dump(out, goc__getg(), false);
}

void goc_dump(FILE *out) {
  dump(out, goc__getg(), true);
  fflush(out);
}

/* ---- SIGQUIT: the handler only flags; the monitor prints and exits ----- */
_Atomic int goc__sigquit;

static void on_sigquit(int sig) {
  (void)sig;
  atomic_store(&goc__sigquit, 1);
}

void goc__install_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigquit;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGQUIT, &sa, NULL);
}

void goc__sigquit_dump(void) {
  fprintf(stderr, "SIGQUIT: quit\n\n");
  dump(stderr, NULL, true);
  goc__fatal_exit();
}

/* ---- GOC_DEBUG=schedtrace ------------------------------------------------ */
void goc__schedtrace_to(FILE *out, bool detail) {
  goc_sched *s = &goc__sched;
  goc__rt_lock(&s->lock);
  char buf[8192];
  int n = snprintf(buf, sizeof buf,
                   "SCHED %lldms: gomaxprocs=%d idleprocs=%d threads=%d "
                   "spinningthreads=%d idlethreads=%d runqueue=%d [",
                   (long long)((goc_now() - s->start_time) / GOC_MILLISECOND),
                   goc__maxprocs(), atomic_load(&s->npidle), s->mcount + 1,
                   atomic_load(&s->nmspinning), s->nmidle,
                   atomic_load(&s->runqsize));
  for (int32_t i = 0; i < goc__maxprocs() && n < (int)sizeof buf - 16; i++)
    n += snprintf(buf + n, sizeof buf - (size_t)n, i ? " %u" : "%u",
                  goc__runqlen(goc__allp(i)));
  fprintf(out, "%s]\n", buf);
  if (detail) {
    for (int32_t i = 0; i < goc__nallp(); i++) {
      goc_p *p = goc__allp(i);
      goc_g *g = atomic_load(&p->curg);
      goc_g *next = atomic_load(&p->runnext);
      fprintf(out,
              "  P%d: status=%d schedtick=%u syscalltick=%u curg=%lld "
              "runqsize=%u runnext=%lld timers=%s\n",
              p->id, atomic_load(&p->status), atomic_load(&p->schedtick),
              atomic_load(&p->syscalltick), g ? (long long)g->id : -1LL,
              goc__runqlen(p), next ? (long long)next->id : -1LL,
              atomic_load(&p->timer0when) != INT64_MAX ? "yes" : "no");
    }
    for (goc_m *m = s->allm; m; m = m->alllink) {
      goc_g *g = atomic_load(&m->curg);
      fprintf(out, "  M%lld: curg=%lld p=%d detached=%u locks=%d\n",
              (long long)m->id, g ? (long long)g->id : -1LL,
              m->p ? m->p->id : -1, atomic_load(&m->detached),
              (int)atomic_load(&m->locks));
    }
  }
  goc__rt_unlock(&s->lock);
  if (detail) {
    goc__rt_lock(&s->allglock);
    GOC_FOR_EACH_G(g) {
      uint32_t st = atomic_load(goc__gstatus(g));
      if (st == GOC_GIDLE || st == GOC_GDEAD) continue;
      fprintf(out, "  G%lld: status=%u(%s)\n", (long long)g->id, st,
              st == GOC_GWAITING ? goc__wait_reason_string(g->wait_reason) : "");
    }
    goc__rt_unlock(&s->allglock);
  }
}

void goc__schedtrace(bool detail) { goc__schedtrace_to(stderr, detail); }
