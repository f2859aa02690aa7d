/* blockprof.c — the block profile (see blockprof.h): one pprof builder for
 * the life of the program, under one lock, that every recorded block adds
 * to (the builder merges identical stacks).
 *
 * Sampling is Go's (runtime/mprof.go, blocksampled and saveblockevent): at
 * rate r > 1 a block of d < r ns is kept with probability d/r and then
 * counts as r/d events of r ns, so totals stay unbiased; a block of d >= r
 * is always kept as itself.
 */
#include "blockprof.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "pprof.h"
#include "proc.h"
#include "goc.h"

_Atomic int64_t goc__blockprof_rate;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static goc_pprof prof;
static bool prof_ready;
static char *path;   /* GOC_BLOCKPROFILE, until written */

void goc__blockprof_init(void) {
  const char *e = getenv("GOC_BLOCKPROFILE");
  if (!e || !*e) return;
  path = strdup(e);
  if (!path) goc__throw("out of memory");   /* not a profile silently missing */
  atomic_store(&goc__blockprof_rate, 1);
  atexit(goc__blockprof_flush);
}

bool goc__blockprof_wanted(void) { return path != NULL; }

void goc_set_block_profile_rate(int64_t ns) {
  atomic_store(&goc__blockprof_rate, ns > 0 ? ns : 0);
}

static void prof_init_locked(void) {
  if (prof_ready) return;
  static const char *const type[] = {"contentions", "delay"}, *const unit[] = {"count", "nanoseconds"};
  goc__pprof_init(&prof, 2, type, unit, "contentions", "count", 1);
  prof_ready = true;
}

static bool is_block_event(uint8_t reason) {
  switch (reason) {
  case GOC_WAIT_CHAN_RECV: case GOC_WAIT_CHAN_SEND: case GOC_WAIT_SELECT:
  case GOC_WAIT_MUTEX: case GOC_WAIT_RWMUTEX_R: case GOC_WAIT_RWMUTEX_W:
  case GOC_WAIT_WAITGROUP: case GOC_WAIT_COND:
    return true;
  default:
    return false;
  }
}

void goc__blockprof_ready(goc_g *g) {
  int64_t rate = atomic_load_explicit(&goc__blockprof_rate, memory_order_relaxed);
  if (rate <= 0 || !g->wait_since || !g->h.top || !is_block_event(g->wait_reason)) return;
  int64_t d = goc_now() - g->wait_since;
  if (d <= 0) d = 1;
  int64_t v[2] = {1, d};
  if (rate > d) {
    uint64_t r = (uint64_t)goc__fastrand() << 32 | goc__fastrand();
    if (r % (uint64_t)rate > (uint64_t)d) return;
    v[0] = rate / d;
    v[1] = rate;
  }
  goc_pframe f[GOC_PPROF_MAXDEPTH];
  int n = 0;
  for (goc_frame *fr = g->h.top; fr && n < GOC_PPROF_MAXDEPTH; fr = fr->parent)
    f[n++] = (goc_pframe){fr->func, fr->file, fr->line};
  goc__rt_lock(&lock);
  prof_init_locked();
  goc__pprof_add(&prof, f, n, v);
  goc__rt_unlock(&lock);
}

/* Go's debug=1 form (runtime/pprof, writeProfileInternal): delay and count
 * per stack, most delay first. Delays are ns, hence cycles/second=1e9. */
static int text_locked(FILE *out) {
  uint32_t *ord = goc__pprof_order(&prof, 1);
  if (!ord) return -1;
  fputs("--- contention:\ncycles/second=1000000000\n", out);
  for (size_t i = 0; i < prof.nsample; i++) {
    const goc_pprof_sample *s = &prof.sample[ord[i]];
    fprintf(out, "%lld %lld", (long long)s->v[1], (long long)s->v[0]);
    goc__pprof_text_stack(&prof, s, out);
  }
  free(ord);
  return 0;
}

int goc__blockprof_write(FILE *out, int debug) {
  /* Formatted into memory under the lock, written after it (see profile.c:
   * out may be a pipe a goroutine drains, and blocks must go on meanwhile). */
  char *buf = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&buf, &len);
  if (!mem) return -1;
  goc__rt_lock(&lock);
  prof_init_locked();
  int rc = debug <= 0 ? goc__pprof_write(&prof, mem) : text_locked(mem);
  goc__rt_unlock(&lock);
  if (fclose(mem) != 0) rc = -1;
  if (buf && len && fwrite(buf, 1, len, out) != len) rc = -1;
  free(buf);
  if (fflush(out) != 0) rc = -1;
  return rc;
}

void goc__blockprof_flush(void) {
  goc__rt_lock(&lock);
  char *p = path;
  path = NULL;
  goc__rt_unlock(&lock);
  if (!p) return;
  FILE *f = fopen(p, "w");
  free(p);
  if (!f) return;
  goc__blockprof_write(f, 0);
  fclose(f);
}
