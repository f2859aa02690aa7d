/* chan.c — channels: make, send, receive, close, free.
 *
 * Invariants (as in Go's runtime/chan.go):
 *   At least one of c->sendq and c->recvq is empty, except for an
 *   unbuffered channel with a single goroutine (or thread) blocked on it
 *   for both sending and receiving in one select; then the length of both
 *   queues is bounded by the size of that select.
 *   For buffered channels also:
 *     c->qcount > 0 implies c->recvq is empty;
 *     c->qcount < c->dataqsiz implies c->sendq is empty.
 *   A sudog on a queue belongs to a wait that is parked, or whose park is
 *   not yet committed: then the waiter still holds c->lock, so no waker can
 *   see it before the commit (goc_abi.h, suspension protocol).
 *
 * Fields read without the lock (closed, qcount, recvq.first, sendq.first,
 * recv_ready, send_ready, by the non-blocking fast paths and goc_chan_len)
 * are written with atomic stores under the lock.
 *   recv_ready == (closed || (dataqsiz ? qcount > 0 : sendq nonempty)) and
 *   send_ready == (closed || (dataqsiz ? qcount < dataqsiz : recvq nonempty))
 *   hold whenever c->lock is free: each change of those fields updates
 *   them in the same locked section (chan.h: goc__chan_put/get,
 *   goc__chan_queue_now from the queue operations; close; make).
 *
 * Hand-off: a sender that finds a waiting receiver copies straight into the
 * receiver's destination; a receiver that finds a waiting sender takes the
 * sender's value (unbuffered), or takes the buffer's head and moves the
 * sender's value into the tail (full buffered). No value is queued twice.
 */
#include "chan.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define LOAD(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

/* ---- the lock ----------------------------------------------------------- */
static long futex(_Atomic uint32_t *addr, int op, uint32_t val, const struct timespec *rel) {
  return syscall(SYS_futex, (uint32_t *)addr, op | FUTEX_PRIVATE_FLAG, val,
                 rel, NULL, 0);
}

/* A sleeper's longest nap (chan.h: an unlock's store may miss it). */
#define GOC_CHANLOCK_NAP_NS 1000000

/* Go's lock2 policy: a waiter tries only while the lock reads free, so it
 * does not pull the lock's cache line away from the holder on every PAUSE
 * (re-reading after each PAUSE, 64 times, made contended channels 2-4x
 * slower than Go); between checks it spins 30 PAUSEs, four times, then
 * yields the CPU once, then sleeps on the futex. A waiter that has slept
 * takes the lock as 2, so the next unlock wakes the others. */
void goc__chanlock_slow(goc_chanlock *l) {
  uint32_t wait = 1;
  for (;;) {
    for (int round = 0; round <= 4; round++) {
      while (atomic_load_explicit(&l->v, memory_order_relaxed) == 0) {
        uint32_t z = 0;
        if (atomic_compare_exchange_weak_explicit(&l->v, &z, wait, memory_order_acquire, memory_order_relaxed))
          return;
      }
      if (round < 4)
        for (int k = 0; k < 30; k++) __builtin_ia32_pause();
      else
        sched_yield();
    }
    if (atomic_exchange_explicit(&l->v, 2, memory_order_acquire) == 0) return;
    wait = 2;
    const struct timespec nap = {0, GOC_CHANLOCK_NAP_NS};
    futex(&l->v, FUTEX_WAIT, 2, &nap);
  }
}

void goc__chanlock_wake(goc_chanlock *l) { futex(&l->v, FUTEX_WAKE, 1, NULL); }

/* ---- per-thread record cache --------------------------------------------
 * Size classes by sudog count; above the largest, malloc/free. A thread's
 * cache is freed when it exits. Records may be freed on another thread than
 * the one that took them (a G resumes on any M); the cache is bounded. */
enum { NCLS = 3, CACHE_MAX = 32 };
static const int cls_n[NCLS] = {1, 4, 16};
typedef struct rec_cache {
  goc_waitrec *head[NCLS];
  int count[NCLS];
} rec_cache;
static __thread rec_cache *tcache;
static pthread_key_t tcache_key;
static pthread_once_t tcache_once = PTHREAD_ONCE_INIT;

static void tcache_destroy(void *p) {
  rec_cache *rc = p;
  for (int k = 0; k < NCLS; k++) {
    goc_waitrec *r = rc->head[k];
    while (r) {
      goc_waitrec *nx = r->woken ? (goc_waitrec *)r->woken : NULL;
      free(r);
      r = nx;
    }
  }
  free(rc);
  tcache = NULL;
}
static void tcache_key_init(void) { pthread_key_create(&tcache_key, tcache_destroy); }

static rec_cache *get_tcache(void) {
  rec_cache *rc = tcache;
  if (__builtin_expect(rc != NULL, 1)) return rc;
  pthread_once(&tcache_once, tcache_key_init);
  rc = calloc(1, sizeof *rc);
  if (!rc) goc__throw("out of memory allocating a channel wait record");
  tcache = rc;
  pthread_setspecific(tcache_key, rc);
  return rc;
}

static size_t rec_size(int n) {
  return sizeof(goc_waitrec) + (size_t)n * sizeof(goc_rsudog);
}

goc_waitrec *goc__waitrec_get(int n, goc_g *g) {
  int k = 0;
  while (k < NCLS && cls_n[k] < n) k++;
  goc_waitrec *r = NULL;
  size_t asz = (rec_size(n) + GOC_ARENA_ALIGN - 1) & ~(size_t)(GOC_ARENA_ALIGN - 1);
  if (g && (size_t)(GOC_G(g)->arena_end - GOC_G(g)->arena_ptr) >= asz) {
    /* Room left in g's frame arena (the current G, inside its step): the
     * record lives there until the resume pops it (LIFO: nothing is pushed
     * between the park and the resume), and a blocked G costs no extra
     * allocation. */
    r = goc__arena_push(g, asz);
    k = -2;
  } else if (k < NCLS) {
    rec_cache *rc = get_tcache();
    r = rc->head[k];
    if (r) {
      rc->head[k] = (goc_waitrec *)r->woken;   /* free-list link */
      rc->count[k]--;
    } else {
      r = malloc(rec_size(cls_n[k]));
    }
  } else {
    r = malloc(rec_size(n));
  }
  if (!r) goc__throw("out of memory allocating a channel wait record");
  r->g = g;
  goc__note_clear(&r->note);
  atomic_store_explicit(&r->select_done, 0, memory_order_relaxed);
  r->woken = NULL;
  r->n = n;
  r->cls = k == -2 ? -2 : k < NCLS ? k : -1;
  memset(r->sg, 0, (size_t)n * sizeof(goc_rsudog));
  for (int i = 0; i < n; i++) r->sg[i].rec = r;
  return r;
}

void goc__waitrec_put(goc_waitrec *r) {
  int k = r->cls;
  if (k == -2) { goc__arena_pop(r->g, r); return; }
  if (k < 0) { free(r); return; }
  rec_cache *rc = get_tcache();
  if (rc->count[k] >= CACHE_MAX) { free(r); return; }
  r->woken = (goc_sudog *)rc->head[k];
  rc->head[k] = r;
  rc->count[k]++;
}

/* ---- wait queues ---------------------------------------------------------- */
static inline __attribute__((always_inline)) void waitq_enqueue(goc_chan *c, goc_waitq *q, goc_sudog *s) {
  if (goc__waitq_link_last(q, s)) goc__chan_queue_now(c, q, true);
}
void goc__waitq_enqueue(goc_chan *c, goc_waitq *q, goc_sudog *s) { waitq_enqueue(c, q, s); }

goc_sudog *goc__waitq_dequeue_slow(goc_chan *c, goc_waitq *q) {
  for (;;) {
    goc_sudog *s = q->first;
    if (!s) return NULL;
    if (goc__waitq_unlink_first(q, s)) goc__chan_queue_now(c, q, false);
    /* A select waiter may have been won meanwhile by another case; it
     * removes its other sudogs once it holds all its locks, so skip it. */
    if (s->kind == GOC_SG_SELECT) {
      uint32_t z = 0;
      if (!atomic_compare_exchange_strong_explicit(
              &goc__sudog_rec(s)->select_done, &z, 1, memory_order_acq_rel,
              memory_order_relaxed))
        continue;
    }
    return s;
  }
}

void goc__waitq_remove(goc_chan *c, goc_waitq *q, goc_sudog *s) {
  goc_sudog *x = s->prev, *y = s->next;
  if (x) {
    if (y) {
      x->next = y;
      y->prev = x;
      s->next = s->prev = NULL;
      return;
    }
    x->next = NULL;   /* s was last */
    q->last = x;
    s->prev = NULL;
    return;
  }
  if (y) {            /* s was first */
    y->prev = NULL;
    STORE(&q->first, y);
    s->next = NULL;
    return;
  }
  /* Alone on q, or already dequeued. */
  if (q->first == s) {
    STORE(&q->first, (goc_sudog *)NULL);
    q->last = NULL;
    goc__chan_queue_now(c, q, false);
  }
}

void goc__sudog_wake(goc_sudog *s) {
  if (s->kind == GOC_SG_LONE) {
    goc__ready(goc__lone_g(s));
    return;
  }
  goc_waitrec *r = goc__sudog_rec(s);
  goc_g *g = r->g;
  if (g)
    goc__ready(g);
  else
    goc__note_wakeup(&r->note);
}

/* The waiter of a blocking send or receive by g (NULL: a thread) on c
 * (locked), not yet enqueued. */
static inline __attribute__((always_inline)) goc_sudog *single_waiter(goc_g *g, goc_chan *c, void *elem,
                                                                       bool is_send) {
  goc_sudog *s;
  if (g) {
    _Static_assert(sizeof(goc_sudog) == 32, "the lone sudog is a G's (proc.h)");
    s = &g->lone;   /* case_idx is g->wait_ms's (proc.h) */
    s->kind = GOC_SG_LONE;
    s->success = false;
    s->done = false;
  } else {
    goc_rsudog *rs = &goc__waitrec_get(1, g)->sg[0];
    rs->c = c;
    s = &rs->s;
  }
  s->elem = elem;
  s->is_send = is_send;
  return s;
}

/* After the wake of g's send or receive, on its lone sudog: whether a
 * partner completed it (false: close). done goes back to false, so that a
 * second resume of one wait is caught as the spurious wakeup it is. */
_Static_assert(offsetof(goc_g, lone.kind) == GOC__LONE_STATE_OFFSET &&
                   offsetof(goc_g, lone.is_send) == GOC__LONE_STATE_OFFSET + 1 &&
                   offsetof(goc_g, lone.success) == GOC__LONE_STATE_OFFSET + 2 &&
                   offsetof(goc_g, lone.done) == GOC__LONE_STATE_OFFSET + 3 &&
                   GOC_SG_LONE == 2 && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "goc_abi.h's inline resumes read the lone sudog's last word");
static bool single_finish(goc_g *g, const char *what) {
  goc_sudog *s = &g->lone;
  if (s->kind != GOC_SG_LONE || !s->done) goc__throw(what);
  s->done = false;
  return s->success;
}

/* ---- make / len / cap / free ---------------------------------------------- */
goc_chan *goc_chan_make(size_t elem_size, size_t elem_align, size_t cap) {
  if (elem_size >= ((size_t)1 << 16) * 1024)
    goc__throw("makechan: invalid channel element type");
  if (elem_align == 0) elem_align = 1;
  if (elem_align & (elem_align - 1))
    goc__throw("makechan: bad alignment");
  if (elem_size && cap > (SIZE_MAX / 2 - 4096) / elem_size)
    goc__panic_str("makechan: size out of range");
  size_t align = elem_align < _Alignof(max_align_t) ? _Alignof(max_align_t)
                                                     : elem_align;
  size_t hdr = (sizeof(goc_chan) + align - 1) & ~(align - 1);
  size_t bytes = elem_size * cap;
  size_t total = hdr + bytes;
  total = (total + align - 1) & ~(align - 1);
  /* no buffer: the header alone (malloc's alignment is max_align_t's) */
  goc_chan *c = bytes ? aligned_alloc(align, total) : malloc(sizeof(goc_chan));
  if (!c) goc__throw("out of memory allocating a channel");
  memset(c, 0, sizeof *c);
  _Static_assert(sizeof(goc_chan) == 88, "channel header (chan.h)");
  /* goc_abi.h's goc__chan_view, read by the inline try-ops */
  _Static_assert(offsetof(goc_chan, closed) == offsetof(goc__chan_view, closed) &&
                     offsetof(goc_chan, recv_ready) == offsetof(goc__chan_view, recv_ready) &&
                     offsetof(goc_chan, send_ready) == offsetof(goc__chan_view, send_ready) &&
                     offsetof(goc_chan, qcount) == offsetof(goc__chan_view, qcount) &&
                     offsetof(goc_chan, dataqsiz) == offsetof(goc__chan_view, dataqsiz) &&
                     offsetof(goc_chan, recvq.first) == offsetof(goc__chan_view, recvq_first) &&
                     offsetof(goc_chan, sendq.first) == offsetof(goc__chan_view, sendq_first) &&
                     sizeof(((goc_chan *)0)->qcount) == sizeof(__SIZE_TYPE__) &&
                     sizeof(((goc_chan *)0)->closed) == 1 &&
                     sizeof(((goc_chan *)0)->recv_ready) == 1 &&
                     sizeof(((goc_chan *)0)->send_ready) == 1,
                 "goc__chan_view (goc_abi.h) matches the channel header");
  c->elemsize = (uint32_t)elem_size;   /* < 64 MB, checked above */
  c->dataqsiz = cap;
  c->bufoff = (uint32_t)hdr;
  c->send_ready = cap != 0;   /* a buffered channel has room */
  return c;
}

size_t goc_chan_len(goc_chan *c) {
  return c ? __atomic_load_n(&c->qcount, __ATOMIC_RELAXED) : 0;
}
size_t goc_chan_cap(goc_chan *c) { return c ? c->dataqsiz : 0; }

static void chan_release(goc_chan *c) {
  if (c->after_timer) {   /* after stop, its callback neither runs nor will */
    goc__timer_stop(c->after_timer);
    free(c->after_timer);
  }
  free(c);
}

void goc_chan_free(goc_chan *c) {
  if (!c) return;
  goc__chanlock(&c->lock);
  bool busy = c->recvq.first || c->sendq.first;
  goc__chanunlock(&c->lock);
  if (busy) goc__panic_str("free of channel with blocked goroutines");
  chan_release(c);
}

bool goc__chan_free_if_idle(goc_chan *c) {
  if (!c) return true;
  goc__chanlock(&c->lock);
  bool busy = c->recvq.first || c->sendq.first;
  goc__chanunlock(&c->lock);
  if (busy) return false;
  chan_release(c);
  return true;
}

/* ---- close ------------------------------------------------------------------ */
void goc_chan_close(goc_chan *c) {
  goc__plain_thread_touch();   /* a plain thread: see chan_thread.c */
  if (!c) goc__panic_str("close of nil channel");
  goc__chanlock(&c->lock);
  if (c->closed) {
    goc__chanunlock(&c->lock);
    goc__panic_str("close of closed channel");
  }
  STORE(&c->closed, (uint8_t)1);
  goc_sudog *list = NULL, **tail = &list;
  goc_sudog *s;
  while ((s = goc__waitq_dequeue(c, &c->recvq))) {  /* receivers: zero, !ok */
    goc__elem_clear(c, s->elem);
    s->elem = NULL;
    s->success = false;
    goc__sudog_mark_woken(s);
    *tail = s;
    tail = &s->next;
  }
  while ((s = goc__waitq_dequeue(c, &c->sendq))) {  /* senders panic */
    s->elem = NULL;
    s->success = false;
    goc__sudog_mark_woken(s);
    *tail = s;
    tail = &s->next;
  }
  *tail = NULL;
  STORE(&c->recv_ready, (uint8_t)1);   /* for good */
  STORE(&c->send_ready, (uint8_t)1);
  goc__chanunlock(&c->lock);
  while (list) {
    goc_sudog *nx = list->next;
    goc__sudog_wake(list);
    list = nx;
  }
}

/* ---- send / receive cores --------------------------------------------------- */
/* Completes a send to the dequeued receiver s. c is locked; unlocks c. */
/* Unlocks c (locked, s dequeued and completed) and wakes s's owner; a
 * goroutine's lone wait is readied by this M still inside the lockp that
 * the channel lock took, not through goc__ready's own. */
static inline __attribute__((always_inline)) void unlock_wake(goc_m *m, goc_chan *c, goc_sudog *s) {
  if (__builtin_expect(m != NULL && s->kind == GOC_SG_LONE, 1)) {
    goc_g *g = goc__lone_g(s);
    goc__chanunlock_keepp(&c->lock);
    goc__ready_lockedp_inline(m, g);
    goc__unlockp_m(m);
    return;
  }
  goc__chanunlock_m(m, &c->lock);
  goc__sudog_wake(s);
}

static inline __attribute__((always_inline)) void send_direct(goc_m *m, goc_chan *c, goc_sudog *s, const void *elem) {
  goc__chan_give(c, s, elem);
  unlock_wake(m, c, s);
}

/* Completes a receive from the dequeued sender s. c is locked; unlocks c. */
static inline __attribute__((always_inline)) void recv_direct(goc_m *m, goc_chan *c, goc_sudog *s, void *dst) {
  if (__builtin_expect(c->dataqsiz == 0, 1)) {
    /* goc__chan_take's unbuffered case, inline (gcc keeps the whole of it
     * out of line, with three saved registers). */
    goc__elem_copy(c, dst, s->elem);
    goc__chan_mark_done(s);
  } else {
    goc__chan_take(c, s, dst);
  }
  unlock_wake(m, c, s);
}

static inline __attribute__((always_inline)) int chansend_locked(goc_m *m, goc_chan *c, const void *elem, bool block,
                                                                 goc_g *g, goc_sudog **out);
static inline __attribute__((always_inline)) int chanrecv_locked(goc_m *m, goc_chan *c, void *dst, bool *ok, bool block,
                                                                 goc_g *g, goc_sudog **out);

/* chansend and chanrecv are inlined into the goroutine entry points
 * whole operations (chan_send_all, chan_recv_all: block is constant
 * there), and called through goc__chansend/goc__chanrecv everywhere
 * else. */
static inline __attribute__((always_inline)) int chansend(goc_m *m, goc_chan *c, const void *elem, bool block, goc_g *g,
                                                          goc_sudog **out) {
  /* Not ready and not closed: a non-blocking send fails without the lock
   * (the argument: the "would block" checks in chan.h). */
  if (!block && goc__chan_send_would_block(c)) return 0;

  goc__chanlock_m(m, &c->lock);
  return chansend_locked(m, c, elem, block, g, out);
}

/* chansend once c->lock is taken (inside goc__lockp). */
static inline __attribute__((always_inline)) int chansend_locked(goc_m *m, goc_chan *c, const void *elem, bool block,
                                                                 goc_g *g, goc_sudog **out) {
  if (c->closed) {
    goc__chanunlock_m(m, &c->lock);
    goc__panic_str("send on closed channel");
  }
  goc_sudog *s = goc__waitq_dequeue(c, &c->recvq);
  if (s) {
    send_direct(m, c, s, elem);
    return 1;
  }
  if (c->qcount < c->dataqsiz) {
    goc__chan_put(c, elem);
    goc__chanunlock_m(m, &c->lock);
    return 1;
  }
  if (!block) {
    goc__chanunlock_m(m, &c->lock);
    return 0;
  }
  s = single_waiter(g, c, (void *)elem, true);
  waitq_enqueue(c, &c->sendq, s);
  *out = s;
  return 0;   /* c stays locked */
}

static inline __attribute__((always_inline)) int chanrecv(goc_m *m, goc_chan *c, void *dst, bool *ok, bool block, goc_g *g,
                                                          goc_sudog **out) {
  /* Not ready and not closed: fails without the lock (chan.h). */
  if (!block) {
    if (goc__chan_recv_would_block(c)) return 0;
    /* Closed and empty: it can't reopen, so if it is still empty after
     * closed was seen it stays empty (re-read after closed: a send may
     * have completed in between), and the receive completes without the
     * lock, as Go's does. */
    if (goc__chan_nb_empty(c) && LOAD(&c->closed) != 0 && goc__chan_nb_empty(c)) {
      goc__elem_clear(c, dst);
      if (ok) *ok = false;
      return 1;
    }
  }

  goc__chanlock_m(m, &c->lock);
  return chanrecv_locked(m, c, dst, ok, block, g, out);
}

/* chanrecv once c->lock is taken (inside goc__lockp). */
static inline __attribute__((always_inline)) int chanrecv_locked(goc_m *m, goc_chan *c, void *dst, bool *ok, bool block,
                                                                 goc_g *g, goc_sudog **out) {
  if (c->closed && c->qcount == 0) {
    goc__chanunlock_m(m, &c->lock);
    goc__elem_clear(c, dst);
    if (ok) *ok = false;
    return 1;
  }
  goc_sudog *s = c->closed ? NULL : goc__waitq_dequeue(c, &c->sendq);
  if (s) {
    recv_direct(m, c, s, dst);
    if (ok) *ok = true;
    return 1;
  }
  if (c->qcount > 0) {
    goc__chan_get(c, dst);
    goc__chanunlock_m(m, &c->lock);
    if (ok) *ok = true;
    return 1;
  }
  if (!block) {
    goc__chanunlock_m(m, &c->lock);
    return 0;
  }
  s = single_waiter(g, c, dst, false);
  waitq_enqueue(c, &c->recvq, s);
  *out = s;
  return 0;   /* c stays locked */
}

int goc__chansend(goc_chan *c, const void *elem, bool block, goc_g *g, goc_sudog **out) {
  return chansend(goc__tls_m, c, elem, block, g, out);
}
int goc__chanrecv(goc_chan *c, void *dst, bool *ok, bool block, goc_g *g, goc_sudog **out) {
  return chanrecv(goc__tls_m, c, dst, ok, block, g, out);
}

void goc__chan_commit_unlock(goc_g *g, void *arg) {
  (void)g;
  goc__chanunlock(&((goc_chan *)arg)->lock);
}

/* ---- the goroutine entry points (goc_abi.h) -------------------------------
 * A send or receive by a goroutine runs its common cases (a lone waiter
 * on an unbuffered channel taken or handed a value, a buffered transfer,
 * a wait) without a call: every rarer turn is a tail call to the whole
 * operation (chansend/chanrecv) or to the rest of it, taken before
 * anything is changed or at a point the rest starts from, so that gcc
 * saves no register for the common ones (the pushes and pops of the
 * inlined chansend/chanrecv were 24 of a hand-off's 352 instructions). */
#define NOINLINE __attribute__((noinline))

/* The whole operations, from the nil check on. */
static NOINLINE int chan_send_all(goc_g *g, goc_chan *c, const void *elem) {
  if (!c) {
    goc__park_g(g, GOC_WAIT_CHAN_SEND_NIL, NULL, NULL);
    return 0;
  }
  goc_sudog *s;
  goc_m *m = goc__tls_m;
  if (chansend(m, c, elem, true, g, &s)) return 1;
  goc__park_g_m(m, g, GOC_WAIT_CHAN_SEND, goc__chan_commit_unlock, c);
  return 0;
}
static NOINLINE int chan_recv_all(goc_g *g, goc_chan *c, void *dst, bool *ok) {
  if (!c) {
    goc__park_g(g, GOC_WAIT_CHAN_RECV_NIL, NULL, NULL);
    return 0;
  }
  goc_sudog *s;
  goc_m *m = goc__tls_m;
  if (chanrecv(m, c, dst, ok, true, g, &s)) return 1;
  goc__park_g_m(m, g, GOC_WAIT_CHAN_RECV, goc__chan_commit_unlock, c);
  return 0;
}

/* The rest once the lock word is taken, and from goc__lockp's check of
 * m->detached (the fast path has added to m->locks) or a failed CAS. */
static NOINLINE int chan_send_locked(goc_m *m, goc_g *g, goc_chan *c, const void *elem) {
  goc_sudog *s;
  if (chansend_locked(m, c, elem, true, g, &s)) return 1;
  goc__park_g_m(m, g, GOC_WAIT_CHAN_SEND, goc__chan_commit_unlock, c);
  return 0;
}
static NOINLINE int chan_recv_locked(goc_m *m, goc_g *g, goc_chan *c, void *dst, bool *ok) {
  goc_sudog *s;
  if (chanrecv_locked(m, c, dst, ok, true, g, &s)) return 1;
  goc__park_g_m(m, g, GOC_WAIT_CHAN_RECV, goc__chan_commit_unlock, c);
  return 0;
}
static NOINLINE int chan_send_lock(goc_m *m, goc_g *g, goc_chan *c, const void *elem, bool detached) {
  if (detached) {
    goc__reacquirep_slow(m);
    uint32_t z = 0;
    if (atomic_compare_exchange_strong_explicit(&c->lock.v, &z, 1, memory_order_acquire,
                                                memory_order_relaxed))
      return chan_send_locked(m, g, c, elem);
  }
  goc__chanlock_slow(&c->lock);
  return chan_send_locked(m, g, c, elem);
}
static NOINLINE int chan_recv_lock(goc_m *m, goc_g *g, goc_chan *c, void *dst, bool *ok, bool detached) {
  if (detached) {
    goc__reacquirep_slow(m);
    uint32_t z = 0;
    if (atomic_compare_exchange_strong_explicit(&c->lock.v, &z, 1, memory_order_acquire,
                                                memory_order_relaxed))
      return chan_recv_locked(m, g, c, dst, ok);
  }
  goc__chanlock_slow(&c->lock);
  return chan_recv_locked(m, g, c, dst, ok);
}

/* The ends of a completed operation past the common case: the lock word
 * had sleepers (c is unlocked, gp not yet readied), or the ready needs
 * more than runnext (hooks, a full runnext, an idle P to wake). */
static NOINLINE int chan_done_wake(goc_m *m, goc_chan *c, goc_g *gp) {
  goc__chanlock_wake(&c->lock);
  goc__ready_lockedp(m, gp);
  goc__unlockp_m(m);
  return 1;
}
static NOINLINE int chan_done_ready(goc_m *m, goc_g *gp) {
  goc__ready_lockedp(m, gp);
  goc__unlockp_m(m);
  return 1;
}
static NOINLINE int chan_done_wakep(goc_m *m, goc_p *p) {
  goc__wakep_next(p);
  goc__unlockp_m(m);
  return 1;
}
static NOINLINE int chan_done_unlock_wake(goc_m *m, goc_chan *c) {
  goc__chanlock_wake(&c->lock);
  goc__unlockp_m(m);
  return 1;
}
static NOINLINE int chan_park_checked(goc_g *g, goc_wait_reason reason, goc_chan *c) {
  goc__park_g_checked(g, reason, goc__chan_commit_unlock, c);
  return 0;
}

/* Takes c's lock word inside goc__lockp (m->locks raised); false: the
 * caller tail-calls chan_*_lock with detached. */
static inline __attribute__((always_inline)) bool chan_lock_fast(goc_m *m, goc_chan *c, bool *detached) {
  goc__locks_add(m, 1);
  atomic_signal_fence(memory_order_seq_cst);
  *detached = atomic_load_explicit(&m->detached, memory_order_relaxed) != 0;
  uint32_t z = 0;
  return __builtin_expect(!*detached, 1) &&
         __builtin_expect(atomic_compare_exchange_strong_explicit(&c->lock.v, &z, 1, memory_order_acquire,
                                                                  memory_order_relaxed), 1);
}

/* An element goc__elem_move copies without memcpy (the fast paths make
 * no call). */
static inline bool elem_inline(const goc_chan *c) {
  uint32_t n = c->elemsize;
  return n <= 16 && (n & (n - 1)) == 0;
}
static inline __attribute__((always_inline)) void elem_move_inline(void *dst, const void *src, uint32_t n) {
  switch (n) {
  case 0: return;
  case 1: memcpy(dst, src, 1); return;
  case 2: memcpy(dst, src, 2); return;
  case 4: memcpy(dst, src, 4); return;
  case 8: memcpy(dst, src, 8); return;
  case 16: memcpy(dst, src, 16); return;
  default: __builtin_unreachable();
  }
}

/* Dequeues s, the first of q (lone, c unbuffered and open, q's only
 * writer's lock held): goc__waitq_dequeue for that case. */
static inline __attribute__((always_inline)) void lone_dequeue(goc_waitq *q, goc_sudog *s, uint8_t *ready) {
  if (goc__waitq_unlink_first(q, s)) STORE(ready, (uint8_t)0);   /* open: goc__chan_queue_now's emptied */
}

/* Unlocks c and readies gp, whose lone wait this M completed, inside the
 * lockp the lock took (unlock_wake's common case); 1. */
static inline __attribute__((always_inline)) int chan_done(goc_m *m, goc_chan *c, goc_g *gp) {
  if (__builtin_expect(goc__chanlock_release(&c->lock), 0))
    return chan_done_wake(m, c, gp);
  goc_p *p = m->p;
  /* goc__ready_lockedp_inline, its runqput_next's check first */
  if (__builtin_expect(p == NULL || goc__trace_on ||
                           atomic_load_explicit(&goc__contention_on, memory_order_relaxed) ||
                           atomic_load_explicit(&p->runnext, memory_order_relaxed) != NULL, 0))
    return chan_done_ready(m, gp);
  if (atomic_load_explicit(goc__gstatus(gp), memory_order_acquire) != GOC_GWAITING)
    goc__throw("goc__ready: goroutine is not waiting");
  atomic_store_explicit(goc__gstatus(gp), GOC_GRUNNABLE, memory_order_release);
  atomic_store_explicit(&p->runnext, gp, memory_order_release);
  if (atomic_load_explicit(&goc__sched.npidle, memory_order_relaxed) != 0)
    return chan_done_wakep(m, p);
  goc__unlockp_m(m);
  return 1;
}

/* g's lone wait for c (locked) on q, and the park record: 0. */
static inline __attribute__((always_inline)) int chan_wait(goc_m *m, goc_g *g, goc_chan *c, goc_waitq *q,
                                                           uint8_t *ready, void *elem, bool is_send,
                                                           goc_wait_reason reason) {
  goc_sudog *s = &g->lone;
  s->kind = GOC_SG_LONE;
  s->is_send = is_send;
  s->success = false;
  s->done = false;
  s->elem = elem;
  if (goc__waitq_link_last(q, s) && c->dataqsiz == 0) STORE(ready, (uint8_t)1);   /* goc__chan_queue_now's filled */
  /* goc__park_g_m; m->detached was checked by the lock's lockp, whose
   * raised m->locks keeps the P here since */
  if (__builtin_expect(g != goc__tls_g || m->park_pending, 0)) return chan_park_checked(g, reason, c);
  m->park_pending = true;
  m->park_reason = (uint8_t)reason;
  m->park_commit = goc__chan_commit_unlock;
  m->park_arg = c;
  return 0;
}

int goc__chan_send(goc_g *g, goc_chan *c, const void *elem) {
  goc_m *m = goc__tls_m;
  if (__builtin_expect(c == NULL || m == NULL, 0)) return chan_send_all(g, c, elem);
  bool detached;
  if (!chan_lock_fast(m, c, &detached)) return chan_send_lock(m, g, c, elem, detached);
  goc_sudog *s = __atomic_load_n(&c->recvq.first, __ATOMIC_RELAXED);
  if (__builtin_expect(c->closed, 0)) return chan_send_locked(m, g, c, elem);
  if (s) {
    if (__builtin_expect(c->dataqsiz != 0 || s->kind != GOC_SG_LONE || (s->elem && !elem_inline(c)), 0))
      return chan_send_locked(m, g, c, elem);
    lone_dequeue(&c->recvq, s, &c->send_ready);
    if (s->elem) elem_move_inline(s->elem, elem, c->elemsize);
    s->elem = NULL;
    s->success = true;
    s->done = true;
    return chan_done(m, c, goc__lone_g(s));
  }
  if (c->qcount < c->dataqsiz) {
    if (__builtin_expect(!elem_inline(c), 0)) return chan_send_locked(m, g, c, elem);
    elem_move_inline(goc__chanbuf(c, c->sendx), elem, c->elemsize);
    if (++c->sendx == c->dataqsiz) c->sendx = 0;
    size_t q = c->qcount + 1;
    STORE(&c->qcount, q);
    STORE(&c->recv_ready, (uint8_t)1);
    STORE(&c->send_ready, (uint8_t)(q != c->dataqsiz));
    if (__builtin_expect(goc__chanlock_release(&c->lock), 0))
      return chan_done_unlock_wake(m, c);
    goc__unlockp_m(m);
    return 1;
  }
  return chan_wait(m, g, c, &c->sendq, &c->recv_ready, (void *)elem, true, GOC_WAIT_CHAN_SEND);
}

void goc__chan_send_resume_slow(goc_g *g) {
  if (!single_finish(g, "chansend: spurious wakeup")) goc__panic_str("send on closed channel");
}

int goc__chan_recv(goc_g *g, goc_chan *c, void *dst, bool *ok) {
  goc_m *m = goc__tls_m;
  if (__builtin_expect(c == NULL || m == NULL, 0)) return chan_recv_all(g, c, dst, ok);
  bool detached;
  if (!chan_lock_fast(m, c, &detached)) return chan_recv_lock(m, g, c, dst, ok, detached);
  goc_sudog *s = __atomic_load_n(&c->sendq.first, __ATOMIC_RELAXED);
  if (__builtin_expect(c->closed, 0)) return chan_recv_locked(m, g, c, dst, ok);
  if (s) {
    if (__builtin_expect(c->dataqsiz != 0 || s->kind != GOC_SG_LONE || (dst && !elem_inline(c)), 0))
      return chan_recv_locked(m, g, c, dst, ok);
    lone_dequeue(&c->sendq, s, &c->recv_ready);
    if (dst) elem_move_inline(dst, s->elem, c->elemsize);
    s->elem = NULL;
    s->success = true;
    s->done = true;
    if (ok) *ok = true;
    return chan_done(m, c, goc__lone_g(s));
  }
  if (c->qcount > 0) {
    if (__builtin_expect(dst && !elem_inline(c), 0)) return chan_recv_locked(m, g, c, dst, ok);
    if (dst) elem_move_inline(dst, goc__chanbuf(c, c->recvx), c->elemsize);
    if (++c->recvx == c->dataqsiz) c->recvx = 0;
    size_t q = c->qcount - 1;
    STORE(&c->qcount, q);
    STORE(&c->send_ready, (uint8_t)1);
    STORE(&c->recv_ready, (uint8_t)(q != 0));   /* open */
    if (ok) *ok = true;
    if (__builtin_expect(goc__chanlock_release(&c->lock), 0))
      return chan_done_unlock_wake(m, c);
    goc__unlockp_m(m);
    return 1;
  }
  return chan_wait(m, g, c, &c->recvq, &c->send_ready, dst, false, GOC_WAIT_CHAN_RECV);
}

void goc__chan_recv_resume_slow(goc_g *g, bool *ok) {
  bool got = single_finish(g, "chanrecv: spurious wakeup");
  if (ok) *ok = got;
}
