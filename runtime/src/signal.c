/* signal.c — signals as channels (Go's os/signal: Notify and Stop).
 *
 * Invariants:
 *   - sig_lock guards regs, the (channel, signal) pairs, and nwant[sig],
 *     the number of pairs for sig. The runtime's handler is installed for
 *     sig exactly while nwant[sig] > 0; the action it replaced is kept in
 *     old[sig] and put back when the count falls to 0, so the default
 *     action (or the program's own handler, or the runtime's SIGQUIT dump)
 *     comes back once no channel wants the signal.
 *   - The handler does only async-signal-safe things: it sets the
 *     signal's bit in `pending` and writes one byte to a non-blocking pipe.
 *     A full pipe drops the byte, never the signal: the bit stays set and
 *     an unread byte is still there to wake the reader.
 *   - One runtime thread (started by the first goc_signal_notify) reads
 *     the pipe, takes the pending bits and, under sig_lock, tries a
 *     non-blocking send of the signal number to every channel that wants
 *     it; a full channel misses that signal, as in Go. Delivery runs under
 *     sig_lock, so once goc_signal_stop(c) has returned, c receives nothing.
 *   - Signals of one number that arrive before the thread has taken its bit
 *     are delivered once, as in Go (sigqueue keeps a mask too).
 *   - While some channel wants a signal (sched.nsigwant > 0) the program is
 *     never declared deadlocked: a signal from outside may still wake a
 *     goroutine (Go's signal goroutine waits in a system call, which
 *     holds off checkdead the same way).
 * The thread is the runtime's own: it counts neither as a plain thread
 * nor as a foreign one (panic.c). It keeps the signal mask it was born
 * with: it starts Ms (goc__ready wakes Ps), which inherit its mask, and a
 * goroutine's raise() on an M that blocked the signal would leave it
 * pending there for ever. So its read may see EINTR, and retries.
 * The handler is installed with SA_RESTART, as Go's are: the program asked
 * for the signal, and a system call it interrupts is restarted where the
 * kernel can restart it.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include "chan.h"
#include "proc.h"

#define MAXSIG 64   /* Linux: 1..64; bit sig-1 of pending */

typedef struct sigreg {
  struct sigreg *next;
  goc_chan *c;
  int sig;
} sigreg;

static pthread_mutex_t sig_lock = PTHREAD_MUTEX_INITIALIZER;
static sigreg *regs;
static int nwant[MAXSIG + 1];
static struct sigaction old[MAXSIG + 1];
static _Atomic uint64_t pending;
static int pipefd[2] = {-1, -1};
static pthread_once_t start_once = PTHREAD_ONCE_INIT;

void goc__sigpipe_init(void);        /* netpoll.c */
void goc__rt_thread_add(void);       /* panic.c */

static void on_signal(int sig) {
  int e = errno;
  atomic_fetch_or(&pending, (uint64_t)1 << (sig - 1));
  char b = 0;
  (void)!write(pipefd[1], &b, 1);   /* EAGAIN: a byte is already waiting */
  errno = e;
}

static void deliver(uint64_t bits) {
  goc__rt_lock(&sig_lock);
  for (sigreg *r = regs; r; r = r->next) {
    if (!(bits & ((uint64_t)1 << (r->sig - 1)))) continue;
    /* A closed channel is the program's error; sending would panic on
     * this thread, so the signal is dropped instead. */
    if (__atomic_load_n(&r->c->closed, __ATOMIC_SEQ_CST)) continue;
    int v = r->sig;
    goc_chan_trysend(r->c, &v);
  }
  goc__rt_unlock(&sig_lock);
}

static void *sig_thread(void *arg) {
  (void)arg;
  goc__tls_plain = true;   /* runtime-owned: never counts as a plain thread */
  goc__rt_thread_add();
  char buf[64];
  for (;;) {
    ssize_t n = read(pipefd[0], buf, sizeof buf);
    if (n < 0 && errno != EINTR) goc__throw("signal: cannot read the signal pipe");
    uint64_t bits = atomic_exchange(&pending, 0);
    if (bits) deliver(bits);
  }
  return NULL;
}

static void sig_start(void) {
  if (pipe2(pipefd, O_CLOEXEC) < 0) goc__throw("signal: cannot create a pipe");
  fcntl(pipefd[1], F_SETFL, fcntl(pipefd[1], F_GETFL) | O_NONBLOCK);
  pthread_t t;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  int err = pthread_create(&t, &attr, sig_thread, NULL);
  pthread_attr_destroy(&attr);
  if (err) goc__throw_err("signal: cannot create the signal thread", err);
}

void goc_signal_notify(GOC_CHAN(int) ch, int sig) {
  goc_chan *c = (goc_chan *)ch;
  if (!c) goc_panic("goc_signal_notify: nil channel");
  if (c->elemsize != sizeof(int))
    goc_panic("goc_signal_notify: the channel's elements are not int");
  if (sig <= 0 || sig > MAXSIG || sig == SIGKILL || sig == SIGSTOP)
    goc_panic("goc_signal_notify: signal %d cannot be caught", sig);
  goc__runtime_init();
  pthread_once(&start_once, sig_start);
  /* The runtime's SIGPIPE handler goes in first, so that it, and not the
   * default action, comes back after goc_signal_stop. */
  if (sig == SIGPIPE) goc__sigpipe_init();
  goc__rt_lock(&sig_lock);
  for (sigreg *r = regs; r; r = r->next)
    if (r->c == c && r->sig == sig) { goc__rt_unlock(&sig_lock); return; }
  sigreg *r = malloc(sizeof *r);
  if (!r) goc__throw("out of memory allocating a signal registration");
  r->c = c;
  r->sig = sig;
  r->next = regs;
  regs = r;
  atomic_fetch_add(&goc__sched.nsigwant, 1);
  if (nwant[sig]++ == 0) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, &old[sig]) != 0) {
      nwant[sig]--;
      regs = r->next;
      free(r);
      atomic_fetch_sub(&goc__sched.nsigwant, 1);
      goc__rt_unlock(&sig_lock);
      goc_panic("goc_signal_notify: signal %d cannot be caught", sig);
    }
  }
  goc__rt_unlock(&sig_lock);
}

void goc_signal_stop(GOC_CHAN(int) ch) {
  goc_chan *c = (goc_chan *)ch;
  goc__rt_lock(&sig_lock);
  for (sigreg **pp = &regs; *pp;) {
    sigreg *r = *pp;
    if (r->c != c) { pp = &r->next; continue; }
    *pp = r->next;
    if (--nwant[r->sig] == 0) sigaction(r->sig, &old[r->sig], NULL);
    atomic_fetch_sub(&goc__sched.nsigwant, 1);
    free(r);
  }
  goc__rt_unlock(&sig_lock);
}
