/* park.h — how runtime code blocks and wakes goroutines and plain threads.
 *
 * The contract between the scheduler (proc.c, sched.c: owns goc_g, M, P)
 * and the code that blocks (chan.c, select.c, sema.c, sync, timers,
 * netpoll). A waiter is either a G (parks its goroutine) or an OS thread
 * that is not running a goroutine (parks on a futex).
 *
 * Invariants:
 *   - A G parks only from inside a step function, through goc__park_g;
 *     the park is committed by the scheduler after the step has returned
 *     GOC_SUSPEND all the way up (see goc_abi.h), by calling `commit`.
 *   - goc__ready(g) may be called only after the park was committed or
 *     from inside `commit` itself. Code that holds a lock while registering
 *     the waiter releases it in `commit`, so a waker (which takes the same
 *     lock) can never ready a G before its park is committed.
 *   - goc__ready never blocks and never allocates.
 */
#ifndef GOC_PARK_H
#define GOC_PARK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include "goc_abi.h"

/* Why a goroutine waits, as in Go's waitReason (goc_dump prints these). */
typedef enum goc_wait_reason {
  GOC_WAIT_NONE = 0,
  GOC_WAIT_CHAN_RECV,     /* "chan receive" */
  GOC_WAIT_CHAN_SEND,     /* "chan send" */
  GOC_WAIT_CHAN_RECV_NIL, /* "chan receive (nil chan)" */
  GOC_WAIT_CHAN_SEND_NIL, /* "chan send (nil chan)" */
  GOC_WAIT_SELECT,        /* "select" */
  GOC_WAIT_SELECT_NO_CASES, /* "select (no cases)" */
  GOC_WAIT_SLEEP,         /* "sleep" */
  GOC_WAIT_MUTEX,         /* "sync.Mutex.Lock" */
  GOC_WAIT_RWMUTEX_R,     /* "sync.RWMutex.RLock" */
  GOC_WAIT_RWMUTEX_W,     /* "sync.RWMutex.Lock" */
  GOC_WAIT_WAITGROUP,     /* "sync.WaitGroup.Wait" */
  GOC_WAIT_COND,          /* "sync.Cond.Wait" */
  GOC_WAIT_IO,            /* "IO wait" */
  GOC_WAIT_SYNC,          /* "sync" (run_sync caller, once) */
  GOC_WAIT_BLOCKING,      /* "goc_blocking" (its function runs on the pool) */
} goc_wait_reason;
const char *goc__wait_reason_string(goc_wait_reason r);
extern const char *const goc__wait_reasons[];   /* by reason; read by the gdb extension */

/* The current G, or NULL on a thread that is not running a goroutine. */
goc_g *goc__getg(void);

/* Called by a blocking operation inside a step (with g == current G):
 * records that g will park for `reason`. After the step chain has returned
 * GOC_SUSPEND, the scheduler marks g waiting and calls commit(g, arg)
 * (commit may be NULL). Then anyone may goc__ready(g). */
typedef void (*goc_commit_fn)(goc_g *g, void *arg);
/* void goc__park_g(goc_g *g, goc_wait_reason reason, goc_commit_fn commit,
 *                  void *arg): inline in proc.h (it writes the M's park
 * record, on every hand-off). */

/* Makes a parked G runnable (on the current P's runnext if the caller runs
 * on a P, else the global queue) and wakes an idle P if needed. */
void goc__ready(goc_g *g);

/* Per-G scratch the blocking code may use between park and resume. */
typedef struct goc_waiter goc_waiter;
/* goc__g_wait_state(g) and goc__g_set_wait_state(g, p): one pointer slot,
 * inline in proc.h (every hand-off reads and clears it). */

/* ---- OS-thread parking (plain C threads, and goroutine-less callers) ---- */
typedef struct goc_note {
  _Atomic uint32_t key;   /* 0: not signalled, 1: signalled */
} goc_note;
void goc__note_clear(goc_note *n);
void goc__note_sleep(goc_note *n);          /* until goc__note_wakeup */
bool goc__note_sleep_until(goc_note *n, int64_t deadline_ns); /* false: timeout */
void goc__note_wakeup(goc_note *n);
/* Around a note sleep by a thread that holds a P (plain C code called from
 * a goroutine): hands the P to another M, and takes one back after. */
void goc__block_thread_enter(goc_wait_reason reason);
void goc__block_thread_exit(void);

/* ---- timers (timer.c) ---------------------------------------------------
 * A runtime timer calls f(arg, now) on some M when `when` (goc_now clock)
 * has passed; f must not block. */
typedef struct goc_rtimer {
  int64_t when;
  int64_t period;                   /* > 0: re-arm every period */
  void (*f)(void *arg, int64_t now);
  void *arg;
  int32_t heap_index;               /* -1 when not in a heap */
  int32_t p_id;                     /* owning heap, -1 when none */
  _Atomic int status;
} goc_rtimer;
void goc__timer_start(goc_rtimer *t);    /* t->when, f, arg set */
bool goc__timer_stop(goc_rtimer *t);     /* true if it was pending */
void goc__timer_modify(goc_rtimer *t, int64_t when, int64_t period);

/* ---- failure ------------------------------------------------------------ */
/* Go's throw: a broken runtime invariant. Prints "fatal error: msg", exit 2. */
__attribute__((noreturn)) void goc__throw(const char *msg);
__attribute__((noreturn)) void goc__throw_err(const char *msg, int err);
/* A user-caused panic: "panic: msg" plus the goroutine trace, exit 2. */
__attribute__((noreturn)) void goc__panic_str(const char *msg);

#endif /* GOC_PARK_H */
