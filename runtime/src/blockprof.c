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
_Atomic bool goc__contention_on;
static _Atomic int mutexprof_rate;

static void update_on(void) {
  atomic_store(&goc__contention_on, atomic_load(&goc__blockprof_rate) > 0 || atomic_load(&mutexprof_rate) > 0);
}

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
  update_on();
  atexit(goc__blockprof_flush);
}

bool goc__blockprof_wanted(void) { return path != NULL; }

void goc_set_block_profile_rate(int64_t ns) {
  atomic_store(&goc__blockprof_rate, ns > 0 ? ns : 0);
  update_on();
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

static void mutexprof_record(goc_g *g, int64_t d);

void goc__blockprof_ready(goc_g *g) {
  if (!g->wait_since || !g->h.top) return;
  int64_t d = goc_now() - g->wait_since;
  if (d <= 0) d = 1;
  uint8_t r = g->wait_reason;
  if (r == GOC_WAIT_MUTEX || r == GOC_WAIT_RWMUTEX_R || r == GOC_WAIT_RWMUTEX_W) mutexprof_record(g, d);
  int64_t rate = atomic_load_explicit(&goc__blockprof_rate, memory_order_relaxed);
  if (rate <= 0 || !is_block_event(r)) return;
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

/* ---- the mutex profile ------------------------------------------------------ */
static pthread_mutex_t mlock = PTHREAD_MUTEX_INITIALIZER;
static goc_pprof mprof;
static bool mprof_ready;
static char *mpath;   /* GOC_MUTEXPROFILE, until written */

static void mprof_init_locked(void) {
  if (mprof_ready) return;
  static const char *const type[] = {"contentions", "delay"}, *const unit[] = {"count", "nanoseconds"};
  goc__pprof_init(&mprof, 2, type, unit, "contentions", "count", 1);
  mprof_ready = true;
}

int goc_set_mutex_profile_fraction(int rate) {
  if (rate < 0) return atomic_load(&mutexprof_rate);
  int prev = atomic_exchange(&mutexprof_rate, rate);
  update_on();
  return prev;
}

bool goc__mutexprof_wanted(void) { return mpath != NULL; }

/* Go's mutexevent: one event in rate, its count and delay scaled by rate
 * (Go scales when it writes; the totals are the same). */
static void mutexprof_record(goc_g *g, int64_t d) {
  int rate = atomic_load_explicit(&mutexprof_rate, memory_order_relaxed);
  if (rate <= 0 || (rate > 1 && goc__fastrand() % (uint32_t)rate != 0)) return;
  int64_t v[2] = {rate, d * rate};
  goc_pframe f[GOC_PPROF_MAXDEPTH];
  int n = 0;
  for (goc_frame *fr = g->h.top; fr && n < GOC_PPROF_MAXDEPTH; fr = fr->parent)
    f[n++] = (goc_pframe){fr->func, fr->file, fr->line};
  goc__rt_lock(&mlock);
  mprof_init_locked();
  goc__pprof_add(&mprof, f, n, v);
  goc__rt_unlock(&mlock);
}

static int mtext_locked(FILE *out) {
  uint32_t *ord = goc__pprof_order(&mprof, 1);
  if (!ord) return -1;
  fprintf(out, "--- mutex:\ncycles/second=1000000000\nsampling period=%d\n", atomic_load(&mutexprof_rate));
  for (size_t i = 0; i < mprof.nsample; i++) {
    const goc_pprof_sample *s = &mprof.sample[ord[i]];
    fprintf(out, "%lld %lld", (long long)s->v[1], (long long)s->v[0]);
    goc__pprof_text_stack(&mprof, s, out);
  }
  free(ord);
  return 0;
}

int goc__mutexprof_write(FILE *out, int debug) {
  char *buf = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&buf, &len);
  if (!mem) return -1;
  goc__rt_lock(&mlock);
  mprof_init_locked();
  int rc = debug <= 0 ? goc__pprof_write(&mprof, mem) : mtext_locked(mem);
  goc__rt_unlock(&mlock);
  if (fclose(mem) != 0) rc = -1;
  if (buf && len && fwrite(buf, 1, len, out) != len) rc = -1;
  free(buf);
  if (fflush(out) != 0) rc = -1;
  return rc;
}

void goc__mutexprof_flush(void) {
  goc__rt_lock(&mlock);
  char *p = mpath;
  mpath = NULL;
  goc__rt_unlock(&mlock);
  if (!p) return;
  FILE *f = fopen(p, "w");
  free(p);
  if (!f) return;
  goc__mutexprof_write(f, 0);
  fclose(f);
}

void goc__mutexprof_init(void) {
  const char *e = getenv("GOC_MUTEXPROFILE");
  if (!e || !*e) return;
  mpath = strdup(e);
  if (!mpath) goc__throw("out of memory");
  goc_set_mutex_profile_fraction(1);
  atexit(goc__mutexprof_flush);
}
