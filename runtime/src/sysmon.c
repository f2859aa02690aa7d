/* sysmon.c — the monitor thread (Go's sysmon). Runs without a P.
 *
 * Each round (20 us, doubling up to 10 ms while there is nothing to do):
 *   - preemption: a P that has run the same G (same schedtick) for more
 *     than a 10 ms time slice gets that G's preempt flag set;
 *   - retake: a P left in syscall state (goc_syscall_enter) for a whole
 *     round is handed off (CAS P_SYSCALL -> P_IDLE), as Go's retake;
 *   - retake from plain C code: if the G did not honour the preempt flag
 *     for another time slice (it runs plain C code, or blocks in a system
 *     call outside goc_syscall_enter), the M is sent SIGURG. The handler
 *     runs on that M, so it sees exactly whether the M is inside the
 *     runtime (m->locks > 0: do nothing, ask again next slice) or in user
 *     code; then it CASes P_RUNNING -> P_DETACHED and sets m->detached.
 *     Here P_DETACHED -> P_IDLE and the P is handed off as for a syscall.
 *     The M keeps running its C code and gets a P back at its next runtime
 *     entry (goc__reacquirep_slow). The signal is installed SA_RESTART;
 *     an interrupted sleep may still return early, as in Go;
 *   - timers that are due and not run by anyone (every P busy, or idle with
 *     no M polling) run here; their Gs go to the global queue;
 *   - netpoll, if no M has polled for 10 ms;
 *   - every 8 rounds, in goc__run_main mode with every M idle or polling,
 *     the deadlock check (panic.c);
 *   - GOC_DEBUG=schedtrace lines.
 * Invariant: sysmon touches only atomics of P and G (p->curg may be stale;
 * G memory is never freed, so a stale preempt store is harmless).
 */
#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "proc.h"

#define TIME_SLICE (10 * GOC_MILLISECOND)

extern _Atomic int goc__sigquit;   /* dump.c */
void goc__sigquit_dump(void);

/* On the M that sysmon asked to give up its P (see the header). Only
 * atomics and M-local fields: async-signal-safe, and no race with the M. */
static void retake_handler(int sig) {
  (void)sig;
  int saved = errno;
  goc_m *m = goc__tls_m;
  if (m && m->locks == 0 && !atomic_load(&m->detached)) {
    goc_p *p = m->p;
    if (p && p == atomic_load(&m->retake_p) &&
        atomic_load(&p->schedtick) == atomic_load(&m->retake_tick)) {
      int st = GOC_P_RUNNING;
      if (atomic_compare_exchange_strong(&p->status, &st, GOC_P_DETACHED))
        atomic_store(&m->detached, 1);
    }
  }
  errno = saved;
}

void goc__install_retake_signal(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = retake_handler;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGURG, &sa, NULL);
}

/* p has run the G at schedtick t for two time slices, ignoring the preempt
 * flag: ask its M to let go of it. */
static void retake_running(goc_p *p, uint32_t t) {
  goc_m *m = atomic_load(&p->owner);
  if (!m) return;
  atomic_store(&m->retake_p, p);
  atomic_store(&m->retake_tick, t);
  pthread_kill(m->tid, SIGURG);
}

/* Sets the preempt flag of the G that has run longest on its P. */
static void preempt_oldest(void) {
  goc_sched *s = &goc__sched;
  goc_p *best = NULL;
  for (int32_t i = 0; i < s->gomaxprocs; i++) {
    goc_p *p = &s->allp[i];
    if (atomic_load(&p->status) != GOC_P_RUNNING || !atomic_load(&p->curg)) continue;
    if (!best || p->sm_schedwhen < best->sm_schedwhen) best = p;
  }
  if (!best) return;
  goc_g *g = atomic_load(&best->curg);
  if (g) __atomic_store_n(&g->h.preempt, 1, __ATOMIC_RELAXED);
}

static bool retake(int64_t now) {
  bool did = false;
  goc_sched *s = &goc__sched;
  for (int32_t i = 0; i < s->gomaxprocs; i++) {
    goc_p *p = &s->allp[i];
    int st = atomic_load(&p->status);
    if (st == GOC_P_RUNNING) {
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
          did = true;
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
      if (goc__runqempty(p) && atomic_load(&s->runqsize) == 0 &&
          atomic_load(&s->nmspinning) + atomic_load(&s->npidle) > 0 &&
          p->sm_syscallwhen + TIME_SLICE > now)
        continue;
      int expect = GOC_P_SYSCALL;
      if (atomic_compare_exchange_strong(&p->status, &expect, GOC_P_IDLE)) {
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

_Atomic pid_t goc__sysmon_ktid;   /* the monitor's thread (checkdead skips it) */

static void *sysmon(void *arg) {
  (void)arg;
  atomic_store(&goc__sysmon_ktid, (pid_t)syscall(SYS_gettid));
  goc__tls_plain = true;   /* runtime-owned: never counts as a plain thread */
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
    if (next != INT64_MAX && next - now < d && !atomic_load(&s->polling))
      d = next - now > 20 * GOC_MICROSECOND ? next - now : 20 * GOC_MICROSECOND;
    struct timespec ts = {d / GOC_SECOND, d % GOC_SECOND};
    nanosleep(&ts, NULL);
    if (atomic_load(&goc__sigquit)) goc__sigquit_dump();
    now = goc_now();
    bool did = retake(now);
    /* Due timers nobody ran: run them here (Gs go to the global queue). If
     * every P is busy, nobody would look there before a time slice ends:
     * ask the longest-running G to yield now, so a timer fires within
     * microseconds of its time even under hogs. */
    if (goc__timers_earliest() <= now - 20 * GOC_MICROSECOND) {
      goc__run_all_timers(now);
      did = true;
      if (atomic_load(&s->runqsize) > 0 && atomic_load(&s->npidle) == 0) preempt_oldest();
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
  pthread_t t;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  if (pthread_create(&t, &attr, sysmon, NULL))
    goc__throw("cannot start the monitor thread");
  pthread_attr_destroy(&attr);
}
