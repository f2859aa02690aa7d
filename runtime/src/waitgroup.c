/* waitgroup.c — goc_waitgroup, Go's sync.WaitGroup.
 *
 * Invariants: state = counter << 32 | waiters. Waiters are added only while
 * the counter is > 0; when it drops to 0 with waiters, the state is reset to
 * 0 and each waiter gets one semaphore token. A G keeps its phase in goc__gx(g)->ss2
 * (1: parked on the semaphore).
 */
#include "proc.h"

void goc_waitgroup_add(goc_waitgroup *wg, int delta) {
  uint64_t d = (uint64_t)(int64_t)delta << 32;
  uint64_t state = atomic_fetch_add(&wg->state, d) + d;
  int32_t v = (int32_t)(state >> 32);
  uint32_t w = (uint32_t)state;
  if (v < 0) goc_panic("sync: negative WaitGroup counter");
  if (w != 0 && delta > 0 && v == delta)
    goc_panic("sync: WaitGroup misuse: Add called concurrently with Wait");
  if (v > 0 || w == 0) return;
  if (atomic_load(&wg->state) != state)
    goc_panic("sync: WaitGroup misuse: Add called concurrently with Wait");
  atomic_store(&wg->state, 0);
  for (; w != 0; w--) goc__semrelease(&wg->sema, false);
}

void goc_waitgroup_done(goc_waitgroup *wg) { goc_waitgroup_add(wg, -1); }

/* true: counter is zero; false: registered as a waiter. */
static bool wait_register(goc_waitgroup *wg) {
  for (;;) {
    uint64_t state = atomic_load(&wg->state);
    if ((int32_t)(state >> 32) == 0) return true;
    if (atomic_compare_exchange_strong(&wg->state, &state, state + 1)) return false;
  }
}

static void wait_done(goc_waitgroup *wg) {
  if (atomic_load(&wg->state) != 0)
    goc_panic("sync: WaitGroup is reused before previous Wait has returned");
}

int goc_waitgroup_wait__async(goc_g *g, goc_waitgroup *wg) {
  if (goc__gx(g)->ss2.phase == 0) {
    if (wait_register(wg)) return 1;
    goc__gx(g)->ss2.phase = 1;
  }
  if (!goc__semacquire_async(g, &wg->sema, false, GOC_WAIT_WAITGROUP)) return 0;
  goc__gx(g)->ss2.phase = 0;
  wait_done(wg);
  return 1;
}

void goc_waitgroup_wait(goc_waitgroup *wg) {
  if (wait_register(wg)) return;
  goc__semacquire_thread(&wg->sema, false, GOC_WAIT_WAITGROUP);
  wait_done(wg);
}
