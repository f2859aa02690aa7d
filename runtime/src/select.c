/* select.c — Go's select, for goroutines (goc__select) and plain threads
 * (goc_chan_select).
 *
 * As Go's selectgo:
 *   1. A random poll order over the cases whose channel is not nil, and a
 *      lock order sorting those cases by channel address (heap sort, no
 *      allocation).
 *   2. Lock every channel in lock order (a channel named twice is locked
 *      once) and poll the cases in poll order; the first ready case runs.
 *   3. If none is ready: take default if there is one; otherwise enqueue one
 *      sudog per case (in lock order) on each channel and park. A goroutine
 *      parks with the channels still locked and the scheduler's commit
 *      unlocks them; a thread unlocks and sleeps on its note.
 *   4. The first waker wins the CAS on the record's select_done word,
 *      completes its case and wakes the waiter; wakers on the other channels
 *      fail the CAS and skip the sudog (goc__waitq_dequeue).
 *   5. On wake the waiter locks every channel again, removes its losing
 *      sudogs, and reports the winner. Until then its sudogs stay on the
 *      queues, so the record is alive while any waker can see it.
 * Invariant: a record's sudogs are removed from every queue before the
 * record is freed; a select's cases complete at most once (select_done).
 */
#include "chan.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- per-thread random numbers (wyrand) ------------------------------------ */
static __thread uint64_t rand_state;
uint64_t goc__chan_rand(void) {
  uint64_t s = rand_state;
  if (__builtin_expect(s == 0, 0)) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    s = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ull ^
        (uint64_t)(uintptr_t)&rand_state ^ ((uint64_t)ts.tv_sec << 32);
    if (!s) s = 1;
  }
  s += 0xa0761d6478bd642full;
  rand_state = s;
  __uint128_t t = (__uint128_t)s * (s ^ 0xe7037ed1a0b428dbull);
  return (uint64_t)(t >> 64) ^ (uint64_t)t;
}

/* ---- lock order ------------------------------------------------------------ */
static inline uintptr_t caddr(goc_select_case *cases, uint32_t i) {
  return (uintptr_t)cases[i].chan;
}

/* order[0..n) = poll's cases by channel address: an insertion sort for
 * the few cases most selects have, Go's heap sort (no quadratic worst
 * case) beyond. */
static void sort_lockorder(goc_select_case *cases, uint32_t *order,
                           const uint32_t *poll, int n) {
  if (n <= 8) {
    for (int i = 0; i < n; i++) {
      uint32_t ci = poll[i];
      uintptr_t ca = caddr(cases, ci);
      int j = i;
      for (; j > 0 && caddr(cases, order[j - 1]) > ca; j--) order[j] = order[j - 1];
      order[j] = ci;
    }
    return;
  }
  for (int i = 0; i < n; i++) {
    int j = i;
    uint32_t ci = poll[i];
    uintptr_t ca = caddr(cases, ci);
    while (j > 0) {
      int k = (j - 1) / 2;
      if (caddr(cases, order[k]) >= ca) break;
      order[j] = order[k];
      j = k;
    }
    order[j] = ci;
  }
  for (int i = n - 1; i >= 0; i--) {
    uint32_t ci = order[i];
    uintptr_t ca = caddr(cases, ci);
    order[i] = order[0];
    int j = 0;
    for (;;) {
      int k = j * 2 + 1;
      if (k >= i) break;
      if (k + 1 < i && caddr(cases, order[k]) < caddr(cases, order[k + 1]))
        k++;
      if (ca < caddr(cases, order[k])) {
        order[j] = order[k];
        j = k;
        continue;
      }
      break;
    }
    order[j] = ci;
  }
}

static void lock_all(goc_select_case *cases, const uint32_t *order, int n) {
  goc_chan *last = NULL;
  for (int i = 0; i < n; i++) {
    goc_chan *c = cases[order[i]].chan;
    if (c != last) goc__chanlock(&c->lock);
    last = c;
  }
}
static void unlock_all(goc_select_case *cases, const uint32_t *order, int n) {
  for (int i = n - 1; i >= 0; i--) {
    goc_chan *c = cases[order[i]].chan;
    if (i > 0 && cases[order[i - 1]].chan == c) continue;
    goc__chanunlock(&c->lock);
  }
}

/* Locks the channels of r's sudogs (they are in lock order). */
static void rec_lock_all(goc_waitrec *r) {
  goc_chan *last = NULL;
  for (int i = 0; i < r->n; i++) {
    goc_chan *c = r->sg[i].c;
    if (c != last) goc__chanlock(&c->lock);
    last = c;
  }
}

/* Unlocks r's channels. r may be freed by its owner as soon as the last
 * lock is released, so nothing of r is read after that. */
void goc__select_unlock_all(goc_waitrec *r) {
  goc_chan *prev = NULL;
  int n = r->n;
  for (int i = 0; i < n; i++) {
    goc_chan *c = r->sg[i].c;
    if (c != prev) {
      if (prev) goc__chanunlock(&prev->lock);
      prev = c;
    }
  }
  if (prev) goc__chanunlock(&prev->lock);
}

/* ---- the core ---------------------------------------------------------------- */

int goc__selectgo(goc_select_case *cases, int n, bool has_default, goc_g *g,
                  int *chosen, bool *recv_ok, goc_waitrec **out) {
  *out = NULL;
  if (n < 0 || n > 65536) goc__throw("select: too many cases");
  if (n == 1 && has_default && cases[0].chan) {
    /* One case and default: a non-blocking send or receive (Go's
     * selectnbsend/selectnbrecv), with its lock-free "not ready" check. */
    goc_select_case *cs = &cases[0];
    bool ok = false;
    int done = cs->dir == GOC_SELECT_SEND
                   ? goc__chansend(cs->chan, cs->elem, false, g, NULL)
                   : goc__chanrecv(cs->chan, cs->elem, &ok, false, g, NULL);
    *chosen = done ? 0 : -1;
    if (recv_ok) *recv_ok = done && cs->dir != GOC_SELECT_SEND && ok;
    return 1;
  }
  uint32_t stackbuf[2 * 64];
  uint32_t *poll = stackbuf, *order;
  if (n > 64) {
    poll = malloc(2 * (size_t)n * sizeof(uint32_t));
    if (!poll) goc__throw("out of memory allocating a select poll order");
  }
  order = poll + (n > 64 ? n : 64);

  /* 1. poll order (Fisher-Yates, skipping nil channels), lock order. One
   * random number serves every step: each takes its index from the high
   * bits of a 64x32 product with the running word, then stirs the word
   * (a multiplicative step; uniform enough for a shuffle of a few). */
  int norder = 0;
  uint64_t r = goc__chan_rand();
  for (int i = 0; i < n; i++) {
    if (!cases[i].chan) continue;
    uint32_t j = (uint32_t)(((r >> 32) * (uint64_t)(norder + 1)) >> 32);
    r = r * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
    poll[norder] = poll[j];
    poll[j] = (uint32_t)i;
    norder++;
  }
  sort_lockorder(cases, order, poll, norder);

  /* 2. poll under all locks */
  lock_all(cases, order, norder);
  int casi = -1;
  bool rok = false;
  bool sclose = false;
  goc_sudog *s = NULL;
  for (int k = 0; k < norder; k++) {
    int i = (int)poll[k];
    goc_select_case *cs = &cases[i];
    goc_chan *c = cs->chan;
    if (cs->dir == GOC_SELECT_SEND) {
      if (c->closed) { casi = i; sclose = true; break; }
      if ((s = goc__waitq_dequeue(c, &c->recvq))) {
        goc__chan_give(c, s, cs->elem);
        casi = i;
        break;
      }
      if (c->qcount < c->dataqsiz) {
        goc__chan_put(c, cs->elem);
        casi = i;
        break;
      }
    } else {
      if (!c->closed && (s = goc__waitq_dequeue(c, &c->sendq))) {
        goc__chan_take(c, s, cs->elem);
        casi = i;
        rok = true;
        break;
      }
      if (c->qcount > 0) {
        goc__chan_get(c, cs->elem);
        casi = i;
        rok = true;
        break;
      }
      if (c->closed) {
        goc__elem_clear(c, cs->elem);
        casi = i;
        rok = false;
        break;
      }
    }
  }

  if (casi >= 0 || has_default) {
    unlock_all(cases, order, norder);
    if (poll != stackbuf) free(poll);
    if (s) goc__sudog_wake(s);
    if (sclose) goc__panic_str("send on closed channel");
    *chosen = casi;
    if (recv_ok) *recv_ok = rok;
    return 1;
  }

  /* 3. enqueue on every channel, in lock order; channels stay locked */
  if (norder > 0) {
    goc_waitrec *r = goc__waitrec_get(norder, g);
    for (int k = 0; k < norder; k++) {
      int i = (int)order[k];
      r->sg[k].c = cases[i].chan;
      goc_sudog *sg = &r->sg[k].s;
      sg->elem = cases[i].elem;
      sg->case_idx = i;
      sg->kind = GOC_SG_SELECT;
      sg->is_send = cases[i].dir == GOC_SELECT_SEND;
      goc__waitq_enqueue(r->sg[k].c, sg->is_send ? &r->sg[k].c->sendq : &r->sg[k].c->recvq, sg);
    }
    *out = r;
  }
  if (poll != stackbuf) free(poll);
  return 0;
}

void goc__select_finish(goc_waitrec *r, int *chosen, bool *recv_ok) {
  rec_lock_all(r);
  goc_sudog *w = r->woken;
  if (!w) goc__throw("select: woken without a case");
  int casi = w->case_idx;
  bool success = w->success;
  bool is_send = w->is_send;
  for (int i = 0; i < r->n; i++) {
    goc_sudog *sg = &r->sg[i].s;
    if (sg == w) continue;
    goc__waitq_remove(r->sg[i].c, sg->is_send ? &r->sg[i].c->sendq : &r->sg[i].c->recvq, sg);
  }
  goc__select_unlock_all(r);
  goc__waitrec_put(r);
  if (is_send && !success) goc__panic_str("send on closed channel");
  *chosen = casi;
  if (recv_ok) *recv_ok = is_send ? false : success;
}

static void select_commit(goc_g *g, void *arg) {
  (void)g;
  goc__select_unlock_all(arg);
}

/* ---- goroutine entry points (goc_abi.h) ------------------------------------ */
int goc__select(goc_g *g, goc_select_case *cases, int n, bool has_default,
                int *chosen, bool *recv_ok) {
  if (n == 0) {
    if (has_default) {
      *chosen = -1;
      if (recv_ok) *recv_ok = false;
      return 1;
    }
    goc__park_g(g, GOC_WAIT_SELECT_NO_CASES, NULL, NULL);
    return 0;
  }
  goc_waitrec *r;
  if (goc__selectgo(cases, n, has_default, g, chosen, recv_ok, &r)) return 1;
  if (!r) {   /* every channel nil: blocks forever */
    goc__park_g(g, GOC_WAIT_SELECT, NULL, NULL);
    return 0;
  }
  goc__g_set_wait_state(g, r);
  goc__park_g(g, GOC_WAIT_SELECT, select_commit, r);
  return 0;
}

void goc__select_resume(goc_g *g, int *chosen, bool *recv_ok) {
  goc_waitrec *r = goc__g_wait_state(g);
  if (!r) goc__throw("select: spurious wakeup");
  goc__g_set_wait_state(g, NULL);
  goc__select_finish(r, chosen, recv_ok);
}

/* ---- plain threads (goc.h) -------------------------------------------------- */
int goc_chan_select(goc_select_case *cases, int ncases, bool block,
                    bool *recv_ok) {
  goc__plain_thread_touch();
  int chosen = -1;
  bool ok = false;
  if (ncases == 0) {
    if (!block) {
      if (recv_ok) *recv_ok = false;
      return -1;
    }
    goc__thread_block_forever(GOC_WAIT_SELECT_NO_CASES);
  }
  goc_waitrec *r;
  if (goc__selectgo(cases, ncases, !block, NULL, &chosen, &ok, &r)) {
    if (recv_ok) *recv_ok = ok;
    return chosen;
  }
  if (!r) goc__thread_block_forever(GOC_WAIT_SELECT);
  goc__select_unlock_all(r);
  goc__thread_wait(r, GOC_WAIT_SELECT);
  goc__select_finish(r, &chosen, &ok);
  if (recv_ok) *recv_ok = ok;
  return chosen;
}
