/* cond.c — goc_cond, Go's sync.Cond on a ticket-based notify list.
 *
 * Invariants (Go's notifyList): wait_ticket is the next ticket to hand to
 * a waiter, notify_ticket the next to wake; tickets below notify_ticket are
 * already notified. c->waiters lists parked waiters (goc_swaiter, ticket
 * order not required) and is guarded by the spin lock c->lock; a G waiter
 * registers under it and its park's commit releases it.
 * A G keeps its phase in goc__gx(g)->ss2: 1 parked on the list, 2 re-locking c->L.
 */
#include <sched.h>
#include "proc.h"

static void cl_lock(goc_cond *c) {
  for (;;) {
    int z = 0;
    if (atomic_compare_exchange_weak(&c->lock, &z, 1)) return;
    sched_yield();
  }
}
static void cl_unlock(goc_cond *c) { atomic_store(&c->lock, 0); }
static void cl_unlock_commit(goc_g *g, void *c) {
  (void)g;
  cl_unlock(c);
}
static bool less(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }

/* c->lock held. */
static void push(goc_cond *c, goc_swaiter *w) {
  w->next = c->waiters;
  c->waiters = w;
}

int goc_cond_wait__async(goc_g *g, goc_cond *c) {
  if (goc__gx(g)->ss2.phase == 0) {
    uint32_t t = atomic_fetch_add(&c->wait_ticket, 1);
    goc_mutex_unlock(c->L);
    cl_lock(c);
    if (less(t, atomic_load(&c->notify_ticket))) {
      cl_unlock(c);
      goc__gx(g)->ss2.phase = 2;
    } else {
      goc_swaiter *w = &goc__gx(g)->sw;
      w->g = g;
      w->ticket = t;
      push(c, w);
      goc__gx(g)->ss2.phase = 1;
      goc__park_g(g, GOC_WAIT_COND, cl_unlock_commit, c);
      return 0;
    }
  }
  if (goc__gx(g)->ss2.phase == 1) goc__gx(g)->ss2.phase = 2;
  if (!goc_mutex_lock__async(g, c->L)) return 0;
  goc__gx(g)->ss2.phase = 0;
  return 1;
}

void goc_cond_wait(goc_cond *c) {
  uint32_t t = atomic_fetch_add(&c->wait_ticket, 1);
  goc_mutex_unlock(c->L);
  cl_lock(c);
  if (less(t, atomic_load(&c->notify_ticket))) {
    cl_unlock(c);
  } else {
    goc_swaiter w = {.g = NULL, .ticket = t};
    goc__note_clear(&w.note);
    push(c, &w);
    cl_unlock(c);
    if (goc__getg()) {
      goc__block_thread_enter(GOC_WAIT_COND);
      goc__note_sleep(&w.note);
      goc__block_thread_exit();
    } else {
      goc__note_sleep(&w.note);
    }
  }
  goc_mutex_lock(c->L);
}

void goc_cond_signal(goc_cond *c) {
  if (atomic_load(&c->wait_ticket) == atomic_load(&c->notify_ticket)) return;
  cl_lock(c);
  uint32_t t = atomic_load(&c->notify_ticket);
  if (t == atomic_load(&c->wait_ticket)) {
    cl_unlock(c);
    return;
  }
  atomic_store(&c->notify_ticket, t + 1);
  goc_swaiter **pp = (goc_swaiter **)&c->waiters;
  for (goc_swaiter *w = *pp; w; pp = &w->next, w = w->next) {
    if (w->ticket == t) {
      *pp = w->next;
      cl_unlock(c);
      goc__swaiter_wake(w);
      return;
    }
  }
  cl_unlock(c);
}

void goc_cond_broadcast(goc_cond *c) {
  if (atomic_load(&c->wait_ticket) == atomic_load(&c->notify_ticket)) return;
  cl_lock(c);
  goc_swaiter *w = c->waiters;
  c->waiters = NULL;
  atomic_store(&c->notify_ticket, atomic_load(&c->wait_ticket));
  cl_unlock(c);
  while (w) {
    goc_swaiter *next = w->next;
    goc__swaiter_wake(w);
    w = next;
  }
}
