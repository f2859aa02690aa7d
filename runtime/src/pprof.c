/* pprof.c — the profile.proto builder and encoder (see pprof.h).
 *
 * The protobuf is written by hand (varints and length-delimited fields),
 * not with libprotobuf-c: a library dependency for every goc program (and
 * generated code to keep in step) would buy nothing here. profile.proto is
 * small and stable (its field numbers have not changed since it was
 * published), a profile uses a dozen of its fields, and writing them takes
 * a few lines each. Only zlib is needed, for the gzip framing pprof expects.
 *
 * Invariants: ids are indexes + 1 into the builder's arrays (never 0, which
 * the index tables use for "empty"); zero-valued scalar fields are omitted,
 * as proto3 writers do; the string table is interned while the messages
 * that refer to it are encoded, so it is written last (field order is free
 * in protobuf) and index 0 is "" as the format requires.
 */
#include "pprof.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

/* ---- hashing and the id index ------------------------------------------ */

static uint64_t hash_str(uint64_t h, const char *s) {
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
  return h;
}
static uint64_t hash_u64(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  return h * 0xff51afd7ed558ccdull;
}
#define HASH0 0xcbf29ce484222325ull

typedef uint64_t (*hash_of_fn)(const void *arr, uint32_t id);
typedef bool (*eq_fn)(const void *arr, uint32_t id, const void *key);

/* Room for one more entry (n entries now); false when out of memory. */
static bool ix_reserve(goc_pprof_index *ix, size_t n, const void *arr, hash_of_fn hf) {
  if ((n + 1) * 2 <= ix->cap) return true;
  size_t ncap = ix->cap ? ix->cap * 2 : 64;
  uint32_t *s = calloc(ncap, sizeof *s);
  if (!s) return false;
  for (size_t i = 0; i < ix->cap; i++) {
    if (!ix->slot[i]) continue;
    size_t k = hf(arr, ix->slot[i]) & (ncap - 1);
    while (s[k]) k = (k + 1) & (ncap - 1);
    s[k] = ix->slot[i];
  }
  free(ix->slot);
  ix->slot = s;
  ix->cap = ncap;
  return true;
}

/* The slot holding key's id, or the empty slot where it goes. */
static uint32_t *ix_find(goc_pprof_index *ix, uint64_t h, const void *arr, eq_fn eq, const void *key) {
  size_t k = h & (ix->cap - 1);
  while (ix->slot[k] && !eq(arr, ix->slot[k], key)) k = (k + 1) & (ix->cap - 1);
  return &ix->slot[k];
}

static bool grow(void **a, size_t *cap, size_t n, size_t elem) {
  if (n < *cap) return true;
  size_t ncap = *cap ? *cap * 2 : 64;
  void *x = realloc(*a, ncap * elem);
  if (!x) return false;
  *a = x;
  *cap = ncap;
  return true;
}

/* ---- functions, locations, samples --------------------------------------- */

static uint64_t fn_hash(const void *arr, uint32_t id) { return ((const goc_pprof_fn *)arr)[id - 1].hash; }
static bool fn_eq(const void *arr, uint32_t id, const void *key) {
  const goc_pprof_fn *a = &((const goc_pprof_fn *)arr)[id - 1], *b = key;
  return (a->name == b->name || !strcmp(a->name, b->name)) &&
         (a->file == b->file || !strcmp(a->file, b->file));
}
static uint64_t loc_hash(const void *arr, uint32_t id) { return ((const goc_pprof_loc *)arr)[id - 1].hash; }
static bool loc_eq(const void *arr, uint32_t id, const void *key) {
  const goc_pprof_loc *a = &((const goc_pprof_loc *)arr)[id - 1], *b = key;
  return a->fn == b->fn && a->line == b->line;
}
static uint64_t sample_hash(const void *arr, uint32_t id) { return ((const goc_pprof_sample *)arr)[id - 1].hash; }
static bool sample_eq(const void *arr, uint32_t id, const void *key) {
  const goc_pprof_sample *a = &((const goc_pprof_sample *)arr)[id - 1], *b = key;
  return a->nloc == b->nloc && !memcmp(a->loc, b->loc, sizeof *a->loc * (size_t)a->nloc);
}

void goc__pprof_init(goc_pprof *p, int nvalues, const char *const *types,
                     const char *const *units, const char *period_type,
                     const char *period_unit, int64_t period) {
  memset(p, 0, sizeof *p);
  p->nvalues = nvalues > GOC_PPROF_MAXV ? GOC_PPROF_MAXV : nvalues;
  for (int i = 0; i < p->nvalues; i++) {
    p->type[i] = types[i];
    p->unit[i] = units[i];
  }
  p->period_type = period_type;
  p->period_unit = period_unit;
  p->period = period;
}

void goc__pprof_free(goc_pprof *p) {
  for (size_t i = 0; i < p->nsample; i++) free(p->sample[i].loc);
  free(p->sample);
  free(p->loc);
  free(p->fn);
  free(p->fnix.slot);
  free(p->locix.slot);
  free(p->sampleix.slot);
  memset(p, 0, sizeof *p);
}

static uint32_t fn_id(goc_pprof *p, const char *name, const char *file) {
  goc_pprof_fn key = {name ? name : "?", file ? file : "?", 0};
  key.hash = hash_str(hash_str(HASH0, key.name) * 31, key.file);
  if (!ix_reserve(&p->fnix, p->nfn, p->fn, fn_hash)) return 0;
  uint32_t *slot = ix_find(&p->fnix, key.hash, p->fn, fn_eq, &key);
  if (*slot) return *slot;
  if (!grow((void **)&p->fn, &p->capfn, p->nfn, sizeof *p->fn)) return 0;
  p->fn[p->nfn++] = key;
  return *slot = (uint32_t)p->nfn;
}

static uint32_t loc_id(goc_pprof *p, const goc_pframe *f) {
  uint32_t fn = fn_id(p, f->func, f->file);
  if (!fn) return 0;
  goc_pprof_loc key = {fn, f->line, hash_u64(hash_u64(HASH0, fn), (uint32_t)f->line)};
  if (!ix_reserve(&p->locix, p->nloc, p->loc, loc_hash)) return 0;
  uint32_t *slot = ix_find(&p->locix, key.hash, p->loc, loc_eq, &key);
  if (*slot) return *slot;
  if (!grow((void **)&p->loc, &p->caploc, p->nloc, sizeof *p->loc)) return 0;
  p->loc[p->nloc++] = key;
  return *slot = (uint32_t)p->nloc;
}

void goc__pprof_add(goc_pprof *p, const goc_pframe *f, int n, const int64_t *v) {
  if (n > GOC_PPROF_MAXDEPTH) n = GOC_PPROF_MAXDEPTH;
  if (n < 0) n = 0;
  uint32_t ids[GOC_PPROF_MAXDEPTH];
  goc_pprof_sample key = {ids, n, {0}, HASH0};
  for (int i = 0; i < n; i++) {
    if (!(ids[i] = loc_id(p, &f[i]))) { p->failed = true; return; }
    key.hash = hash_u64(key.hash, ids[i]);
  }
  if (!ix_reserve(&p->sampleix, p->nsample, p->sample, sample_hash)) { p->failed = true; return; }
  uint32_t *slot = ix_find(&p->sampleix, key.hash, p->sample, sample_eq, &key);
  if (!*slot) {
    uint32_t *copy = malloc(sizeof *copy * (size_t)(n ? n : 1));
    if (!copy || !grow((void **)&p->sample, &p->capsample, p->nsample, sizeof *p->sample)) {
      free(copy);
      p->failed = true;
      return;
    }
    memcpy(copy, ids, sizeof *copy * (size_t)n);
    key.loc = copy;
    p->sample[p->nsample++] = key;
    *slot = (uint32_t)p->nsample;
  }
  goc_pprof_sample *s = &p->sample[*slot - 1];
  for (int i = 0; i < p->nvalues; i++) s->v[i] += v[i];
}

goc_pframe goc__pprof_frame(const goc_pprof *p, uint32_t id) {
  const goc_pprof_loc *l = &p->loc[id - 1];
  const goc_pprof_fn *f = &p->fn[l->fn - 1];
  return (goc_pframe){f->name, f->file, l->line};
}

typedef struct keyed { int64_t v; uint32_t i; } keyed;
static int by_value(const void *a, const void *b) {
  const keyed *x = a, *y = b;
  if (x->v != y->v) return x->v < y->v ? 1 : -1;
  return x->i < y->i ? -1 : x->i > y->i;
}

uint32_t *goc__pprof_order(const goc_pprof *p, int value) {
  size_t n = p->nsample;
  keyed *k = malloc(sizeof *k * (n ? n : 1));
  uint32_t *ord = malloc(sizeof *ord * (n ? n : 1));
  if (!k || !ord) {
    free(k);
    free(ord);
    return NULL;
  }
  for (size_t i = 0; i < n; i++) k[i] = (keyed){p->sample[i].v[value], (uint32_t)i};
  qsort(k, n, sizeof *k, by_value);
  for (size_t i = 0; i < n; i++) ord[i] = k[i].i;
  free(k);
  return ord;
}

void goc__pprof_text_stack(const goc_pprof *p, const goc_pprof_sample *s, FILE *out) {
  fputs(" @", out);
  for (int i = 0; i < s->nloc; i++) fprintf(out, " %#x", s->loc[i]);
  fputc('\n', out);
  for (int i = 0; i < s->nloc; i++) {
    goc_pframe f = goc__pprof_frame(p, s->loc[i]);
    fprintf(out, "#\t%#x\t%s+0x0\t%s:%d\n", s->loc[i], f.func, f.file, f.line);
  }
  fputc('\n', out);
}

/* ---- protobuf encoding ------------------------------------------------------ */

typedef struct pbuf {
  uint8_t *b;
  size_t n, cap;
  bool bad;
} pbuf;

static void pb_raw(pbuf *b, const void *d, size_t n) {
  if (b->bad) return;
  if (b->n + n > b->cap) {
    size_t ncap = b->cap ? b->cap : 4096;
    while (ncap < b->n + n) ncap *= 2;
    uint8_t *x = realloc(b->b, ncap);
    if (!x) { b->bad = true; return; }
    b->b = x;
    b->cap = ncap;
  }
  memcpy(b->b + b->n, d, n);
  b->n += n;
}
static void pb_varint(pbuf *b, uint64_t v) {
  uint8_t t[10];
  size_t n = 0;
  do {
    t[n] = (uint8_t)(v & 0x7f);
    v >>= 7;
    if (v) t[n] |= 0x80;
    n++;
  } while (v);
  pb_raw(b, t, n);
}
enum { WT_VARINT = 0, WT_LEN = 2 };
static void pb_tag(pbuf *b, int field, int wt) { pb_varint(b, (uint64_t)field << 3 | (uint64_t)wt); }
/* int64 fields are varints of the two's-complement value (10 bytes when
 * negative), as protobuf's int64 (not sint64) requires. */
static void pb_int(pbuf *b, int field, int64_t v) {
  if (!v) return;
  pb_tag(b, field, WT_VARINT);
  pb_varint(b, (uint64_t)v);
}
static void pb_bytes(pbuf *b, int field, const void *d, size_t n) {
  pb_tag(b, field, WT_LEN);
  pb_varint(b, n);
  pb_raw(b, d, n);
}
/* A nested message built in its own buffer, then appended as bytes. */
static void pb_msg(pbuf *b, int field, pbuf *m) {
  if (m->bad) b->bad = true;
  pb_bytes(b, field, m->b, m->n);
  m->n = 0;
}

/* The string table, interned by content while messages are encoded. */
typedef struct strtab {
  const char **s;
  size_t n, cap;
  goc_pprof_index ix;
  bool bad;
} strtab;
static uint64_t str_hash(const void *arr, uint32_t id) { return hash_str(HASH0, ((const char *const *)arr)[id - 1]); }
static bool str_eq(const void *arr, uint32_t id, const void *key) {
  return !strcmp(((const char *const *)arr)[id - 1], key);
}
static int64_t str_id(strtab *t, const char *s) {
  if (!s) s = "";
  if (!ix_reserve(&t->ix, t->n, t->s, str_hash)) { t->bad = true; return 0; }
  uint32_t *slot = ix_find(&t->ix, hash_str(HASH0, s), t->s, str_eq, s);
  if (!*slot) {
    if (!grow((void **)&t->s, &t->cap, t->n, sizeof *t->s)) { t->bad = true; return 0; }
    t->s[t->n++] = s;
    *slot = (uint32_t)t->n;
  }
  return (int64_t)*slot - 1;
}

/* profile.proto field numbers (github.com/google/pprof/proto/profile.proto). */
enum {
  PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_MAPPING = 3, PROFILE_LOCATION = 4,
  PROFILE_FUNCTION = 5, PROFILE_STRING_TABLE = 6, PROFILE_TIME_NANOS = 9,
  PROFILE_PERIOD_TYPE = 11, PROFILE_PERIOD = 12,
  VALUETYPE_TYPE = 1, VALUETYPE_UNIT = 2,
  SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2,
  MAPPING_ID = 1, MAPPING_FILENAME = 5, MAPPING_HAS_FUNCTIONS = 7,
  MAPPING_HAS_FILENAMES = 8, MAPPING_HAS_LINE_NUMBERS = 9,
  LOCATION_ID = 1, LOCATION_MAPPING_ID = 2, LOCATION_LINE = 4,
  LINE_FUNCTION_ID = 1, LINE_LINE = 2,
  FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_SYSTEM_NAME = 3, FUNCTION_FILENAME = 4,
};

static void value_type(pbuf *b, int field, pbuf *m, strtab *st, const char *type, const char *unit) {
  pb_int(m, VALUETYPE_TYPE, str_id(st, type));
  pb_int(m, VALUETYPE_UNIT, str_id(st, unit));
  pb_msg(b, field, m);
}

static void encode(const goc_pprof *p, pbuf *b, strtab *st) {
  pbuf m = {0}, m2 = {0}, packed = {0};
  str_id(st, "");   /* string_table[0] */
  for (int i = 0; i < p->nvalues; i++)
    value_type(b, PROFILE_SAMPLE_TYPE, &m, st, p->type[i], p->unit[i]);
  for (size_t i = 0; i < p->nsample; i++) {
    const goc_pprof_sample *s = &p->sample[i];
    for (int k = 0; k < s->nloc; k++) pb_varint(&packed, s->loc[k]);
    if (packed.bad) m.bad = true;
    pb_bytes(&m, SAMPLE_LOCATION_ID, packed.b, packed.n);   /* packed repeated */
    packed.n = 0;
    for (int k = 0; k < p->nvalues; k++) pb_varint(&packed, (uint64_t)s->v[k]);
    if (packed.bad) m.bad = true;
    pb_bytes(&m, SAMPLE_VALUE, packed.b, packed.n);
    packed.n = 0;
    pb_msg(b, PROFILE_SAMPLE, &m);
  }
  /* One mapping, the program, marked symbolized: pprof then neither
   * looks for the binary nor warns that it has no file name. The string
   * table holds exe by pointer: it is written before this function ends. */
  char exe[4096];
  ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  exe[len > 0 ? len : 0] = 0;
  pb_int(&m, MAPPING_ID, 1);
  pb_int(&m, MAPPING_FILENAME, str_id(st, exe));
  pb_int(&m, MAPPING_HAS_FUNCTIONS, 1);
  pb_int(&m, MAPPING_HAS_FILENAMES, 1);
  pb_int(&m, MAPPING_HAS_LINE_NUMBERS, 1);
  pb_msg(b, PROFILE_MAPPING, &m);
  for (size_t i = 0; i < p->nloc; i++) {
    pb_int(&m, LOCATION_ID, (int64_t)i + 1);
    pb_int(&m, LOCATION_MAPPING_ID, 1);
    pb_int(&m2, LINE_FUNCTION_ID, p->loc[i].fn);
    pb_int(&m2, LINE_LINE, p->loc[i].line);
    pb_msg(&m, LOCATION_LINE, &m2);
    pb_msg(b, PROFILE_LOCATION, &m);
  }
  for (size_t i = 0; i < p->nfn; i++) {
    int64_t name = str_id(st, p->fn[i].name);
    pb_int(&m, FUNCTION_ID, (int64_t)i + 1);
    pb_int(&m, FUNCTION_NAME, name);
    pb_int(&m, FUNCTION_SYSTEM_NAME, name);
    pb_int(&m, FUNCTION_FILENAME, str_id(st, p->fn[i].file));
    pb_msg(b, PROFILE_FUNCTION, &m);
  }
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  pb_int(b, PROFILE_TIME_NANOS, (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
  value_type(b, PROFILE_PERIOD_TYPE, &m, st, p->period_type, p->period_unit);
  pb_int(b, PROFILE_PERIOD, p->period);
  for (size_t i = 0; i < st->n; i++)
    pb_bytes(b, PROFILE_STRING_TABLE, st->s[i], strlen(st->s[i]));
  if (m.bad || m2.bad || packed.bad || st->bad) b->bad = true;
  free(m.b);
  free(m2.b);
  free(packed.b);
}

/* gzip framing (windowBits 15 + 16), streamed to out in 16 KiB pieces. */
static int gzip_to(const uint8_t *d, size_t n, FILE *out) {
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return -1;
  unsigned char buf[16384];
  int rc = 0, z;
  zs.next_in = (Bytef *)d;
  zs.avail_in = (uInt)n;
  do {
    zs.next_out = buf;
    zs.avail_out = sizeof buf;
    z = deflate(&zs, Z_FINISH);
    size_t have = sizeof buf - zs.avail_out;
    if (have && fwrite(buf, 1, have, out) != have) rc = -1;
  } while (z == Z_OK);
  if (z != Z_STREAM_END) rc = -1;
  deflateEnd(&zs);
  if (fflush(out) != 0) rc = -1;
  return rc;
}

int goc__pprof_write(goc_pprof *p, FILE *out) {
  pbuf b = {0};
  strtab st = {0};
  encode(p, &b, &st);
  /* A builder that dropped samples still writes the ones it has. */
  int rc = (b.bad || b.n > 0xffffffffu) ? -1 : gzip_to(b.b, b.n, out);
  if (p->failed) rc = -1;
  free(b.b);
  free(st.s);
  free(st.ix.slot);
  return rc;
}
