/* sched.c — the scheduler loop: find a runnable G, step it, and act on how
 * it stopped (done, trampoline, preempted, parked). Also Ms going idle and
 * waking (wakep/startm/stopm), P hand-off, system-call state and readying.
 *
 * Invariants:
 *   - An M steps a G only while it holds a P (m->p), except in syscall
 *     state (goc_syscall_enter / goc__block_thread_enter), when the G's
 *     plain C code runs without one and the P may be handed off.
 *   - A park is committed only here, after the step chain returned
 *     GOC_SUSPEND: status becomes GWAITING, then commit(g, arg) runs, and
 *     from then on any thread may goc__ready(g) (goc_abi.h, park.h).
 *   - nmspinning counts Ms with m->spinning; a spinning M that finds work
 *     stops spinning and calls wakep() so the search goes on (Go's
 *     resetspinning). At most one M blocks in netpoll (sched.polling).
 *   - A G readied or started into an empty runnext of a P whose ring is
 *     empty (a lone G) still wakes an idle P, as Go's ready and newproc
 *     do, unless an idle M watches (below): its readier may compute on
 *     instead of parking, and the G must start on the idle P within a
 *     fraction of a millisecond, not when the monitor next looks (up to
 *     10 ms while it is idle: measured, a G started by one that then
 *     computed waited 2.4 ms on average, 8.7 ms at worst, with the wake
 *     left out). In a hand-off or a spawn chain the woken M finds
 *     nothing: a spinning M's last look before it sleeps skips a running
 *     P's lone G, which runs there as soon as the running G stops. That M
 *     then watches instead of stopping (idle_m): it sleeps GOC_WATCH_NS at
 *     a time and steals a lone G that sat a whole watch in an owner that
 *     took no runnext G meanwhile, or ring Gs of an owner that did not
 *     empty its ring meanwhile, so the stream's readies and starts wake
 *     nobody: while an M watches, no G readied or started into a running
 *     P's queue wakes an M (goc__wakep_next), and a spinning M's last
 *     look skips running Ps altogether (their Gs are the watcher's).
 *     The monitor also wakes an M for a lone G still there after a
 *     whole round (sysmon.c), a preempted G wakes one when requeued, and
 *     so does a G entering syscall state with one on its P; a P handed
 *     off with one gets an M (handoffp).
 *   - An M that returns from syscall state and lost its P waits for one
 *     (sched.pwait): its C stack holds the G's step, so the G cannot move.
 *     Such an M comes first: a P that is handed off or put idle goes to it,
 *     and an M at a schedule point gives its P to it and stops, so it gets
 *     a P within a scheduling slice even if no P ever goes idle (hogs).
 *   - Deadlock is checked when the last M goes idle (checkdead).
 *   - An M holding a retired P (goc_set_maxprocs shrank the count,
 *     procresize.c) runs no new G on it: at its schedule points it gives
 *     the P up (pidleput retires it) and takes a live one or stops.
 *   - An M whose P was retaken while it ran plain C code (m->detached, see
 *     proc.h) gets a P back at its next runtime entry, before it touches
 *     P-local state: goc__m_check / goc__lockp, and here after every step.
 */
#include <sched.h>
#include <stdlib.h>
#include "chan.h"
#include "proc.h"
#include "trace.h"
#include "blockprof.h"
#include "cputicks.h"

__attribute__((noreturn)) void goc__main_done(goc_g *g);   /* main.c */

/* ---- P ownership ------------------------------------------------------ */

/* The calling M must hold no P; p is not owned. */
void goc__acquirep(goc_p *p) {
  goc_m *m = goc__tls_m;
  if (m->p) goc__throw("acquirep: already holding a P");
  m->p = p;
  p->m = m;
  atomic_store(&p->status, GOC_P_RUNNING);
  atomic_store(&p->owner, m);
}

/* The calling M holds a P; returns it unowned. */
goc_p *goc__releasep(void) {
  goc_m *m = goc__tls_m;
  goc_p *p = m->p;
  m->p = NULL;
  p->m = NULL;
  atomic_store(&p->owner, NULL);
  atomic_store(&p->status, GOC_P_IDLE);
  return p;
}

/* sched.lock held. Gives p to an M waiting after a syscall, else idles it;
 * a retired p is retired instead. */
void goc__pidleput(goc_p *p) {
  if (__builtin_expect(p->id >= goc__maxprocs(), 0)) {
    goc__p_retire(p);
    return;
  }
  goc_m *w = goc__sched.pwait;
  if (w) {
    goc__sched.pwait = w->link;
    atomic_fetch_sub(&goc__sched.npwait, 1);
    w->nextp = p;
    goc__note_wakeup(&w->park);
    return;
  }
  p->link = goc__sched.pidle;
  goc__sched.pidle = p;
  atomic_fetch_add(&goc__sched.npidle, 1);
}

/* sched.lock held. */
goc_p *goc__pidleget(void) {
  goc_p *p = goc__sched.pidle;
  if (p) {
    goc__sched.pidle = p->link;
    atomic_fetch_sub(&goc__sched.npidle, 1);
  }
  return p;
}

/* ---- M parking ---------------------------------------------------------- */

/* sched.lock not held. Runs p (or an idle P) on an idle or new M. If
 * spinning, the caller has already counted it in nmspinning. */
void goc__startm(goc_p *p, bool spinning) {
  goc__rt_lock(&goc__sched.lock);
  if (!p) {
    p = goc__pidleget();
    if (!p) {
      goc__rt_unlock(&goc__sched.lock);
      if (spinning) atomic_fetch_sub(&goc__sched.nmspinning, 1);
      return;
    }
  }
  goc_m *m = goc__sched.midle;
  if (m) {
    goc__sched.midle = m->link;
    goc__sched.nmidle--;
  }
  goc__rt_unlock(&goc__sched.lock);
  if (!m) {
    goc__newm(p, spinning);
    return;
  }
  m->spinning = spinning;
  m->nextp = p;
  goc__note_wakeup(&m->park);
}

/* Any thread. Starts a spinning M if there is an idle P and none spins. */
void goc__wakep(void) {
  if (atomic_load(&goc__sched.npidle) == 0) return;
  int32_t z = 0;
  if (atomic_load(&goc__sched.nmspinning) != 0 ||
      !atomic_compare_exchange_strong(&goc__sched.nmspinning, &z, 1))
    return;
  goc__startm(NULL, true);
}

/* The calling M holds no P. Parks it until startm hands it a P. */
static void stopm(goc_m *m) {
  goc__rt_lock(&goc__sched.lock);
  m->link = goc__sched.midle;
  goc__sched.midle = m;
  goc__sched.nmidle++;
  goc__checkdead();
  goc__rt_unlock(&goc__sched.lock);
  goc__note_sleep_m(&m->park);
  goc__note_clear(&m->park);
  goc_p *p = m->nextp;
  m->nextp = NULL;
  goc__acquirep(p);
}

/* stopm, but only until deadline: false, without a P, if nobody handed
 * it one by then. */
static bool stopm_until(goc_m *m, int64_t deadline) {
  goc__rt_lock(&goc__sched.lock);
  m->link = goc__sched.midle;
  goc__sched.midle = m;
  goc__sched.nmidle++;
  goc__rt_unlock(&goc__sched.lock);
  if (!goc__note_sleep_until_m(&m->park, deadline)) {
    goc__rt_lock(&goc__sched.lock);
    goc_m **pm = &goc__sched.midle;
    while (*pm && *pm != m) pm = &(*pm)->link;
    if (*pm) {
      *pm = m->link;
      goc__sched.nmidle--;
      goc__rt_unlock(&goc__sched.lock);
      return false;
    }
    goc__rt_unlock(&goc__sched.lock);
    goc__note_sleep_m(&m->park);   /* startm took it: its wake-up is coming */
  }
  goc__note_clear(&m->park);
  goc_p *p = m->nextp;
  m->nextp = NULL;
  goc__acquirep(p);
  return true;
}

/* ---- watching lone Gs ----------------------------------------------------
 * An M with nothing to do while a running P holds a lone G (the file's
 * invariants) watches instead of stopping: at most one at a time
 * (sched.nmwatch), it sleeps GOC_WATCH_NS at a time and looks again, so
 * the readier of a lone G need not wake it with a futex call (at P=2 a
 * spawn chain or a hand-off pair woke the idle M once every 1,500 Gs or
 * hand-offs, and it spun against the pair's P each time). A P holding a
 * lone G whose owner has taken no runnext G for a whole watch (nexttick)
 * is one whose readier computes on, and so is one with ring Gs that did
 * not empty its ring for a whole watch (drainedtick): the watcher takes
 * an idle P and steals the G, at most a watch and the thief's wait after it came. It
 * stops once a look finds no running P that holds a lone G or has taken
 * a runnext G since the look before (watch_look). Each look costs the
 * other CPU a timer wake-up (a spawn chain's task-clock at P=2: +25% of
 * the run with 50 us, +13% with 100 us). */
#define GOC_WATCH_NS (100 * GOC_MICROSECOND)
/* The watcher's last look per P. Atomic (relaxed) because another M's
 * first look reads it while a watcher that is about to stop may still be
 * writing it. */
static _Atomic uint32_t watch_tick[GOC_MAXPROCS_LIMIT];

/* Whether a running P holds a lone G, or (the watcher's looks, record)
 * took a runnext G since the last look; *stuck: one holding a lone G
 * whose owner has taken no runnext G since the last look. The watcher
 * records this look (record). A look that finds runnext empty in the
 * middle of a stream (a chain's G runs between the take and its go, a
 * hand-off pair's between two operations) is no reason to stop: stopped,
 * the watcher was woken by the stream's next lone G, a futex call on the
 * stream's own thread (spawn_chain at P=2: 130-300 a run, chan_sync
 * about 350). */
static bool watch_look(bool record, bool *stuck) {
  bool any = false;
  *stuck = false;
  for (int32_t i = 0, n = goc__maxprocs(); i < n; i++) {
    goc_p *p2 = goc__allp(i);
    goc_g *next = atomic_load_explicit(&p2->runnext, memory_order_acquire);
    uint32_t tick = atomic_load_explicit(&p2->nexttick, memory_order_relaxed);
    bool same = tick == atomic_load_explicit(&watch_tick[i], memory_order_relaxed);
    uint32_t drained = atomic_load_explicit(&p2->drainedtick, memory_order_relaxed);
    if (atomic_load(&p2->status) == GOC_P_RUNNING) {
      if (goc__runqlen(p2) != 0) {
        /* Ring Gs its owner has not caught up with since the last look
         * (it took no ring's last G) are stuck too. */
        any = true;
        if (record && drained == atomic_load_explicit(&p2->thief_drained, memory_order_relaxed))
          *stuck = true;
      } else if (next) {
        any = true;
        if (same) *stuck = true;
      } else if (record && !same) {
        any = true;
      }
    }
    if (record) {
      atomic_store_explicit(&watch_tick[i], tick, memory_order_relaxed);
      atomic_store_explicit(&p2->thief_drained, drained, memory_order_relaxed);
    }
  }
  return any;
}

/* The calling M holds no P and found no work: stops, or watches while a
 * running P holds a lone G. Holds a P when it returns. */
static void idle_m(goc_m *m) {
  bool stuck;
  int32_t z = 0;
  if (goc__maxprocs() < 2 || atomic_load(&goc__sched.nmwatch) != 0 || !watch_look(false, &stuck) ||
      !atomic_compare_exchange_strong(&goc__sched.nmwatch, &z, 1)) {
    stopm(m);
    return;
  }
  (void)watch_look(true, &stuck);   /* the watcher's first snapshot */
  for (;;) {
    if (stopm_until(m, goc_now() + GOC_WATCH_NS)) {
      atomic_store(&goc__sched.nmwatch, 0);   /* startm handed it a P */
      return;
    }
    /* Without an idle P there is nothing to run a stolen G on: stop. */
    bool any = watch_look(true, &stuck) && atomic_load(&goc__sched.npidle) > 0;
    if (stuck) {
      goc__rt_lock(&goc__sched.lock);
      goc_p *p = goc__pidleget();
      goc__rt_unlock(&goc__sched.lock);
      if (p) {
        atomic_store(&goc__sched.nmwatch, 0);
        goc__acquirep(p);
        m->spinning = true;   /* findrunnable steals the stuck G */
        atomic_fetch_add(&goc__sched.nmspinning, 1);
        return;
      }
    }
    if (!any) {
      /* Unwatched from here: a lone G readied after the look below wakes
       * an M itself. */
      atomic_store(&goc__sched.nmwatch, 0);
      z = 0;
      if (!watch_look(false, &stuck) || atomic_load(&goc__sched.npidle) == 0 ||
          !atomic_compare_exchange_strong(&goc__sched.nmwatch, &z, 1)) {
        stopm(m);
        return;
      }
    }
  }
}

/* p is unowned (released by its M or retaken). Finds it a use: an M
 * waiting for a P first. */
void goc__handoffp(goc_p *p) {
  if (__builtin_expect(goc__p_retired(p), 0)) {
    goc__rt_lock(&goc__sched.lock);
    goc__pidleput(p);   /* retires it, unless it is live again */
    goc__rt_unlock(&goc__sched.lock);
    goc__wakep();       /* for its Gs, now on the global queue */
    return;
  }
  if (atomic_load(&goc__sched.npwait) > 0) {
    goc__rt_lock(&goc__sched.lock);
    if (goc__sched.pwait) {
      goc__pidleput(p);   /* to the waiter */
      goc__rt_unlock(&goc__sched.lock);
      return;
    }
    goc__rt_unlock(&goc__sched.lock);
  }
  if (!goc__runqempty(p) || atomic_load(&goc__sched.runqsize) > 0 ||
      atomic_load(&p->timer0when) != INT64_MAX) {
    goc__startm(p, false);
    return;
  }
  int32_t z = 0;
  if (atomic_load(&goc__sched.nmspinning) + atomic_load(&goc__sched.npidle) == 0 &&
      atomic_compare_exchange_strong(&goc__sched.nmspinning, &z, 1)) {
    goc__startm(p, true);
    return;
  }
  goc__rt_lock(&goc__sched.lock);
  if (atomic_load(&goc__sched.runqsize) > 0) {
    goc__rt_unlock(&goc__sched.lock);
    goc__startm(p, false);
    return;
  }
  goc__pidleput(p);
  goc__rt_unlock(&goc__sched.lock);
}

/* At a schedule point, m holds a retired P: gives it up (its Gs go to the
 * global queue) and takes an idle live P, or stops. */
static void drop_retired_p(goc_m *m) {
  goc_p *p = goc__releasep();
  goc__rt_lock(&goc__sched.lock);
  goc__pidleput(p);   /* retires it, unless a grow made it live again */
  p = goc__pidleget();
  goc__rt_unlock(&goc__sched.lock);
  if (p) {
    goc__acquirep(p);
    return;
  }
  if (m->spinning) {
    m->spinning = false;
    if (atomic_fetch_sub(&goc__sched.nmspinning, 1) <= 0)
      goc__throw("schedule: negative nmspinning");
  }
  stopm(m);
}

static void resetspinning(goc_m *m) {
  m->spinning = false;
  if (atomic_fetch_sub(&goc__sched.nmspinning, 1) <= 0)
    goc__throw("findrunnable: negative nmspinning");
  goc__wakep();
}

/* ---- finding work --------------------------------------------------------- */

static goc_g *stealwork(goc_m *m, goc_p *p, bool *inherit) {
  int32_t n = goc__maxprocs();
  *inherit = false;
  for (int i = 0; i < 4; i++) {
    bool last = i == 3;
    uint32_t start = goc__fastrand() % (uint32_t)n;
    for (int32_t k = 0; k < n; k++) {
      goc_p *p2 = goc__allp((int32_t)((start + (uint32_t)k) % (uint32_t)n));
      if (p2 == p) continue;
      if (last && atomic_load(&p2->timer0when) <= goc_now()) {
        goc__run_timers(p2, goc_now());
        goc_g *g = goc__runqget(p, inherit);
        if (g) return g;
      }
      if (!goc__runqempty(p2)) {
        goc_g *g = goc__runqsteal(p, p2, last);
        if (g) return g;
      }
    }
  }
  (void)m;
  return NULL;
}

/* Work on p2 that its owner will not get to soon: none on a running P,
 * whose owner runs its queue itself and whose stuck Gs the watcher steals
 * (idle_m). A G in runnext alone there is the one its running G just
 * readied or started, and it runs as soon as that G stops (a spinning M
 * that took its P back for it spun on, polling the lines that P writes on
 * every hand-off); ring Gs there are the ones runqgrab just left to an
 * owner that keeps up (a spawner's batch: spawn_single at P=2 took its P
 * back 900-1,500 times a run, each time spinning through four rounds of
 * 3 us waits, its looks and sched.lock's line costing the spawner's CPU
 * about a tenth of the run). */
static bool runnable_elsewhere(goc_p *p2) {
  if (atomic_load(&p2->status) == GOC_P_RUNNING) return false;
  return goc__runqlen(p2) != 0 || atomic_load(&p2->runnext) != NULL;
}

/* The caller won sched.polling; first: the earliest timer at its look
 * before. Publishes first as poll_until and returns when the wait must
 * end: never later than that (timer.c's wake_poller breaks the wait only
 * for a timer earlier than poll_until), so the second look at the heaps
 * only shortens it. Had the wait taken the second look's value, a timer
 * run between the looks (by the monitor or another M) left the poller in
 * epoll_wait(-1) while poll_until still named that timer, the next,
 * later one was added without a break, and only the monitor ran it, up
 * to 10 ms a time (select_after_no_false_deadlock took minutes, 1 run in
 * 10, with the poll and the monitor to the nanosecond). */
int64_t goc__poll_deadline(int64_t first) {
  atomic_store(&goc__sched.poll_until, first);
  return goc__min64(first, goc__timers_earliest());   /* one added meanwhile */
}

/* The calling M holds a P (and may lose it and get another). Blocks until
 * it finds a G. */
static goc_g *findrunnable(goc_m *m, bool *inherit) {
  goc_sched *s = &goc__sched;

top:;
  while (__builtin_expect(goc__p_retired(m->p), 0)) drop_retired_p(m);
  goc_p *p = m->p;
  *inherit = false;
  if (atomic_load(&p->timer0when) != INT64_MAX)
    goc__run_timers(p, goc_now());
  if (atomic_load(&p->schedtick) % 61 == 0 && atomic_load(&s->runqsize) > 0) {
    goc_g *rest;
    goc__rt_lock(&s->lock);
    goc_g *g = goc__globrunqget(1, &rest);
    goc__rt_unlock(&s->lock);
    if (g) return g;
  }
  goc_g *g = goc__runqget(p, inherit);
  if (g) return g;
  if (atomic_load(&s->runqsize) > 0) {
    goc_g *rest;
    goc__rt_lock(&s->lock);
    g = goc__globrunqget(0, &rest);
    goc__rt_unlock(&s->lock);
    goc__runqputlist(p, rest);
    if (g) return g;
  }
  if (atomic_load(&s->netpoll_waiters) > 0 && atomic_load(&s->polling) == 0) {
    if (goc__netpoll(0) > 0) goto top;
  }
  int32_t procs = goc__maxprocs();
  if (procs > 1 && (m->spinning || 2 * atomic_load(&s->nmspinning) <
                                       procs - atomic_load(&s->npidle))) {
    if (!m->spinning) {
      m->spinning = true;
      atomic_fetch_add(&s->nmspinning, 1);
    }
    g = stealwork(m, p, inherit);
    if (g) return g;
  }
  /* Nothing: give up the P. */
  goc__rt_lock(&s->lock);
  if (atomic_load(&s->runqsize) > 0) {
    goc_g *rest;
    g = goc__globrunqget(0, &rest);
    goc__rt_unlock(&s->lock);
    goc__runqputlist(p, rest);
    return g;
  }
  goc__releasep();
  goc__pidleput(p);
  goc__rt_unlock(&s->lock);
  if (m->spinning) {
    /* Work may have appeared between our last check and the release, and
     * whoever added it saw us spinning and did not wake anyone. */
    m->spinning = false;
    if (atomic_fetch_sub(&s->nmspinning, 1) <= 0)
      goc__throw("findrunnable: negative nmspinning");
    for (int32_t i = 0; i < procs; i++) {
      if (runnable_elsewhere(goc__allp(i)) || atomic_load(&s->runqsize) > 0) {
        goc__rt_lock(&s->lock);
        p = goc__pidleget();
        goc__rt_unlock(&s->lock);
        if (p) {
          goc__acquirep(p);
          m->spinning = true;
          atomic_fetch_add(&s->nmspinning, 1);
          goto top;
        }
        break;
      }
    }
  }
  /* Block in the netpoller until the next timer, or stop. */
  int64_t until = goc__timers_earliest();
  int32_t z = 0;
  if ((atomic_load(&s->netpoll_waiters) > 0 || until != INT64_MAX) &&
      atomic_compare_exchange_strong(&s->polling, &z, 1)) {
    until = goc__poll_deadline(until);
    int64_t now = goc_now();
    int64_t delay = until == INT64_MAX ? -1 : (until > now ? until - now : 0);
    goc__netpoll(delay);
    atomic_store(&s->lastpoll, goc_now());
    atomic_store(&s->poll_until, INT64_MAX);
    atomic_store(&s->polling, 0);
    goc__run_all_timers(goc_now());
    goc__rt_lock(&s->lock);
    p = goc__pidleget();
    goc__rt_unlock(&s->lock);
    if (p) {
      goc__acquirep(p);
      goto top;
    }
  }
  idle_m(m);
  goto top;
}

/* ---- running a G ---------------------------------------------------------- */

static void goexit(goc_m *m, goc_g *g) {
  goc__count_add(&m->p->ngended, 1);
  if (g == goc__main_gp) goc__main_done(g);
  if (g->x && g->x->is_sync) {
    atomic_store(goc__gstatus(g), GOC_GDEAD);
    goc__note_wakeup(&g->x->done_note);
    return;
  }
  atomic_store_explicit(goc__gstatus(g), GOC_GDEAD, memory_order_relaxed);
  goc__gfput(m->p, g);
}

/* After g's park is committed or g ended: the G it readied or started
 * into runnext, taken to run at once without a trip through goc__schedule
 * (which would find it first too), unless something a schedule point looks at before runnext is
 * pending: a retired P, an M waiting for a P, timers, the global queue. */
static inline __attribute__((always_inline)) goc_g *handoff_next(goc_p *p) {
  if (__builtin_expect(goc__p_retired(p), 0) ||
      atomic_load_explicit(&goc__sched.npwait, memory_order_relaxed) > 0 ||
      atomic_load_explicit(&p->timer0when, memory_order_relaxed) != INT64_MAX ||
      atomic_load_explicit(&goc__sched.runqsize, memory_order_relaxed) > 0)
    return NULL;
  goc_g *g = goc__runnext_take(p);
  if (g) goc__runnext_taken(p);
  return g;
}

static void execute(goc_m *m, goc_g *g, bool inherit) {
next_g:;
  goc_p *p = m->p;
  /* schedtick is written only by the P's owner; the monitor and dumps only
   * read these fields, so no store here needs to be sequentially
   * consistent (a locked instruction on x86). */
  if (!inherit)
    atomic_store_explicit(&p->schedtick,
                          atomic_load_explicit(&p->schedtick,
                                               memory_order_relaxed) + 1,
                          memory_order_relaxed);
  atomic_store_explicit(goc__gstatus(g), GOC_GRUNNING, memory_order_relaxed);
  goc__scan_check(g);   /* before any write to g's frames */
  g->wait_reason = GOC_WAIT_NONE;   /* a dump of it in a system call says "syscall" */
  atomic_store_explicit(&m->curg, g, memory_order_release);
  atomic_store_explicit(&p->curg, g, memory_order_release);
  goc__tls_g = g;
  GOC_TRACE(GOC_EV_RUN, g->id, p->id, g->h.top ? goc__frame_func(g->h.top) : NULL, NULL, 0);
  /* h.cdepth is 0 here: goc__call restores it around every step it makes,
   * and a G starts at 0 (galloc's memset) and ends at it. */
  for (;;) {
    goc_frame *top = g->h.top;
    goc__locks_add(m, -1);   /* user code: the P may be retaken (proc.h) */
    int r = top->fn->step(g, top);
    goc__locks_add(m, 1);
    atomic_signal_fence(memory_order_seq_cst);   /* store locks, then load detached */
    if (__builtin_expect(atomic_load_explicit(&m->detached, memory_order_relaxed), 0))
      goc__reacquirep_slow(m);   /* goc__m_check, with m at hand */
    if (r == GOC_DONE) {
      top = g->h.top;
      if (m->park_pending) goc__throw("goroutine parked but its step returned GOC_DONE");
      if (top->parent == NULL) {
        p = m->p;
        GOC_TRACE(GOC_EV_STOP, g->id, p->id, goc__frame_func(top), NULL, 0);
        GOC_TRACE(GOC_EV_END, g->id, p->id, NULL, NULL, 0);
        atomic_store_explicit(&p->curg, NULL, memory_order_relaxed);
        atomic_store_explicit(&m->curg, NULL, memory_order_relaxed);
        goc__tls_g = NULL;
        goexit(m, g);
        /* The G it started last (spawn_chain: every G starts the next and
         * ends) runs at once, as after a park. */
        if ((g = handoff_next(m->p)) != NULL) {
          inherit = true;
          goto next_g;
        }
        return;
      }
      g->h.top = top->parent;
      continue;
    }
    if (m->trampoline) {
      m->trampoline = false;
      if (__builtin_expect(g->x != NULL && g->x->goexit, 0)) goc__goexit_unwind(g);
      continue;
    }
    break;
  }
  p = m->p;   /* the step may have been in syscall state and changed P */
  GOC_TRACE(GOC_EV_STOP, g->id, p->id, g->h.top ? goc__frame_func(g->h.top) : NULL, NULL, 0);
  if (__builtin_expect(goc__trace_on, 0) && m->park_pending) {
    goc_frame *t = g->h.top;
    goc__trace_event(GOC_EV_BLOCK, g->id, p->id, goc__wait_reason_string(m->park_reason), t ? goc__frame_file(t) : NULL,
                     t ? t->line : 0);
  }
  atomic_store_explicit(&p->curg, NULL, memory_order_relaxed);
  atomic_store_explicit(&m->curg, NULL, memory_order_relaxed);
  goc__tls_g = NULL;
  if (m->park_pending) {
    goc_commit_fn commit = m->park_commit;
    void *arg = m->park_arg;
    m->park_pending = false;
    g->wait_reason = m->park_reason;
    g->wait_ms = goc__ms_monitor();
    /* Off, nothing: a stale stamp is older than goc__contention_since. On,
     * a wait no profile records is not stamped (the last ready cleared
     * the stamp, or it is stale). */
    if (__builtin_expect(goc__blockprof_on(), 0) && goc__blockprof_stamps(g->wait_reason))
      goc__gx(g)->wait_ticks = goc__cputicks();
    atomic_store_explicit(goc__gstatus(g), GOC_GWAITING, memory_order_release);
    /* A send's or receive's commit (every hand-off parks with it),
     * inline, with m at hand for the goc__unlockp that balances the
     * lock's goc__lockp. */
    if (commit == goc__chan_commit_unlock) {
      goc__chanunlock_keepp(&((goc_chan *)arg)->lock);
      goc__locks_add(m, -1);
    } else if (commit) {
      commit(g, arg);
    }
    if ((g = handoff_next(p)) != NULL) {
      inherit = true;
      goto next_g;
    }
  } else if (m->preempted) {
    m->preempted = false;
    GOC_TRACE(GOC_EV_REQUEUE, g->id, p->id, g->yielded ? "yield" : "preempted", NULL, 0);
    atomic_store(goc__gstatus(g), GOC_GRUNNABLE);
    if (m->preempt_local) {
      /* A spawner's yield: the Gs it made go first, then it, on this P
       * (no trip through sched.lock, which both Ps took for every such
       * yield in skynet). Like them it wakes nobody while an M watches:
       * a wakep here woke the watcher once a batch (128 Gs), 7,800 futex
       * calls a million Gs, and it spun against the spawner's P. */
      m->preempt_local = false;
      goc__runqput(p, g, false);
      goc__wakep_next(p);
      return;
    } else {
      goc__rt_lock(&goc__sched.lock);
      goc__globrunqput(g);
      goc__rt_unlock(&goc__sched.lock);
    }
    goc__wakep();   /* g, requeued, may run on an idle P */
  } else {
    goc__throw("goroutine suspended without parking, preemption or trampoline");
  }
}

/* At a schedule point (no G running): if an M waits for a P to finish a
 * step it began, it gets this one and this M stops. */
static void yield_p_to_waiter(goc_m *m) {
  goc__rt_lock(&goc__sched.lock);
  goc_m *w = goc__sched.pwait;
  if (!w) {
    goc__rt_unlock(&goc__sched.lock);
    return;
  }
  goc__sched.pwait = w->link;
  atomic_fetch_sub(&goc__sched.npwait, 1);
  w->nextp = goc__releasep();
  goc__note_wakeup(&w->park);
  goc__rt_unlock(&goc__sched.lock);
  if (m->spinning) {
    m->spinning = false;
    if (atomic_fetch_sub(&goc__sched.nmspinning, 1) <= 0)
      goc__throw("schedule: negative nmspinning");
  }
  stopm(m);
}

/* The calling thread is an M holding a P. Never returns. */
void goc__schedule(void) {
  goc_m *m = goc__tls_m;
  for (;;) {
    while (__builtin_expect(goc__p_retired(m->p), 0)) drop_retired_p(m);
    if (__builtin_expect(atomic_load_explicit(&goc__sched.npwait,
                                              memory_order_relaxed) > 0, 0))
      yield_p_to_waiter(m);
    bool inherit;
    goc_g *g = findrunnable(m, &inherit);
    if (m->spinning) resetspinning(m);
    if (__builtin_expect(goc__p_retired(m->p), 0)) {
      /* Shrunk while it looked: g runs on a live P. */
      goc__rt_lock(&goc__sched.lock);
      goc__globrunqput(g);
      goc__rt_unlock(&goc__sched.lock);
      continue;
    }
    execute(m, g, inherit);
  }
}

/* ---- the suspension protocol ----------------------------------------------- */

/* proc.h's goc__park_g when one of its checks failed: resolves a retake,
 * throws for a caller that is not the M's G or is already parking. */
void goc__park_g_checked(goc_g *g, goc_wait_reason reason, goc_commit_fn commit,
                         void *arg) {
  goc__m_check();
  goc_m *m = goc__tls_m;
  if (!m || g != goc__tls_g) goc__throw("goc__park_g: not the goroutine this thread runs");
  if (m->park_pending) goc__throw("goc__park_g: goroutine already parking");
  m->park_pending = true;
  m->park_reason = (uint8_t)reason;
  m->park_commit = commit;
  m->park_arg = arg;
}

/* g is the current G. */
void goc__trampoline(goc_g *g) {
  goc__m_check();
  (void)g;
  goc__tls_m->trampoline = true;
}

/* g is the current G. */
void goc__preempt(goc_g *g) {
  goc__m_check();
  /* Not an exchange (a locked instruction): a request the monitor makes
   * between the load and the store is one for the yield under way. */
  uint32_t why = __atomic_load_n(&g->h.preempt, __ATOMIC_RELAXED);
  __atomic_store_n(&g->h.preempt, 0, __ATOMIC_RELAXED);
  goc__tls_m->preempted = true;
  goc__tls_m->preempt_local = why == GOC_PREEMPT_SPAWNER;
}

/* goc__ready's body; p is the caller's P inside goc__lockp, or NULL. */
static inline __attribute__((always_inline)) void ready_on(goc_p *p, goc_g *g) {
  /* A load and a store, not a CAS: a parked G has one waker (whoever
   * dequeued its waiter under that object's lock, or won its select), so
   * nothing races this store; a locked instruction was a sixth of a
   * channel hand-off's cost. The check still catches a second ready. */
  if (atomic_load_explicit(goc__gstatus(g), memory_order_acquire) != GOC_GWAITING)
    goc__throw("goc__ready: goroutine is not waiting");
  /* release, as plain a store on x86: a goroutine listing that reads
   * GRUNNABLE then copies the frames the G wrote before it parked (gscan.c) */
  atomic_store_explicit(goc__gstatus(g), GOC_GRUNNABLE, memory_order_release);
  if (__builtin_expect(goc__blockprof_on(), 0)) goc__blockprof_ready(g);
  GOC_TRACE(GOC_EV_UNBLOCK, g->id, p ? p->id : -1, NULL, NULL, 0);
  if (p) {
    goc__runqput_next(p, g);
    goc__wakep_next(p);   /* see the file's invariants */
    return;
  } else {
    goc__rt_lock(&goc__sched.lock);
    goc__globrunqput(g);
    goc__rt_unlock(&goc__sched.lock);
  }
  goc__wakep();
}

/* Any thread; g's park is committed. Never blocks. */
void goc__ready(goc_g *g) {
  goc__plain_thread_touch();
  goc_p *p = goc__lockp();
  ready_on(p, g);
  goc__unlockp();
}

void goc__ready_lockedp(goc_m *m, goc_g *g) { ready_on(m->p, g); }

int goc_yield__async(goc_g *g) {
  if (g->yielded) {
    g->yielded = false;
    return 1;
  }
  g->yielded = true;
  goc__tls_m->preempted = true;
  return 0;
}

void goc_yield(void) {
  goc_m *m = goc__tls_m;
  if (m && goc__tls_g) {
    /* plain C called from a goroutine: nothing to suspend. */
  }
  sched_yield();
}

/* ---- system calls and blocked threads -------------------------------------- */

/* m->locks > 0 and m->detached was seen != 0: the monitor asked for the
 * M's P. Withdraws the request if it is still a request (the P stays the
 * M's: false). The monitor may have withdrawn it itself since (it saw the
 * M inside the runtime): detached is 0 again and the P is still the M's
 * (false; waiting here for the P to change hands would wait forever).
 * Else the monitor took it (true) and is making it P_DETACHED, which the
 * M waits for, so that from then on the P's status is the monitor's and
 * the others' to change. Clears m->detached. */
static bool p_taken(goc_m *m) {
  uint32_t d = GOC_DETACH_ASKED;
  if (atomic_compare_exchange_strong(&m->detached, &d, 0) || d == 0) return false;
  goc_p *p = m->p;
  while (atomic_load(&p->status) == GOC_P_RUNNING && atomic_load(&p->owner) == m)
    sched_yield();
  atomic_store(&m->detached, 0);
  return true;
}

/* The calling thread: an M running a G, or anything else (no-op). */
void goc_syscall_enter(void) {
  goc_m *m = goc__tls_m;
  goc_g *g = goc__tls_g;
  if (!m || !g) return;
  if (m->insyscall++ > 0) return;
  goc__locks_add(m, 1);
  atomic_signal_fence(memory_order_seq_cst);
  goc_p *p = m->p;
  g->wait_ms = goc__ms_monitor();   /* a dump's "[syscall, N ms]" */
  atomic_store(goc__gstatus(g), GOC_GSYSCALL);
  if (atomic_load_explicit(&m->detached, memory_order_relaxed) && p_taken(m)) {
    /* Already without a P (retaken in plain C code): exit takes one. */
    p = NULL;
  }
  m->oldp = p;
  m->p = NULL;
  atomic_fetch_add(&goc__sched.nsyscall, 1);
  if (p) {
    atomic_fetch_add(&p->syscalltick, 1);
    atomic_store(&p->status, GOC_P_SYSCALL);
  }
  atomic_signal_fence(memory_order_seq_cst);
  goc__locks_add(m, -1);
  GOC_TRACE(GOC_EV_SYSCALL, g->id, p ? p->id : -1, NULL, NULL, 0);
  /* A lone G g readied or started may have found an M spinning, which
   * skipped it while p was running (findrunnable's last look) and went to
   * sleep: without an M started for it here it waits for the call to
   * return or the monitor's retake. */
  if (p && atomic_load_explicit(&p->runnext, memory_order_relaxed)) goc__wakep();
}

/* The calling M holds no P (m->p == NULL): takes an idle one or waits. */
void goc__acquire_any_p(goc_m *m, const char *why) {
  int64_t t = __builtin_expect(goc__trace_on, 0) ? goc_now() : 0;
  goc__rt_lock(&goc__sched.lock);
  goc_p *p = goc__pidleget();
  if (!p) {
    m->link = goc__sched.pwait;
    goc__sched.pwait = m;
    atomic_fetch_add(&goc__sched.npwait, 1);
  }
  goc__rt_unlock(&goc__sched.lock);
  if (!p) {
    goc__note_sleep_m(&m->park);
    goc__note_clear(&m->park);
    p = m->nextp;
    m->nextp = NULL;
  }
  goc__acquirep(p);
  goc_g *g = atomic_load_explicit(&m->curg, memory_order_relaxed);
  if (__builtin_expect(goc__trace_on, 0) && g && t)
    goc__trace_event(GOC_EV_RESUME, g->id, p->id, g->h.top ? goc__frame_func(g->h.top) : NULL, why, goc_now() - t);
}

void goc__reacquirep_slow(goc_m *m) {
  goc__locks_add(m, 1);
  atomic_signal_fence(memory_order_seq_cst);
  if (!p_taken(m)) {
    goc__locks_add(m, -1);
    return;
  }
  goc_p *p = m->p;
  m->p = NULL;
  int st = GOC_P_DETACHED;
  /* A retired P is left to whoever retires it (the monitor, a resizer). */
  if (!goc__p_retired(p) && atomic_compare_exchange_strong(&p->status, &st, GOC_P_RUNNING)) {
    /* Nobody has handed it off yet (it may even be another detached M's
     * P: a P_DETACHED P is unused, whoever wins the CAS takes it). */
    m->p = p;
    p->m = m;
    atomic_store(&p->owner, m);
    goc_g *g = atomic_load_explicit(&m->curg, memory_order_relaxed);
    if (__builtin_expect(goc__trace_on, 0) && g)   /* dropped if its slice is still open there */
      goc__trace_event(GOC_EV_RESUME, g->id, p->id, g->h.top ? goc__frame_func(g->h.top) : NULL, "plain C", 0);
  } else {
    goc__acquire_any_p(m, "plain C");
  }
  goc_g *g = atomic_load(&m->curg);
  if (g) atomic_store(&m->p->curg, g);
  atomic_signal_fence(memory_order_seq_cst);
  goc__locks_add(m, -1);
}

void goc_syscall_exit(void) {
  goc_m *m = goc__tls_m;
  goc_g *g = goc__tls_g;
  if (!m || !g || m->insyscall == 0) return;
  if (--m->insyscall > 0) return;
  goc__locks_add(m, 1);
  atomic_signal_fence(memory_order_seq_cst);
  goc_p *p = m->oldp;
  m->oldp = NULL;
  atomic_fetch_sub(&goc__sched.nsyscall, 1);
  int st = GOC_P_SYSCALL;
  if (p && __builtin_expect(goc__p_retired(p), 0) &&
      atomic_compare_exchange_strong(&p->status, &st, GOC_P_IDLE)) {
    /* Retired while it was away: retire it now rather than run on it. */
    atomic_store(&p->owner, NULL);
    atomic_store(&p->curg, NULL);
    p->m = NULL;
    goc__handoffp(p);
    p = NULL;
  }
  st = GOC_P_SYSCALL;
  if (p && atomic_compare_exchange_strong(&p->status, &st, GOC_P_RUNNING)) {
    m->p = p;
  } else {
    /* The P was retaken: take an idle one or wait for one. */
    goc__acquire_any_p(m, "syscall");
  }
  atomic_store(&m->p->curg, g);
  atomic_store(goc__gstatus(g), GOC_GRUNNING);
  goc__scan_check(g);   /* before g's wait fields change (gscan.c) */
  atomic_signal_fence(memory_order_seq_cst);
  goc__locks_add(m, -1);
  GOC_TRACE(GOC_EV_SYSCALL_END, g->id, m->p->id, NULL, NULL, 0);
}

/* The calling thread is about to sleep on a note. */
void goc__block_thread_enter(goc_wait_reason reason) {
  goc_m *m = goc__tls_m;
  goc_g *g = goc__tls_g;
  if (!m || !g) return;
  g->wait_reason = reason;
  g->wait_ms = goc__ms_monitor();
  bool first = m->insyscall == 0;
  goc_syscall_enter();
  if (!first) return;
  goc_p *p = m->oldp;
  int st = GOC_P_SYSCALL;
  if (p && atomic_compare_exchange_strong(&p->status, &st, GOC_P_IDLE)) {
    GOC_TRACE(GOC_EV_HANDOFF, g->id, p->id, "blocked thread", NULL, m->id);   /* before the next run on p */
    atomic_store(&p->owner, NULL);
    atomic_store(&p->curg, NULL);
    p->m = NULL;
    goc__handoffp(p);
  }
}

void goc__block_thread_exit(void) {
  goc_m *m = goc__tls_m;
  goc_g *g = goc__tls_g;
  if (!m || !g) return;
  goc_syscall_exit();
  g->wait_reason = GOC_WAIT_NONE;
}
