/* rwmutex.c — goc_rwmutex, Go's sync.RWMutex.
 *
 * Invariants: reader_count is the number of readers, minus 2^30 while a
 * writer holds or waits for the lock; reader_wait counts the readers the
 * waiting writer still waits for; w serialises writers. A G keeps its phase
 * in goc__gx(g)->ss2 (1: parked on a semaphore) and its w.lock state in goc__gx(g)->ss.
 */
#include "proc.h"

#define RW_MAX_READERS (1 << 30)

int goc_rwmutex_rlock__async(goc_g *g, goc_rwmutex *rw) {
  if (goc__gx(g)->ss2.phase == 0) {
    if (atomic_fetch_add(&rw->reader_count, 1) + 1 >= 0) return 1;
    goc__gx(g)->ss2.phase = 1;
  }
  if (!goc__semacquire_async(g, &rw->reader_sem, false, GOC_WAIT_RWMUTEX_R))
    return 0;
  goc__gx(g)->ss2.phase = 0;
  return 1;
}

void goc_rwmutex_rlock(goc_rwmutex *rw) {
  if (atomic_fetch_add(&rw->reader_count, 1) + 1 < 0)
    goc__semacquire_thread(&rw->reader_sem, false, GOC_WAIT_RWMUTEX_R);
}

void goc_rwmutex_runlock(goc_rwmutex *rw) {
  int32_t r = atomic_fetch_sub(&rw->reader_count, 1) - 1;
  if (r >= 0) return;
  if (r + 1 == 0 || r + 1 == -RW_MAX_READERS)
    goc__throw("sync: RUnlock of unlocked RWMutex");
  if (atomic_fetch_sub(&rw->reader_wait, 1) - 1 == 0)
    goc__semrelease(&rw->writer_sem, false);
}

/* w is held: announce the writer; true if it must wait for readers. */
static bool writer_must_wait(goc_rwmutex *rw) {
  int32_t r = atomic_fetch_sub(&rw->reader_count, RW_MAX_READERS);
  return r != 0 && atomic_fetch_add(&rw->reader_wait, r) + r != 0;
}

int goc_rwmutex_lock__async(goc_g *g, goc_rwmutex *rw) {
  if (goc__gx(g)->ss2.phase == 0) {
    if (!goc_mutex_lock__async(g, &rw->w)) return 0;
    if (!writer_must_wait(rw)) return 1;
    goc__gx(g)->ss2.phase = 1;
  }
  if (!goc__semacquire_async(g, &rw->writer_sem, false, GOC_WAIT_RWMUTEX_W))
    return 0;
  goc__gx(g)->ss2.phase = 0;
  return 1;
}

void goc_rwmutex_lock(goc_rwmutex *rw) {
  goc_mutex_lock(&rw->w);
  if (writer_must_wait(rw))
    goc__semacquire_thread(&rw->writer_sem, false, GOC_WAIT_RWMUTEX_W);
}

void goc_rwmutex_unlock(goc_rwmutex *rw) {
  int32_t r = atomic_fetch_add(&rw->reader_count, RW_MAX_READERS) + RW_MAX_READERS;
  if (r >= RW_MAX_READERS) goc__throw("sync: Unlock of unlocked RWMutex");
  for (int32_t i = 0; i < r; i++) goc__semrelease(&rw->reader_sem, false);
  goc_mutex_unlock(&rw->w);
}
