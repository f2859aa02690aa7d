/* netpoll_epoll.c — the epoll backend of the netpoller.
 *
 * Invariants: every fd is registered once, edge-triggered, for both
 * directions, with data.ptr = its pollDesc; the eventfd (level-triggered,
 * data.ptr = NULL) interrupts a blocked epoll_wait; break_pending keeps at
 * most one unread wake-up in the eventfd.
 *
 * A timeout is kept to the nanosecond with epoll_pwait2 (Linux 5.11+):
 * the M blocked here runs the timers when it wakes, and with epoll_wait's
 * milliseconds, rounded up, a 1 ms ticker on an idle program fired up to
 * a millisecond late (p50 0.4 ms). Where the call is missing (ENOSYS, or
 * a seccomp filter's EPERM), milliseconds from then on. For the same
 * reason an M that waits here with a timeout sets its thread's timer slack
 * to 1 us (the kernel's default 50 us was half that ticker's p50). Under
 * ThreadSanitizer, epoll_wait only: its interceptor orders an fd's
 * epoll_ctl before the wait that returns the fd's data.ptr, and a raw
 * epoll_pwait2 has none (a pollDesc's lock would read as racing its init).
 */
#include <errno.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "netpoll.h"
#include "park.h"

static int epfd = -1;
static int evfd = -1;
static _Atomic int break_pending;

int goc__netpoll_os_init(void) {
  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) return -errno;
  evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (evfd < 0) return -errno;
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, evfd, &ev) < 0) return -errno;
  return 0;
}

int goc__netpoll_os_open(int fd, goc_polldesc *pd) {
  struct epoll_event ev = {
      .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = pd};
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) return -errno;
  return 0;
}

void goc__netpoll_os_close(int fd) {
  struct epoll_event ev = {0};
  epoll_ctl(epfd, EPOLL_CTL_DEL, fd, &ev);
}

void goc__netpoll_os_break(void) {
  int z = 0;
  if (!atomic_compare_exchange_strong(&break_pending, &z, 1)) return;
  uint64_t one = 1;
  while (write(evfd, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

#if defined(__SANITIZE_THREAD__)
#define GOC_NO_PWAIT2 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GOC_NO_PWAIT2 1
#endif
#endif

/* epoll_wait with a timeout of delay ns (0 < delay < 1e15); -2: the
 * kernel has no epoll_pwait2. */
static int wait_ns(struct epoll_event *evs, int max, int64_t delay) {
#if defined(SYS_epoll_pwait2) && !defined(GOC_NO_PWAIT2)
  static _Atomic bool no_pwait2;
  if (!atomic_load_explicit(&no_pwait2, memory_order_relaxed)) {
    static _Thread_local bool slack_set;
    if (!slack_set) {
      prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
      slack_set = true;
    }
    struct timespec ts = {delay / 1000000000, delay % 1000000000};
    int n = (int)syscall(SYS_epoll_pwait2, epfd, evs, max, &ts, NULL, 0);
    if (n >= 0 || (errno != ENOSYS && errno != EPERM)) return n;
    atomic_store_explicit(&no_pwait2, true, memory_order_relaxed);
  }
#endif
  (void)evs, (void)max, (void)delay;
  return -2;
}

void goc__netpoll_os_wait(int64_t delay) {
  struct epoll_event evs[128];
  int n = delay > 0 && delay < (int64_t)1e15 ? wait_ns(evs, 128, delay) : -2;
  if (n == -2) {
    int ms;
    if (delay < 0) ms = -1;
    else if (delay == 0) ms = 0;
    else if (delay < 1000000) ms = 1;
    else if (delay < (int64_t)1e15) ms = (int)((delay + 999999) / 1000000);
    else ms = 1000000000;
    n = epoll_wait(epfd, evs, 128, ms);
  }
  for (int i = 0; i < n; i++) {
    if (evs[i].data.ptr == NULL) {
      uint64_t v;
      while (read(evfd, &v, sizeof v) < 0 && errno == EINTR) {
      }
      atomic_store(&break_pending, 0);
      continue;
    }
    uint32_t e = evs[i].events;
    int mode = 0;
    if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) mode |= GOC_POLL_R;
    if (e & (EPOLLOUT | EPOLLHUP | EPOLLERR)) mode |= GOC_POLL_W;
    goc__netpoll_wake(evs[i].data.ptr, mode);
  }
}
