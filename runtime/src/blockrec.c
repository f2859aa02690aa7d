/* blockrec.c — per-thread tables of contention events (see blockrec.h).
 *
 * A table is an open-addressing hash of entries, kept at most half full,
 * and a pool of frames the entries' stacks lie in. A new event walks the
 * G's frames straight into the pool's free end while it hashes them; if an
 * entry has that stack, the frames are left there unclaimed and the entry
 * counts the event, else a new entry claims them. The common case, a stack
 * seen before, is inlined into goc__blockprof_ready; claiming, spilling and
 * inserting are out of line. Before all that, each G remembers the entry of
 * its last event of each kind (goc_gext.brec_last): a G that blocks again
 * at the same stack, the common case, compares its frames with that
 * entry's and neither hashes, probes nor copies them.
 *
 * Sampling is Go's (runtime/mprof.go, blocksampled and saveblockevent): at
 * rate r > 1 a block of d < r ns is kept with probability d/r and then
 * counts as r/d events of r ns, so totals stay unbiased; a block of d >= r
 * is always kept as itself. As Go compares cycles with a rate converted to
 * cycles once, the decision is made in ticks against the rate in ticks
 * (goc__blockprof_rate_ticks): an unkept block costs its two clock reads,
 * a random number and a multiplication, no conversion, division, walk or
 * lock. Counts are kept in units of 1/COUNT_ONE, as Go's are float64, so
 * that r/d is not truncated per event; a fold truncates running totals.
 */
#include "blockrec.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "blockprof.h"
#include "cputicks.h"

#define NENTRY 256              /* power of two */
#define NFRAME 2048             /* >= GOC_PPROF_MAXDEPTH */
#define COUNT_SHIFT 16
#define COUNT_ONE ((int64_t)1 << COUNT_SHIFT)   /* one event in an entry's count */

/* One frame of a stack: the static record stands for function and file. */
typedef struct rframe {
  const goc_fninfo *info;
  int64_t line;
} rframe;

typedef struct rentry {
  _Atomic uint64_t hash;        /* 0: empty */
  uint32_t off;                 /* its stack: pool[off..off+n) */
  uint16_t n;
  uint8_t kind;
  _Atomic int64_t count, ticks, ns;     /* written by the owner only */
  int64_t fcount, fticks, fns;          /* folded: under the profiles' lock */
} rentry;

typedef struct rtab {
  rentry e[NENTRY];
  rframe pool[NFRAME];
  uint32_t nentry, nframe;      /* the owner's */
  uint32_t epoch;               /* the owner's: one more at each clear */
  _Atomic bool owned;
  struct rtab *next;            /* all tables; under the profiles' lock */
} rtab;

/* A record kept inside its frame (the runtime's own frames: a go_once call,
 * a test, a plain thread's async operation) dies with the frame, before the
 * table is folded: such records are replaced by interned copies, names
 * copied too, which live as long as the program. Rare: a lock is fine. */
typedef struct interned { goc_fninfo fi; struct interned *next; } interned;
static interned *interns;
static pthread_mutex_t intern_lock = PTHREAD_MUTEX_INITIALIZER;

static bool same_name(const char *a, const char *b) {
  if (!a || !b) return a == b;
  return !strcmp(a, b);
}

static __attribute__((noinline)) const goc_fninfo *intern(const goc_fninfo *in) {
  pthread_mutex_lock(&intern_lock);
  interned *i = interns;
  while (i && !(i->fi.step == in->step && same_name(i->fi.func, in->func) && same_name(i->fi.file, in->file)))
    i = i->next;
  if (!i && (i = calloc(1, sizeof *i))) {
    i->fi.step = in->step;
    i->fi.func = in->func ? strdup(in->func) : NULL;
    i->fi.file = in->file ? strdup(in->file) : NULL;
    i->next = interns;
    interns = i;
  }
  pthread_mutex_unlock(&intern_lock);
  return i ? &i->fi : NULL;
}

/* The frame's record as a pointer that outlives the frame. */
static inline const goc_fninfo *stable_fn(const goc_frame *fr) {
  if (__builtin_expect((const void *)fr->fn != (const void *)(fr + 1), 1)) return fr->fn;
  return intern(fr->fn);
}

static rtab *tabs;              /* under the profiles' lock */
static _Thread_local rtab *mine;
static _Thread_local uint64_t rng;   /* wyrand's state: 0 until seeded (it never returns to 0) */

static __attribute__((noinline, cold)) void seed(void) {
  rng = (goc__cputicks() ^ (uint64_t)(uintptr_t)&rng) * 0x9e3779b97f4a7c15ull | 1;
}

static inline uint64_t rand64(void) {
  if (__builtin_expect(!rng, 0)) seed();
  uint64_t x = rng += 0xa0761d6478bd642full;
  unsigned __int128 m = (unsigned __int128)x * (x ^ 0xe7037ed1a0b428dbull);
  return (uint64_t)(m >> 64) ^ (uint64_t)m;
}

/* Uniform in [0, n), n > 0: a multiplication, not a division. */
static inline uint64_t rand_below(uint64_t n) {
  return (uint64_t)(((unsigned __int128)rand64() * n) >> 64);
}
static pthread_key_t exit_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

/* Lock held. */
static void fold_tab(rtab *t, goc_pprof *const prof[GOC_BREC_KINDS], uint64_t q) {
  goc_pframe f[GOC_PPROF_MAXDEPTH];
  for (int i = 0; i < NENTRY; i++) {
    rentry *e = &t->e[i];
    if (!atomic_load_explicit(&e->hash, memory_order_acquire)) continue;
    int64_t c = atomic_load_explicit(&e->count, memory_order_relaxed);
    int64_t tk = atomic_load_explicit(&e->ticks, memory_order_relaxed);
    int64_t ns = atomic_load_explicit(&e->ns, memory_order_relaxed);
    int64_t v[2] = {(c >> COUNT_SHIFT) - (e->fcount >> COUNT_SHIFT),
                    goc__ticks_to_ns((uint64_t)(tk - e->fticks), q) + (ns - e->fns)};
    if (!v[0] && !v[1]) continue;
    e->fcount = c;
    e->fticks = tk;
    e->fns = ns;
    const rframe *s = &t->pool[e->off];
    for (int k = 0; k < e->n; k++)
      f[k] = (goc_pframe){s[k].info ? s[k].info->func : NULL, s[k].info ? s[k].info->file : NULL, (int32_t)s[k].line};
    goc__pprof_add(prof[e->kind], f, e->n, v);
  }
}

void goc__brec_fold(goc_pprof *const prof[GOC_BREC_KINDS], uint64_t q) {
  for (rtab *t = tabs; t; t = t->next) fold_tab(t, prof, q);
}

/* The owner, lock held: everything in t is folded; t is empty. */
static void clear_locked(rtab *t) {
  for (int i = 0; i < NENTRY; i++) atomic_store_explicit(&t->e[i].hash, 0, memory_order_relaxed);
  t->nentry = t->nframe = 0;
  t->epoch++;   /* every G's brec_last into t is stale */
}

/* The owner: makes room by folding its whole table. */
static void spill(rtab *t) {
  goc__contention_lock();
  fold_tab(t, goc__contention_builders(), goc__ticks_q(false));
  clear_locked(t);
  goc__contention_unlock();
}

static void thread_exit(void *arg) {
  rtab *t = arg;
  spill(t);
  /* A later destructor of this thread that records claims a table again
   * (and this key's destructor with it), never this one, which the next
   * thread may take. */
  mine = NULL;
  atomic_store_explicit(&t->owned, false, memory_order_release);
}

static void make_key(void) {
  if (pthread_key_create(&exit_key, thread_exit) != 0) goc__throw("blockrec: no thread key");
}

static rtab *claim(void) {
  pthread_once(&key_once, make_key);
  goc__contention_lock();
  rtab *t = tabs;
  while (t && atomic_load_explicit(&t->owned, memory_order_acquire)) t = t->next;
  if (!t) {
    t = calloc(1, sizeof *t);
    if (!t) {
      goc__contention_unlock();
      return NULL;   /* out of memory: the event is lost, not the program */
    }
    t->next = tabs;
    tabs = t;
  }
  atomic_store_explicit(&t->owned, true, memory_order_relaxed);
  goc__contention_unlock();
  pthread_setspecific(exit_key, t);
  return mine = t;
}

static inline uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v;
  h *= 0x9e3779b97f4a7c15ull;
  return h ^ (h >> 29);
}

static inline bool same_stack(const rframe *a, const rframe *b, int n) {
  for (int k = 0; k < n; k++)
    if (a[k].info != b[k].info || a[k].line != b[k].line) return false;
  return true;
}

/* A new entry for the stack at the pool's free end, in empty slot i. */
static __attribute__((noinline)) void insert(rtab *t, uint32_t i, uint64_t h, int kind, int n, int64_t count,
                                             int64_t ticks, int64_t ns) {
  rentry *e = &t->e[i];
  e->off = t->nframe;
  e->n = (uint16_t)n;
  e->kind = (uint8_t)kind;
  atomic_store_explicit(&e->count, count, memory_order_relaxed);
  atomic_store_explicit(&e->ticks, ticks, memory_order_relaxed);
  atomic_store_explicit(&e->ns, ns, memory_order_relaxed);
  e->fcount = e->fticks = e->fns = 0;
  atomic_store_explicit(&e->hash, h, memory_order_release);
  t->nframe += (uint32_t)n;
  t->nentry++;
}

/* The owner is the only writer: a load and a store, no lock prefix. */
static inline void bump(rentry *e, int64_t count, int64_t ticks, int64_t ns) {
  atomic_store_explicit(&e->count, atomic_load_explicit(&e->count, memory_order_relaxed) + count, memory_order_relaxed);
  atomic_store_explicit(&e->ticks, atomic_load_explicit(&e->ticks, memory_order_relaxed) + ticks, memory_order_relaxed);
  if (ns) atomic_store_explicit(&e->ns, atomic_load_explicit(&e->ns, memory_order_relaxed) + ns, memory_order_relaxed);
}

static inline void add(int kind, goc_g *g, int64_t count, int64_t ticks, int64_t ns);

/* No table yet, or no room in it: then as add. */
static __attribute__((noinline)) void add_slow(int kind, goc_g *g, int64_t count, int64_t ticks, int64_t ns) {
  rtab *t = mine;
  if (t) spill(t);
  else if (!claim()) return;
  add(kind, g, count, ticks, ns);
}

/* The hashed path: the stack is walked into the pool, looked up, and
 * counted in its entry or a new one, which becomes g's last. */
static __attribute__((noinline)) void add_hashed(rtab *t, int kind, goc_g *g, int64_t count, int64_t ticks,
                                                 int64_t ns) {
  rframe *s = &t->pool[t->nframe];
  uint64_t h = (uint64_t)kind + 1;
  int n = 0;
  for (goc_frame *fr = g->h.top; fr && n < GOC_PPROF_MAXDEPTH; fr = fr->parent, n++) {
    const goc_fninfo *fn = stable_fn(fr);
    s[n] = (rframe){fn, fr->line};
    h = mix(mix(h, (uintptr_t)fn), (uint64_t)(uint32_t)fr->line);
  }
  h |= 1;
  uint32_t i = (uint32_t)h & (NENTRY - 1);
  for (;; i = (i + 1) & (NENTRY - 1)) {
    rentry *e = &t->e[i];
    uint64_t eh = atomic_load_explicit(&e->hash, memory_order_relaxed);
    if (!eh) {
      insert(t, i, h, kind, n, count, ticks, ns);
      break;
    }
    if (eh == h && e->n == n && e->kind == kind && same_stack(&t->pool[e->off], s, n)) {
      bump(e, count, ticks, ns);
      break;
    }
  }
  g->x->brec_last[kind].tab = t;
  g->x->brec_last[kind].epoch = t->epoch;
  g->x->brec_last[kind].slot = i;
}

/* g->x is set (it holds the stamp). */
static inline __attribute__((always_inline)) void add(int kind, goc_g *g, int64_t count, int64_t ticks, int64_t ns) {
  rtab *t = mine;
  /* g's last entry of this kind, if its stack is g's: each frame's record
   * (an interned one never equals the frame's own, so such a stack takes
   * the hashed path) and line, and the chain ends where the entry's does. */
  if (t && g->x->brec_last[kind].tab == t && g->x->brec_last[kind].epoch == t->epoch) {
    rentry *e = &t->e[g->x->brec_last[kind].slot];
    const rframe *s = &t->pool[e->off];
    int n = e->n, k = 0;
    goc_frame *fr = g->h.top;
    while (k < n && fr && s[k].info == fr->fn && s[k].line == fr->line) {
      fr = fr->parent;
      k++;
    }
    if (__builtin_expect(k == n && (!fr || n == GOC_PPROF_MAXDEPTH), 1)) {
      bump(e, count, ticks, ns);
      return;
    }
  }
  if (__builtin_expect(!t || t->nframe > NFRAME - GOC_PPROF_MAXDEPTH || t->nentry >= NENTRY / 2, 0)) {
    add_slow(kind, g, count, ticks, ns);
    return;
  }
  add_hashed(t, kind, g, count, ticks, ns);
}

/* ---- what is recorded (blockprof.h) -------------------------------------- */

static inline bool is_block_event(uint8_t reason) {
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
static void mutexprof_record(goc_g *g, uint64_t ticks) {
  int rate = atomic_load_explicit(&goc__mutexprof_rate, memory_order_relaxed);
  if (rate <= 0 || (rate > 1 && rand_below((uint64_t)rate) != 0)) return;
  add(GOC_BREC_MUTEX, g, COUNT_ONE * rate, (int64_t)ticks * rate, 0);
}

/* A block of d ticks, d < rt, the rate in ticks, at the rate of ns: kept
 * with probability d/rt as rt/d events of ns nanoseconds (Go's
 * saveblockevent: count += rate/cycles, cycles += rate). */
static __attribute__((noinline)) void block_sampled(goc_g *g, uint64_t d, uint64_t rt, int64_t ns) {
  unsigned __int128 c = ((unsigned __int128)rt << COUNT_SHIFT) / d;
  add(GOC_BREC_BLOCK, g, c > (uint64_t)INT64_MAX / 2 ? INT64_MAX / 2 : (int64_t)c, 0, ns);
}

void goc__blockprof_ready(goc_g *g) {
  uint64_t t0 = g->x ? g->x->wait_ticks : 0;
  if (!t0) return;
  g->x->wait_ticks = 0;
  if (!g->h.top || t0 < atomic_load_explicit(&goc__contention_since, memory_order_relaxed)) return;
  uint64_t d = goc__cputicks() - t0;
  if ((int64_t)d <= 0) d = 1;
  uint8_t r = g->wait_reason;
  if (r == GOC_WAIT_MUTEX || r == GOC_WAIT_RWMUTEX_R || r == GOC_WAIT_RWMUTEX_W) mutexprof_record(g, d);
  int64_t rate = atomic_load_explicit(&goc__blockprof_rate, memory_order_relaxed);
  if (rate <= 0 || !is_block_event(r)) return;
  if (rate > 1) {
    uint64_t rt = atomic_load_explicit(&goc__blockprof_rate_ticks, memory_order_relaxed);
    if (__builtin_expect(!rt, 0)) rt = goc__blockprof_rate_ticks_slow(rate);
    if (d < rt) {
      if (rand_below(rt) < d) block_sampled(g, d, rt, rate);
      return;
    }
  }
  add(GOC_BREC_BLOCK, g, COUNT_ONE, (int64_t)d, 0);   /* as itself: nanoseconds when folded */
}
