/* trace_state.h — what the trace remembers between events (trace.c): per
 * goroutine, when it became runnable and which off-P wait it is in; per P,
 * which goroutine's run slice is open; the scheduling-latency histogram.
 * Internal to trace.c.
 *
 * Invariants:
 *   - Everything here is touched only under trace.c's lock, and only while
 *     a trace is being written; trace_state_reset clears it at each start.
 *   - The goroutine table holds an entry only while a goroutine is runnable
 *     or in a wait the trace shows as an async slice (it lives outside
 *     goc_g, which stays as small as it is when nobody traces): its size
 *     follows the goroutines in those states, never the length of the run.
 *   - A P row has at most one open run slice (ps_open): a slice that opens
 *     on a row closes the one left there, so every row balances.
 */
#ifndef GOC_TRACE_STATE_H
#define GOC_TRACE_STATE_H
#include <stdbool.h>
#include <stdint.h>

enum { TS_ASYNC_NONE, TS_ASYNC_NETPOLL, TS_ASYNC_BLOCKING, TS_ASYNC_SYSCALL };

typedef struct ts_g {
  int64_t key;         /* gid + 1; 0: empty slot */
  int64_t ready_ts;    /* runnable since (trace time); -1: not runnable */
  uint8_t async;       /* TS_ASYNC_*: the open async slice */
  uint8_t dir;         /* netpoll: 1 read, 2 write */
  int32_t fd;
  int32_t tid;         /* the row the async slice began on */
} ts_g;

void goc__trace_state_reset(void);
/* The entry of gid, created (not runnable, no async) if create. NULL if
 * absent (or out of memory: the event then goes without its bookkeeping). */
ts_g *goc__ts_get(int64_t gid, bool create);
/* Drops e if it holds nothing any more. */
void goc__ts_settle(ts_g *e);
/* Calls f on every entry with an open async slice (at the trace's end). */
void goc__ts_each_async(void (*f)(int64_t gid, const ts_g *e, void *arg), void *arg);

/* The gid whose run slice is open on P p (0: none; gid + 1 stored). */
int64_t goc__ps_open(int32_t p);
void goc__ps_set_open(int32_t p, int64_t gid_plus1);

void goc__lat_add(int64_t ns);
typedef struct lat_summary {
  int64_t count, sum, max;
  int64_t buckets[64];   /* [k]: latencies in [2^(k-1), 2^k) ns; [0]: 0 */
} lat_summary;
const lat_summary *goc__lat_get(void);
#endif
