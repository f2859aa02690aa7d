/* chan.h — channel internals shared by chan.c, select.c, chan_thread.c,
 * time_chan.c and context.c.
 *
 * A waiter is a goc_sudog (Go's sudog): one per case a goroutine or plain
 * thread waits on. The sudogs of one wait live together in a goc_waitrec,
 * taken from a per-thread cache when the operation must block and given back
 * when it resumes (the fast paths never touch one). A goroutine's send or
 * receive waits with a lone sudog instead, no record around it (kind
 * GOC_SG_LONE: the one in its G, and `done` stands for the record's woken):
 * 32 bytes, no allocation, written field by field. A G parked in a
 * select finds its record through goc__g_wait_state(g).
 *
 * Lifetime rule: a record stays alive while any of its sudogs is on a wait
 * queue. Its owner frees it only after it has taken every channel lock and
 * removed its sudogs (select) or after the waker that dequeued it woke it
 * (single operation). A waker therefore must not touch a sudog or its record
 * after it has readied the G or signalled the note.
 */
#ifndef GOC_CHAN_H
#define GOC_CHAN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include "goc.h"
#include "park.h"
#include "proc.h"

/* ---- channel lock: a three-state futex mutex (Drepper's "mutex 2") ------
 * It has no owner, so a scheduler commit running on the same M may release a
 * lock the step took (never another thread: the M's lock count, goc__lockp,
 * must balance). 0: unlocked, 1: locked, 2: locked with sleepers.
 * The unlock (goc__chanlock_release) that reads 1 stores 0 without a
 * locked instruction: an exchange was a sixth of a hand-off's time
 * (bench/NOTES.md). A waiter that turns 1 into 2 between that load and
 * that store may then sleep with nobody to wake it, so a sleeper's wait
 * is bounded (GOC_CHANLOCK_NAP_NS) and it looks again: the window lies
 * between two adjacent instructions of the holder (wider only if its
 * thread is stopped right there), and the cost of hitting it one nap. (An unlock by a plain store with sleepers that registered and ran
 * membarrier, which wakes each one at once, was tried and taken back:
 * contended channels lost up to 2x to the barriers and the wake-ups.) */
typedef struct goc_chanlock {
  _Atomic uint32_t v;
} goc_chanlock;
void goc__chanlock_slow(goc_chanlock *l);
void goc__chanlock_wake(goc_chanlock *l);

typedef struct goc_sudog goc_sudog;
typedef struct goc_waitrec goc_waitrec;

enum { GOC_SG_REC = 0, GOC_SG_SELECT, GOC_SG_LONE };   /* goc_sudog.kind */

/* struct goc_sudog is in proc.h: a G embeds the one its lone waits use. A
 * record's sudog adds the two words the lone one does without: the record
 * (a lone sudog's G is the one around it) and the channel (a select's
 * cases, in lock order; a single operation knows its channel). */
typedef struct goc_rsudog {
  goc_sudog s;              /* first: a REC or SELECT goc_sudog * points here */
  goc_waitrec *rec;         /* the wait this sudog belongs to */
  goc_chan *c;              /* select: the case's channel */
} goc_rsudog;
static inline goc_waitrec *goc__sudog_rec(goc_sudog *s) { return ((goc_rsudog *)s)->rec; }

struct goc_waitrec {
  goc_g *g;                 /* the parked G, or NULL for a thread */
  goc_note note;            /* a thread sleeps here */
  _Atomic uint32_t select_done; /* select: the first waker CASes 0 -> 1 */
  goc_sudog *woken;         /* the sudog that completed (set by the waker) */
  int32_t n;                /* sudogs in use (select: in lock order) */
  int32_t cls;              /* size class for the cache; -1: malloc'd;
                               -2: in g's frame arena */
  goc_rsudog sg[];          /* n sudogs */
};

typedef struct goc_waitq {
  goc_sudog *first;         /* written atomically: read lock-free by the
                               non-blocking fast paths */
  goc_sudog *last;
} goc_waitq;

/* 88 bytes: the buffer is not pointed to, it follows the header at bufoff,
 * and an element is under 64 MB (goc_chan_make), so a channel of its own
 * costs a goroutine a 96-byte malloc chunk. */
struct goc_chan {
  goc_chanlock lock;
  uint8_t closed;           /* written atomically under lock */
  /* Whether a receive (a send) would complete now rather than block: a
   * value or a waiting sender, or closed (room or a waiting receiver, or
   * closed: it panics). Kept under the lock at every change of closed,
   * qcount and the queues (below); read lock-free by the inline one-case
   * selects of goc_abi.h, one load and one branch. */
  uint8_t recv_ready, send_ready;
  uint8_t spare_;
  uint32_t elemsize;
  uint32_t bufoff;          /* the buffer: dataqsiz * elemsize bytes at c + bufoff */
  size_t qcount;            /* elements in the buffer; written atomically under lock */
  size_t dataqsiz;          /* capacity */
  size_t sendx, recvx;      /* ring indexes */
  goc_waitq recvq, sendq;
  goc_rtimer *after_timer;  /* goc_after: stopped and freed with c */
};

/* The ready bytes, kept exact under the lock at every change of what
 * they summarise (the "would block" checks below): a buffered channel's
 * by its count, in goc__chan_put and goc__chan_get (a waiting sender
 * means a full buffer, a waiting receiver an empty one, so its queues add
 * nothing); an unbuffered channel's by its queues, in the queue
 * operations (goc__chan_queue_now); both by close (1 both ways, for
 * good: nothing is enqueued on a closed channel) and make.
 * goc__chan_queue_now: an unbuffered channel's queue q has just become
 * nonempty (filled) or empty; only the byte q summarises changes (a
 * waiting sender makes a receive ready, a waiting receiver a send), and
 * since nothing is enqueued on a closed channel a filled queue means
 * ready and an emptied one ready only if closed. */
static inline void goc__chan_queue_now(goc_chan *c, goc_waitq *q, bool filled) {
  if (c->dataqsiz != 0) return;
  uint8_t *b = q == &c->sendq ? &c->recv_ready : &c->send_ready;
  __atomic_store_n(b, (uint8_t)(filled | c->closed), __ATOMIC_RELAXED);
}

/* ---- channel lock (its type is above) ---- */
/* m: the caller's goc__tls_m (goc__lockp_m). */
static inline void goc__chanlock_m(goc_m *m, goc_chanlock *l) {
  goc__lockp_m(m);   /* inside the runtime while held: see goc__rt_lock */
  uint32_t z = 0;
  if (__builtin_expect(atomic_compare_exchange_strong_explicit(
                           &l->v, &z, 1, memory_order_acquire,
                           memory_order_relaxed), 1))
    return;
  goc__chanlock_slow(l);
}
/* Releases the lock word; true: it had sleepers, one of which the caller
 * wakes (goc__chanlock_wake). */
static inline bool goc__chanlock_release(goc_chanlock *l) {
  if (__builtin_expect(atomic_load_explicit(&l->v, memory_order_relaxed) == 1, 1)) {
    atomic_store_explicit(&l->v, 0, memory_order_release);
    return false;
  }
  return atomic_exchange_explicit(&l->v, 0, memory_order_release) != 1;
}
/* The lock word only: the caller stays inside goc__lockp (its
 * goc__unlockp follows). */
static inline void goc__chanunlock_keepp(goc_chanlock *l) {
  if (__builtin_expect(goc__chanlock_release(l), 0)) goc__chanlock_wake(l);
}
static inline void goc__chanunlock_m(goc_m *m, goc_chanlock *l) {
  goc__chanunlock_keepp(l);
  goc__unlockp_m(m);
}
static inline void goc__chanlock(goc_chanlock *l) { goc__chanlock_m(goc__tls_m, l); }
static inline void goc__chanunlock(goc_chanlock *l) { goc__chanunlock_m(goc__tls_m, l); }

/* ---- lock-free "would block" checks (Go's chan.go empty()/full()) --------
 * The non-blocking operations (a one-case select with a default, the
 * try-ops, a select's poll) first check without the lock whether the
 * operation can complete; most such calls find that it cannot and return
 * at once, taking no lock and writing nothing.
 *
 * What is read: one byte, recv_ready or send_ready, stored (relaxed)
 * under c->lock wherever what it summarises changes (goc__chan_put/get,
 * the queue operations, close, make): a receive would block iff the
 * channel is open and has neither a buffered value nor (unbuffered) a
 * waiting sender; a send iff it is open and has neither room nor
 * (unbuffered) a waiting receiver. The fields themselves (closed, qcount,
 * recvq.first, sendq.first) are still single words written with atomic
 * stores under c->lock, for the other lock-free readers (goc_chan_len,
 * time_chan.c, the closed re-check below).
 *
 * Why a failed check is a correct answer (linearizability): the load is
 * seq_cst, as Go's atomic loads in empty() and full() are, and sees the
 * byte as some store under the lock left it, a function of the channel's
 * state at that point (a sudog whose select another case has won counts
 * as a waiter until it is skipped, though it can complete nothing). So at
 * the load the channel was open and not ready as of that store, and the
 * operation is linearized there as "would block". A later store the
 * load misses had not yet been made visible to this thread: nothing this
 * thread has seen (acquired) follows the section that made it, so no
 * observer can see the two in the other order. A waiter enqueued while
 * its G still runs (the park not yet committed, the lock held) is seen
 * at once, and the locked path then waits for the commit's unlock. This
 * is the argument of the two-load check the byte replaces (ready at t1,
 * then closed at t2, seq_cst both; closed never goes back to 0), with one
 * load and so one point.
 *
 * A receive that finds the channel closed and empty must still answer
 * (zero, !ok), but only if the channel is still empty after closed was
 * seen: a send may have completed in between (goc__chanrecv's re-check,
 * on the fields, taken with the lock-free answer or the lock).
 *
 * A passing check promises nothing: the locked path decides.
 * (The checks, goc__chan_send/recv_would_block and goc__chan_nb_full/
 * nb_empty on the fields, are in goc_abi.h, on its view of this header,
 * so that lowered code inlines the same ones.) */

/* Frees c unless goroutines or threads wait on it (then leaves it: they
 * block forever, as on a stopped Go timer). Returns whether it freed c. */
bool goc__chan_free_if_idle(goc_chan *c);

/* ---- records ------------------------------------------------------------ */
goc_waitrec *goc__waitrec_get(int n, goc_g *g);  /* n sudogs, zeroed */
void goc__waitrec_put(goc_waitrec *r);

/* ---- queue operations (c must be locked; q is c->recvq or c->sendq) ------
 * An unbuffered channel's ready bytes follow its queues' emptiness: each
 * operation that empties or fills q updates them. */
void goc__waitq_enqueue(goc_chan *c, goc_waitq *q, goc_sudog *s);
/* The list alone (the callers keep the ready bytes): s linked last,
 * true if q was empty; s, q's first, unlinked, true if q is now empty. */
static inline __attribute__((always_inline)) bool goc__waitq_link_last(goc_waitq *q, goc_sudog *s) {
  s->next = NULL;
  goc_sudog *x = q->last;
  q->last = s;
  if (!x) {
    s->prev = NULL;
    __atomic_store_n(&q->first, s, __ATOMIC_RELAXED);
    return true;
  }
  s->prev = x;
  x->next = s;
  return false;
}
static inline __attribute__((always_inline)) bool goc__waitq_unlink_first(goc_waitq *q, goc_sudog *s) {
  goc_sudog *y = s->next;
  if (!y) {
    __atomic_store_n(&q->first, (goc_sudog *)NULL, __ATOMIC_RELAXED);
    q->last = NULL;
    return true;
  }
  y->prev = NULL;
  __atomic_store_n(&q->first, y, __ATOMIC_RELAXED);
  s->next = NULL;
  return false;
}
/* Pops the first sudog whose select (if any) this caller wins. The empty
 * queue, the common case of a buffered channel, and a lone waiter first
 * (an unbuffered hand-off's) cost no call. */
goc_sudog *goc__waitq_dequeue_slow(goc_chan *c, goc_waitq *q);
static inline goc_sudog *goc__waitq_dequeue(goc_chan *c, goc_waitq *q) {
  goc_sudog *s = __atomic_load_n(&q->first, __ATOMIC_RELAXED);
  if (!s) return NULL;
  if (__builtin_expect(s->kind != GOC_SG_LONE, 0)) return goc__waitq_dequeue_slow(c, q);
  if (goc__waitq_unlink_first(q, s)) goc__chan_queue_now(c, q, false);
  return s;
}
/* Removes s if it is still on q. */
void goc__waitq_remove(goc_chan *c, goc_waitq *q, goc_sudog *s);

/* Wakes the owner of s, which a waker dequeued and completed (s->success,
 * rec->woken set). Call without holding any channel lock is preferred; it
 * never blocks. Touches nothing of s after the wake. */
void goc__sudog_wake(goc_sudog *s);

/* The operations behind both the goroutine and the thread entry points.
 * c must be unlocked and non-NULL. With block, on 0 the waiter was enqueued
 * (its sudog returned in *out: g's lone one, or for a thread (g NULL)
 * sg[0] of a record) and c is STILL LOCKED.
 * Without block, 0 means "would block" and c is unlocked. 1: done. */
int goc__chansend(goc_chan *c, const void *elem, bool block, goc_g *g,
                  goc_sudog **out);
int goc__chanrecv(goc_chan *c, void *dst, bool *ok, bool block, goc_g *g,
                  goc_sudog **out);

/* Park commit that releases the channel passed as arg. */
void goc__chan_commit_unlock(goc_g *g, void *arg);

/* select core: polls the cases; returns 1 with *chosen and *recv_ok set
 * (-1: default), or, with !has_default, 0 with a record enqueued on every
 * non-nil case's channel and ALL those channels still locked (*out; NULL if
 * there were no non-nil cases, nothing locked). */
int goc__selectgo(goc_select_case *cases, int n, bool has_default, goc_g *g,
                  int *chosen, bool *recv_ok, goc_waitrec **out);
/* After the wake: locks the channels, dequeues the losers, unlocks, frees r,
 * panics for a send case woken by close. */
void goc__select_finish(goc_waitrec *r, int *chosen, bool *recv_ok);
void goc__select_unlock_all(goc_waitrec *r);

/* A fast per-thread pseudo-random number (wyrand). */
uint64_t goc__chan_rand(void);

/* Sleeps the calling OS thread on r->note (channels unlocked by then). */
void goc__thread_wait(goc_waitrec *r, goc_wait_reason reason);
/* Blocks the calling OS thread forever (nil channel, empty select). */
__attribute__((noreturn)) void goc__thread_block_forever(goc_wait_reason reason);

/* ---- transfers under the channel lock --------------------------------------
 * Shared by chan.c (which then unlocks and wakes) and select.c (which wakes
 * after releasing every case's lock). c is locked for all of them; none
 * unlocks or wakes. A NULL destination discards the value. */
static inline char *goc__chanbuf(goc_chan *c, size_t i) {
  return (char *)c + c->bufoff + i * c->elemsize;
}
/* memcpy of a size known only at run time is a call into libc; the sizes
 * channels mostly carry are one move each. */
static inline void goc__elem_move(void *dst, const void *src, size_t n) {
  switch (n) {
  case 1: memcpy(dst, src, 1); return;
  case 2: memcpy(dst, src, 2); return;
  case 4: memcpy(dst, src, 4); return;
  case 8: memcpy(dst, src, 8); return;
  case 16: memcpy(dst, src, 16); return;
  default: memcpy(dst, src, n); return;
  }
}
static inline void goc__elem_copy(goc_chan *c, void *dst, const void *src) {
  if (dst && c->elemsize) goc__elem_move(dst, src, c->elemsize);
}
static inline void goc__elem_clear(goc_chan *c, void *dst) {
  if (dst && c->elemsize) memset(dst, 0, c->elemsize);
}
/* s was dequeued and completed (success set): its owner may see it. */
static inline void goc__sudog_mark_woken(goc_sudog *s) {
  if (s->kind == GOC_SG_LONE) s->done = true;
  else goc__sudog_rec(s)->woken = s;
}
static inline void goc__chan_mark_done(goc_sudog *s) {
  s->elem = NULL;
  s->success = true;
  goc__sudog_mark_woken(s);
}
/* Hands src to the dequeued receiver s. */
static inline void goc__chan_give(goc_chan *c, goc_sudog *s, const void *src) {
  goc__elem_copy(c, s->elem, src);
  goc__chan_mark_done(s);
}
/* Takes the dequeued sender s's value: straight from it when unbuffered;
 * from the head of the full buffer otherwise, s's value going to the tail
 * (the same slot, since the ring is full). */
static inline void goc__chan_take(goc_chan *c, goc_sudog *s, void *dst) {
  if (c->dataqsiz == 0) {
    goc__elem_copy(c, dst, s->elem);
  } else {
    if (c->elemsize) {
      char *qp = goc__chanbuf(c, c->recvx);
      goc__elem_copy(c, dst, qp);
      goc__elem_move(qp, s->elem, c->elemsize);
    }
    if (++c->recvx == c->dataqsiz) c->recvx = 0;
    c->sendx = c->recvx;
  }
  goc__chan_mark_done(s);
}
/* Appends src to the buffer; qcount < dataqsiz. */
static inline void goc__chan_put(goc_chan *c, const void *src) {
  if (c->elemsize) goc__elem_move(goc__chanbuf(c, c->sendx), src, c->elemsize);
  if (++c->sendx == c->dataqsiz) c->sendx = 0;
  size_t q = c->qcount + 1;
  __atomic_store_n(&c->qcount, q, __ATOMIC_RELAXED);
  __atomic_store_n(&c->recv_ready, (uint8_t)1, __ATOMIC_RELAXED);   /* open: a send */
  __atomic_store_n(&c->send_ready, (uint8_t)(q != c->dataqsiz), __ATOMIC_RELAXED);
}
/* Removes the buffer's head into dst; qcount > 0. The slot keeps its
 * bytes (Go clears it for its collector; C has none to mislead). */
static inline void goc__chan_get(goc_chan *c, void *dst) {
  if (c->elemsize) goc__elem_copy(c, dst, goc__chanbuf(c, c->recvx));
  if (++c->recvx == c->dataqsiz) c->recvx = 0;
  size_t q = c->qcount - 1;
  __atomic_store_n(&c->qcount, q, __ATOMIC_RELAXED);
  __atomic_store_n(&c->send_ready, (uint8_t)1, __ATOMIC_RELAXED);
  __atomic_store_n(&c->recv_ready, (uint8_t)(c->closed | (q != 0)), __ATOMIC_RELAXED);
}

#endif /* GOC_CHAN_H */
