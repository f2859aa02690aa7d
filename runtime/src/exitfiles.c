/* exitfiles.c — the files a run writes at its end (GOC_TRACE, GOC_BLOCKPROFILE)
 * (and GOC_MUTEXPROFILE, GOC_CPUPROFILE) are complete at every exit: main's return and exit() (their atexit
 * handlers), a panic, a fatal error or SIGQUIT (goc__fatal_exit), and
 * SIGINT or SIGTERM left to their default action.
 *
 * Invariants: the handler for SIGINT/SIGTERM is installed only when a file
 * is wanted and the action was the default, and it only records the
 * signal (no stdio in a handler); the monitor then writes the files,
 * restores the default action and sends the signal again, so the process
 * still dies of it (exit status 130/143 in a shell). goc_signal_notify
 * saves and restores this handler as it would the default. Each writer
 * writes its file once, whichever exit path comes first.
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "proc.h"
#include "trace.h"

void goc__blockprof_flush(void);   /* blockprof.c */
bool goc__blockprof_wanted(void);
void goc__mutexprof_flush(void);
bool goc__mutexprof_wanted(void);
void goc__cpuprof_flush(void);     /* cpuprof.c */
bool goc__cpuprof_wanted(void);

_Atomic int goc__exit_signal;

static void on_terminate(int sig) { atomic_store(&goc__exit_signal, sig); }

void goc__exitfiles_write(void) {
  if (goc__trace_on) goc__trace_flush();
  goc__blockprof_flush();
  goc__mutexprof_flush();
  goc__cpuprof_flush();
}

void goc__exitfiles_init(void) {
  if (!goc__trace_on && !goc__blockprof_wanted() && !goc__mutexprof_wanted() && !goc__cpuprof_wanted()) return;
  static const int sigs[] = {SIGINT, SIGTERM};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
    struct sigaction old;
    if (sigaction(sigs[i], NULL, &old) != 0 || old.sa_handler != SIG_DFL || (old.sa_flags & SA_SIGINFO)) continue;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_terminate;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(sigs[i], &sa, NULL);
  }
}

/* The monitor, when goc__exit_signal is set. */
void goc__exitfiles_signalled(void) {
  int sig = atomic_exchange(&goc__exit_signal, 0);
  if (!sig) return;
  goc__exitfiles_write();
  fflush(stdout);
  fflush(stderr);
  signal(sig, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  pthread_sigmask(SIG_UNBLOCK, &set, NULL);
  kill(getpid(), sig);
  for (;;) pause();   /* the default action ends the process */
}
