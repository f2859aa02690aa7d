/* failsite.c — an allocation's call site, so that each site can be failed
 * once instead of each allocation number.
 *
 * A site is the allocation's innermost few (GOC_FAILMALLOC_DEPTH) return addresses outside
 * the shim, each taken as its object's file name and the offset into it
 * (so address-space randomisation does not change it), hashed to 64 bits.
 * Recording keeps every distinct site with its count and frames and writes
 * them at exit, one a line:
 *
 *   HASH COUNT OBJECT+0xOFFSET ...      (innermost frame first)
 *
 * Targeting fails the nth allocation made from one site (and, in after
 * mode, every later allocation from anywhere), and creates the hit file
 * when it does, so a run that never reached the site is told apart from
 * one that survived its failure.
 *
 * Invariants: nothing here allocates once armed (backtrace's first call
 * loads libgcc_s, which allocates: it is made at arming, inside the shim,
 * where those allocations pass through uncounted); the table is guarded by
 * one spinlock, held only while no other lock is taken; a site's hash
 * depends only on object names and offsets. */
#define _GNU_SOURCE
#include "failsite.h"
#include <dlfcn.h>
#include <execinfo.h>
#include <fcntl.h>
#include <link.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { MAX_DEPTH = 12, TABLE = 1 << 15, MAX_OBJECTS = 128 };

static int frames_per_site = 6;
static bool recording, targeting;
static char out_path[4096], hit_path[4096];
static uint64_t target;
static long target_nth = 1;
static bool target_after;
static _Atomic long target_seen;
static _Atomic bool target_hit;

/* ---- objects: a link map's name, hashed once ---- */
typedef struct object { const void *map; uint64_t name_hash; const char *name; } object;
static object objects[MAX_OBJECTS];
static _Atomic int nobjects;
static const void *self_map;   /* the shim's own */
static char self_exe[4096];     /* the main program's name (its link map's is "") */

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
  const unsigned char *c = p;
  for (size_t i = 0; i < n; i++) h = (h ^ c[i]) * 0x100000001b3ull;
  return h;
}

static const char *base_name(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

/* The object holding pc: its link map and load bias; false if none. */
static bool object_of(const void *pc, const void **map, uintptr_t *bias, const char **name) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 35)
  struct dl_find_object fo;   /* lock-free, allocation-free */
  if (_dl_find_object((void *)pc, &fo) != 0) return false;
  *map = fo.dlfo_link_map;
  *bias = fo.dlfo_link_map->l_addr;
  *name = fo.dlfo_link_map->l_name;
#else
  Dl_info di;
  if (!dladdr(pc, &di) || !di.dli_fbase) return false;
  *map = di.dli_fbase;
  *bias = (uintptr_t)di.dli_fbase;   /* PIE and shared objects link at 0 */
  *name = di.dli_fname;
#endif
  if (!*name || !**name) *name = self_exe;
  return true;
}

/* The object table's entry for map (objects are few and never unload
 * while a tool runs; a full table hashes the name every time). */
static const object *object_entry(const void *map, const char *name, object *spare) {
  int n = atomic_load_explicit(&nobjects, memory_order_acquire);
  for (int i = 0; i < n; i++)
    if (objects[i].map == map) return &objects[i];
  const char *b = base_name(name);
  object o = {map, fnv(0xcbf29ce484222325ull, b, strlen(b)), name};
  *spare = o;
  return spare;
}

/* ---- the table ---- */
typedef struct site {
  uint64_t hash;   /* 0: empty */
  long count;
  int nframes;
  const object *obj[MAX_DEPTH];
  uintptr_t off[MAX_DEPTH];
} site;
static site table[TABLE];
static long nsites, overflow;
static atomic_flag lock = ATOMIC_FLAG_INIT;

static void record(uint64_t h, int n, const object **obj, const uintptr_t *off) {
  while (atomic_flag_test_and_set_explicit(&lock, memory_order_acquire)) {}
  size_t i = (size_t)h & (TABLE - 1);
  for (size_t probes = 0; probes < TABLE; probes++, i = (i + 1) & (TABLE - 1)) {
    if (table[i].hash == h) { table[i].count++; goto out; }
    if (!table[i].hash) {
      if (nsites >= TABLE * 3 / 4) break;
      table[i].hash = h;
      table[i].count = 1;
      table[i].nframes = n;
      for (int k = 0; k < n; k++) {
        /* an object met while the object table was full is not kept */
        table[i].obj[k] = obj[k] >= objects && obj[k] < objects + MAX_OBJECTS ? obj[k] : NULL;
        table[i].off[k] = off[k];
      }
      nsites++;
      goto out;
    }
  }
  overflow++;
out:
  atomic_flag_clear_explicit(&lock, memory_order_release);
}

/* Adds map to the object table if there is room. */
static const object *remember(const object *o) {
  if (o < objects || o >= objects + MAX_OBJECTS) {
    while (atomic_flag_test_and_set_explicit(&lock, memory_order_acquire)) {}
    int n = atomic_load_explicit(&nobjects, memory_order_relaxed);
    const object *found = NULL;
    for (int i = 0; i < n && !found; i++)
      if (objects[i].map == o->map) found = &objects[i];
    if (!found && n < MAX_OBJECTS) {
      objects[n] = *o;
      found = &objects[n];
      atomic_store_explicit(&nobjects, n + 1, memory_order_release);
    }
    atomic_flag_clear_explicit(&lock, memory_order_release);
    if (found) return found;
  }
  return o;
}

/* The calling allocation's site: its hash, and its frames when asked. */
static uint64_t site_now(int *nframes, const object **obj, uintptr_t *off) {
  void *pcs[MAX_DEPTH + 16];
  int got = backtrace(pcs, MAX_DEPTH + 16);
  uint64_t h = 0xcbf29ce484222325ull;
  int n = 0;
  object spare[MAX_DEPTH];
  for (int i = 0; i < got && n < frames_per_site; i++) {
    const void *map;
    uintptr_t bias;
    const char *name;
    /* a return address points after the call: pc - 1 is inside it */
    const void *pc = (const char *)pcs[i] - 1;
    if (!object_of(pc, &map, &bias, &name)) continue;
    if (map == self_map) continue;
    const object *o = remember(object_entry(map, name, &spare[n]));
    uintptr_t rel = (uintptr_t)pc - bias;
    h = fnv(h, &o->name_hash, sizeof o->name_hash);
    h = fnv(h, &rel, sizeof rel);
    if (obj) { obj[n] = o; off[n] = rel; }
    n++;
  }
  if (nframes) *nframes = n;
  return h ? h : 1;
}

/* ---- the interface ---- */
void failsite_setup(const char *record_path, const char *target_hash, long nth, bool after, const char *hit,
                    const char *depth_s) {
  if (depth_s && atoi(depth_s) > 0) frames_per_site = atoi(depth_s) < MAX_DEPTH ? atoi(depth_s) : MAX_DEPTH;
  if (record_path && *record_path) {
    recording = true;
    snprintf(out_path, sizeof out_path, "%s", record_path);
  }
  if (target_hash && *target_hash) {
    targeting = true;
    target = strtoull(target_hash, NULL, 16);
    target_nth = nth > 0 ? nth : 1;
    target_after = after;
    if (hit) snprintf(hit_path, sizeof hit_path, "%s", hit);
  }
}

bool failsite_active(void) { return recording || targeting; }

void failsite_arm(void) {
  if (!failsite_active()) return;
  ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
  if (n > 0) self_exe[n] = 0;
  const void *map;
  uintptr_t bias;
  const char *name;
  if (object_of((const void *)failsite_arm, &map, &bias, &name)) self_map = map;
  void *pcs[4];
  backtrace(pcs, 4);   /* loads the unwinder now */
}

bool failsite_should_fail(void) {
  if (atomic_load_explicit(&target_hit, memory_order_relaxed)) return target_after;
  if (recording) {
    int n;
    const object *obj[MAX_DEPTH];
    uintptr_t off[MAX_DEPTH];
    uint64_t h = site_now(&n, obj, off);
    record(h, n, obj, off);
    return false;
  }
  if (!targeting || site_now(NULL, NULL, NULL) != target) return false;
  if (atomic_fetch_add(&target_seen, 1) + 1 != target_nth) return false;
  if (atomic_exchange(&target_hit, true)) return target_after;
  if (hit_path[0]) {
    int fd = open(hit_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) close(fd);
  }
  return true;
}

void failsite_write(void) {
  if (!recording) return;
  int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return;
  char line[MAX_DEPTH * 300 + 64];
  while (atomic_flag_test_and_set_explicit(&lock, memory_order_acquire)) {}
  for (size_t i = 0; i < TABLE; i++) {
    const site *s = &table[i];
    if (!s->hash) continue;
    int len = snprintf(line, sizeof line, "%016llx %ld", (unsigned long long)s->hash, s->count);
    for (int k = 0; k < s->nframes && len < (int)sizeof line; k++)
      len += snprintf(line + len, sizeof line - (size_t)len, " %s+0x%llx", s->obj[k] ? s->obj[k]->name : "?",
                      (unsigned long long)s->off[k]);
    if (len >= (int)sizeof line) len = (int)sizeof line - 1;
    line[len++] = '\n';
    if (write(fd, line, (size_t)len) != len) break;
  }
  if (overflow) {
    int len = snprintf(line, sizeof line, "# %ld allocations from sites past the table's capacity\n", overflow);
    if (write(fd, line, (size_t)len) != len) {}
  }
  atomic_flag_clear_explicit(&lock, memory_order_release);
  close(fd);
}
