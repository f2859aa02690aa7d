/* blockprof.c — the block and mutex profiles (see blockprof.h): each one
 * pprof builder for the life of the program, under its own lock, that
 * every recorded event adds to (the builder merges identical stacks).
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

/* A contention profile: the block profile and the mutex profile are two.
 * One pprof builder for the life of the program, under its own lock. */
typedef struct contention {
  pthread_mutex_t lock;
  goc_pprof prof;
  bool ready;
  char *path;            /* GOC_BLOCKPROFILE / GOC_MUTEXPROFILE, until written */
  const char *env;
} contention;

static contention block = {PTHREAD_MUTEX_INITIALIZER, .env = "GOC_BLOCKPROFILE"};
static contention mutex = {PTHREAD_MUTEX_INITIALIZER, .env = "GOC_MUTEXPROFILE"};

/* c's lock held. */
static void ready_locked(contention *c) {
  if (c->ready) return;
  static const char *const type[] = {"contentions", "delay"}, *const unit[] = {"count", "nanoseconds"};
  goc__pprof_init(&c->prof, 2, type, unit, "contentions", "count", 1);
  c->ready = true;
}

/* Adds v (count, delay) to c at g's stack, the chain of frames it blocked in. */
static void record(contention *c, goc_g *g, const int64_t v[2]) {
  goc_pframe f[GOC_PPROF_MAXDEPTH];
  int n = 0;
  for (goc_frame *fr = g->h.top; fr && n < GOC_PPROF_MAXDEPTH; fr = fr->parent)
    f[n++] = (goc_pframe){goc__frame_func(fr), goc__frame_file(fr), fr->line};
  goc__rt_lock(&c->lock);
  ready_locked(c);
  goc__pprof_add(&c->prof, f, n, v);
  goc__rt_unlock(&c->lock);
}

/* Go's debug=1 form (runtime/pprof, writeProfileInternal): delay and count
 * per stack, most delay first, after header. c's lock held. */
static int text_locked(contention *c, FILE *out, const char *header) {
  uint32_t *ord = goc__pprof_order(&c->prof, 1);
  if (!ord) return -1;
  fputs(header, out);
  for (size_t i = 0; i < c->prof.nsample; i++) {
    const goc_pprof_sample *s = &c->prof.sample[ord[i]];
    fprintf(out, "%lld %lld", (long long)s->v[1], (long long)s->v[0]);
    goc__pprof_text_stack(&c->prof, s, out);
  }
  free(ord);
  return 0;
}

static int write_profile(contention *c, FILE *out, int debug, const char *header) {
  /* Formatted into memory under the lock, written after it (see profile.c:
   * out may be a pipe a goroutine drains, and blocks must go on meanwhile). */
  char *buf = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&buf, &len);
  if (!mem) return -1;
  goc__rt_lock(&c->lock);
  ready_locked(c);
  int rc = debug <= 0 ? goc__pprof_write(&c->prof, mem) : text_locked(c, mem, header);
  goc__rt_unlock(&c->lock);
  if (fclose(mem) != 0) rc = -1;
  if (buf && len && fwrite(buf, 1, len, out) != len) rc = -1;
  free(buf);
  if (fflush(out) != 0) rc = -1;
  return rc;
}

/* The file named by c's variable, written once, whichever exit comes first. */
static void flush(contention *c, int (*write)(FILE *, int)) {
  goc__rt_lock(&c->lock);
  char *p = c->path;
  c->path = NULL;
  goc__rt_unlock(&c->lock);
  if (!p) return;
  FILE *f = fopen(p, "w");
  free(p);
  if (!f) return;
  write(f, 0);
  fclose(f);
}

/* Whether c's variable is set; if so c records every event from now on. */
static bool from_env(contention *c) {
  const char *e = getenv(c->env);
  if (!e || !*e) return false;
  c->path = strdup(e);
  if (!c->path) goc__throw("out of memory");   /* not a profile silently missing */
  return true;
}

void goc__blockprof_init(void) {
  if (!from_env(&block)) return;
  goc_set_block_profile_rate(1);
  atexit(goc__blockprof_flush);
}

bool goc__blockprof_wanted(void) { return block.path != NULL; }

void goc_set_block_profile_rate(int64_t ns) {
  atomic_store(&goc__blockprof_rate, ns > 0 ? ns : 0);
  update_on();
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

/* Go's mutexevent: one event in rate, its count and delay scaled by rate
 * (Go scales when it writes; the totals are the same). */
static void mutexprof_record(goc_g *g, int64_t d) {
  int rate = atomic_load_explicit(&mutexprof_rate, memory_order_relaxed);
  if (rate <= 0 || (rate > 1 && goc__fastrand() % (uint32_t)rate != 0)) return;
  record(&mutex, g, (int64_t[2]){rate, d * rate});
}

void goc__blockprof_ready(goc_g *g) {
  int64_t t0 = g->x ? g->x->wait_ns : 0;
  if (!t0 || !g->h.top) return;
  g->x->wait_ns = 0;
  int64_t d = goc_now() - t0;
  if (d <= 0) d = 1;
  uint8_t r = g->wait_reason;
  if (r == GOC_WAIT_MUTEX || r == GOC_WAIT_RWMUTEX_R || r == GOC_WAIT_RWMUTEX_W) mutexprof_record(g, d);
  int64_t rate = atomic_load_explicit(&goc__blockprof_rate, memory_order_relaxed);
  if (rate <= 0 || !is_block_event(r)) return;
  int64_t v[2] = {1, d};
  if (rate > d) {
    uint64_t x = (uint64_t)goc__fastrand() << 32 | goc__fastrand();
    if (x % (uint64_t)rate > (uint64_t)d) return;
    v[0] = rate / d;
    v[1] = rate;
  }
  record(&block, g, v);
}

/* Delays are ns, hence cycles/second=1e9. */
int goc__blockprof_write(FILE *out, int debug) {
  return write_profile(&block, out, debug, "--- contention:\ncycles/second=1000000000\n");
}

void goc__blockprof_flush(void) { flush(&block, goc__blockprof_write); }

/* ---- the mutex profile ------------------------------------------------------ */
int goc_set_mutex_profile_fraction(int rate) {
  if (rate < 0) return atomic_load(&mutexprof_rate);
  int prev = atomic_exchange(&mutexprof_rate, rate);
  update_on();
  return prev;
}

bool goc__mutexprof_wanted(void) { return mutex.path != NULL; }

int goc__mutexprof_write(FILE *out, int debug) {
  char header[96];
  snprintf(header, sizeof header, "--- mutex:\ncycles/second=1000000000\nsampling period=%d\n",
           atomic_load(&mutexprof_rate));
  return write_profile(&mutex, out, debug, header);
}

void goc__mutexprof_flush(void) { flush(&mutex, goc__mutexprof_write); }

void goc__mutexprof_init(void) {
  if (!from_env(&mutex)) return;
  goc_set_mutex_profile_fraction(1);
  atexit(goc__mutexprof_flush);
}
