/* panic.c — failure: panics (user errors), throws (runtime invariants) and
 * deadlock detection (Go's checkdead).
 *
 * Invariants: every failure path prints to stderr and exits with status 2
 * without running atexit handlers (stdio is flushed first so the program's
 * own earlier output is kept); only one thread prints (the others block).
 * Deadlock is declared only in goc__run_main mode, when some goroutine is
 * live (none is before run_main counts the main G, though the monitor
 * already runs), every M is idle and nothing can make progress: no runnable G, no timer that may wake
 * someone (a ticker or goc_after channel nobody receives from does not
 * count), no I/O waiter, no
 * M in a system call, no goc_blocking call in flight (nblocking), no
 * channel registered for signals (nsigwant) and no
 * plain thread that used the runtime (nplain: it may still send; the
 * monitor re-checks once it has exited). The runtime's helper threads
 * (rt_threads) are neither plain nor foreign. Threads
 * that never touched goc do not count (a library's worker sleeping in the
 * kernel cannot wake a goroutine), except that one which is running or
 * young holds the verdict back for FOREIGN_GRACE at most: a thread just
 * created to talk to goroutines runs before its first call registers it.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "proc.h"
#include "trace.h"

static _Atomic int dying;

static void begin_death(void) {
  if (atomic_fetch_add(&dying, 1) != 0) {
    for (;;) pause();   /* the first failure prints and exits */
  }
}

/* goc_abi.h: the lowering's stand-ins for -Wreturn-type; falling off the
 * end of a non-void function is no error at run time, as in C. */
void goc__fell_off_end(void) {}
void goc__fell_off_end_error(void) {}
void goc__return_value_in_void(void) {}
void goc__return_no_value(void) {}

void goc__fatal_exit(void) {
  fflush(stdout);
  fflush(stderr);
  void goc__exitfiles_write(void);   /* exitfiles.c: trace, block profile */
  goc__exitfiles_write();
  _exit(2);
}

void goc__throw(const char *msg) {
  begin_death();
  fprintf(stderr, "fatal error: %s\n", msg);
  goc_g *g = goc__getg();
  if (g) {
    fputc('\n', stderr);
    goc__print_goroutine(stderr, g, true);
  }
  goc__fatal_exit();
}

/* A throw for a failed system call: "MSG: STRERROR(err)". pthread_create
 * reports a failed allocation of its own (the thread's TLS, its stack) as
 * EAGAIN, the same as the thread limit. */
void goc__throw_err(const char *msg, int err) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s: %s", msg, strerror(err));
  goc__throw(buf);
}

void goc__panic_str(const char *msg) {
  begin_death();
  fprintf(stderr, "panic: %s\n", msg);
  goc_g *g = goc__getg();
  if (g) {
    fputc('\n', stderr);
    goc__print_goroutine(stderr, g, true);
  }
  goc__fatal_exit();
}

void goc_panic(const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  goc__panic_str(buf);
}

#define FOREIGN_GRACE GOC_SECOND

extern _Atomic pid_t goc__sysmon_ktid;   /* sysmon.c */

/* The runtime's helper threads (signal.c, blocking.c): not foreign, since
 * what they may do for goroutines is counted elsewhere (nsigwant,
 * nblocking). A slot holds a kernel thread id or 0; a helper that exits
 * clears its own. More helpers than slots just count as foreign. */
#define RT_THREADS 128
static _Atomic pid_t rt_threads[RT_THREADS];

void goc__rt_thread_add(void) {
  pid_t tid = (pid_t)syscall(SYS_gettid);
  for (int i = 0; i < RT_THREADS; i++) {
    pid_t z = 0;
    if (atomic_compare_exchange_strong(&rt_threads[i], &z, tid)) return;
  }
}

void goc__rt_thread_remove(void) {
  pid_t tid = (pid_t)syscall(SYS_gettid);
  for (int i = 0; i < RT_THREADS; i++) {
    pid_t t = tid;
    if (atomic_compare_exchange_strong(&rt_threads[i], &t, 0)) return;
  }
}

static bool rt_thread(pid_t tid) {
  for (int i = 0; i < RT_THREADS; i++)
    if (atomic_load_explicit(&rt_threads[i], memory_order_relaxed) == tid) return true;
  return false;
}

/* sched.lock held. True if a thread that is neither an M nor the monitor
 * is running or runnable (state R in /proc/self/task/TID/stat) or was
 * created less than FOREIGN_GRACE ago (a new thread may wait in the kernel
 * before it runs its first line). */
static bool foreign_thread_active(void) {
  DIR *d = opendir("/proc/self/task");
  if (!d) return false;
  struct timespec ts;
  clock_gettime(CLOCK_BOOTTIME, &ts);   /* starttime counts from boot */
  long hz = sysconf(_SC_CLK_TCK);
  int64_t young_after = (int64_t)ts.tv_sec * hz + ts.tv_nsec / (GOC_SECOND / hz) -
                        FOREIGN_GRACE / (GOC_SECOND / hz);
  bool active = false;
  struct dirent *e;
  while (!active && (e = readdir(d))) {
    pid_t tid = (pid_t)atoi(e->d_name);
    if (tid <= 0 || tid == atomic_load(&goc__sysmon_ktid) || rt_thread(tid)) continue;
    bool ours = false;
    for (goc_m *m = goc__sched.allm; m && !ours; m = m->alllink)
      ours = m->ktid == tid;
    if (ours) continue;
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    FILE *f = fopen(path, "r");
    if (!f) continue;   /* exited meanwhile */
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');   /* the name may contain spaces */
    if (!p || p[1] != ' ') continue;
    if (p[2] == 'R') active = true;
    /* p[2] is field 3, the state; field 22 is the start time in ticks */
    for (int field = 2; field < 22 && p; field++) p = strchr(p + 1, ' ');
    if (p && atoll(p + 1) >= young_after) active = true;
  }
  closedir(d);
  return active;
}

extern int32_t goc__timer_runs_off_m;   /* timer.c, sched.lock */

/* sched.lock held. Whether some G, timer, I/O wait or thread that uses the
 * runtime may still make progress. */
static bool may_progress(goc_sched *s) {
  /* No goroutine to be asleep: the monitor starts before goc__run_main
   * registers M0 and counts the main G (a stall of the main thread there
   * looked like every M idle), and a test runner has none between tests. */
  if (goc__ngoroutines() == 0) return true;
  /* At most one M polls (see the end): two Ms not parked, one runs. */
  if (s->mcount - s->nmidle > 1) return true;
  if (atomic_load(&s->nblocked) > 0 || atomic_load(&s->nsyscall) > 0 ||
      atomic_load(&s->nplain) > 0 || atomic_load(&s->netpoll_waiters) > 0)
    return true;
  /* A signal may still come for a channel that wants it (signal.c). */
  if (atomic_load(&s->nsigwant) > 0) return true;
  /* A goc_blocking function is running or queued: its G will be readied. */
  if (atomic_load(&s->nblocking) > 0) return true;
  if (atomic_load(&s->runqsize) > 0) return true;
  /* The monitor is running a due timer: it may ready a G (timer.c). */
  if (goc__timer_runs_off_m > 0) return true;
  for (int32_t i = 0, n = goc__nallp(); i < n; i++)   /* retired ones too */
    if (!goc__runqempty(goc__allp(i))) return true;
  /* Only a timer that may wake someone counts: not a ticker or goc_after
   * channel nobody is blocked on (Go 1.23). */
  if (goc__timers_waited()) return true;
  /* An M blocked in netpoll (polling) only waits for I/O, counted above,
   * and for timers, looked at above: it is as idle as a parked M. It
   * clears polling (without sched.lock) before it runs the timers that
   * woke it, so polling is read last, after the heaps: a timer that had
   * left its heap when they were scanned was popped after polling was
   * cleared, and then this load sees 0 (the M is running the timer and
   * may be waiting for sched.lock to queue the G it readied). Read first,
   * polling could still say 1 while that M went on to pop the timer
   * before the scan: a deadlock reported with a G about to run. */
  return s->mcount - s->nmidle - atomic_load(&s->polling) > 0;
}

static int64_t foreign_since;   /* sched.lock; 0: not waiting on one */

/* sched.lock held. */
void goc__checkdead(void) {
  goc_sched *s = &goc__sched;
  if (!s->main_mode) return;
  if (may_progress(s)) {
    foreign_since = 0;
    return;
  }
  if (foreign_thread_active()) {
    /* The monitor calls again while everyone stays idle. */
    int64_t now = goc_now();
    if (foreign_since == 0) foreign_since = now;
    if (now - foreign_since < FOREIGN_GRACE) return;
  }
  if (s->test_deadlock) {
    /* The runner (a plain thread, not counted) goes on with the next
     * test; the deadlocked goroutines stay parked, abandoned. */
    s->test_deadlock();
    foreign_since = 0;
    return;
  }
  begin_death();
  fprintf(stderr, "fatal error: all goroutines are asleep - deadlock!\n\n");
  goc__dump_all(stderr, NULL);
  goc__fatal_exit();
}
