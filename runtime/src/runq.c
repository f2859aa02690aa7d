/* runq.c — per-P lock-free run queues and the global run queue (Go's
 * runqput/runqget/runqgrab/runqsteal, globrunqput/globrunqget).
 *
 * Invariants:
 *   - runq is a ring of GOC_RUNQ_SIZE; tail is written only by the owner
 *     (store-release after filling the slot); head advances by CAS from the
 *     owner (runqget) and from thieves (runqgrab), so a slot is consumed once.
 *   - 0 <= tail - head <= GOC_RUNQ_SIZE at every instant.
 *   - runnext holds the G most recently readied by the P's running G; it
 *     runs next, inheriting the time slice (Go's behaviour). Only the owner
 *     stores a G there; thieves take it with CAS to NULL, and so does the
 *     owner's runqget.
 *   - After a park or an end, the owner takes it without a locked
 *     instruction (goc__runnext_take; the CAS was one of a channel
 *     hand-off's five): it claims g (runnext_taking = g), then, with only
 *     a compiler fence, loads runnext_thief and runnext again; if no thief
 *     is marked and g is still there, it stores NULL and g is its own.
 *     A thief (runnext_steal) marks runnext_thief (CAS 0 -> 1: one thief
 *     at a time), runs membarrier(PRIVATE_EXPEDITED) when the P is
 *     running, then CASes g out only if runnext_taking is not g, and
 *     clears the mark. The barrier makes the owner's compiler fence a
 *     full one, so of the claim and the mark at least one side sees the
 *     other's: either the owner sees the mark and decides by CAS, as the
 *     thieves do (a CAS against a CAS: one wins), or the thief sees the
 *     claim and leaves g. A thief that took g before the owner's claim
 *     has made runnext NULL, which the owner's second load sees (the
 *     thief clears its mark with release after its CAS; a load of 0 that
 *     does not see that clear came before the mark, so the barrier case
 *     holds). The owner's plain NULL store can thus only overwrite its own
 *     g, and its claim is cleared (release) after it, so a thief that
 *     reads the claim cleared sees runnext NULL. A P that is not running
 *     needs no barrier: its last owner's stores precede its status store,
 *     and the next owner stores the status seq_cst (acquirep, the CASes
 *     of syscall exit and reacquire) before it takes, so it sees the
 *     mark. Without the expedited barrier runnext_thief is GOC_RUNNEXT_CAS
 *     for good (goc__newp) and both sides CAS.
 *   - A thief takes from a running P only what its owner would not reach
 *     soon (runqgrab waits a moment and compares): a steal is never
 *     needed for progress, since the owner runs its whole queue anyway and
 *     every G it readies wakes an M or is watched by one (sched.c). An
 *     owner that took its ring's last G (drainedtick, owner-written)
 *     since the last idle M's look (thief_drained, written by thieves and
 *     the watcher) or during the wait keeps up with its queue: its Gs are
 *     left to it.
 *   - The global queue is a FIFO linked through g->schedlink, guarded by
 *     sched.lock; runqsize is also readable without the lock (a hint).
 */
#include <sched.h>
#include <unistd.h>
#include "proc.h"

/* Moves half of p's queue plus g to the global queue. Owner only. */
static bool runqputslow(goc_p *p, goc_g *g, uint32_t h, uint32_t t) {
  goc_g *batch[GOC_RUNQ_SIZE / 2 + 1];
  uint32_t n = (t - h) / 2;
  if (n != GOC_RUNQ_SIZE / 2) goc__throw("runqputslow: queue is not full");
  for (uint32_t i = 0; i < n; i++)
    batch[i] = atomic_load_explicit(&p->runq[(h + i) % GOC_RUNQ_SIZE],
                                    memory_order_relaxed);
  if (!atomic_compare_exchange_strong_explicit(&p->runqhead, &h, h + n,
                                               memory_order_release,
                                               memory_order_relaxed))
    return false;
  batch[n] = g;
  for (uint32_t i = 0; i < n; i++) batch[i]->schedlink = batch[i + 1];
  batch[n]->schedlink = NULL;
  goc__rt_lock(&goc__sched.lock);
  goc__globrunqputbatch(batch[0], batch[n], (int32_t)n + 1);
  goc__rt_unlock(&goc__sched.lock);
  return true;
}

/* Owner only. next: put g in runnext, kicking the old runnext to the tail.
 * Returns how many Gs the ring holds now, as far as the owner knows (0 if
 * nothing went to the ring): go_start's hint. */
uint32_t goc__runqput(goc_p *p, goc_g *g, bool next) {
  if (next) {
    /* Only the owner makes runnext non-NULL (thieves CAS a G to NULL), so
     * an empty runnext stays empty until this store: no locked exchange. */
    goc_g *old = atomic_load_explicit(&p->runnext, memory_order_relaxed);
    if (old == NULL) {
      atomic_store_explicit(&p->runnext, g, memory_order_release);
      return 0;
    }
    old = atomic_exchange(&p->runnext, g);
    if (old == NULL) return 0;
    g = old;
  }
  for (;;) {
    uint32_t h = atomic_load_explicit(&p->runqhead, memory_order_acquire);
    uint32_t t = atomic_load_explicit(&p->runqtail, memory_order_relaxed);
    if (t - h < GOC_RUNQ_SIZE) {
      atomic_store_explicit(&p->runq[t % GOC_RUNQ_SIZE], g,
                            memory_order_relaxed);
      atomic_store_explicit(&p->runqtail, t + 1, memory_order_release);
      return t + 1 - h;
    }
    if (runqputslow(p, g, h, t)) return GOC_RUNQ_SIZE - GOC_RUNQ_SIZE / 2;
  }
}

/* Owner only. runnext first (*inherit: it keeps the time slice), then the
 * ring head. */
goc_g *goc__runqget(goc_p *p, bool *inherit) {
  goc_g *next = atomic_load(&p->runnext);
  if (next && atomic_compare_exchange_strong(&p->runnext, &next, NULL)) {
    goc__runnext_taken(p);
    *inherit = true;
    return next;
  }
  *inherit = false;
  for (;;) {
    uint32_t h = atomic_load_explicit(&p->runqhead, memory_order_acquire);
    uint32_t t = atomic_load_explicit(&p->runqtail, memory_order_relaxed);
    if (t == h) return NULL;
    goc_g *g = atomic_load_explicit(&p->runq[h % GOC_RUNQ_SIZE],
                                    memory_order_relaxed);
    if (atomic_compare_exchange_strong_explicit(&p->runqhead, &h, h + 1,
                                                memory_order_release,
                                                memory_order_relaxed)) {
      if (h + 1 == t)
        atomic_store_explicit(&p->drainedtick,
                              atomic_load_explicit(&p->drainedtick, memory_order_relaxed) + 1,
                              memory_order_relaxed);
      return g;
    }
  }
}

/* Any M but p's owner: takes g from p's runnext, against the owner's
 * goc__runnext_take (the file's invariants). Fails when another thief is
 * at it: the G is left to that one. */
static bool runnext_steal(goc_p *p, goc_g *g) {
  uint32_t z = 0;
  if (!atomic_compare_exchange_strong(&p->runnext_thief, &z, 1)) {
    if (z != GOC_RUNNEXT_CAS) return false;
    return atomic_compare_exchange_strong(&p->runnext, &g, NULL);   /* the owner CASes too */
  }
  bool won = false;
  /* Not running: whoever makes p RUNNING next stores its status seq_cst
   * (a full fence) and then sees the mark. Running: the barrier. */
  if (atomic_load(&p->status) != GOC_P_RUNNING || goc__heavy_barrier_expedited()) {
    if (atomic_load_explicit(&p->runnext_taking, memory_order_acquire) != g)
      won = atomic_compare_exchange_strong(&p->runnext, &g, NULL);
  }
  atomic_store_explicit(&p->runnext_thief, 0, memory_order_release);
  return won;
}

/* Any M. Grabs half of p's queue into batch[bh..] (a ring). */
static uint32_t runqgrab(goc_p *p, _Atomic(goc_g *) *batch, uint32_t bh,
                         bool stealnext) {
  bool waited = false;
  for (;;) {
    uint32_t h = atomic_load_explicit(&p->runqhead, memory_order_acquire);
    uint32_t t = atomic_load_explicit(&p->runqtail, memory_order_acquire);
    uint32_t n = t - h;
    if (n != 0 && n <= GOC_RUNQ_SIZE && !waited &&
        atomic_load(&p->status) == GOC_P_RUNNING) {
      /* Take only Gs the owner would not reach soon: wait a moment (as
       * for runnext below), and leave them if it got through at least as
       * many meanwhile as are left, or emptied its ring since the last
       * look or meanwhile. Gs that run for a few dozen nanoseconds each
       * (spawn_single) cost far more to move, made on one CPU, run and
       * freed on the other, than to run where they are. The comparison
       * alone took them whenever the wait fell in a spawner's making of
       * its next batch (nothing consumed meanwhile): 1,500 steals, 80,000
       * Gs of a million, at P=2; with the drain test 9-33 steals. */
      uint32_t d = atomic_load_explicit(&p->drainedtick, memory_order_relaxed);
      bool drained = d != atomic_load_explicit(&p->thief_drained, memory_order_relaxed);
      usleep(3);
      waited = true;
      uint32_t h2 = atomic_load_explicit(&p->runqhead, memory_order_acquire);
      uint32_t t2 = atomic_load_explicit(&p->runqtail, memory_order_acquire);
      uint32_t d2 = atomic_load_explicit(&p->drainedtick, memory_order_relaxed);
      atomic_store_explicit(&p->thief_drained, d2, memory_order_relaxed);
      if (drained || d2 != d || t2 - h2 <= h2 - h) return 0;
      continue;
    }
    n = n - n / 2;
    if (n == 0) {
      if (stealnext) {
        goc_g *next = atomic_load(&p->runnext);
        if (next) {
          /* The owner likely readied it and is about to run it: give it a
           * moment, as Go does (usleep(3)), and leave it if the owner took
           * a runnext G meanwhile. The CAS alone cannot tell: a spawn
           * chain's or a hand-off pair's runnext alternates between two
           * Gs, and it took the stream's G from its P a quarter of the
           * time. */
          uint32_t tick = atomic_load_explicit(&p->nexttick, memory_order_relaxed);
          if (atomic_load(&p->status) == GOC_P_RUNNING) {
            usleep(3);
            if (atomic_load_explicit(&p->nexttick, memory_order_relaxed) != tick) return 0;
          }
          /* Gone: the owner runs its readied Gs itself. Looking again
           * slept 3 us on every new one while a pair handed off on that
           * P (a thousand sleeps a run of chan_sync at P=2). */
          if (!runnext_steal(p, next)) return 0;
          atomic_store_explicit(&batch[bh % GOC_RUNQ_SIZE], next,
                                memory_order_relaxed);
          return 1;
        }
      }
      return 0;
    }
    if (n > GOC_RUNQ_SIZE / 2) continue;   /* inconsistent h, t: retry */
    for (uint32_t i = 0; i < n; i++) {
      goc_g *g = atomic_load_explicit(&p->runq[(h + i) % GOC_RUNQ_SIZE],
                                      memory_order_relaxed);
      atomic_store_explicit(&batch[(bh + i) % GOC_RUNQ_SIZE], g,
                            memory_order_relaxed);
    }
    if (atomic_compare_exchange_strong_explicit(&p->runqhead, &h, h + n,
                                                memory_order_release,
                                                memory_order_relaxed))
      return n;
  }
}

/* p owned by the caller; victim any P. Returns one G, queues the rest. */
goc_g *goc__runqsteal(goc_p *p, goc_p *victim, bool stealnext) {
  uint32_t t = atomic_load_explicit(&p->runqtail, memory_order_relaxed);
  uint32_t n = runqgrab(victim, p->runq, t, stealnext);
  if (n == 0) return NULL;
  n--;
  goc_g *g = atomic_load_explicit(&p->runq[(t + n) % GOC_RUNQ_SIZE],
                                  memory_order_relaxed);
  if (n == 0) return g;
  /* The stolen Gs were made, or last ran, on the victim's CPU: fetch them
   * all at once rather than one miss per G as each comes to run. */
  for (uint32_t i = 0; i <= n; i++) {
    goc_g *s = atomic_load_explicit(&p->runq[(t + i) % GOC_RUNQ_SIZE], memory_order_relaxed);
    __builtin_prefetch(s, 1);
    __builtin_prefetch((char *)s + 64, 1);
  }
  uint32_t h = atomic_load_explicit(&p->runqhead, memory_order_acquire);
  if (t - h + n >= GOC_RUNQ_SIZE) goc__throw("runqsteal: runq overflow");
  atomic_store_explicit(&p->runqtail, t + n, memory_order_release);
  return g;
}

/* Any M; a snapshot. */
bool goc__runqempty(goc_p *p) {
  for (;;) {
    uint32_t h = atomic_load(&p->runqhead);
    uint32_t t = atomic_load(&p->runqtail);
    goc_g *next = atomic_load(&p->runnext);
    if (t == atomic_load(&p->runqtail)) return h == t && next == NULL;
  }
}

/* sched.lock held. */
void goc__globrunqput(goc_g *g) {
  g->schedlink = NULL;
  goc__globrunqputbatch(g, g, 1);
}

/* sched.lock held; head..tail linked through schedlink, tail's is NULL. */
void goc__globrunqputbatch(goc_g *head, goc_g *tail, int32_t n) {
  tail->schedlink = NULL;
  if (goc__sched.runqtail) goc__sched.runqtail->schedlink = head;
  else goc__sched.runqhead = head;
  goc__sched.runqtail = tail;
  atomic_fetch_add(&goc__sched.runqsize, n);
}

/* sched.lock held. Takes one G and up to a fair share more (at most max,
 * if max > 0, and half a local queue) off the global queue: returns the
 * one, and the others as a list in *rest for goc__runqputlist once the
 * lock is released (each runqput is a release store on the P's queue, and
 * with the lock held the other Ps queued up behind it). */
goc_g *goc__globrunqget(int32_t max, goc_g **rest) {
  *rest = NULL;
  int32_t size = atomic_load(&goc__sched.runqsize);
  if (size == 0) return NULL;
  int32_t n = size / goc__maxprocs() + 1;
  if (n > size) n = size;
  if (max > 0 && n > max) n = max;
  if (n > GOC_RUNQ_SIZE / 2) n = GOC_RUNQ_SIZE / 2;
  atomic_fetch_sub(&goc__sched.runqsize, n);
  goc_g *g = goc__sched.runqhead, *last = g;
  for (int32_t i = 1; i < n; i++) last = last->schedlink;
  goc__sched.runqhead = last->schedlink;
  if (!goc__sched.runqhead) goc__sched.runqtail = NULL;
  last->schedlink = NULL;
  *rest = g->schedlink;
  return g;
}

/* Owner only; at most GOC_RUNQ_SIZE / 2 Gs through schedlink. */
void goc__runqputlist(goc_p *p, goc_g *list) {
  while (list) {
    goc_g *next = list->schedlink;
    goc__runqput(p, list, false);
    list = next;
  }
}
