/* trace_state.c — the trace's memory between events (see trace_state.h):
 * an open-addressing table keyed by goroutine id (linear probing, deletion
 * by backward shift, so lookups never meet tombstones), a per-P array, and
 * a log2 histogram. The caller holds trace.c's lock. */
#include "trace_state.h"
#include <stdlib.h>
#include <string.h>

static ts_g *tab;
static size_t cap, used;   /* cap: a power of two, or 0 */
static int64_t *popen;
static int32_t npopen;
static lat_summary lat;

void goc__trace_state_reset(void) {
  if (tab) memset(tab, 0, cap * sizeof *tab);
  used = 0;
  if (popen) memset(popen, 0, (size_t)npopen * sizeof *popen);
  memset(&lat, 0, sizeof lat);
}

static size_t slot_of(int64_t key, size_t c) {
  uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15ull;
  return (size_t)(h >> 32) & (c - 1);
}

static bool grow(void) {
  size_t nc = cap ? cap * 2 : 1024;
  ts_g *nt = calloc(nc, sizeof *nt);
  if (!nt) return false;
  for (size_t i = 0; i < cap; i++) {
    if (!tab[i].key) continue;
    size_t j = slot_of(tab[i].key, nc);
    while (nt[j].key) j = (j + 1) & (nc - 1);
    nt[j] = tab[i];
  }
  free(tab);
  tab = nt;
  cap = nc;
  return true;
}

ts_g *goc__ts_get(int64_t gid, bool create) {
  int64_t key = gid + 1;
  if (cap) {
    for (size_t i = slot_of(key, cap);; i = (i + 1) & (cap - 1)) {
      if (tab[i].key == key) return &tab[i];
      if (!tab[i].key) break;
    }
  }
  if (!create) return NULL;
  if ((used + 1) * 2 > cap && !grow()) return NULL;   /* load stays <= 1/2 */
  size_t i = slot_of(key, cap);
  while (tab[i].key) i = (i + 1) & (cap - 1);
  tab[i] = (ts_g){.key = key, .ready_ts = -1};
  used++;
  return &tab[i];
}

void goc__ts_settle(ts_g *e) {
  if (!e || e->ready_ts >= 0 || e->async != TS_ASYNC_NONE) return;
  size_t i = (size_t)(e - tab);
  /* Backward shift: move up every later entry of the run that may sit in
   * the freed slot (its home is not cyclically within (i, j]). */
  for (size_t j = (i + 1) & (cap - 1); tab[j].key; j = (j + 1) & (cap - 1)) {
    size_t h = slot_of(tab[j].key, cap);
    bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
    if (stays) continue;
    tab[i] = tab[j];
    i = j;
  }
  tab[i].key = 0;
  used--;
}

void goc__ts_each_async(void (*f)(int64_t gid, const ts_g *e, void *arg), void *arg) {
  for (size_t i = 0; i < cap; i++)
    if (tab[i].key && tab[i].async != TS_ASYNC_NONE) f(tab[i].key - 1, &tab[i], arg);
}

int64_t goc__ps_open(int32_t p) { return p >= 0 && p < npopen ? popen[p] : 0; }

void goc__ps_set_open(int32_t p, int64_t gid_plus1) {
  if (p < 0) return;
  if (p >= npopen) {
    int32_t n = p + 16;
    int64_t *np = realloc(popen, (size_t)n * sizeof *np);
    if (!np) return;
    memset(np + npopen, 0, (size_t)(n - npopen) * sizeof *np);
    popen = np;
    npopen = n;
  }
  popen[p] = gid_plus1;
}

void goc__lat_add(int64_t ns) {
  if (ns < 0) ns = 0;
  int k = ns ? 64 - __builtin_clzll((unsigned long long)ns) : 0;
  if (k > 63) k = 63;
  lat.buckets[k]++;
  lat.count++;
  lat.sum += ns;
  if (ns > lat.max) lat.max = ns;
}

const lat_summary *goc__lat_get(void) { return &lat; }
