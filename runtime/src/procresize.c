/* procresize.c — the number of Ps while running: goc_set_maxprocs, Go's
 * runtime.GOMAXPROCS (procresize).
 *
 * Go stops the world and then resizes allp. Here nothing stops the world
 * (an M running plain C code cannot be stopped, only left without its P,
 * see proc.h), so a resize is a change of gomaxprocs under sched.lock, and
 * each P at or above the new count is retired by whoever has it then:
 *   - idle, or in syscall state, or detached by the monitor: the resizer
 *     takes it as the monitor's retake does (CAS SYSCALL/DETACHED -> IDLE);
 *   - held by an M: that M, at its next schedule point or when it gives
 *     the P up (pidleput). Its G is asked to yield as for a time slice.
 * The resizer waits until every retired P is RETIRED, so once
 * goc_set_maxprocs returns no G runs on one (as after Go's stop-the-world).
 * A caller whose own P is retired gives it up and waits for a live one, as
 * an M back from a system call whose P was retaken.
 *
 * Invariants:
 *   - Ps are made on demand and never freed or moved; nallp only grows.
 *     Walks that must lose nothing (timers, checkdead's run queues, the
 *     monitor's retake) cover allp[0..nallp); those that hand out or steal
 *     work cover the live allp[0..gomaxprocs).
 *   - gomaxprocs and the idle list change together, under sched.lock: the
 *     idle list holds live Ps only, so pidleget never returns a retired P.
 *   - A RETIRED P is drained and owned by nobody: no run queue, runnext,
 *     timers or caches; only a resize that makes it live again touches it.
 *   - Timers are added to live Ps only, checked under the heap's lock
 *     (timer.c): a drain takes that lock after the count changed, so it
 *     sees every timer added before, and none is added after.
 */
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "proc.h"

goc_p *goc__newp(int32_t id) {
  goc_p *p = aligned_alloc(64, (sizeof(goc_p) + 63) / 64 * 64);
  if (!p) goc__throw("out of memory allocating a P");
  memset(p, 0, sizeof *p);
  p->id = id;
  goc__timers_init(p);
  /* runq.c: without the expedited barrier the owner CASes runnext */
  if (!goc__heavy_barrier_expedited_ok()) atomic_store(&p->runnext_thief, GOC_RUNNEXT_CAS);
  atomic_store(&p->status, GOC_P_RETIRED);
  return p;
}

/* sched.lock held; p is retired and unowned (nobody else touches its
 * local state; thieves that read the old count may still take from its
 * run queue, which runqget allows). */
void goc__p_retire(goc_p *p) {
  goc_g *head = NULL, *tail = NULL;
  int32_t n = 0;
  bool inherit;
  for (goc_g *g; (g = goc__runqget(p, &inherit)) != NULL; n++) {
    g->schedlink = NULL;
    if (tail) tail->schedlink = g;
    else head = g;
    tail = g;
  }
  if (n) goc__globrunqputbatch(head, tail, n);
  goc__timers_move(p, goc__allp(p->id % goc__maxprocs()));
  goc__gfree_flush(p);
  goc__chunk_cache_drain(p);
  p->goidcache = p->goidcacheend = 0;   /* ids need not be dense */
  p->m = NULL;
  atomic_store(&p->owner, NULL);
  atomic_store(&p->curg, NULL);
  atomic_store(&p->status, GOC_P_RETIRED);
}

/* sched.lock held. Retires the retired Ps nobody runs and asks the Gs on
 * the others to yield. Returns how many are not RETIRED yet. */
static int32_t collect_retired(void) {
  goc_sched *s = &goc__sched;
  int32_t n = goc__maxprocs(), left = 0;
  for (goc_p **pp = &s->pidle; *pp;) {
    goc_p *p = *pp;
    if (p->id < n) {
      pp = &p->link;
      continue;
    }
    *pp = p->link;
    atomic_fetch_sub(&s->npidle, 1);
    goc__p_retire(p);
  }
  for (int32_t i = n, all = goc__nallp(); i < all; i++) {
    goc_p *p = goc__allp(i);
    int st = atomic_load(&p->status);
    if (st == GOC_P_RETIRED) continue;
    if ((st == GOC_P_SYSCALL || st == GOC_P_DETACHED) &&
        atomic_compare_exchange_strong(&p->status, &st, GOC_P_IDLE)) {
      goc__p_retire(p);
      continue;
    }
    /* Held by an M (or on its way to one): a stale G is harmless, G
     * memory is never freed. */
    goc_g *g = atomic_load(&p->curg);
    if (g) __atomic_store_n(&g->h.preempt, 1, __ATOMIC_RELAXED);
    left++;
  }
  return left;
}

/* sched.lock held. */
static void grow_locked(int32_t n) {
  goc_sched *s = &goc__sched;
  for (int32_t i = goc__nallp(); i < n; i++) {
    atomic_store_explicit(&s->allp[i], goc__newp(i), memory_order_release);
    atomic_store_explicit(&s->nallp, i + 1, memory_order_release);
  }
  int32_t old = goc__maxprocs();
  atomic_store(&s->gomaxprocs, n);
  for (int32_t i = n - 1; i >= old; i--) {   /* the lowest ids first */
    goc_p *p = goc__allp(i);
    int st = GOC_P_RETIRED;
    /* Not RETIRED: a shrink before this grow had not got it back from its
     * M yet, which now simply keeps it. */
    if (atomic_compare_exchange_strong(&p->status, &st, GOC_P_IDLE)) goc__pidleput(p);
  }
}

/* At start-up, before any M: n live Ps. */
void goc__procs_init(int32_t n) {
  goc__rt_lock(&goc__sched.lock);
  grow_locked(n);
  goc__rt_unlock(&goc__sched.lock);
}

/* The calling M holds p, retired, inside a G's step: it gives p up and
 * runs the G on a live P from now on. */
static void leave_retired_p(goc_m *m) {
  goc_g *g = atomic_load(&m->curg);
  atomic_store(&m->p->curg, NULL);
  goc_p *p = goc__releasep();
  goc__rt_lock(&goc__sched.lock);
  goc__pidleput(p);   /* retires it, unless a grow made it live again */
  goc__rt_unlock(&goc__sched.lock);
  goc__acquire_any_p(m, "resize");
  if (g) atomic_store(&m->p->curg, g);
}

int goc_set_maxprocs(int n) {
  goc__plain_thread_touch();
  goc__runtime_init();
  goc_sched *s = &goc__sched;
  goc__lockp();   /* the caller's P is not retaken meanwhile */
  goc__rt_lock(&s->lock);
  int32_t old = goc__maxprocs();
  if (n > GOC_MAXPROCS_LIMIT) n = GOC_MAXPROCS_LIMIT;
  if (n <= 0 || n == old) {   /* Go: n < 1 only reads */
    goc__rt_unlock(&s->lock);
    goc__unlockp();
    return old;
  }
  if (n > old) {
    grow_locked(n);
  } else {
    atomic_store(&s->gomaxprocs, n);
    collect_retired();   /* the idle list with the count, under one lock */
  }
  goc__rt_unlock(&s->lock);
  if (n < old) {
    for (int spins = 0;; spins++) {
      /* Checked every round: a concurrent shrink may retire it later. */
      goc_m *m = goc__tls_m;
      if (m && m->p && goc__p_retired(m->p)) leave_retired_p(m);
      goc__rt_lock(&s->lock);
      int32_t left = collect_retired();
      goc__rt_unlock(&s->lock);
      if (!left) break;
      if (spins < 50) {
        sched_yield();
      } else {
        struct timespec ts = {0, 50 * 1000};
        nanosleep(&ts, NULL);
      }
    }
  }
  /* Gs moved to the global queue, or new idle Ps: someone should look. */
  goc__wakep();
  goc__unlockp();
  return old;
}
