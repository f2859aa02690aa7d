/* trace.h — GOC_TRACE=FILE: an execution trace in the Chrome trace-event
 * JSON format (Perfetto and chrome://tracing open it).
 *
 * Invariants:
 *   - When GOC_TRACE is unset every hook is one load of goc__trace_on and a
 *     branch predicted not taken; nothing else runs.
 *   - Events are appended under one lock (tracing is a debugging mode, not a
 *     fast path) into one of two fixed buffers; a full buffer goes to a
 *     writer thread while the other fills, so memory stays bounded however
 *     long the run (an appender waits while both are full). The file is
 *     closed (complete JSON) once, at the first exit path (exitfiles.c).
 *   - Every P row balances: a run slice opening on a row closes the one
 *     left open there, a close without an open slice is dropped, and the
 *     end of a trace closes what is still open (trace_state.h).
 *   - goc__trace_on changes only under the lock; a hook that read it set
 *     just before it was cleared finds no output under the lock and drops
 *     its event.
 */
#ifndef GOC_TRACE_H
#define GOC_TRACE_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

extern __attribute__((visibility("hidden"))) bool goc__trace_on;   /* proc.h: GOC_HIDDEN */

/* What each kind means, and what name, detail and n carry. */
typedef enum {
  GOC_EV_CREATE,    /* a go statement: detail/n the site; gid runnable */
  GOC_EV_RUN,       /* gid starts running on P: name its function */
  GOC_EV_STOP,      /* gid stops running on P (blocked, preempted, done) */
  GOC_EV_BLOCK,     /* gid blocks: name the reason, detail/n its site */
  GOC_EV_UNBLOCK,   /* gid made runnable (ends its netpoll/blocking wait) */
  GOC_EV_END,       /* gid finished */
  GOC_EV_REQUEUE,   /* gid back on a run queue: name "preempted" or "yield" */
  GOC_EV_IOWAIT,    /* gid parks on the netpoller: name "read"/"write", n the fd */
  GOC_EV_BLOCKING,  /* gid parks in goc_blocking while a worker runs the call */
  GOC_EV_SYSCALL,   /* gid's plain C enters syscall state (goc_syscall_enter) */
  GOC_EV_SYSCALL_END, /* ... and leaves it */
  GOC_EV_HANDOFF,   /* P leaves gid's M (n its id): the monitor retakes it,
                       name "syscall" or "plain C", or the M hands it off
                       before it sleeps in plain C, "blocked thread" */
  GOC_EV_RESUME,    /* gid's M got P back after losing its own: name the
                       function, detail why ("syscall", "plain C"), n the
                       ns it waited for a P */
} goc_trace_kind;

void goc__trace_init(void);   /* reads GOC_TRACE */
void goc__trace_event(goc_trace_kind kind, int64_t gid, int32_t p, const char *name, const char *detail, int64_t n);
void goc__trace_flush(void);  /* GOC_TRACE's file complete (once) */
/* A trace into f until goc__trace_stop (the endpoint's trace?seconds=N);
 * -1 while one runs. */
int goc__trace_start(FILE *f);
void goc__trace_stop(void);

#define GOC_TRACE(kind, gid, p, name, detail, n)                            \
  do {                                                                      \
    if (__builtin_expect(goc__trace_on, 0)) goc__trace_event(kind, gid, p, name, detail, n); \
  } while (0)
#endif
