/* blockprof.c — the block and mutex profiles (see blockprof.h): one pprof
 * builder each for the life of the program, under the profiles' lock, into
 * which the threads' tables of events (blockrec.c) are folded whenever a
 * profile is written (the builder merges identical stacks).
 * Blocks are timed in cputicks (cputicks.h) and the ticks turned into
 * nanoseconds when folded, at the rate measured over the whole time since
 * profiling began.
 */
#include "blockprof.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "blockrec.h"
#include "cputicks.h"
#include "pprof.h"
#include "proc.h"
#include "goc.h"
#include "park.h"

_Atomic int64_t goc__blockprof_rate;
_Atomic uint64_t goc__blockprof_rate_ticks;
_Atomic bool goc__contention_on;
_Atomic uint32_t goc__contention_reasons;
_Atomic uint64_t goc__contention_since;
_Atomic int goc__mutexprof_rate;

#define BIT(r) (1u << (r))
static const uint32_t mutex_reasons = BIT(GOC_WAIT_MUTEX) | BIT(GOC_WAIT_RWMUTEX_R) | BIT(GOC_WAIT_RWMUTEX_W);
static const uint32_t block_reasons = BIT(GOC_WAIT_CHAN_RECV) | BIT(GOC_WAIT_CHAN_SEND) | BIT(GOC_WAIT_SELECT) |
                                      BIT(GOC_WAIT_MUTEX) | BIT(GOC_WAIT_RWMUTEX_R) | BIT(GOC_WAIT_RWMUTEX_W) |
                                      BIT(GOC_WAIT_WAITGROUP) | BIT(GOC_WAIT_COND);
_Static_assert(GOC_WAIT_BLOCKING < 32, "a wait reason is a bit of goc__contention_reasons");

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;   /* the profiles' */

/* The rates' setters, lock held. */
static void update_on_locked(void) {
  bool blk = atomic_load(&goc__blockprof_rate) > 0, mtx = atomic_load(&goc__mutexprof_rate) > 0;
  bool on = blk || mtx;
  if (on && !atomic_load(&goc__contention_on)) {
    /* A park stamped before this (while the profiles were off, or during
     * an earlier span of them) is not a block of this span. */
    goc__ticks_start();
    atomic_store(&goc__contention_since, goc__cputicks());
  }
  atomic_store(&goc__contention_reasons, (blk ? block_reasons : 0) | (mtx ? mutex_reasons : 0));
  atomic_store(&goc__contention_on, on);
}

/* Lock held: the block rate in ticks once the tick rate is fixed, else 0. */
static void rate_ticks_locked(void) {
  int64_t ns = atomic_load(&goc__blockprof_rate);
  uint64_t q = goc__ticks_fixed();
  uint64_t t = 0;
  if (ns > 1 && q && !(t = goc__ns_to_ticks(ns, q))) t = 1;
  atomic_store(&goc__blockprof_rate_ticks, t);
}

uint64_t goc__blockprof_rate_ticks_slow(int64_t ns) {
  uint64_t q = goc__ticks_q(false);   /* fixes the rate after its first 5 ms */
  if (goc__ticks_fixed()) {
    goc__rt_lock(&lock);
    rate_ticks_locked();
    goc__rt_unlock(&lock);
  }
  uint64_t t = goc__ns_to_ticks(ns, q);
  return t ? t : 1;
}

/* A contention profile: the block profile and the mutex profile are two. */
typedef struct contention {
  goc_pprof prof;
  bool ready;
  char *path;            /* GOC_BLOCKPROFILE / GOC_MUTEXPROFILE, until written */
  const char *env;
} contention;

static contention block = {.env = "GOC_BLOCKPROFILE"};
static contention mutex = {.env = "GOC_MUTEXPROFILE"};

/* lock held. */
static void ready_locked(contention *c) {
  if (c->ready) return;
  static const char *const type[] = {"contentions", "delay"}, *const unit[] = {"count", "nanoseconds"};
  goc__pprof_init(&c->prof, 2, type, unit, "contentions", "count", 1);
  c->ready = true;
}

void goc__contention_lock(void) { goc__rt_lock(&lock); }
void goc__contention_unlock(void) { goc__rt_unlock(&lock); }

goc_pprof *const *goc__contention_builders(void) {
  static goc_pprof *const prof[GOC_BREC_KINDS] = {[GOC_BREC_BLOCK] = &block.prof, [GOC_BREC_MUTEX] = &mutex.prof};
  ready_locked(&block);
  ready_locked(&mutex);
  return prof;
}

/* Go's debug=1 form (runtime/pprof, writeProfileInternal): delay and count
 * per stack, most delay first, after header. lock held. */
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
  /* The rate over the whole time since profiling began, for the totals'
   * sake; measured before the lock (it may have to wait). */
  uint64_t q = goc__ticks_q(true);
  goc__rt_lock(&lock);
  goc__brec_fold(goc__contention_builders(), q);
  int rc = debug <= 0 ? goc__pprof_write(&c->prof, mem) : text_locked(c, mem, header);
  goc__rt_unlock(&lock);
  if (fclose(mem) != 0) rc = -1;
  if (buf && len && fwrite(buf, 1, len, out) != len) rc = -1;
  free(buf);
  if (fflush(out) != 0) rc = -1;
  return rc;
}

/* The file named by c's variable, written once, whichever exit comes first. */
static void flush(contention *c, int (*write)(FILE *, int)) {
  goc__rt_lock(&lock);
  char *p = c->path;
  c->path = NULL;
  goc__rt_unlock(&lock);
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
  goc__rt_lock(&lock);
  atomic_store(&goc__blockprof_rate, ns > 0 ? ns : 0);
  update_on_locked();
  rate_ticks_locked();
  goc__rt_unlock(&lock);
}

/* Delays are ns, hence cycles/second=1e9. */
int goc__blockprof_write(FILE *out, int debug) {
  return write_profile(&block, out, debug, "--- contention:\ncycles/second=1000000000\n");
}

void goc__blockprof_flush(void) { flush(&block, goc__blockprof_write); }

/* ---- the mutex profile ------------------------------------------------------ */
int goc_set_mutex_profile_fraction(int rate) {
  if (rate < 0) return atomic_load(&goc__mutexprof_rate);
  goc__rt_lock(&lock);
  int prev = atomic_exchange(&goc__mutexprof_rate, rate);
  update_on_locked();
  goc__rt_unlock(&lock);
  return prev;
}

bool goc__mutexprof_wanted(void) { return mutex.path != NULL; }

int goc__mutexprof_write(FILE *out, int debug) {
  char header[96];
  snprintf(header, sizeof header, "--- mutex:\ncycles/second=1000000000\nsampling period=%d\n",
           atomic_load(&goc__mutexprof_rate));
  return write_profile(&mutex, out, debug, header);
}

void goc__mutexprof_flush(void) { flush(&mutex, goc__mutexprof_write); }

void goc__mutexprof_init(void) {
  if (!from_env(&mutex)) return;
  goc_set_mutex_profile_fraction(1);
  atexit(goc__mutexprof_flush);
}
