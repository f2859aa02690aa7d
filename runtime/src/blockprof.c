/* blockprof.c — the block profile (see blockprof.h). Sites are keyed by the
 * file pointer and line the lowering stores in frames (string literals, so
 * one site is one pointer); a small open-addressing table under one lock. */
#include "blockprof.h"
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

bool goc__blockprof_on;

typedef struct site {
  const char *file;
  int line;
  int64_t total_ns;
  int64_t count;
} site;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static site *table;
static size_t cap, used;
static char *path;

void goc__blockprof_init(void) {
  const char *e = getenv("GOC_BLOCKPROFILE");
  if (!e || !*e) return;
  path = strdup(e);
  goc__blockprof_on = true;
  atexit(goc__blockprof_flush);
}

static size_t slot_of(const char *file, int line, size_t n) {
  uintptr_t h = (uintptr_t)file * 31u + (uintptr_t)line * 2654435761u;
  return (size_t)(h ^ (h >> 17)) & (n - 1);
}

static void grow(void) {
  size_t ncap = cap ? cap * 2 : 256;
  site *n = calloc(ncap, sizeof *n);
  if (!n) return;
  for (size_t i = 0; i < cap; i++) {
    if (!table[i].file) continue;
    size_t k = slot_of(table[i].file, table[i].line, ncap);
    while (n[k].file) k = (k + 1) & (ncap - 1);
    n[k] = table[i];
  }
  free(table);
  table = n;
  cap = ncap;
}

void goc__blockprof_add(const char *file, int line, int64_t since) {
  if (!file || !since) return;
  int64_t d = goc_now() - since;
  if (d < 0) d = 0;
  goc__rt_lock(&lock);
  if ((used + 1) * 2 > cap) grow();
  if (cap) {
    size_t k = slot_of(file, line, cap);
    while (table[k].file && (table[k].file != file || table[k].line != line)) k = (k + 1) & (cap - 1);
    if (!table[k].file) {
      table[k].file = file;
      table[k].line = line;
      used++;
    }
    table[k].total_ns += d;
    table[k].count++;
  }
  goc__rt_unlock(&lock);
}

static int by_total(const void *a, const void *b) {
  const site *x = a, *y = b;
  return x->total_ns < y->total_ns ? 1 : x->total_ns > y->total_ns ? -1 : 0;
}

void goc__blockprof_flush(void) {
  goc__rt_lock(&lock);
  if (!path) { goc__rt_unlock(&lock); return; }
  FILE *f = fopen(path, "w");
  free(path);
  path = NULL;
  if (!f) { goc__rt_unlock(&lock); return; }
  site *v = malloc((used ? used : 1) * sizeof *v);
  size_t n = 0;
  for (size_t i = 0; v && i < cap; i++)
    if (table[i].file) v[n++] = table[i];
  if (v) qsort(v, n, sizeof *v, by_total);
  fputs("# goc block profile: total blocked time per site\n# total_ns\tcount\tsite\n", f);
  for (size_t i = 0; i < n; i++)
    fprintf(f, "%lld\t%lld\t%s:%d\n", (long long)v[i].total_ns, (long long)v[i].count, v[i].file, v[i].line);
  free(v);
  fclose(f);
  goc__rt_unlock(&lock);
}
