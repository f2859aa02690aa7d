/* netpoll.c — goroutine I/O on the netpoller (Go's netpoll.go).
 *
 * Invariants:
 *   - Every fd used through goc_read/... has one pollDesc for the life of
 *     the process (the table never shrinks), registered edge-triggered on
 *     first use, after which the fd is non-blocking.
 *   - pd->lock guards rg/wg (the parked reader/writer G), rready/wready
 *     (an edge arrived while nobody waited) and seq. A G registers as
 *     waiter under pd->lock and the park's commit releases it, so an event
 *     either finds the waiter or leaves the ready flag the waiter will see.
 *   - goc_close_fd bumps seq and wakes the waiters; a woken G whose seq
 *     changed returns -1 with EBADF instead of retrying.
 *   - Deadlines (rd, wd: absolute goc_now() times, 0 none) and `closing`
 *     live in the pollDesc, as in Go, and are read under pd->lock by a G
 *     about to park: a deadline that has passed or an evicted fd fails the
 *     wait (ETIMEDOUT, EBADF) instead of parking. The deadline timers take
 *     pd->lock too, so a timer either finds the waiter or the waiter sees
 *     the deadline passed; a stale firing is a spurious wake-up, which
 *     every waiter tolerates (it retries the system call).
 *   - pd->dl_lock serialises deadline changes, so the timer armed is the
 *     deadline stored; it is never held with pd->lock (a timer being
 *     stopped may be running, and waiting for it, inside pd->lock).
 *   - goc_close_fd clears closing and the deadlines: a later fd of the
 *     same number starts afresh.
 *   - sched.netpoll_waiters counts parked Gs (deadlock detection).
 *   - A write by the runtime to a peer that has closed fails with EPIPE and
 *     never ends the process by SIGPIPE (see "SIGPIPE" below).
 */
#define _GNU_SOURCE 1
#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>
#include "netpoll.h"
#include "proc.h"
#include "trace.h"

struct goc_polldesc {
  pthread_mutex_t lock;
  int fd;
  bool registered, nopoll;
  bool rready, wready;
  bool closing;              /* evicted (goc__pd_evict): waits fail */
  goc_g *rg, *wg;
  uint32_t seq;
  int64_t rd, wd;            /* deadlines, 0: none */
  pthread_mutex_t dl_lock;
  goc_rtimer rt, wt;         /* fire at rd, wd */
};

static void deadline_fire(goc_polldesc *pd, int mode, int64_t now) {
  goc_g *g = NULL;
  goc__rt_lock(&pd->lock);
  goc_g **slot = mode == GOC_POLL_R ? &pd->rg : &pd->wg;
  int64_t d = mode == GOC_POLL_R ? pd->rd : pd->wd;
  if (*slot && d && now >= d) { g = *slot; *slot = NULL; }
  goc__rt_unlock(&pd->lock);
  if (g) { atomic_fetch_sub(&goc__sched.netpoll_waiters, 1); goc__ready(g); }
}
static void rd_fire(void *arg, int64_t now) { deadline_fire(arg, GOC_POLL_R, now); }
static void wd_fire(void *arg, int64_t now) { deadline_fire(arg, GOC_POLL_W, now); }

#define PD_PAGE 1024
#define PD_PAGES 4096
static _Atomic(goc_polldesc *) pd_pages[PD_PAGES];
static _Atomic bool inited;
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local int nwoken;

void goc__netpoll_init(void) {
  goc__rt_lock(&init_lock);
  if (!atomic_load(&inited)) {
    if (goc__netpoll_os_init() < 0) goc__throw("netpoll: cannot initialise epoll");
    atomic_store(&inited, true);
  }
  goc__rt_unlock(&init_lock);
}

bool goc__netpoll_inited(void) { return atomic_load(&inited); }

static goc_polldesc *pd_lookup(int fd, bool create) {
  if (fd < 0 || fd >= PD_PAGE * PD_PAGES) return NULL;
  goc_polldesc *page = atomic_load(&pd_pages[fd / PD_PAGE]);
  if (!page) {
    if (!create) return NULL;
    goc_polldesc *np = calloc(PD_PAGE, sizeof *np);
    if (!np) goc__throw("out of memory allocating poll descriptors");
    for (int i = 0; i < PD_PAGE; i++) {
      pthread_mutex_init(&np[i].lock, NULL);
      pthread_mutex_init(&np[i].dl_lock, NULL);
      np[i].fd = (fd / PD_PAGE) * PD_PAGE + i;
      np[i].rt = (goc_rtimer){.f = rd_fire, .arg = &np[i], .heap_index = -1, .p_id = -1};
      np[i].wt = (goc_rtimer){.f = wd_fire, .arg = &np[i], .heap_index = -1, .p_id = -1};
    }
    goc_polldesc *expect = NULL;
    if (atomic_compare_exchange_strong(&pd_pages[fd / PD_PAGE], &expect, np))
      page = np;
    else {
      free(np);
      page = expect;
    }
  }
  return &page[fd % PD_PAGE];
}

/* No lock held. Registers fd on first use. */
static goc_polldesc *pd_get(int fd) {
  goc__runtime_init();
  goc_polldesc *pd = pd_lookup(fd, true);
  if (!pd) return NULL;
  goc__rt_lock(&pd->lock);
  if (!pd->registered) {
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0 && !(fl & O_NONBLOCK)) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    pd->nopoll = goc__netpoll_os_open(fd, pd) < 0;
    pd->registered = true;
    pd->rready = pd->wready = false;
  }
  goc__rt_unlock(&pd->lock);
  return pd;
}

/* Called by the backend, no lock held. */
int goc__netpoll_wake(goc_polldesc *pd, int mode) {
  goc_g *r = NULL, *w = NULL;
  goc__rt_lock(&pd->lock);
  if (mode & GOC_POLL_R) {
    if (pd->rg) { r = pd->rg; pd->rg = NULL; }
    else pd->rready = true;
  }
  if (mode & GOC_POLL_W) {
    if (pd->wg) { w = pd->wg; pd->wg = NULL; }
    else pd->wready = true;
  }
  goc__rt_unlock(&pd->lock);
  int n = 0;
  if (r) { atomic_fetch_sub(&goc__sched.netpoll_waiters, 1); goc__ready(r); n++; }
  if (w) { atomic_fetch_sub(&goc__sched.netpoll_waiters, 1); goc__ready(w); n++; }
  nwoken += n;
  return n;
}

/* Any M without locks. delay < 0 blocks until an event or a break. */
int goc__netpoll(int64_t delay) {
  if (!atomic_load(&inited)) return 0;
  nwoken = 0;
  goc__netpoll_os_wait(delay);
  return nwoken;
}

void goc__netpoll_break(void) {
  if (atomic_load(&inited)) goc__netpoll_os_break();
}

static void unlock_pd(goc_g *g, void *arg) {
  (void)g;
  goc__rt_unlock(&((goc_polldesc *)arg)->lock);
}

/* pd->lock held: 0, or why a wait in mode must fail (EBADF, ETIMEDOUT). */
static int wait_error(goc_polldesc *pd, int mode) {
  if (pd->closing) return EBADF;
  int64_t d = mode == GOC_POLL_R ? pd->rd : pd->wd;
  if (d && goc_now() >= d) return ETIMEDOUT;
  return 0;
}

/* Returns 1 if the caller must retry the operation now, 0 if g parked
 * (pd->lock is released by the commit), -1 (errno set) if the wait fails:
 * the fd was evicted or a deadline has passed. */
static int wait_io(goc_g *g, goc_polldesc *pd, int mode) {
  goc__rt_lock(&pd->lock);
  bool *ready = mode == GOC_POLL_R ? &pd->rready : &pd->wready;
  goc_g **slot = mode == GOC_POLL_R ? &pd->rg : &pd->wg;
  int e = wait_error(pd, mode);
  if (e) {
    goc__rt_unlock(&pd->lock);
    errno = e;
    return -1;
  }
  if (*ready) {
    *ready = false;
    goc__rt_unlock(&pd->lock);
    return 1;
  }
  if (*slot) goc__throw("netpoll: two goroutines wait on one fd in one direction");
  *slot = g;
  goc__gx(g)->sw.ticket = pd->seq;
  goc__gx(g)->io_state = mode;
  atomic_fetch_add(&goc__sched.netpoll_waiters, 1);
  goc__park_g(g, GOC_WAIT_IO, unlock_pd, pd);
  /* Before the commit, so before any wake-up can end it. */
  if (__builtin_expect(goc__trace_on, 0)) {
    goc_p *p = goc__tls_m ? goc__tls_m->p : NULL;
    goc__trace_event(GOC_EV_IOWAIT, g->id, p ? p->id : -1, mode == GOC_POLL_R ? "read" : "write", NULL, pd->fd);
  }
  return 0;
}

/* After a wake-up: false (and errno EBADF) if fd was closed meanwhile. */
static bool resumed_ok(goc_g *g, goc_polldesc *pd) {
  if (!goc__gx(g)->io_state) return true;
  goc__gx(g)->io_state = 0;
  goc__rt_lock(&pd->lock);
  bool ok = pd->seq == goc__gx(g)->sw.ticket;
  goc__rt_unlock(&pd->lock);
  if (!ok) errno = EBADF;
  return ok;
}

/* ---- SIGPIPE -----------------------------------------------------------
 * A write to a pipe or socket whose reader has gone fails with EPIPE, and
 * the kernel also sends SIGPIPE to the writing thread, whose default
 * action ends the process (status 141). Unless the program has chosen a
 * disposition of its own before the runtime's first write, the runtime
 * installs a handler. SIGPIPE from a write is synchronous, delivered to the
 * thread that wrote, so a per-thread flag tells the handler whose write it
 * was: during a runtime write it does nothing and the write returns EPIPE;
 * otherwise it restores the default action and re-raises, so a plain C
 * write (printf to a closed stdout) still ends the program as in any C
 * program. Go ignores SIGPIPE for every fd but 1 and 2, but Go performs
 * every write itself; the user's plain C writes keep C's rule here.
 * (Blocking the signal around each write would cost two system calls per
 * write; MSG_NOSIGNAL covers sockets only.) */
static _Thread_local volatile sig_atomic_t in_write;
static pthread_once_t sigpipe_once = PTHREAD_ONCE_INIT;

static void on_sigpipe(int sig) {
  if (in_write) return;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, NULL);
  raise(sig);   /* blocked in here: delivered, fatally, when we return */
}

static void sigpipe_install(void) {
  struct sigaction old;
  if (sigaction(SIGPIPE, NULL, &old) != 0 || old.sa_handler != SIG_DFL ||
      (old.sa_flags & SA_SIGINFO))
    return;   /* the program's own choice */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigpipe;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGPIPE, &sa, NULL);
}

/* Before goc_signal_notify(c, SIGPIPE) saves the action it replaces. */
void goc__sigpipe_init(void) { pthread_once(&sigpipe_once, sigpipe_install); }

/* Every write the runtime performs goes through here. */
static ssize_t rt_write(int fd, const void *buf, size_t n) {
  pthread_once(&sigpipe_once, sigpipe_install);
  in_write = 1;
  ssize_t r;
  r = write(fd, buf, n);
  int e = errno;
  in_write = 0;
  errno = e;
  return r;
}

static bool again(void) { return errno == EAGAIN || errno == EWOULDBLOCK; }

/* Blocks a plain thread (or an M in plain C) until fd is ready. */
static void thread_poll(int fd, short ev) {
  struct pollfd pfd = {.fd = fd, .events = ev};
  bool plain = goc__getg() == NULL;
  if (plain) atomic_fetch_add(&goc__sched.nblocked, 1);
  else goc_syscall_enter();
  while (poll(&pfd, 1, -1) < 0 && errno == EINTR) {
  }
  if (plain) atomic_fetch_sub(&goc__sched.nblocked, 1);
  else goc_syscall_exit();
}

int goc_read__async(goc_g *g, ssize_t *result, int fd, void *buf, size_t n) {
  goc_polldesc *pd = pd_get(fd);
  if (pd && !resumed_ok(g, pd)) { *result = -1; return 1; }
  for (;;) {
    ssize_t r = read(fd, buf, n);
    if (r < 0 && errno == EINTR) continue;
    if (r >= 0 || !again() || !pd || pd->nopoll) { *result = r; return 1; }
    int w = wait_io(g, pd, GOC_POLL_R);
    if (w == 0) return 0;
    if (w < 0) { *result = -1; return 1; }
  }
}

int goc_write__async(goc_g *g, ssize_t *result, int fd, const void *buf,
                     size_t n) {
  goc_polldesc *pd = pd_get(fd);
  if (pd && !resumed_ok(g, pd)) { *result = -1; return 1; }
  for (;;) {
    ssize_t r = rt_write(fd, buf, n);
    if (r < 0 && errno == EINTR) continue;
    if (r >= 0 || !again() || !pd || pd->nopoll) { *result = r; return 1; }
    int w = wait_io(g, pd, GOC_POLL_W);
    if (w == 0) return 0;
    if (w < 0) { *result = -1; return 1; }
  }
}

int goc_accept__async(goc_g *g, int *result, int fd, struct sockaddr *addr,
                      socklen_t *len) {
  goc_polldesc *pd = pd_get(fd);
  if (pd && !resumed_ok(g, pd)) { *result = -1; return 1; }
  for (;;) {
    int r = accept4(fd, addr, len, SOCK_CLOEXEC);
    if (r < 0 && errno == EINTR) continue;
    if (r >= 0 || !again() || !pd || pd->nopoll) { *result = r; return 1; }
    int w = wait_io(g, pd, GOC_POLL_R);
    if (w == 0) return 0;
    if (w < 0) { *result = -1; return 1; }
  }
}

/* 1: connected (or failed: *result/errno set); 0: still in progress. */
static int connect_status(int fd, int *result) {
  int err = 0;
  socklen_t l = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0) { *result = -1; return 1; }
  if (err) { errno = err; *result = -1; return 1; }
  struct sockaddr_storage ss;
  l = sizeof ss;
  if (getpeername(fd, (struct sockaddr *)&ss, &l) == 0) { *result = 0; return 1; }
  if (errno == ENOTCONN) return 0;
  *result = -1;
  return 1;
}

int goc_connect__async(goc_g *g, int *result, int fd,
                       const struct sockaddr *addr, socklen_t len) {
  goc_polldesc *pd = pd_get(fd);
  if (goc__gx(g)->io_state) {
    if (!resumed_ok(g, pd)) { *result = -1; return 1; }
  } else {
    int r = connect(fd, addr, len);
    if (r == 0) { *result = 0; return 1; }
    if (errno != EINPROGRESS && errno != EINTR && errno != EALREADY) {
      *result = -1;
      return 1;
    }
    if (!pd || pd->nopoll) {
      thread_poll(fd, POLLOUT);
      connect_status(fd, result);
      return 1;
    }
  }
  for (;;) {
    if (connect_status(fd, result)) return 1;
    int w = wait_io(g, pd, GOC_POLL_W);
    if (w == 0) return 0;
    if (w < 0) { *result = -1; return 1; }
  }
}

/* ---- plain-thread versions -------------------------------------------- */

ssize_t goc_read(int fd, void *buf, size_t n) {
  for (;;) {
    ssize_t r = read(fd, buf, n);
    if (r < 0 && errno == EINTR) continue;
    if (r >= 0 || !again()) return r;
    thread_poll(fd, POLLIN);
  }
}

ssize_t goc_write(int fd, const void *buf, size_t n) {
  for (;;) {
    ssize_t r = rt_write(fd, buf, n);
    if (r < 0 && errno == EINTR) continue;
    if (r >= 0 || !again()) return r;
    thread_poll(fd, POLLOUT);
  }
}

int goc_accept(int fd, struct sockaddr *addr, socklen_t *len) {
  for (;;) {
    int r = accept4(fd, addr, len, SOCK_CLOEXEC);
    if (r < 0 && errno == EINTR) continue;
    if (r >= 0 || !again()) return r;
    thread_poll(fd, POLLIN);
  }
}

int goc_connect(int fd, const struct sockaddr *addr, socklen_t len) {
  int r = connect(fd, addr, len);
  if (r == 0 || (errno != EINPROGRESS && errno != EINTR)) return r;
  for (;;) {
    thread_poll(fd, POLLOUT);
    if (connect_status(fd, &r)) return r;
  }
}

void goc_close_fd(int fd) {
  goc_polldesc *pd = pd_lookup(fd, false);
  goc_g *r = NULL, *w = NULL;
  if (pd) {
    goc__rt_lock(&pd->lock);
    if (pd->registered) goc__netpoll_os_close(fd);
    pd->registered = false;
    pd->seq++;
    r = pd->rg;
    w = pd->wg;
    pd->rg = pd->wg = NULL;
    pd->rready = pd->wready = false;
    pd->closing = false;
    bool timers = pd->rd || pd->wd;
    pd->rd = pd->wd = 0;
    goc__rt_unlock(&pd->lock);
    if (timers) {
      goc__rt_lock(&pd->dl_lock);
      goc__timer_stop(&pd->rt);
      goc__timer_stop(&pd->wt);
      goc__rt_unlock(&pd->dl_lock);
    }
  }
  close(fd);
  if (r) { atomic_fetch_sub(&goc__sched.netpoll_waiters, 1); goc__ready(r); }
  if (w) { atomic_fetch_sub(&goc__sched.netpoll_waiters, 1); goc__ready(w); }
}

/* ---- for connections (net.c) ------------------------------------------ */

goc_polldesc *goc__pd_get(int fd) { return pd_get(fd); }

int goc__pd_wait(goc_g *g, goc_polldesc *pd, int mode) { return wait_io(g, pd, mode); }

bool goc__pd_resumed(goc_g *g, goc_polldesc *pd) { return resumed_ok(g, pd); }

int goc__pd_check(goc_polldesc *pd, int mode) {
  goc__rt_lock(&pd->lock);
  int e = wait_error(pd, mode);
  goc__rt_unlock(&pd->lock);
  return e;
}

void goc__pd_set_deadline(goc_polldesc *pd, int64_t d, int mode) {
  goc__rt_lock(&pd->dl_lock);
  for (int m = GOC_POLL_R; m <= GOC_POLL_W; m <<= 1) {
    if (!(mode & m)) continue;
    goc__rt_lock(&pd->lock);
    if (m == GOC_POLL_R) pd->rd = d;
    else pd->wd = d;
    goc__rt_unlock(&pd->lock);
    goc_rtimer *t = m == GOC_POLL_R ? &pd->rt : &pd->wt;
    /* A parked waiter re-checks when the timer fires: a deadline already
     * past fires at once and fails the wait, one moved later keeps it. */
    if (d) goc__timer_modify(t, d, 0);
    else goc__timer_stop(t);
  }
  goc__rt_unlock(&pd->dl_lock);
}

void goc__pd_evict(goc_polldesc *pd) {
  goc__rt_lock(&pd->lock);
  pd->closing = true;
  goc_g *r = pd->rg, *w = pd->wg;
  pd->rg = pd->wg = NULL;
  goc__rt_unlock(&pd->lock);
  if (r) { atomic_fetch_sub(&goc__sched.netpoll_waiters, 1); goc__ready(r); }
  if (w) { atomic_fetch_sub(&goc__sched.netpoll_waiters, 1); goc__ready(w); }
}
