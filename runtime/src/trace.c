/* trace.c — GOC_TRACE=FILE execution traces (see trace.h).
 *
 * Each P is a thread row ("P0", "P1", ...): a goroutine's runs are slices
 * named "G<id> <function>", and creation, blocking (with the wait reason and
 * the .goc site where it blocked), unblocking and the end are instant
 * events on the row of the P (or "outside Ps" for plain threads). */
#include "trace.h"
#include <pthread.h>
#include "proc.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include "goc.h"

bool goc__trace_on;

typedef struct ev {   /* 40 bytes */
  int64_t ts;
  int64_t gid;
  const char *what;
  const char *file;
  int32_t p;
  int32_t line;
  uint8_t kind;
} ev;

#define TRACE_BUF_EVENTS 32768   /* per buffer: 1.3 MB */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_cv = PTHREAD_COND_INITIALIZER;   /* a buffer to write */
static pthread_cond_t free_cv = PTHREAD_COND_INITIALIZER;   /* the writer is done */
static ev *bufs[2];
static int cur;                 /* the buffer being filled */
static size_t ncur;
static int pending = -1;        /* the buffer the writer writes, or -1 */
static size_t npending;
static FILE *out;
static int64_t t0;
static int32_t maxp = -1;
static bool flushed;

static void write_events(const ev *evs, size_t n);

void goc__rt_thread_add(void);   /* panic.c: not a thread the deadlock check waits for */

static void *writer(void *arg) {
  (void)arg;
  goc__rt_thread_add();
  pthread_mutex_lock(&lock);
  for (;;) {
    while (pending < 0) pthread_cond_wait(&work_cv, &lock);
    int idx = pending;
    size_t n = npending;
    pthread_mutex_unlock(&lock);
    write_events(bufs[idx], n);   /* only this thread writes out meanwhile */
    pthread_mutex_lock(&lock);
    pending = -1;
    pthread_cond_broadcast(&free_cv);
  }
  return NULL;
}

static bool writer_started;

/* lock held: tracing into f from now on; false if it cannot start. */
static bool start_locked(FILE *f) {
  if (!bufs[0]) bufs[0] = malloc(sizeof(ev) * TRACE_BUF_EVENTS);
  if (!bufs[1]) bufs[1] = malloc(sizeof(ev) * TRACE_BUF_EVENTS);
  if (!bufs[0] || !bufs[1]) goc__throw("out of memory allocating the trace buffers");
  if (!writer_started) {
    pthread_t th;
    if (pthread_create(&th, NULL, writer, NULL) != 0) return false;
    pthread_detach(th);
    writer_started = true;
  }
  out = f;
  ncur = 0;
  maxp = -1;
  flushed = false;
  fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", out);
  fputs("{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"args\":{\"name\":\"goc\"}}", out);
  t0 = goc_now();
  goc__trace_on = true;
  return true;
}

/* lock held: the rest of the events, the rows' names, the end of the JSON;
 * out stays open (its owner closes it). */
static void finish_locked(void) {
  goc__trace_on = false;
  flushed = true;
  while (pending >= 0) pthread_cond_wait(&free_cv, &lock);
  write_events(bufs[cur], ncur);
  ncur = 0;
  for (int32_t p = -1; p <= maxp; p++) {
    fprintf(out, ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%d,\"args\":{\"name\":", p + 1);
    if (p < 0) fputs("\"outside Ps\"", out);
    else fprintf(out, "\"P%d\"", p);
    fputs("}}", out);
  }
  fputs("\n]}\n", out);
  fflush(out);
}

static bool trace_file;   /* out is GOC_TRACE's file (closed at exit) */

void goc__trace_init(void) {
  const char *e = getenv("GOC_TRACE");
  if (!e || !*e) return;
  FILE *f = fopen(e, "w");
  goc__rt_lock(&lock);
  bool ok = f && start_locked(f);
  if (ok) trace_file = true;
  goc__rt_unlock(&lock);
  if (!ok) {
    fprintf(stderr, "goc: cannot write trace %s\n", e);
    if (f) fclose(f);
    return;
  }
  atexit(goc__trace_flush);
}

/* /debug/pprof/trace?seconds=N (debugaddr.c): -1 while GOC_TRACE or another
 * request traces. */
int goc__trace_start(FILE *f) {
  goc__rt_lock(&lock);
  int rc = out == NULL && start_locked(f) ? 0 : -1;
  goc__rt_unlock(&lock);
  return rc;
}

void goc__trace_stop(void) {
  goc__rt_lock(&lock);
  if (out && !trace_file) {
    finish_locked();
    out = NULL;
  }
  goc__rt_unlock(&lock);
}

void goc__trace_event(goc_trace_kind kind, int64_t gid, int32_t p, const char *what, const char *file, int line) {
  int64_t now = goc_now();
  goc__rt_lock(&lock);
  if (!out || flushed) {
    goc__rt_unlock(&lock);
    return;
  }
  if (ncur == TRACE_BUF_EVENTS) {
    while (pending >= 0) pthread_cond_wait(&free_cv, &lock);
    pending = cur;
    npending = ncur;
    cur ^= 1;
    ncur = 0;
    pthread_cond_signal(&work_cv);
  }
  if (p > maxp) maxp = p;
  bufs[cur][ncur++] = (ev){now - t0, gid, what, file, p, line, (uint8_t)kind};
  goc__rt_unlock(&lock);
}

static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; s && *s; s++) {
    if (*s == '"' || *s == '\\') fputc('\\', f);
    if ((unsigned char)*s < 0x20) continue;
    fputc(*s, f);
  }
  fputc('"', f);
}

/* Slices are "G<id> <function>" (B) closed by a nameless E, so a viewer
 * pairs them by row whatever the function was at either end. */
static void write_events(const ev *evs, size_t n) {
  static const char *names[] = {"create", "run", "stop", "block", "unblock", "end"};
  FILE *f = out;
  for (size_t i = 0; i < n; i++) {
    const ev *e = &evs[i];
    double us = (double)e->ts / 1000.0;
    int tid = e->p + 1;
    if (e->kind == GOC_EV_RUN) {
      fprintf(f, ",\n{\"name\":\"G%lld", (long long)e->gid);
      if (e->what) fprintf(f, " %s", e->what);
      fprintf(f, "\",\"ph\":\"B\",\"pid\":1,\"tid\":%d,\"ts\":%.3f}", tid, us);
      continue;
    }
    if (e->kind == GOC_EV_STOP) {
      fprintf(f, ",\n{\"ph\":\"E\",\"pid\":1,\"tid\":%d,\"ts\":%.3f}", tid, us);
      continue;
    }
    fprintf(f, ",\n{\"name\":\"%s G%lld\",\"ph\":\"i\",\"s\":\"t\",\"pid\":1,\"tid\":%d,\"ts\":%.3f,\"args\":{",
            names[e->kind], (long long)e->gid, tid, us);
    fputs("\"reason\":", f);
    json_str(f, e->what ? e->what : "");
    fputs(",\"site\":", f);
    char site[512];
    snprintf(site, sizeof site, "%s:%d", e->file ? e->file : "?", e->line);
    json_str(f, e->file ? site : "");
    fputs("}}", f);
  }
}

/* At exit (and on every other exit path, exitfiles.c): GOC_TRACE's file
 * complete and closed. */
void goc__trace_flush(void) {
  goc__rt_lock(&lock);
  if (!out || !trace_file || flushed) {
    goc__rt_unlock(&lock);
    return;
  }
  finish_locked();
  fclose(out);
  out = NULL;
  trace_file = false;
  goc__rt_unlock(&lock);
}
