/* leakcheck.c — GOC_DEBUG=leakcheck=1: at exit, the goroutines still alive,
 * grouped by where they were created and what they wait for, with counts,
 * the longest wait and one stack per group (the seed's leak view; goc test
 * has its own per-test check, testing_main.c).
 *
 * Invariants: runs once, from an atexit handler (main's return and exit()
 * both run it), after every other goroutine has stopped being scheduled
 * only in the sense that nothing waits for them: it reads them as dump.c
 * does, under goc__scan_lock (gscan.c), listing a running G without its frames.
 */
#include <stdlib.h>
#include <string.h>
#include "gscan.h"

typedef struct leak_group {
  const char *file, *func;
  int line;
  uint32_t state;
  uint8_t reason;
  int count;
  int64_t longest;
  goc_g *example;
} leak_group;

static bool same_group(const leak_group *a, const goc_g *g, const goc_scan_stack *k) {
  const goc_site *c = g->created;
  const char *file = c ? c->file : NULL;
  return a->line == (c ? c->line : 0) && a->state == k->status && a->reason == k->wait_reason &&
         (a->file == file || (a->file && file && !strcmp(a->file, file)));
}

static int by_count(const void *x, const void *y) {
  const leak_group *a = x, *b = y;
  return a->count != b->count ? b->count - a->count : (a->longest < b->longest) - (a->longest > b->longest);
}

static void report(void) {
  goc_g *self = goc__getg();
  uint32_t now = goc__ms_monitor();
  leak_group *v = NULL;
  int n = 0, total = 0;
  goc__scan_lock();
  GOC_FOR_EACH_G(g) {
    uint32_t st = atomic_load(goc__gstatus(g));
    if (st == GOC_GIDLE || st == GOC_GDEAD || g == self || g == goc__main_gp) continue;
    goc_scan_stack ws;   /* the state and wait fields only */
    goc__scan_g(g, self, &ws, 0, 0);
    st = ws.status;
    if (st == GOC_GIDLE || st == GOC_GDEAD) continue;
    total++;
    int k = 0;
    while (k < n && !same_group(&v[k], g, &ws)) k++;
    if (k == n) {
      leak_group *nv = realloc(v, sizeof *v * (size_t)(n + 1));
      if (!nv) continue;   /* counted, not grouped */
      v = nv;
      const goc_site *c = g->created;
      v[n++] = (leak_group){c ? c->file : NULL, c ? c->func : NULL, c ? c->line : 0, st, ws.wait_reason, 0, 0, g};
    }
    v[k].count++;
    int64_t w = (st == GOC_GWAITING && ws.wait_ms) ? (int64_t)(uint32_t)(now - ws.wait_ms) * GOC_MILLISECOND : 0;
    if (w > v[k].longest) v[k].longest = w;
  }
  if (total) {
    qsort(v, (size_t)n, sizeof *v, by_count);
    fprintf(stderr, "leakcheck: %d goroutine%s still alive at exit, by creation site:\n", total,
            total == 1 ? "" : "s");
    for (int i = 0; i < n; i++) {
      leak_group *l = &v[i];
      const char *what = l->state == GOC_GWAITING ? goc__wait_reason_string(l->reason)
                         : l->state == GOC_GRUNNABLE ? "runnable" : "running";
      fprintf(stderr, "\n%6d x [%s] created by %s at %s:%d", l->count, what, l->func ? l->func : "?",
              l->file ? l->file : "?", l->line);
      if (l->longest > 0) fprintf(stderr, ", the longest waiting %lld ms", (long long)(l->longest / GOC_MILLISECOND));
      fputs("\n", stderr);
      goc__print_goroutine(stderr, l->example, false);
    }
  }
  goc__scan_unlock();
  free(v);
}

void goc__leakcheck_init(void) { atexit(report); }
