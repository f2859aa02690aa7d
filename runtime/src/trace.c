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

typedef struct ev {
  int64_t ts;
  int64_t gid;
  const char *what;
  const char *file;
  int32_t p;
  int32_t line;
  uint8_t kind;
} ev;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static ev *evs;
static size_t nevs, capevs;
static char *path;
static int64_t t0;
static bool flushed;

void goc__trace_init(void) {
  const char *e = getenv("GOC_TRACE");
  if (!e || !*e) return;
  path = strdup(e);
  t0 = goc_now();
  goc__trace_on = true;
  atexit(goc__trace_flush);
}

void goc__trace_event(goc_trace_kind kind, int64_t gid, int32_t p, const char *what, const char *file, int line) {
  int64_t now = goc_now();
  goc__rt_lock(&lock);
  if (nevs == capevs) {
    size_t ncap = capevs ? capevs * 2 : 4096;
    ev *n = realloc(evs, ncap * sizeof *n);
    if (!n) { goc__rt_unlock(&lock); return; }   /* drop events, never fail the program */
    evs = n;
    capevs = ncap;
  }
  evs[nevs++] = (ev){now - t0, gid, what, file, p, line, (uint8_t)kind};
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

void goc__trace_flush(void) {
  goc__rt_lock(&lock);
  if (flushed || !path) { goc__rt_unlock(&lock); return; }
  flushed = true;
  FILE *f = fopen(path, "w");
  if (!f) {
    goc__rt_unlock(&lock);
    fprintf(stderr, "goc: cannot write trace %s\n", path);
    return;
  }
  static const char *names[] = {"create", "run", "stop", "block", "unblock", "end"};
  fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", f);
  fputs("{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"args\":{\"name\":\"goc\"}}", f);
  int32_t maxp = -1;
  for (size_t i = 0; i < nevs; i++)
    if (evs[i].p > maxp) maxp = evs[i].p;
  for (int32_t p = -1; p <= maxp; p++) {
    fprintf(f, ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%d,\"args\":{\"name\":", p + 1);
    if (p < 0) fputs("\"outside Ps\"", f);
    else fprintf(f, "\"P%d\"", p);
    fputs("}}", f);
  }
  for (size_t i = 0; i < nevs; i++) {
    ev *e = &evs[i];
    double us = (double)e->ts / 1000.0;
    int tid = e->p + 1;
    if (e->kind == GOC_EV_RUN || e->kind == GOC_EV_STOP) {
      fprintf(f, ",\n{\"name\":\"G%lld", (long long)e->gid);
      if (e->what) fprintf(f, " %s", e->what);
      fprintf(f, "\",\"ph\":\"%s\",\"pid\":1,\"tid\":%d,\"ts\":%.3f}", e->kind == GOC_EV_RUN ? "B" : "E", tid, us);
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
  fputs("\n]}\n", f);
  fclose(f);
  goc__rt_unlock(&lock);
}
