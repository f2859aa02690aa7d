/* cputicks.h — a cycle counter for measuring short durations cheaply (Go's
 * cputicks): the contention profiles time every block with it, where two
 * clock_gettime calls per event were a large part of an event's cost.
 *
 * Invariants:
 *   - goc__cputicks is monotonic on one thread and comparable across
 *     threads (x86-64's invariant TSC, which Linux checks before it uses
 *     the TSC as its clock; AArch64's virtual counter); elsewhere it is
 *     goc_now, one tick per nanosecond.
 *   - Ticks become nanoseconds only through goc__ticks_q, a rate measured
 *     against CLOCK_MONOTONIC from goc__ticks_start to the call, never from
 *     a nominal frequency.
 */
#ifndef GOC_CPUTICKS_H
#define GOC_CPUTICKS_H
#include <stdbool.h>
#include <stdint.h>

static inline uint64_t goc__cputicks(void) {
#if defined(__x86_64__)
  return __builtin_ia32_rdtsc();
#elif defined(__aarch64__)
  uint64_t t;
  __asm__ volatile("mrs %0, cntvct_el0" : "=r"(t));
  return t;
#else
  extern int64_t goc_now(void);
  return (uint64_t)goc_now();
#endif
}

/* The baseline the rate is measured from; the first call sets it, later
 * calls do nothing. */
void goc__ticks_start(void);
/* Nanoseconds per tick, as a 32.32 fixed-point number, measured over the
 * time since goc__ticks_start. wait: sleep until that time is at least
 * GOC_TICKS_MIN_NS, for a rate to rely on (Go's ticksPerSecond waits 5 ms
 * too); otherwise the first rate measured over that long, or until then an
 * estimate over whatever time has passed. */
#define GOC_TICKS_MIN_NS 5000000
uint64_t goc__ticks_q(bool wait);
/* The rate once fixed (measured over at least GOC_TICKS_MIN_NS), else 0. */
uint64_t goc__ticks_fixed(void);
/* ns as ticks at rate q, at most INT64_MAX. */
static inline uint64_t goc__ns_to_ticks(int64_t ns, uint64_t q) {
  unsigned __int128 t = ((unsigned __int128)(uint64_t)ns << 32) / q;
  return t > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : (uint64_t)t;
}
static inline int64_t goc__ticks_to_ns(uint64_t ticks, uint64_t q) {
  return (int64_t)(((unsigned __int128)ticks * q) >> 32);
}
#endif
