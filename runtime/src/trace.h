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
 *   - goc__trace_on changes only under the lock; a hook that read it set
 *     just before it was cleared finds no output under the lock and drops
 *     its event.
 */
#ifndef GOC_TRACE_H
#define GOC_TRACE_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

extern bool goc__trace_on;

typedef enum {
  GOC_EV_CREATE,    /* a go statement: gid, site */
  GOC_EV_RUN,       /* gid starts running on P */
  GOC_EV_STOP,      /* gid stops running on P (blocked, preempted, done) */
  GOC_EV_BLOCK,     /* gid blocks: reason, site of its innermost frame */
  GOC_EV_UNBLOCK,   /* gid made runnable */
  GOC_EV_END,       /* gid finished */
} goc_trace_kind;

void goc__trace_init(void);   /* reads GOC_TRACE */
void goc__trace_event(goc_trace_kind kind, int64_t gid, int32_t p, const char *what, const char *file, int line);
void goc__trace_flush(void);  /* GOC_TRACE's file complete (once) */
/* A trace into f until goc__trace_stop (the endpoint's trace?seconds=N);
 * -1 while one runs. */
int goc__trace_start(FILE *f);
void goc__trace_stop(void);

#define GOC_TRACE(kind, gid, p, what, file, line)                           \
  do {                                                                      \
    if (__builtin_expect(goc__trace_on, 0)) goc__trace_event(kind, gid, p, what, file, line); \
  } while (0)
#endif
