/* note.c — one-shot futex notifications for OS threads (Go's note).
 *
 * Invariants: key is 0 (clear) or 1 (signalled); goc__note_wakeup is called
 * at most once between clears; only the thread that sleeps on a note clears
 * it. Sleepers recheck key after every futex return (spurious wakeups).
 * The public goc__note_sleep* count the caller as a thread blocked in the
 * runtime (it may still make progress: deadlock detection waits for it);
 * the _m variants are for idle Ms, which do not count.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "proc.h"

static void futex_wait(_Atomic uint32_t *addr, uint32_t val,
                       const struct timespec *ts) {
  syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAIT_PRIVATE, val, ts, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *addr) {
  syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAKE_PRIVATE, INT_MAX, NULL,
          NULL, 0);
}

/* No lock; n not being slept on. */
void goc__note_clear(goc_note *n) { atomic_store(&n->key, 0); }

/* No lock; may be called from any thread, never blocks. */
void goc__note_wakeup(goc_note *n) {
  uint32_t old = atomic_exchange(&n->key, 1);
  if (old != 0) goc__throw("notewakeup - double wakeup");
  futex_wake(&n->key);
}

void goc__note_sleep_m(goc_note *n) {
  while (atomic_load(&n->key) == 0) futex_wait(&n->key, 0, NULL);
}

bool goc__note_sleep_until_m(goc_note *n, int64_t deadline) {
  while (atomic_load(&n->key) == 0) {
    int64_t left = deadline - goc_now();
    if (left <= 0) return false;
    struct timespec ts = {left / 1000000000, left % 1000000000};
    futex_wait(&n->key, 0, &ts);
  }
  return true;
}

/* No lock held; counts the thread as blocked in the runtime. */
void goc__note_sleep(goc_note *n) {
  goc__plain_thread_touch();
  atomic_fetch_add(&goc__sched.nblocked, 1);
  goc__note_sleep_m(n);
  atomic_fetch_sub(&goc__sched.nblocked, 1);
}

bool goc__note_sleep_until(goc_note *n, int64_t deadline_ns) {
  goc__plain_thread_touch();
  atomic_fetch_add(&goc__sched.nblocked, 1);
  bool r = goc__note_sleep_until_m(n, deadline_ns);
  atomic_fetch_sub(&goc__sched.nblocked, 1);
  return r;
}
