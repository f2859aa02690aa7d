/* blockrec.h — where the contention profiles' events are recorded: a table
 * per thread, written by that thread alone without a lock or a locked
 * instruction, merging the events of one stack as they come; the profiles
 * (blockprof.c) fold every table into their builders under their lock
 * when they are written, and a thread folds its own when it fills or the
 * thread exits. Go takes one lock per event (profBlockLock); the pprof
 * builder's string hashing per frame, under a lock every P shared, was
 * most of an event's cost.
 *
 * Invariants:
 *   - An entry's stack is the sequence of (goc_fninfo pointer, line) of
 *     the blocked G's frames, innermost first, at most GOC_PPROF_MAXDEPTH:
 *     the records are static, so a pointer stands for its function and
 *     file; the builder merges two pointers with the same strings.
 *   - Only the owner thread inserts, adds to and clears entries; it
 *     publishes an entry (its hash, with release) after writing the rest,
 *     and clears its table only under the profiles' lock. Folders read
 *     published entries under that lock and keep, per entry, how much they
 *     have folded, so each event is folded exactly once; a fold that reads
 *     a count before its delay catches the delay up at the next fold.
 *   - A table belongs to one live thread at a time; an exited thread's
 *     table, folded, is taken by the next thread that records, so there
 *     are never more tables than threads alive at once.
 */
#ifndef GOC_BLOCKREC_H
#define GOC_BLOCKREC_H
#include <stdint.h>
#include "pprof.h"
#include "proc.h"

enum { GOC_BREC_BLOCK, GOC_BREC_MUTEX, GOC_BREC_KINDS };

/* goc__blockprof_ready (blockprof.h) is here too: it adds count events of
 * delay ticks (cputicks.h) plus ns nanoseconds at g's stack to a profile,
 * in the calling thread's table, and is the only caller. */
extern _Atomic int goc__mutexprof_rate;   /* blockprof.c */
/* The profiles' lock held: folds what every table holds beyond what was
 * folded before into prof[kind], ticks at q (goc__ticks_q). */
void goc__brec_fold(goc_pprof *const prof[GOC_BREC_KINDS], uint64_t q);

/* blockprof.c: the profiles' lock and builders, for a table's own fold. */
void goc__contention_lock(void);
void goc__contention_unlock(void);
goc_pprof *const *goc__contention_builders(void);   /* the lock held */
#endif
