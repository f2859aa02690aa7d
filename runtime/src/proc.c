/* proc.c — creation and recycling of G, M and P; runtime start-up.
 *
 * Invariants:
 *   - The runtime starts once (pthread_once): Ps (procresize.c), netpoller,
 *     monitor, signal handlers. Starting it creates no M; the first wakep() does.
 *   - goroutine ids grow from 1 (the main goroutine, when there is one).
 *   - A G is on at most one of: a P's free list, sched.gfree, a run queue,
 *     a wait queue, or running. Every G ever allocated stays in allgs.
 *   - goc__go_start puts the new G in the current P's runnext (Go's
 *     newproc); without a P (plain thread, syscall state) on the global
 *     queue. Either way it wakes an idle P if nobody is spinning, also
 *     when the new G is its P's only queued one (sched.c: a lone G), unless
 *     an idle M watches the running Ps' queues. A G that
 *     leaves its P's queue half full or more is asked to yield (preempt).
 */
#define _GNU_SOURCE   /* PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "proc.h"
#include "trace.h"
#include "blockprof.h"

goc_sched goc__sched = {
    .lock = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP,
    .allglock = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP,
    .gflock = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP,
};
_Thread_local goc_m *goc__tls_m GOC_TLS_IE;
_Thread_local goc_g *goc__tls_g GOC_TLS_IE;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
_Thread_local bool goc__tls_plain GOC_TLS_IE;
static pthread_key_t plain_key;
static pthread_once_t plain_once = PTHREAD_ONCE_INIT;

/* A registered plain thread exits: it can no longer wake anyone. */
static void plain_exit(void *arg) {
  (void)arg;
  atomic_fetch_sub(&goc__sched.nplain, 1);   /* the monitor re-checks */
}
static void plain_key_init(void) { pthread_key_create(&plain_key, plain_exit); }

void goc__plain_thread_slow(void) {
  goc__tls_plain = true;
  pthread_once(&plain_once, plain_key_init);
  atomic_fetch_add(&goc__sched.nplain, 1);
  pthread_setspecific(plain_key, (void *)1);
}

/* A P's cache of free Gs per class; when full, half goes to the shared
 * list as one batch. Above a spawner's batch (GOC_RUNQ_SIZE / 2 Gs and
 * the spawner, go_start's yield), so that a spawner's Gs end into the
 * cache its next batch is taken from: with 64, spawn_single went to the
 * shared lists 23,000 times a million Gs, each way, and took 5-7% longer
 * at P=1 and P=2. */
#define GFREE_LOCAL_MAX 256
_Static_assert(GFREE_LOCAL_MAX > GOC_RUNQ_SIZE / 2 + 1, "a spawner's batch fits a P's cache");

void goc__install_signals(void);   /* dump.c */
int goc__default_maxprocs(void);   /* maxprocs.c */

static void parse_debug(void) {
  const char *d = getenv("GOC_DEBUG");
  if (!d) return;
  const char *s = strstr(d, "schedtrace=");
  if (s) goc__sched.schedtrace_ms = atoll(s + strlen("schedtrace="));
  s = strstr(d, "scheddetail=");
  if (s) goc__sched.scheddetail = atoi(s + strlen("scheddetail=")) != 0;
  s = strstr(d, "leakcheck=");
  if (s && atoi(s + strlen("leakcheck=")) != 0) {
    void goc__leakcheck_init(void);   /* leakcheck.c */
    goc__leakcheck_init();
  }
}

extern const char goc__gdb_script_anchor;   /* gdbscript.c: link it in */

static void runtime_init_once(void) {
  goc_sched *s = &goc__sched;
  (void)*(volatile const char *)&goc__gdb_script_anchor;
  s->start_time = goc_now();
  int n = 0;
  const char *e = getenv("GOC_MAXPROCS");
  if (e) n = atoi(e);
  if (n <= 0) n = goc__default_maxprocs();
  if (n <= 0) n = 1;
  if (n > GOC_MAXPROCS_LIMIT) n = GOC_MAXPROCS_LIMIT;
  parse_debug();
  goc__trace_init();
  goc__blockprof_init();
  void goc__mutexprof_init(void);   /* blockprof.c */
  goc__mutexprof_init();
  void goc__cpuprof_init(void);     /* cpuprof.c */
  goc__cpuprof_init();
  atomic_store(&s->poll_until, INT64_MAX);
  atomic_store(&s->lastpoll, goc_now());
  goc__retake_init();   /* before the Ps: goc__newp asks for its barrier */
  goc__procs_init(n);
  goc__netpoll_init();
  goc__install_signals();
  void goc__exitfiles_init(void);   /* exitfiles.c */
  goc__exitfiles_init();
  void goc__debugaddr_init(void);   /* debugaddr.c */
  goc__debugaddr_init();
  atomic_store(&s->started, true);
  goc__sysmon_start();
}

void goc__runtime_init(void) { pthread_once(&init_once, runtime_init_once); }

uint32_t goc__fastrand(void) {
  static _Thread_local uint64_t x;
  if (x == 0) x = (uint64_t)(uintptr_t)&x ^ (uint64_t)goc_now() ^ 0x9e3779b97f4a7c15ull;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return (uint32_t)(x >> 16);
}

/* ---- G ------------------------------------------------------------------ */

/* Gs are carved out of slabs (never freed: G memory is never returned),
 * one class per slab, so a G costs sizeof(goc_g) and its chunk0, with no
 * allocator header or alignment slack, and the slabs list every G
 * (GOC_FOR_EACH_G) without a link in each. Each P carves from slabs of its
 * own (p->gslab), taking allglock only to list a new slab: at P=2 skynet's
 * two Ps, making Gs at once, made the lock go to the kernel 8,000 times a
 * run. A G is counted in its slab's n (store-release) once it is
 * initialised, so walkers, under allglock, see only whole Gs. Without a P
 * the shared sched.gslab is used, under allglock throughout. The n-th G
 * of a slab goes to slot goc__gslab_slot(n) (proc.h): Gs carved one after
 * the other are not neighbours, whose lines their Ps would share. */
__attribute__((noinline)) static goc_g *galloc(goc_p *p, int cls) {
  size_t stride = sizeof(goc_g) + (size_t)cls * GOC_CHUNK0_STEP;
  goc_gslab **slot = p ? &p->gslab[cls] : &goc__sched.gslab[cls];
  if (!p) goc__rt_lock(&goc__sched.allglock);
  goc_gslab *s = *slot;
  int32_t n = s ? atomic_load_explicit(&s->n, memory_order_relaxed) : 0;
  if (!s || n == GOC_GSLAB_COUNT) {
    s = aligned_alloc(16, sizeof *s + GOC_GSLAB_COUNT * stride);
    if (!s) goc__throw("out of memory allocating a goroutine");
    atomic_init(&s->n, 0);
    s->stride = (uint32_t)stride;
    n = 0;
    if (p) goc__rt_lock(&goc__sched.allglock);
    s->next = goc__sched.allgs;
    goc__sched.allgs = s;
    if (p) goc__rt_unlock(&goc__sched.allglock);
    *slot = s;
  }
  goc_g *g = (goc_g *)(s->mem + (size_t)goc__gslab_slot((uint32_t)n) * stride);
  memset(g, 0, sizeof *g);
  g->cls = (uint8_t)cls;
  goc__arena_init(g);
  atomic_store_explicit(&s->n, n + 1, memory_order_release);
  if (!p) goc__rt_unlock(&goc__sched.allglock);
  return g;
}

goc_gext *goc__gx_alloc(goc_g *g) {
  goc_gext *x = calloc(1, sizeof *x);
  if (!x) goc__throw("out of memory allocating a goroutine");
  g->x = x;
  return x;
}

/* The shared free lists (sched.gfree) hold batches, not Gs: a batch is a
 * list through schedlink whose first G keeps the next batch in wait_state
 * and the batch's length in created_goid (both dead while a G is idle;
 * wait_state is NULL again once a G leaves the lists). A P's cache moves a
 * whole batch in or out under gflock in O(1): walking the Gs there meant
 * touching cache lines the other P had just written, with the lock held,
 * and at P=2 the lock then went to the kernel on every other transfer. */
static inline goc_g *batch_next(goc_g *b) { return (goc_g *)b->wait_state; }

/* gflock held. */
static void gbatch_push(size_t cls, goc_g *head, int32_t n) {
  head->created_goid = n;
  head->wait_state = goc__sched.gfree[cls];
  goc__sched.gfree[cls] = head;
  atomic_fetch_add_explicit(&goc__sched.ngfree[cls], n, memory_order_relaxed);
}

/* The P's cache of class cls is empty: refill it with a batch from the
 * shared list, or take one G from there without a P. */
__attribute__((noinline)) static goc_g *gfget_global(goc_p *p, size_t cls) {
  goc__rt_lock(&goc__sched.gflock);
  goc_g *g = goc__sched.gfree[cls];
  int32_t n = 0;
  if (g) {
    n = (int32_t)g->created_goid;
    goc__sched.gfree[cls] = batch_next(g);
    atomic_fetch_sub_explicit(&goc__sched.ngfree[cls], n, memory_order_relaxed);
    if (!p && n > 1) {
      gbatch_push(cls, g->schedlink, n - 1);
      n = 1;
    }
  }
  goc__rt_unlock(&goc__sched.gflock);
  if (!g) return galloc(p, (int)cls);
  g->wait_state = NULL;
  if (p) {
    p->gfree[cls] = g->schedlink;
    p->gfreecnt[cls] = n - 1;
  }
  return g;
}

/* p owned by the caller; g = p->gfree[k], not NULL: takes it off. */
static inline __attribute__((always_inline)) void gfree_pop(goc_p *p, size_t k, goc_g *g) {
  goc_g *next = g->schedlink;
  p->gfree[k] = next;
  p->gfreecnt[k]--;
  /* The next G is likely dirty in another P's cache (it ran and ended
   * there): start moving it here while this one is being set up. */
  if (next) {
    __builtin_prefetch(next, 1);
    __builtin_prefetch((char *)next + 64, 1);
    __builtin_prefetch((char *)next + 128, 1);
  }
}

/* p owned by the caller, or NULL. A G of class cls. */
static inline __attribute__((always_inline)) goc_g *gfget(goc_p *p, int cls) {
  size_t k = (size_t)cls;
  goc_g *g;
  if (__builtin_expect(p && (g = p->gfree[k]) != NULL, 1)) {
    gfree_pop(p, k, g);
    return g;
  }
  if (atomic_load_explicit(&goc__sched.ngfree[k], memory_order_relaxed) > 0)
    return gfget_global(p, k);
  return galloc(p, cls);
}
goc_g *goc__gfget(goc_p *p, int cls) { return gfget(p, cls); }

/* g goes to the shared list of its class alone, or, from a full P cache
 * (g in it), the newest half of the cache goes as one batch. */
__attribute__((noinline)) static void gfput_global(goc_p *p, goc_g *g, size_t cls) {
  int32_t n = 1;
  if (p) {
    n = GFREE_LOCAL_MAX / 2;
    goc_g *tail = g = p->gfree[cls];
    for (int32_t i = 1; i < n; i++) tail = tail->schedlink;
    p->gfree[cls] = tail->schedlink;
    p->gfreecnt[cls] -= n;
    tail->schedlink = NULL;
  } else {
    g->schedlink = NULL;
  }
  goc__rt_lock(&goc__sched.gflock);
  gbatch_push(cls, g, n);
  goc__rt_unlock(&goc__sched.gflock);
}

/* p's caches go to the shared lists (p is being retired; its owner's
 * only). */
void goc__gfree_flush(goc_p *p) {
  for (size_t cls = 0; cls <= GOC_GCLASSES; cls++) {
    goc_g *g = p->gfree[cls];
    if (!g) continue;
    goc__rt_lock(&goc__sched.gflock);
    gbatch_push(cls, g, p->gfreecnt[cls]);
    goc__rt_unlock(&goc__sched.gflock);
    p->gfree[cls] = NULL;
    p->gfreecnt[cls] = 0;
  }
}

/* p owned by the caller, or NULL. g is finished; its arena is released. */
__attribute__((noinline)) static void gfput_slow(goc_p *p, goc_g *g) {
  size_t cls = g->cls;
  /* Later chunks are GOC_CHUNK_SIZE or larger, chunk0 at most 256 bytes. */
  if (GOC_G(g)->arena_size > GOC_GCLASSES * GOC_CHUNK0_STEP || (g->x && g->x->spare)) goc__arena_free(g, p);
  else GOC_G(g)->arena_ptr = g->chunk0_data;
  atomic_store_explicit(goc__gstatus(g), GOC_GIDLE, memory_order_release);
  g->h.top = NULL;
  if (__builtin_expect(p != NULL, 1)) {
    g->schedlink = p->gfree[cls];
    p->gfree[cls] = g;
    if (__builtin_expect(++p->gfreecnt[cls] < GFREE_LOCAL_MAX, 1)) return;
  }
  gfput_global(p, g, cls);
}

/* The common case (chunk0 only, the P's cache not full) without the
 * registers gfput_slow's calls need saved. */
void goc__gfput(goc_p *p, goc_g *g) {
  size_t cls = g->cls;
  if (__builtin_expect(p == NULL || GOC_G(g)->arena_size > GOC_GCLASSES * GOC_CHUNK0_STEP ||
                           (g->x && g->x->spare) || p->gfreecnt[cls] + 1 >= GFREE_LOCAL_MAX, 0)) {
    gfput_slow(p, g);
    return;
  }
  GOC_G(g)->arena_ptr = g->chunk0_data;
  atomic_store_explicit(goc__gstatus(g), GOC_GIDLE, memory_order_release);
  g->h.top = NULL;
  g->schedlink = p->gfree[cls];
  p->gfree[cls] = g;
  p->gfreecnt[cls]++;
}

/* Any thread. */
#define GOID_BATCH 16

_Static_assert(GOC__FIRST_UNKNOWN == GOC_FIRST_CHUNK, "goc__go_new's chunk0");
_Static_assert(sizeof(goc_g) == 96, "a blocked G's bytes, as bench/NOTES.md counts them");
_Static_assert(GOC_CHUNK0_STEP == 16 && GOC_GCLASSES == 16,
               "goc__g_class (goc_abi.h) computes the classes with these");
goc_g *goc__go_new(void) { return goc__go_new_class(goc__g_class(GOC__FIRST_UNKNOWN)); }

/* A G taken for go_new gets its id and loses its last life's state. */
static inline __attribute__((always_inline)) goc_g *g_reset(goc_g *g, int64_t id, int cls) {
  /* Not reset here, as they are already: h.top (gfput), h.cdepth (0 again
   * once each step chain has returned), wait_state (cleared by every
   * resume), yielded (false when a G ends: proc.h). The 56-bit ids are
   * written with their words' other byte, one store where one alone would
   * take three: cls is the same again, and wait_reason GOC_WAIT_NONE (0,
   * with created_goid 0 until go_start names the creator). */
  __atomic_store_n(&g->h.preempt, 0, __ATOMIC_RELAXED);
  g->id_word = (uint64_t)id | (uint64_t)(uint8_t)cls << GOC_GOID_BITS;
  g->creator_word = 0;
  g->wait_ms = 0;
  g->created = NULL;
  if (g->x) {
    g->x->is_sync = false;
    __atomic_store_n(&g->x->test, NULL, __ATOMIC_RELAXED);
    g->x->sleep_state = 0;
    g->x->io_state = 0;
    g->x->once_frame = NULL;
    memset(&g->x->ss, 0, sizeof g->x->ss);
    memset(&g->x->ss2, 0, sizeof g->x->ss2);
  }
  return g;
}

/* goc__go_new_class's general case. */
__attribute__((noinline)) static goc_g *go_new_slow(int cls) {
  goc_p *p = goc__lockp();
  goc_g *g = gfget(p, cls);
  int64_t id;
  if (p) {
    /* ids come from the P in batches (Go's goidcache): no shared counter
     * per goroutine. */
    if (p->goidcache == p->goidcacheend) {
      p->goidcache = atomic_fetch_add_explicit(&goc__sched.goidgen, GOID_BATCH,
                                               memory_order_relaxed) + 1;
      p->goidcacheend = p->goidcache + GOID_BATCH;
    }
    id = p->goidcache++;
  } else {
    id = atomic_fetch_add(&goc__sched.goidgen, 1) + 1;
  }
  goc__unlockp();
  return g_reset(g, id, cls);
}

/* The common case inline (an M whose P has a free G of the class and ids
 * left), without the registers go_new_slow's calls need saved. */
goc_g *goc__go_new_class(int cls) {
  goc_m *m = goc__tls_m;
  if (__builtin_expect(m != NULL, 1)) {
    goc__locks_add(m, 1);   /* goc__lockp, by hand */
    atomic_signal_fence(memory_order_seq_cst);
    goc_p *p = m->p;
    goc_g *g;
    if (__builtin_expect(atomic_load_explicit(&m->detached, memory_order_relaxed) == 0 && p != NULL &&
                             (g = p->gfree[cls]) != NULL && p->goidcache != p->goidcacheend, 1)) {
      gfree_pop(p, (size_t)cls, g);
      int64_t id = p->goidcache++;
      atomic_signal_fence(memory_order_seq_cst);
      goc__locks_add(m, -1);
      return g_reset(g, id, cls);
    }
    atomic_signal_fence(memory_order_seq_cst);
    goc__locks_add(m, -1);
  }
  return go_new_slow(cls);
}

static void record_creator(goc_g *newg, const goc_site *site) {
  newg->created = site;
  goc_g *cur = goc__tls_g;
  if (cur) {
    /* goc test's leak check: goroutines belong to the test that started
     * their ancestor. go_new cleared newg's; one set since is a test's own
     * goroutine (testing.c), which belongs to that test, not its parent. */
    struct goc_t *owner = cur->x ? __atomic_load_n(&cur->x->test, __ATOMIC_RELAXED) : NULL;
    if (owner && !(newg->x && newg->x->test)) __atomic_store_n(&goc__gx(newg)->test, owner, __ATOMIC_RELAXED);
    newg->creator_word = goc__goid_bits(cur);
  }
}

/* goc__go_start's general case. */
__attribute__((noinline)) static void go_start_slow(goc_g *newg, const goc_site *site) {
  goc__plain_thread_touch();
  if (__builtin_expect(!atomic_load_explicit(&goc__sched.started,
                                             memory_order_acquire), 0))
    goc__runtime_init();
  record_creator(newg, site);
  /* Published to the scheduler by the run queue's release store (or
   * sched.lock); release here too (a plain store on x86 either way): a
   * listing that reads GRUNNABLE then copies the first frame (gscan.c). */
  atomic_store_explicit(goc__gstatus(newg), GOC_GRUNNABLE, memory_order_release);
  goc_p *p = goc__lockp();
  if (p) goc__count_add(&p->ngstarted, 1);
  else atomic_fetch_add(&goc__sched.ngoroutines, 1);
  GOC_TRACE(GOC_EV_CREATE, newg->id, p ? p->id : -1, NULL, site ? site->file : NULL, site ? site->line : 0);
  if (p && atomic_load_explicit(&p->runnext, memory_order_relaxed) == NULL) {
    /* goc__runqput_next, without its second look at runnext */
    atomic_store_explicit(&p->runnext, newg, memory_order_release);
  } else if (p) {
    uint32_t queued = goc__runqput(p, newg, true);
    /* A spawner that has filled half its P's queue is asked to yield at its
     * next check: the Gs it made then run while their memory is still in
     * the cache, and finish into the free list it takes its next Gs from.
     * Left to run, it overflowed the queue to the global one and made all
     * of its Gs before any ran (spawn_single at P=1: a million cold Gs). */
    goc_g *cur = goc__tls_g;
    if (queued >= GOC_RUNQ_SIZE / 2 && cur &&
        __atomic_load_n(&cur->h.preempt, __ATOMIC_RELAXED) == 0)
      __atomic_store_n(&cur->h.preempt, GOC_PREEMPT_SPAWNER, __ATOMIC_RELAXED);
  } else {
    goc__rt_lock(&goc__sched.lock);
    goc__globrunqput(newg);
    goc__rt_unlock(&goc__sched.lock);
  }
  goc__unlockp();
  if (p) goc__wakep_next(p);   /* see sched.c's invariants */
  else goc__wakep();
}

/* Any thread; newg has its first frame pushed. The common case inline: a
 * goroutine (not in a test: no cold part) starting one into its P's empty
 * runnext with no trace on; it needs neither the plain-thread and start-up
 * checks (an M exists only once the runtime has started) nor most of the
 * registers go_start_slow saves. Anything else goes there before it has
 * changed anything go_start_slow would do again. */
void goc__go_start(goc_g *newg, const goc_site *site) {
  goc_m *m = goc__tls_m;
  goc_g *cur = goc__tls_g;
  if (__builtin_expect(m == NULL || cur == NULL || cur->x != NULL || goc__trace_on, 0)) {
    go_start_slow(newg, site);
    return;
  }
  goc__locks_add(m, 1);   /* goc__lockp, by hand: its way out is go_start_slow */
  atomic_signal_fence(memory_order_seq_cst);
  goc_p *p = m->p;
  if (__builtin_expect(atomic_load_explicit(&m->detached, memory_order_relaxed) != 0 || p == NULL ||
                           atomic_load_explicit(&p->runnext, memory_order_relaxed) != NULL, 0)) {
    goc__unlockp();
    go_start_slow(newg, site);
    return;
  }
  newg->created = site;
  newg->creator_word = goc__goid_bits(cur);   /* as record_creator */
  atomic_store_explicit(goc__gstatus(newg), GOC_GRUNNABLE, memory_order_release);   /* as go_start_slow */
  goc__count_add(&p->ngstarted, 1);
  atomic_store_explicit(&p->runnext, newg, memory_order_release);
  atomic_signal_fence(memory_order_seq_cst);
  goc__locks_add(m, -1);
  goc__wakep_next(p);
}

int64_t goc__ngoroutines(void) {
  int64_t n = atomic_load(&goc__sched.ngoroutines);
  for (int32_t i = 0, np = goc__nallp(); i < np; i++) {   /* retired ones too */
    goc_p *p = goc__allp(i);
    n += atomic_load_explicit(&p->ngstarted, memory_order_relaxed) -
         atomic_load_explicit(&p->ngended, memory_order_relaxed);
  }
  return n;
}

goc_g *goc__getg(void) { return goc__tls_g; }

int64_t goc_id(void) {
  goc_g *g = goc__tls_g;
  return g ? g->id : 0;
}

int goc_nprocs(void) {
  goc__runtime_init();
  return goc__maxprocs();
}


/* The words of each wait reason (Go's where Go has one), a table rather
 * than a switch so that the gdb extension reads it without calling into
 * the process (a core file has no process; some gdb and CPU pairs cannot
 * make inferior calls). */
const char *const goc__wait_reasons[GOC_WAIT_BLOCKING + 1] = {
    [GOC_WAIT_NONE] = "",
    [GOC_WAIT_CHAN_RECV] = "chan receive",
    [GOC_WAIT_CHAN_SEND] = "chan send",
    [GOC_WAIT_CHAN_RECV_NIL] = "chan receive (nil chan)",
    [GOC_WAIT_CHAN_SEND_NIL] = "chan send (nil chan)",
    [GOC_WAIT_SELECT] = "select",
    [GOC_WAIT_SELECT_NO_CASES] = "select (no cases)",
    [GOC_WAIT_SLEEP] = "sleep",
    [GOC_WAIT_MUTEX] = "sync.Mutex.Lock",
    [GOC_WAIT_RWMUTEX_R] = "sync.RWMutex.RLock",
    [GOC_WAIT_RWMUTEX_W] = "sync.RWMutex.Lock",
    [GOC_WAIT_WAITGROUP] = "sync.WaitGroup.Wait",
    [GOC_WAIT_COND] = "sync.Cond.Wait",
    [GOC_WAIT_IO] = "IO wait",
    [GOC_WAIT_SYNC] = "sync",
    [GOC_WAIT_BLOCKING] = "goc_blocking",
};

const char *goc__wait_reason_string(goc_wait_reason r) {
  if ((unsigned)r < sizeof goc__wait_reasons / sizeof goc__wait_reasons[0] && goc__wait_reasons[r])
    return goc__wait_reasons[r];
  return "unknown";
}

/* ---- M ------------------------------------------------------------------ */

/* sched.lock not held. */
goc_m *goc__allocm(void) {
  goc_m *m = calloc(1, sizeof *m);
  if (!m) goc__throw("out of memory allocating an M");
  atomic_store(&m->locks, 1);   /* 0 only while it runs a step (proc.h) */
  goc__rt_lock(&goc__sched.lock);
  m->id = goc__sched.mnext++;
  m->alllink = goc__sched.allm;
  goc__sched.allm = m;
  goc__sched.mcount++;
  goc__rt_unlock(&goc__sched.lock);
  return m;
}

static void *mstart(void *arg) {
  goc_m *m = arg;
  goc__tls_m = m;
  m->tid = pthread_self();
  m->ktid = (pid_t)syscall(SYS_gettid);
  goc_p *p = m->nextp;
  m->nextp = NULL;
  goc__acquirep(p);
  goc__schedule();
}

/* sched.lock not held. Starts an M that will run with p. */
void goc__newm(goc_p *p, bool spinning) {
  goc_m *m = goc__allocm();
  m->nextp = p;
  m->spinning = spinning;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 8u << 20);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  int err = pthread_create(&m->thread, &attr, mstart, m);
  pthread_attr_destroy(&attr);
  if (err) goc__throw_err("newm: cannot create an OS thread", err);
}
