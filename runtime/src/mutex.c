/* mutex.c — goc_mutex, Go's sync.Mutex (spinning, then parking on the
 * mutex's semaphore; starvation mode after 1 ms of waiting). The
 * uncontended lock (a CAS from 0) and unlock (an add that leaves 0) are
 * inline in lowered code (goc_abi.h); the rest is here.
 *
 * Invariants (state bits, as Go's mutex.go):
 *   - bit 0 locked, bit 1 woken (a woken waiter is running, so unlock
 *     need not wake another), bit 2 starving (ownership is handed directly
 *     to the first waiter), bits 3.. the number of waiters.
 *   - In normal mode a woken waiter competes with new arrivals; one that
 *     waited over 1 ms switches the mutex to starving mode, which ends when
 *     the last waiter takes it or one waited less than 1 ms.
 *   - A G keeps its lockSlow locals in goc__gx(g)->ss between suspensions
 *     (goc__gx(g)->ss.phase 1: parked on the semaphore).
 */
#include <unistd.h>
#include "proc.h"

#define M_LOCKED 1
#define M_WOKEN 2
#define M_STARVING 4
#define M_SHIFT 3
#define STARVATION_NS (1 * GOC_MILLISECOND)

/* Spin rounds before a waiter parks, and the PAUSEs of the first; each
 * round doubles. Go spins 4 rounds of 30 PAUSEs, which was about 100 ns a
 * round where a PAUSE took a few cycles; a PAUSE takes about 28 ns on the
 * EPYC VMs this is measured on, and each look at m->state between rounds
 * takes the mutex's cache line from the holder, so a holder that relocks
 * at once (bench/goc/mutex.goc) runs slowed by the line moving. Doubling
 * keeps Go's first look (a lock released soon is still taken soon) and
 * makes the later ones sparse: 5 rounds, 30 to 480 PAUSEs (26 us here,
 * about one park and wake-up of an M), took the mutex row at P=2 from
 * 167 ms to 126 ms for 20M iterations (Go: 156 ms). */
#define SPIN_ROUNDS 5
#define SPIN_PAUSES 30

static bool can_spin(int iter) {
  /* Cached by whichever thread gets here first (all store the same value). */
  static _Atomic int ncpu_cache;
  int ncpu = atomic_load_explicit(&ncpu_cache, memory_order_relaxed);
  if (!ncpu) {
    ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
    atomic_store_explicit(&ncpu_cache, ncpu, memory_order_relaxed);
  }
  if (iter >= SPIN_ROUNDS || ncpu <= 1) return false;
  goc_sched *s = &goc__sched;
  if (!atomic_load(&s->started) ||
      goc__maxprocs() <= atomic_load(&s->npidle) + atomic_load(&s->nmspinning) + 1)
    return false;
  goc_m *m = goc__tls_m;
  if (m && m->p && !goc__runqempty(m->p)) return false;
  return true;
}

static void do_spin(int iter) {
  for (int i = 0; i < SPIN_PAUSES << iter; i++) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#else
    __asm__ __volatile__("" ::: "memory");
#endif
  }
}

/* g == NULL: block the thread. Returns 1 when locked, 0 when g suspends.
 * Aligned to a cache line, so that where its spin loop falls does not
 * move with the code linked before it: bench mutex at P=2 (two workers
 * contending) took 22-26 ms with it 16 bytes into a line and 40-61 ms
 * at 32 and 48 bytes, with no other change (bench/NOTES.md). */
__attribute__((aligned(64))) static int lock_slow(goc_g *g, goc_mutex *m, goc_syncstate *s) {
  int32_t old, new;
  if (s->phase == 1) goto resume;
  s->wait_start = 0;
  s->starving = false;
  s->awoke = false;
  s->iter = 0;
  old = atomic_load(&m->state);
  for (;;) {
    if ((old & (M_LOCKED | M_STARVING)) == M_LOCKED && can_spin(s->iter)) {
      if (!s->awoke && (old & M_WOKEN) == 0 && (old >> M_SHIFT) != 0 &&
          atomic_compare_exchange_strong(&m->state, &old, old | M_WOKEN))
        s->awoke = true;
      do_spin(s->iter);
      s->iter++;
      old = atomic_load(&m->state);
      continue;
    }
    new = old;
    if (!(old & M_STARVING)) new |= M_LOCKED;
    if (old & (M_LOCKED | M_STARVING)) new += 1 << M_SHIFT;
    if (s->starving && (old & M_LOCKED)) new |= M_STARVING;
    if (s->awoke) {
      if (!(new & M_WOKEN)) goc__throw("sync: inconsistent mutex state");
      new &= ~M_WOKEN;
    }
    if (!atomic_compare_exchange_strong(&m->state, &old, new)) continue;
    if ((old & (M_LOCKED | M_STARVING)) == 0) break;   /* locked by CAS */
    {
      bool lifo = s->wait_start != 0;
      if (!s->wait_start) s->wait_start = goc_now();
      if (g) {
        s->phase = 1;
        if (!goc__semacquire_async(g, &m->sema, lifo, GOC_WAIT_MUTEX)) return 0;
      } else {
        goc__semacquire_thread(&m->sema, lifo, GOC_WAIT_MUTEX);
      }
      goto acquired;
    }
  resume:
    if (!goc__semacquire_async(g, &m->sema, true, GOC_WAIT_MUTEX)) return 0;
  acquired:
    s->phase = 0;
    s->starving = s->starving || goc_now() - s->wait_start > STARVATION_NS;
    old = atomic_load(&m->state);
    if (old & M_STARVING) {
      if ((old & (M_LOCKED | M_WOKEN)) != 0 || (old >> M_SHIFT) == 0)
        goc__throw("sync: inconsistent mutex state");
      int32_t delta = M_LOCKED - (1 << M_SHIFT);
      if (!s->starving || (old >> M_SHIFT) == 1) delta -= M_STARVING;
      atomic_fetch_add(&m->state, delta);
      break;
    }
    s->awoke = true;
    s->iter = 0;
  }
  s->phase = 0;
  return 1;
}

/* g is the current G; uses goc__gx(g)->ss. The CAS from 0 is
 * goc_mutex_lock__async's (goc_abi.h): it cannot succeed while g is in a
 * wait on m (phase 1), since m->state then counts g as a waiter or holds
 * the woken or starving bit that only g will clear. */
int goc__mutex_lock_slow(goc_g *g, goc_mutex *m) {
  return lock_slow(g, m, &goc__gx(g)->ss);
}

/* Blocks the calling thread (plain C). */
void goc_mutex_lock(goc_mutex *m) {
  int32_t z = 0;
  if (atomic_compare_exchange_strong(&m->state, &z, M_LOCKED)) return;
  goc_syncstate s = {0};
  lock_slow(NULL, m, &s);
}

bool goc_mutex_trylock(goc_mutex *m) {
  int32_t old = atomic_load(&m->state);
  if (old & (M_LOCKED | M_STARVING)) return false;
  return atomic_compare_exchange_strong(&m->state, &old, old | M_LOCKED);
}

/* new: m->state after the unlocking add, not 0. */
void goc__mutex_unlock_slow(goc_mutex *m, int32_t new) {
  if (((new + M_LOCKED) & M_LOCKED) == 0)
    goc__throw("sync: unlock of unlocked mutex");
  if (!(new & M_STARVING)) {
    int32_t old = new;
    for (;;) {
      if ((old >> M_SHIFT) == 0 || (old & (M_LOCKED | M_WOKEN | M_STARVING)))
        return;
      new = (old - (1 << M_SHIFT)) | M_WOKEN;
      if (atomic_compare_exchange_strong(&m->state, &old, new)) {
        goc__semrelease(&m->sema, false);
        return;
      }
    }
  }
  goc__semrelease(&m->sema, true);
}

/* The library's copy of goc_abi.h's inline one, for plain C. */
void goc_mutex_unlock(goc_mutex *m) {
  int32_t new = atomic_fetch_sub(&m->state, M_LOCKED) - M_LOCKED;
  if (new != 0) goc__mutex_unlock_slow(m, new);
}
