/* trace.c — GOC_TRACE=FILE execution traces (see trace.h).
 *
 * Each P is a thread row ("P0", "P1", ...): a goroutine's runs are slices
 * named "G<id> <function>" (args latency_ns: runnable to running; or, when
 * its M got a P back after losing its own, resumed and p_wait_ns), and
 * creation, blocking (with the wait reason and the .goc site where it
 * blocked), unblocking, preemption, the end and P hand-offs are instant
 * events on the row of the P (or "outside Ps" for plain threads). Waits
 * off any P are async slices per goroutine (id "0x<gid>"): "IO wait fd N
 * read|write" (cat netpoll), "goc_blocking" (cat blocking) and "syscall"
 * (cat syscall). The last event, "scheduling latency", sums latency_ns.
 * docs/debugging.md lists the events. */
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
#include "trace_state.h"

bool goc__trace_on;

typedef struct ev {   /* 48 bytes */
  int64_t ts;
  int64_t gid;
  int64_t n;            /* per kind (trace.h); RUN: latency ns or -1 */
  const char *name;
  const char *detail;
  int32_t p;
  uint8_t kind;         /* goc_trace_kind, or EV_CLOSE / EV_ASYNC_END */
  uint8_t sub;          /* async events: TS_ASYNC_* */
} ev;

/* Written by the bookkeeping, never passed to goc__trace_event. */
enum { EV_CLOSE = 100, EV_ASYNC_END };

#define TRACE_BUF_EVENTS 32768   /* per buffer: 1.5 MB */

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
static void close_open(int64_t ts);

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
  goc__trace_state_reset();
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
  close_open(goc_now() - t0);
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

/* lock held, tracing */
static void append(ev e) {
  if (ncur == TRACE_BUF_EVENTS) {
    while (pending >= 0) pthread_cond_wait(&free_cv, &lock);
    pending = cur;
    npending = ncur;
    cur ^= 1;
    ncur = 0;
    pthread_cond_signal(&work_cv);
  }
  if (e.p > maxp) maxp = e.p;
  bufs[cur][ncur++] = e;
}

/* lock held: closes the run slice open on e's row, if any. */
static void close_row(const ev *e) {
  if (!goc__ps_open(e->p)) return;
  append((ev){.ts = e->ts, .gid = goc__ps_open(e->p) - 1, .p = e->p, .kind = EV_CLOSE});
  goc__ps_set_open(e->p, 0);
}

static void async_begin(ev *e, uint8_t sub) {
  ts_g *g = goc__ts_get(e->gid, true);
  if (!g) return;
  if (g->async != TS_ASYNC_NONE)   /* never expected: keep it balanced anyway */
    append((ev){.ts = e->ts, .gid = e->gid, .n = g->fd, .name = g->dir == 2 ? "write" : "read",
                .p = g->tid - 1, .kind = EV_ASYNC_END, .sub = g->async});
  g->async = sub;
  g->dir = e->name && e->name[0] == 'w' ? 2 : 1;
  g->fd = (int32_t)e->n;
  g->tid = e->p + 1;
  e->sub = sub;
  append(*e);
}

/* lock held: ends gid's async slice if one of the kinds in mask is open. */
static void async_end(const ev *e, unsigned mask) {
  ts_g *g = goc__ts_get(e->gid, false);
  if (!g || g->async == TS_ASYNC_NONE || !(mask & (1u << g->async))) return;
  append((ev){.ts = e->ts, .gid = e->gid, .n = g->fd, .name = g->dir == 2 ? "write" : "read",
              .p = g->tid - 1, .kind = EV_ASYNC_END, .sub = g->async});
  g->async = TS_ASYNC_NONE;
  goc__ts_settle(g);
}

static void runnable(const ev *e) {
  ts_g *g = goc__ts_get(e->gid, true);
  if (g) g->ready_ts = e->ts;
}

/* lock held, tracing: the bookkeeping of one event, then the event. */
static void record(ev e) {
  switch (e.kind) {
  case GOC_EV_CREATE:
  case GOC_EV_REQUEUE:
    runnable(&e);
    break;
  case GOC_EV_UNBLOCK:
    async_end(&e, 1u << TS_ASYNC_NETPOLL | 1u << TS_ASYNC_BLOCKING);
    runnable(&e);
    break;
  case GOC_EV_RUN: {
    e.n = -1;
    ts_g *g = goc__ts_get(e.gid, false);
    if (g && g->ready_ts >= 0) {
      e.n = e.ts - g->ready_ts;
      goc__lat_add(e.n);
      g->ready_ts = -1;
      goc__ts_settle(g);
    }
    close_row(&e);
    goc__ps_set_open(e.p, e.gid + 1);
    break;
  }
  case GOC_EV_RESUME:
    if (goc__ps_open(e.p) == e.gid + 1) return;   /* still on its slice */
    close_row(&e);
    goc__ps_set_open(e.p, e.gid + 1);
    break;
  case GOC_EV_STOP:
    if (goc__ps_open(e.p) != e.gid + 1) return;   /* its slice began before the trace */
    goc__ps_set_open(e.p, 0);
    break;
  case GOC_EV_HANDOFF:
    if (goc__ps_open(e.p)) e.gid = goc__ps_open(e.p) - 1;   /* whose slice it ends */
    close_row(&e);
    break;
  case GOC_EV_END: {
    ts_g *g = goc__ts_get(e.gid, false);
    if (g) {
      g->ready_ts = -1;
      g->async = TS_ASYNC_NONE;
      goc__ts_settle(g);
    }
    break;
  }
  case GOC_EV_IOWAIT: async_begin(&e, TS_ASYNC_NETPOLL); return;
  case GOC_EV_BLOCKING: async_begin(&e, TS_ASYNC_BLOCKING); return;
  case GOC_EV_SYSCALL: async_begin(&e, TS_ASYNC_SYSCALL); return;
  case GOC_EV_SYSCALL_END: async_end(&e, 1u << TS_ASYNC_SYSCALL); return;
  default: break;
  }
  append(e);
}

void goc__trace_event(goc_trace_kind kind, int64_t gid, int32_t p, const char *name, const char *detail, int64_t n) {
  int64_t now = goc_now();
  goc__rt_lock(&lock);
  if (!out || flushed) {
    goc__rt_unlock(&lock);
    return;
  }
  /* Appended in lock order, which is the order that matters for the
   * bookkeeping; a timestamp earlier than one already appended only means
   * the events were close (viewers sort by time). */
  record((ev){.ts = now - t0, .gid = gid, .n = n, .name = name, .detail = detail, .p = p, .kind = (uint8_t)kind});
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

static const char *async_cat[] = {"", "netpoll", "blocking", "syscall"};

static void async_name(FILE *f, uint8_t sub, int64_t fd, const char *dir) {
  if (sub == TS_ASYNC_NETPOLL) fprintf(f, "IO wait fd %lld %s", (long long)fd, dir && dir[0] == 'w' ? "write" : "read");
  else fputs(sub == TS_ASYNC_BLOCKING ? "goc_blocking" : "syscall", f);
}

static void async_event(FILE *f, char ph, int64_t gid, uint8_t sub, int64_t fd, const char *dir, int tid, double us) {
  fputs(",\n{\"name\":\"", f);
  async_name(f, sub, fd, dir);
  fprintf(f, "\",\"cat\":\"%s\",\"ph\":\"%c\",\"id\":\"0x%llx\",\"pid\":1,\"tid\":%d,\"ts\":%.3f", async_cat[sub], ph,
          (unsigned long long)gid, tid, us);
  if (ph == 'b') fprintf(f, ",\"args\":{\"g\":%lld}", (long long)gid);
  fputc('}', f);
}

/* Slices are "G<id> <function>" (B) closed by a nameless E, so a viewer
 * pairs them by row whatever the function was at either end. */
static void write_events(const ev *evs, size_t n) {
  static const char *names[] = {"create", "run", "stop", "block", "unblock", "end", "preempt"};
  FILE *f = out;
  for (size_t i = 0; i < n; i++) {
    const ev *e = &evs[i];
    double us = (double)e->ts / 1000.0;
    int tid = e->p + 1;
    switch (e->kind) {
    case GOC_EV_RUN:
    case GOC_EV_RESUME:
      fprintf(f, ",\n{\"name\":\"G%lld", (long long)e->gid);
      if (e->name) fprintf(f, " %s", e->name);
      fprintf(f, "\",\"ph\":\"B\",\"pid\":1,\"tid\":%d,\"ts\":%.3f", tid, us);
      if (e->kind == GOC_EV_RESUME) {
        fputs(",\"args\":{\"resumed\":", f);
        json_str(f, e->detail);
        fprintf(f, ",\"p_wait_ns\":%lld}", (long long)e->n);
      } else if (e->n >= 0) {
        fprintf(f, ",\"args\":{\"latency_ns\":%lld}", (long long)e->n);
      }
      fputc('}', f);
      continue;
    case GOC_EV_STOP:
    case EV_CLOSE:
      fprintf(f, ",\n{\"ph\":\"E\",\"pid\":1,\"tid\":%d,\"ts\":%.3f}", tid, us);
      continue;
    case GOC_EV_IOWAIT:
    case GOC_EV_BLOCKING:
    case GOC_EV_SYSCALL:
      async_event(f, 'b', e->gid, e->sub, e->n, e->name, tid, us);
      continue;
    case EV_ASYNC_END:
      async_event(f, 'e', e->gid, e->sub, e->n, e->name, tid, us);
      continue;
    case GOC_EV_HANDOFF:
      fprintf(f, ",\n{\"name\":\"handoff P%d\",\"ph\":\"i\",\"s\":\"t\",\"pid\":1,\"tid\":%d,\"ts\":%.3f,"
                 "\"args\":{\"from\":", e->p, tid, us);
      json_str(f, e->name);
      fprintf(f, ",\"g\":%lld,\"m\":%lld}}", (long long)e->gid, (long long)e->n);
      continue;
    case GOC_EV_REQUEUE:
      fprintf(f, ",\n{\"name\":\"preempt G%lld\",\"ph\":\"i\",\"s\":\"t\",\"pid\":1,\"tid\":%d,\"ts\":%.3f,"
                 "\"args\":{\"reason\":", (long long)e->gid, tid, us);
      json_str(f, e->name);
      fputs("}}", f);
      continue;
    default:
      break;
    }
    fprintf(f, ",\n{\"name\":\"%s G%lld\",\"ph\":\"i\",\"s\":\"t\",\"pid\":1,\"tid\":%d,\"ts\":%.3f,\"args\":{",
            names[e->kind], (long long)e->gid, tid, us);
    fputs("\"reason\":", f);
    json_str(f, e->name ? e->name : "");
    fputs(",\"site\":", f);
    char site[512];
    snprintf(site, sizeof site, "%s:%lld", e->detail ? e->detail : "?", (long long)e->n);
    json_str(f, e->detail ? site : "");
    fputs("}}", f);
  }
}

static void end_async(int64_t gid, const ts_g *g, void *arg) {
  async_event(out, 'e', gid, g->async, g->fd, g->dir == 2 ? "write" : "read", g->tid, *(double *)arg);
}

/* lock held, at the end of a trace: closes every slice still open (a
 * goroutine running or waiting when the trace stops) and writes the
 * scheduling-latency summary (bucket k: latencies below 2^k ns). */
static void close_open(int64_t ts) {
  double us = (double)ts / 1000.0;
  for (int32_t p = 0; p <= maxp; p++)
    if (goc__ps_open(p)) {
      fprintf(out, ",\n{\"ph\":\"E\",\"pid\":1,\"tid\":%d,\"ts\":%.3f}", p + 1, us);
      goc__ps_set_open(p, 0);
    }
  goc__ts_each_async(end_async, &us);
  const lat_summary *l = goc__lat_get();
  fprintf(out, ",\n{\"name\":\"scheduling latency\",\"ph\":\"i\",\"s\":\"g\",\"pid\":1,\"tid\":0,\"ts\":%.3f,"
               "\"args\":{\"count\":%lld,\"mean_ns\":%lld,\"max_ns\":%lld,\"below_ns\":{",
          us, (long long)l->count, (long long)(l->count ? l->sum / l->count : 0), (long long)l->max);
  bool first = true;
  for (int k = 0; k < 64; k++) {
    if (!l->buckets[k]) continue;
    fprintf(out, "%s\"%llu\":%lld", first ? "" : ",", 1ull << k, (long long)l->buckets[k]);
    first = false;
  }
  fputs("}}}", out);
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
