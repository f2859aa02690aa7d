/* sysmon.c — the monitor thread (Go's sysmon). Runs without a P.
 *
 * Each round (20 us, doubling up to 10 ms while there is nothing to do;
 * a preempt flag set is not something to do, as in Go):
 *   - preemption: a P that has run the same G (same schedtick) for more
 *     than a 10 ms time slice gets that G's preempt flag set;
 *   - retake: a P left in syscall state (goc_syscall_enter) for a whole
 *     round is handed off (CAS P_SYSCALL -> P_IDLE), as Go's retake;
 *   - retake from plain C code: if the G did not honour the preempt flag
 *     for another time slice (it runs plain C code, or blocks in a system
 *     call outside goc_syscall_enter), its P is retaken without any signal
 *     (a signal would interrupt the user's system calls: EINTR, even with
 *     SA_RESTART for nanosleep, poll and the like; Go never signals a
 *     thread in a system call). The monitor asks the M (m->detached),
 *     runs membarrier(PRIVATE_EXPEDITED), which orders every running
 *     thread's memory accesses as a fence on each would, and reads
 *     m->locks: the M's entries into the runtime store locks then load
 *     detached, with only a compiler fence, so either the monitor sees the
 *     M inside the runtime (it withdraws and asks again next slice) or the
 *     M's next entry sees the request. Then ASKED -> TAKEN, P_RUNNING ->
 *     P_DETACHED, and here P_DETACHED -> P_IDLE and the P is handed off as
 *     for a syscall. The M keeps running its C code and gets a P back at
 *     its next runtime entry (goc__reacquirep_slow). Without membarrier
 *     (old kernels, seccomp) such Gs keep their P, as before Go 1.14;
 *   - a G left alone in a running P's runnext for a whole round (sched.c)
 *     gets an M woken for it;
 *   - timers that are due and not run by anyone (every P busy, or idle with
 *     no M polling) run here, TIMER_GRACE late; their Gs go to the global
 *     queue, and with every P busy the longest-running Gs, one more than
 *     there are Gs queued, are asked to yield, then the next-oldest each
 *     round the asks go unanswered. The sleep
 *     before a round ends when the earliest timer is TIMER_GRACE late (an M
 *     polling wakes for it instead, if there is one); running timers does
 *     not shorten the rounds (Go's sysmon does not run them at all);
 *   - netpoll, if no M has polled for 10 ms;
 *   - every 8 rounds, in goc__run_main mode with every M idle or polling,
 *     the deadlock check (panic.c);
 *   - GOC_DEBUG=schedtrace lines.
 * Invariant: sysmon touches only atomics of P and G (p->curg may be stale;
 * G memory is never freed, so a stale preempt store is harmless).
 */
#include <errno.h>
#include <signal.h>
#include <sched.h>
#include <stdint.h>
#include <linux/membarrier.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "proc.h"
#include "trace.h"

#define TIME_SLICE (10 * GOC_MILLISECOND)
/* How late a due timer may be before the monitor runs it instead of the
 * Ms: a P running Gs that park and wake runs its own at its next schedule
 * point, within microseconds. */
#define TIMER_GRACE (20 * GOC_MICROSECOND)

extern _Atomic int goc__sigquit;   /* dump.c */
void goc__sigquit_dump(void);
extern _Atomic int goc__exit_signal;   /* exitfiles.c: SIGINT/SIGTERM */
void goc__exitfiles_signalled(void);

/* 0: unavailable. Atomic: read by the thieves of runnext (runq.c) on any
 * M as well as here. */
static _Atomic int membarrier_cmd;

bool goc__heavy_barrier(void) {
  int cmd = atomic_load_explicit(&membarrier_cmd, memory_order_relaxed);
  return cmd && syscall(SYS_membarrier, cmd, 0, 0) == 0;
}

bool goc__heavy_barrier_expedited(void) {
  return atomic_load_explicit(&membarrier_cmd, memory_order_relaxed) ==
             MEMBARRIER_CMD_PRIVATE_EXPEDITED &&
         syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0;
}

bool goc__heavy_barrier_expedited_ok(void) {
  return atomic_load_explicit(&membarrier_cmd, memory_order_relaxed) ==
         MEMBARRIER_CMD_PRIVATE_EXPEDITED;
}

/* At start-up: the expedited barrier (IPIs to the CPUs running this
 * process's threads, microseconds) needs registering; the global one is
 * slow (an RCU grace period) but fine for a retake every time slice. */
void goc__retake_init(void) {
  long q = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
  if (q < 0) return;
  if ((q & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
      syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0)
    atomic_store(&membarrier_cmd, MEMBARRIER_CMD_PRIVATE_EXPEDITED);
  else if (q & MEMBARRIER_CMD_GLOBAL)
    atomic_store(&membarrier_cmd, MEMBARRIER_CMD_GLOBAL);
}

/* p has run the G at schedtick t for two time slices, ignoring the preempt
 * flag: take p from its M if that M is in user code (see the header). */
static void retake_running(goc_p *p, uint32_t t) {
  goc_m *m = atomic_load(&p->owner);
  if (!m || atomic_load(&m->locks) > 0) return;   /* inside the runtime */
  uint32_t z = 0;
  if (!atomic_compare_exchange_strong(&m->detached, &z, GOC_DETACH_ASKED)) return;
  bool user = goc__heavy_barrier() && atomic_load_explicit(&m->locks, memory_order_acquire) == 0 &&
              atomic_load(&p->owner) == m && atomic_load(&p->status) == GOC_P_RUNNING &&
              atomic_load(&p->schedtick) == t;
  uint32_t asked = GOC_DETACH_ASKED;
  if (!user) {
    atomic_compare_exchange_strong(&m->detached, &asked, 0);   /* withdraw */
    return;
  }
  if (!atomic_compare_exchange_strong(&m->detached, &asked, GOC_DETACH_TAKEN))
    return;   /* the M entered the runtime and withdrew it */
  /* The M is in user code or waiting in p_taken: nobody else changes a
   * RUNNING P's status. */
  int st = GOC_P_RUNNING;
  if (!atomic_compare_exchange_strong(&p->status, &st, GOC_P_DETACHED))
    goc__throw("retake: a taken P was not running");
}

/* Sets the preempt flag of the G that has run longest on its P, among
 * those not asked already; returns its P (NULL: none left to ask). */
static goc_p *preempt_oldest(void) {
  goc_p *best = NULL;
  for (int32_t i = 0, n = goc__nallp(); i < n; i++) {
    goc_p *p = goc__allp(i);
    goc_g *g = atomic_load(&p->curg);
    if (atomic_load(&p->status) != GOC_P_RUNNING || !g ||
        __atomic_load_n(&g->h.preempt, __ATOMIC_RELAXED))
      continue;
    if (!best || p->sm_schedwhen < best->sm_schedwhen) best = p;
  }
  if (!best) return NULL;
  goc_g *g = atomic_load(&best->curg);
  if (!g) return NULL;
  __atomic_store_n(&g->h.preempt, 1, __ATOMIC_RELAXED);
  return best;
}

/* The first P asked to yield for Gs that timers readied onto the global
 * queue, and its schedtick then. A G asked to yield checks within
 * microseconds when its thread is on a CPU; one whose thread the kernel
 * has put off (other load) may not for milliseconds. So one G more than
 * there are Gs queued is asked at once (the first to answer takes them;
 * the spare only yields once more), and if the first P has not scheduled
 * by the next round while Gs are still queued, the next-oldest is asked
 * too. Each ask not answered within a round costs one more; none left
 * unanswered, none more. Measured on 2 CPUs shared with other work
 * (load 7-9), bench/goc/timer_lateness (a 1 ms ticker under 2 hogs), 36
 * alternating runs each in an autogroup of its own at nice -15: p99
 * median 203 us with one ask, 127 us with the spare, 17 against 22 runs
 * at most 200 us; at normal priority (42 each) 3.84 against 3.81 ms. */
static goc_p *asked_p;
static uint32_t asked_tick;

static void ask(goc_p *p) {
  asked_p = p;
  if (p) asked_tick = atomic_load(&p->schedtick);
}

/* Asks the oldest Gs, one more than are queued (at most every P). */
static void ask_with_spare(void) {
  int32_t queued = atomic_load(&goc__sched.runqsize);
  ask(preempt_oldest());
  for (int32_t k = 0; asked_p && k < queued && preempt_oldest(); k++) {
  }
}

/* A round after an ask. */
static void ask_again(void) {
  goc_sched *s = &goc__sched;
  if (atomic_load(&asked_p->schedtick) != asked_tick || atomic_load(&s->runqsize) == 0 ||
      atomic_load(&s->npidle) > 0 || atomic_load(&s->nmspinning) > 0)
    asked_p = NULL;   /* answered, or someone else will take the Gs */
  else
    ask(preempt_oldest());
}

/* Before p is handed off from its M, so that it precedes the next run on
 * p in the trace. p->curg and p->owner may be stale: for the event only. */
static void handoff_event(goc_p *p, const char *from) {
  if (__builtin_expect(!goc__trace_on, 1)) return;
  goc_g *g = atomic_load(&p->curg);
  goc_m *m = atomic_load(&p->owner);
  goc__trace_event(GOC_EV_HANDOFF, g ? g->id : 0, p->id, from, NULL, m ? m->id : -1);
}

static bool retake(int64_t now) {
  bool did = false;
  goc_sched *s = &goc__sched;
  /* Retired Ps too: one still held by an M must reach a schedule point,
   * one in syscall state or detached is retired by handoffp. */
  for (int32_t i = 0, n = goc__nallp(); i < n; i++) {
    goc_p *p = goc__allp(i);
    int st = atomic_load(&p->status);
    if (st == GOC_P_RUNNING) {
      /* A lone G (sched.c) still in runnext since the last round: its
       * readier runs on, so it goes to another P. Not counted as work
       * done: ping-pong pairs leave one there at most rounds. */
      goc_g *next = atomic_load(&p->runnext);
      uint32_t nt = atomic_load_explicit(&p->nexttick, memory_order_relaxed);
      if (next && next == p->sm_runnext && nt == p->sm_nexttick) goc__wakep();
      p->sm_runnext = next;
      p->sm_nexttick = nt;
      uint32_t t = atomic_load(&p->schedtick);
      if (p->sm_schedtick != t) {
        p->sm_schedtick = t;
        p->sm_schedwhen = now;
        p->sm_preempts = 0;
      } else if (p->sm_schedwhen + TIME_SLICE <= now) {
        goc_g *g = atomic_load(&p->curg);
        if (g) {
          __atomic_store_n(&g->h.preempt, 1, __ATOMIC_RELAXED);
          /* Asked a slice ago and still running: stuck in plain C. */
          if (p->sm_preempts++ > 0) retake_running(p, t);
          /* Not work that calls for short rounds (as in Go's retake,
           * which counts only the Ps it hands off): the next ask is a
           * slice away, and a P taken here is handed off, and counted,
           * next round. */
        }
        p->sm_schedwhen = now;   /* ask again after another slice */
      }
    } else if (st == GOC_P_SYSCALL) {
      uint32_t t = atomic_load(&p->syscalltick);
      if (p->sm_syscalltick != t) {
        p->sm_syscalltick = t;
        p->sm_syscallwhen = now;
        continue;
      }
      /* Keep the P with its M if there is nothing else to do, for a while. */
      if (!goc__p_retired(p) && goc__runqempty(p) && atomic_load(&s->runqsize) == 0 &&
          atomic_load(&s->nmspinning) + atomic_load(&s->npidle) > 0 &&
          p->sm_syscallwhen + TIME_SLICE > now)
        continue;
      int expect = GOC_P_SYSCALL;
      if (atomic_compare_exchange_strong(&p->status, &expect, GOC_P_IDLE)) {
        handoff_event(p, "syscall");
        atomic_store(&p->curg, NULL);
        atomic_store(&p->owner, NULL);
        p->m = NULL;
        goc__handoffp(p);
        did = true;
      }
    } else if (st == GOC_P_DETACHED) {
      /* Its M is in plain C code (the retake handler); unless the M took
       * it back meanwhile, hand it off as for a system call. */
      int expect = GOC_P_DETACHED;
      if (atomic_compare_exchange_strong(&p->status, &expect, GOC_P_IDLE)) {
        handoff_event(p, "plain C");
        atomic_store(&p->curg, NULL);
        atomic_store(&p->owner, NULL);
        p->m = NULL;
        p->sm_preempts = 0;
        goc__handoffp(p);
        did = true;
      }
    }
  }
  return did;
}

/* The monitor's wake-ups are what a timer's lateness under hogs is made
 * of, so it asks the kernel for them to be prompt (each may fail: an old
 * kernel, seccomp; it then wakes as before):
 *   - timer slack 1 us instead of the default 50 us, by which the kernel
 *     may defer a sleep's end to batch it with other wake-ups;
 *   - a 100 us slice (Linux 6.12+, EEVDF; unprivileged, nice kept): a
 *     waking task with a shorter slice than the running one's may preempt
 *     it at once, where with the default (0.75 ms times 1 + log2 of the
 *     CPUs: 1.4 ms on 2) the hog that holds the CPU may run its slice out
 *     first. The monitor runs for microseconds a round, so it never uses
 *     a slice up. Measured with two spinning threads on 2 CPUs, a 1 ms
 *     sleep's lateness p99 went from 1.7-1.9 ms to 55-164 us. */
struct sched_attr_v0 {   /* SCHED_ATTR_SIZE_VER0 */
  uint32_t size, policy;
  uint64_t flags;
  int32_t nice;
  uint32_t priority;
  uint64_t runtime, deadline, period;
};

static void monitor_latency(void) {
  prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
  struct sched_attr_v0 a = {0};
  if (syscall(SYS_sched_getattr, 0, &a, sizeof a, 0) != 0 || a.policy != SCHED_OTHER) return;
  a.size = sizeof a;
  a.flags &= 1;   /* SCHED_FLAG_RESET_ON_FORK, which only privilege may clear */
  a.runtime = 100 * GOC_MICROSECOND;
  syscall(SYS_sched_setattr, 0, &a, 0);
}

/* Its own line: read by every park, written once per monitor round. */
_Alignas(64) _Atomic uint32_t goc__ms_now;

_Atomic pid_t goc__sysmon_ktid;   /* the monitor's thread (checkdead skips it) */

static void *sysmon(void *arg) {
  (void)arg;
  atomic_store(&goc__sysmon_ktid, (pid_t)syscall(SYS_gettid));
  goc__tls_plain = true;   /* runtime-owned: never counts as a plain thread */
  monitor_latency();
  goc_sched *s = &goc__sched;
  int64_t delay = 20 * GOC_MICROSECOND;
  int idle = 0;
  uint32_t rounds = 0;
  int64_t lasttrace = goc_now();
  for (;;) {
    if (idle > 50) delay *= 2;
    if (delay > 10 * GOC_MILLISECOND) delay = 10 * GOC_MILLISECOND;
    int64_t now = goc_now();
    int64_t next = goc__timers_earliest();
    int64_t d = delay;
    /* A due timer is the monitor's to run once TIMER_GRACE late (below):
     * wake then, in one sleep, unless an M polling will wake for it. */
    int64_t w = next == INT64_MAX ? INT64_MAX : next + TIMER_GRACE - now;
    if (w < d && !atomic_load(&s->polling)) d = w > 10 * GOC_MICROSECOND ? w : 10 * GOC_MICROSECOND;
    if (asked_p && d > 20 * GOC_MICROSECOND) d = 20 * GOC_MICROSECOND;
    struct timespec ts = {d / GOC_SECOND, d % GOC_SECOND};
    nanosleep(&ts, NULL);
    atomic_store_explicit(&goc__ms_now, goc__ms_coarse(), memory_order_relaxed);
    if (atomic_load(&goc__sigquit)) goc__sigquit_dump();
    if (atomic_load_explicit(&goc__exit_signal, memory_order_relaxed)) goc__exitfiles_signalled();
    now = goc_now();
    bool did = retake(now);
    if (asked_p) ask_again();
    /* Due timers nobody ran: run them here (Gs go to the global queue). If
     * every P is busy, nobody would look there before a time slice ends:
     * ask the longest-running Gs to yield now, so a timer fires within
     * microseconds of its time even under hogs. Not work that calls for
     * short rounds (did): the next timer sets the next wake, and an ask
     * its own check a round later, so a ticker under hogs wakes the
     * monitor about twice a tick, not every 20 us. */
    if (goc__timers_earliest() <= now - TIMER_GRACE) {
      goc__run_all_timers(now);
      if (!asked_p && atomic_load(&s->runqsize) > 0 && atomic_load(&s->npidle) == 0)
        ask_with_spare();
    }
    if (atomic_load(&s->netpoll_waiters) > 0 && !atomic_load(&s->polling) &&
        atomic_load(&s->lastpoll) + 10 * GOC_MILLISECOND < now) {
      atomic_store(&s->lastpoll, now);
      if (goc__netpoll(0) > 0) did = true;
    }
    if (s->schedtrace_ms > 0 &&
        now - lasttrace >= s->schedtrace_ms * GOC_MILLISECOND) {
      lasttrace = now;
      goc__schedtrace(s->scheddetail);
    }
    if (s->main_mode && ++rounds % 8 == 0) {
      /* Everyone idle after a plain thread went away, or only timers
       * nobody waits on keep an M polling (it never stops, so stopm's
       * check never runs): check for deadlock. */
      goc__rt_lock(&s->lock);
      if (s->mcount - s->nmidle - atomic_load(&s->polling) <= 0) goc__checkdead();
      goc__rt_unlock(&s->lock);
    }
    if (did) {
      idle = 0;
      delay = 20 * GOC_MICROSECOND;
    } else {
      idle++;
    }
    if (s->schedtrace_ms > 0 && delay > s->schedtrace_ms * GOC_MILLISECOND)
      delay = s->schedtrace_ms * GOC_MILLISECOND;
  }
  return NULL;
}

void goc__sysmon_start(void) {
  atomic_store_explicit(&goc__ms_now, goc__ms_coarse(), memory_order_relaxed);
  pthread_t t;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  int err = pthread_create(&t, &attr, sysmon, NULL);
  if (err) goc__throw_err("cannot start the monitor thread", err);
  pthread_attr_destroy(&attr);
}
