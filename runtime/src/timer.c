/* timer.c — runtime timers: per-P 4-ary min-heaps of goc_rtimer.
 *
 * Invariants:
 *   - A timer is in at most one heap. status WAITING <=> it is in the heap
 *     of allp[p_id] at heap_index; NONE: in no heap; RUNNING: popped, its f
 *     is being called (outside every lock) by some thread.
 *   - Timers are added to live Ps only (lock_live), checked under the
 *     heap's lock; a retired P's heap is moved to a live P under both locks
 *     (goc__timers_move, procresize.c), so a timer is never left on one.
 *     Walks over the heaps cover every P ever made all the same.
 *   - p->timerlock guards p's heap and the p_id/heap_index of its timers;
 *     p->timer0when mirrors the heap top (INT64_MAX when empty) so the
 *     scheduler can test for due timers without the lock.
 *   - start/stop/modify wait until a concurrent run of f on another thread
 *     finishes, so after goc__timer_stop returns, f is not running and
 *     will not run: the caller may free t. f must not free its own timer.
 *   - Any M may run any P's due timers (an idle P's timers are run by the
 *     M that polls, the monitor runs overdue ones when every P is busy).
 *   - No timer is left without a waker: a start adds t, then reads
 *     sched.polling and poll_until (all seq_cst). An M that polls sets
 *     polling, publishes poll_until, then looks at the heaps again, and
 *     never waits past the poll_until it published (sched.c). So either
 *     that look sees t, or the start sees the poller and breaks its wait
 *     if t is earlier than poll_until (one not earlier is seen when the
 *     poller wakes by then and looks again), or, nobody polling, wakes a P.
 *   - Lock order: sched.lock before a timerlock (checkdead looks at the
 *     heaps); nothing takes sched.lock while holding a timerlock. Only
 *     goc__timers_move holds two timerlocks, under sched.lock.
 */
#include <sched.h>
#include <stdlib.h>
#include "proc.h"

/* T_STOPPED_RUNNING: stopped from inside its own f, which is still running:
 * other threads keep waiting (they may free t once it is T_NONE), and the
 * runner, not the stopper, makes it T_NONE when f returns. */
enum { T_NONE = 0, T_WAITING = 1, T_RUNNING = 2, T_STOPPED_RUNNING = 3 };

static _Thread_local goc_rtimer *running_here;

void goc__timers_init(goc_p *p) {
  pthread_mutex_init(&p->timerlock, NULL);
  p->timers = NULL;
  p->ntimers = p->timerscap = 0;
  atomic_store(&p->timer0when, INT64_MAX);
}

/* ---- heap (p->timerlock held) -------------------------------------------- */

static void heap_set(goc_p *p, int32_t i, goc_rtimer *t) {
  p->timers[i] = t;
  __atomic_store_n(&t->heap_index, i, __ATOMIC_RELAXED);
}

static void siftup(goc_p *p, int32_t i) {
  goc_rtimer *t = p->timers[i];
  while (i > 0) {
    int32_t parent = (i - 1) / 4;
    if (p->timers[parent]->when <= t->when) break;
    heap_set(p, i, p->timers[parent]);
    i = parent;
  }
  heap_set(p, i, t);
}

static void siftdown(goc_p *p, int32_t i) {
  int32_t n = p->ntimers;
  goc_rtimer *t = p->timers[i];
  for (;;) {
    int32_t c = 4 * i + 1;
    if (c >= n) break;
    int32_t best = c;
    for (int32_t k = c + 1; k < c + 4 && k < n; k++)
      if (p->timers[k]->when < p->timers[best]->when) best = k;
    if (p->timers[best]->when >= t->when) break;
    heap_set(p, i, p->timers[best]);
    i = best;
  }
  heap_set(p, i, t);
}

static void update0(goc_p *p) {
  atomic_store(&p->timer0when, p->ntimers ? p->timers[0]->when : INT64_MAX);
}

static void heap_add(goc_p *p, goc_rtimer *t) {
  if (p->ntimers == p->timerscap) {
    int32_t cap = p->timerscap ? p->timerscap * 2 : 16;
    goc_rtimer **nt = realloc(p->timers, sizeof(*nt) * (size_t)cap);
    if (!nt) goc__throw("out of memory growing a timer heap");
    p->timers = nt;
    p->timerscap = cap;
  }
  int32_t i = p->ntimers++;
  p->timers[i] = t;
  __atomic_store_n(&t->p_id, p->id, __ATOMIC_RELAXED);
  siftup(p, i);
  update0(p);
}

static void heap_del(goc_p *p, goc_rtimer *t) {
  int32_t i = __atomic_load_n(&t->heap_index, __ATOMIC_RELAXED);
  int32_t last = --p->ntimers;
  if (i != last) {
    goc_rtimer *moved = p->timers[last];
    heap_set(p, i, moved);
    siftup(p, i);
    siftdown(p, __atomic_load_n(&moved->heap_index, __ATOMIC_RELAXED));
  }
  __atomic_store_n(&t->heap_index, -1, __ATOMIC_RELAXED);
  __atomic_store_n(&t->p_id, -1, __ATOMIC_RELAXED);
  update0(p);
}

/* Locks and returns the heap of want if it is live, else of a live P.
 * Checked under the lock: a shrink stores the count before it drains. */
static goc_p *lock_live(goc_p *want) {
  for (;;) {
    int32_t n = goc__maxprocs();
    goc_p *p = want->id < n ? want : goc__allp(want->id % n);
    goc__rt_lock(&p->timerlock);
    if (p->id < goc__maxprocs()) return p;
    goc__rt_unlock(&p->timerlock);
  }
}

/* sched.lock held; from is retired, to live. */
void goc__timers_move(goc_p *from, goc_p *to) {
  if (atomic_load(&from->timer0when) == INT64_MAX) return;
  goc__rt_lock(&from->timerlock);
  goc__rt_lock(&to->timerlock);
  while (from->ntimers > 0) {
    goc_rtimer *t = from->timers[from->ntimers - 1];
    heap_del(from, t);
    heap_add(to, t);   /* t->p_id changes under both locks: stop follows */
  }
  goc__rt_unlock(&to->timerlock);
  goc__rt_unlock(&from->timerlock);
}

/* ---- API ----------------------------------------------------------------- */

static void wait_not_running(goc_rtimer *t) {
  for (;;) {
    int st = atomic_load(&t->status);
    if ((st != T_RUNNING && st != T_STOPPED_RUNNING) || running_here == t) return;
    sched_yield();
  }
}

static void wake_poller(int64_t when) {
  goc_sched *s = &goc__sched;
  if (atomic_load(&s->polling)) {
    if (when < atomic_load(&s->poll_until)) goc__netpoll_break();
  } else {
    goc__wakep();
  }
}

/* No lock held. t->when, f, arg (and period) are set. */
void goc__timer_start(goc_rtimer *t) {
  goc__plain_thread_touch();
  goc__runtime_init();
  wait_not_running(t);
  if (atomic_load(&t->status) == T_WAITING) goc__timer_stop(t);
  goc_m *m = goc__tls_m;
  /* Once t is in the heap and the lock is released, the M running p's
   * timers may pop it and (periodic) advance t->when: read it before. */
  int64_t when = t->when;
  goc_p *p = lock_live(m && m->p ? m->p : goc__allp(0));
  atomic_store(&t->status, T_WAITING);
  heap_add(p, t);
  goc__rt_unlock(&p->timerlock);
  wake_poller(when);
}

/* No lock held. True if t was pending (it will now not fire). */
bool goc__timer_stop(goc_rtimer *t) {
  for (;;) {
    wait_not_running(t);
    int st = atomic_load(&t->status);
    if (st == T_RUNNING || st == T_STOPPED_RUNNING) {
      /* Started running since wait_not_running looked: wait again, unless
       * this is its own f stopping it. */
      if (running_here != t) continue;
      atomic_store(&t->status, T_STOPPED_RUNNING);
      return false;
    }
    if (st == T_NONE) return false;
    int32_t id = __atomic_load_n(&t->p_id, __ATOMIC_RELAXED);
    if (id < 0) continue;
    goc_p *p = goc__allp(id);
    goc__rt_lock(&p->timerlock);
    if (__atomic_load_n(&t->p_id, __ATOMIC_RELAXED) != id ||
        atomic_load(&t->status) != T_WAITING) {
      goc__rt_unlock(&p->timerlock);
      continue;
    }
    heap_del(p, t);
    atomic_store(&t->status, T_NONE);
    goc__rt_unlock(&p->timerlock);
    return true;
  }
}

/* No lock held. */
void goc__timer_modify(goc_rtimer *t, int64_t when, int64_t period) {
  goc__timer_stop(t);
  t->when = when;
  t->period = period;
  goc__timer_start(t);
}

/* Runs of due timers by a thread that is not an M (the monitor), under
 * sched.lock. Such a run may be all that is left when every M is idle: its
 * timer has left the heap, and its G is not yet readied (or its ticker not
 * yet re-armed). checkdead, also under sched.lock, then sees the timer in
 * its heap, this count, or the run's effects, never a gap between them. */
int32_t goc__timer_runs_off_m;

static void off_m_run(int32_t d) {
  goc__rt_lock(&goc__sched.lock);
  goc__timer_runs_off_m += d;
  goc__rt_unlock(&goc__sched.lock);
}

/* No lock held; any thread. Runs p's due timers; returns the next when. */
int64_t goc__run_timers(goc_p *p, int64_t now) {
  if (atomic_load(&p->timer0when) > now) return atomic_load(&p->timer0when);
  /* An M running timers is not idle, which already keeps checkdead off. */
  bool off_m = goc__tls_m == NULL;
  if (off_m) off_m_run(1);
  goc__rt_lock(&p->timerlock);
  while (p->ntimers > 0 && p->timers[0]->when <= now) {
    goc_rtimer *t = p->timers[0];
    heap_del(p, t);
    atomic_store(&t->status, T_RUNNING);
    int64_t period = t->period;
    void (*f)(void *, int64_t) = t->f;
    void *arg = t->arg;
    if (period > 0) {
      /* Re-arm now (Go does too), so a slow f does not drift the period. */
      t->when += period * (1 + (now - t->when) / period);
    }
    goc__rt_unlock(&p->timerlock);
    running_here = t;
    f(arg, now);
    running_here = NULL;
    if (period > 0) {
      goc__rt_lock(&p->timerlock);
      goc_p *q = p;
      if (__builtin_expect(p->id >= goc__maxprocs(), 0)) {
        /* p was retired while f ran: re-arm on a live P */
        goc__rt_unlock(&p->timerlock);
        q = lock_live(p);
      }
      int st = atomic_load(&t->status);
      if (st == T_RUNNING) {
        heap_add(q, t);
        atomic_store(&t->status, T_WAITING);
      } else if (st == T_STOPPED_RUNNING) {
        atomic_store(&t->status, T_NONE);   /* last touch: t may be freed now */
      }
      if (q != p) {
        goc__rt_unlock(&q->timerlock);
        goc__rt_lock(&p->timerlock);
      }
      continue;   /* p's lock held */
    }
    int st = T_RUNNING;
    if (!atomic_compare_exchange_strong(&t->status, &st, T_NONE) && st == T_STOPPED_RUNNING)
      atomic_store(&t->status, T_NONE);   /* last touch: t may be freed now */
    goc__rt_lock(&p->timerlock);
  }
  int64_t next = atomic_load(&p->timer0when);
  goc__rt_unlock(&p->timerlock);
  if (off_m) off_m_run(-1);
  return next;
}

int64_t goc__timers_earliest(void) {
  int64_t w = INT64_MAX;
  for (int32_t i = 0, n = goc__nallp(); i < n; i++)
    w = goc__min64(w, atomic_load(&goc__allp(i)->timer0when));
  return w;
}

int64_t goc__run_all_timers(int64_t now) {
  int64_t w = INT64_MAX;
  for (int32_t i = 0, n = goc__nallp(); i < n; i++)
    w = goc__min64(w, goc__run_timers(goc__allp(i), now));
  return w;
}

/* sched.lock held (checkdead). True if some pending timer may wake
 * someone when it fires (time_chan.c). */
bool goc__timers_waited(void) {
  bool waited = false;
  for (int32_t i = 0, n = goc__nallp(); i < n && !waited; i++) {
    goc_p *p = goc__allp(i);
    if (atomic_load(&p->timer0when) == INT64_MAX) continue;
    goc__rt_lock(&p->timerlock);
    for (int32_t k = 0; k < p->ntimers && !waited; k++)
      waited = goc__timer_waited(p->timers[k]);
    goc__rt_unlock(&p->timerlock);
  }
  return waited;
}

int32_t goc__timers_count(void) {
  int32_t n = 0;
  for (int32_t i = 0, all = goc__nallp(); i < all; i++) {
    goc_p *p = goc__allp(i);
    goc__rt_lock(&p->timerlock);
    n += p->ntimers;
    goc__rt_unlock(&p->timerlock);
  }
  return n;
}
