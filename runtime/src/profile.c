/* profile.c — goc_profile_write (Go's pprof.Lookup(name).WriteTo) and the
 * goroutine profile: every live goroutine's chain of .goc frames, grouped
 * by identical stack with counts.
 *
 * Invariants:
 *   - The goroutines are walked under goc__scan_lock and their frames
 *     copied through gscan.c, as dump.c does; Go stops the world for this,
 *     goc pins one G at a time. A G running on another
 *     thread (or in a system call) has its frames written meanwhile, so it
 *     is counted with one pseudo-frame, as dump.c prints "goroutine running
 *     on other thread; stack unavailable"; the caller's own G is walked
 *     (its frames are ours). A frame's line is where it last suspended, so
 *     the caller's innermost frame shows its last suspension, not the call
 *     to goc_profile_write.
 *   - Nothing is written to `out` while a runtime lock is held (out may be
 *     a pipe that a goroutine of this program drains), except by debug=2,
 *     which is goc_dump's listing as it always was.
 */
#include <stdlib.h>
#include <string.h>
#include "blockprof.h"
#include "pprof.h"
#include "gscan.h"

#define RUNNING_ELSEWHERE "(goroutine running on other thread; stack unavailable)"

static int stack_of(goc_g *g, goc_g *self, goc_pframe *f) {
  goc_scan_stack k;
  int n = goc__scan_g(g, self, &k, GOC_PPROF_MAXDEPTH, 0);
  if (n < 0) {
    f[0] = (goc_pframe){RUNNING_ELSEWHERE, "?", 0};
    return 1;
  }
  memcpy(f, k.f, sizeof *f * (size_t)n);
  return n;
}

static void collect_goroutines(goc_pprof *p) {
  static const char *const type[] = {"goroutine"}, *const unit[] = {"count"};
  goc__pprof_init(p, 1, type, unit, "goroutine", "count", 1);
  goc_g *self = goc__getg();
  goc_pframe f[GOC_PPROF_MAXDEPTH];
  const int64_t one = 1;
  goc__scan_lock();
  GOC_FOR_EACH_G(g) {
    uint32_t st = atomic_load(goc__gstatus(g));
    if (st == GOC_GIDLE || st == GOC_GDEAD) continue;
    goc__pprof_add(p, f, stack_of(g, self, f), &one);
  }
  goc__scan_unlock();
}

static int goroutine_text(const goc_pprof *p, FILE *out) {
  uint32_t *ord = goc__pprof_order(p, 0);
  if (!ord) return -1;
  int64_t total = 0;
  for (size_t i = 0; i < p->nsample; i++) total += p->sample[i].v[0];
  fprintf(out, "goroutine profile: total %lld\n", (long long)total);
  for (size_t i = 0; i < p->nsample; i++) {
    const goc_pprof_sample *s = &p->sample[ord[i]];
    fprintf(out, "%lld", (long long)s->v[0]);
    goc__pprof_text_stack(p, s, out);
  }
  free(ord);
  return 0;
}

static int goroutine_profile(FILE *out, int debug) {
  if (debug >= 2) {
    goc_dump(out);
    return ferror(out) ? -1 : 0;
  }
  goc_pprof p;
  collect_goroutines(&p);
  int rc = debug <= 0 ? goc__pprof_write(&p, out) : goroutine_text(&p, out);
  if (p.failed) rc = -1;
  goc__pprof_free(&p);
  if (fflush(out) != 0 || ferror(out)) rc = -1;
  return rc;
}

int goc_profile_write(const char *name, FILE *out, int debug) {
  if (!name || !out) return -1;
  if (!strcmp(name, "goroutine")) return goroutine_profile(out, debug);
  if (!strcmp(name, "block")) return goc__blockprof_write(out, debug);
  if (!strcmp(name, "mutex")) return goc__mutexprof_write(out, debug);
  return -1;
}
