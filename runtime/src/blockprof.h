/* blockprof.h — the block profile, as Go's: time goroutines spent blocked
 * in channel operations, select and the sync package, per .goc stack (the
 * chain of frames where the goroutine suspended), with the number of
 * blocking events. goc_set_block_profile_rate turns it on from code;
 * GOC_BLOCKPROFILE=FILE records every event and writes the profile (pprof's
 * gzipped protobuf) to FILE when the program exits.
 *
 * Invariants:
 *   - Off, each hook is one relaxed load of goc__contention_on and a branch.
 *   - A block is measured from the park commit to goc__ready, in cputicks
 *     (cputicks.h); a park stamped before the profiles last came on
 *     (goc__contention_since) is not measured, so turning them off clears
 *     nothing. Goroutines still blocked when the profile is written are not
 *     counted, as in Go. Sleeps, I/O waits, goc_blocking and blocks that
 *     can never end (nil channels, empty select) are not block events, as
 *     in Go.
 */
#ifndef GOC_BLOCKPROF_H
#define GOC_BLOCKPROF_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "goc_abi.h"

/* Go's rate: <= 0 off, 1 every event, else one event per rate ns blocked
 * on average (longer blocks always). */
extern _Atomic int64_t goc__blockprof_rate;
/* Whether the block or the mutex profile records (one load for both). */
extern __attribute__((visibility("hidden"))) _Atomic bool goc__contention_on;   /* proc.h: GOC_HIDDEN */
extern _Atomic uint64_t goc__contention_since;   /* cputicks when last turned on */
static inline bool goc__blockprof_on(void) {
  return atomic_load_explicit(&goc__contention_on, memory_order_relaxed);
}
/* The wait reasons (goc_wait_reason's bits) an on profile records: a park
 * for any other is not stamped (no clock read). */
extern _Atomic uint32_t goc__contention_reasons;
static inline bool goc__blockprof_stamps(unsigned reason) {
  return (atomic_load_explicit(&goc__contention_reasons, memory_order_relaxed) >> reason) & 1;
}
/* The block rate in cputicks, fixed once the tick rate is (0 until then,
 * or when the rate is 0 or 1); the _slow form converts ns at the rate
 * measured so far and publishes the fixed one as soon as there is one. */
extern _Atomic uint64_t goc__blockprof_rate_ticks;
uint64_t goc__blockprof_rate_ticks_slow(int64_t ns);
void goc__blockprof_init(void);   /* GOC_BLOCKPROFILE */
/* g's park is committed and it is about to run again (goc__ready): its
 * frames are still those of the block. */
void goc__blockprof_ready(goc_g *g);
/* debug <= 0: profile.proto gzipped; otherwise Go's text form. */
int goc__blockprof_write(FILE *out, int debug);
void goc__blockprof_flush(void);
/* The mutex profile (GOC_MUTEXPROFILE, goc_set_mutex_profile_fraction):
 * contended goc_mutex/goc_rwmutex waits, recorded from the same hook, at the
 * waiter's stack (Go records the unlocker's: goc's waiters know the lock
 * only by their wait reason). */
int goc__mutexprof_write(FILE *out, int debug);
void goc__mutexprof_flush(void);
bool goc__mutexprof_wanted(void);
#endif
