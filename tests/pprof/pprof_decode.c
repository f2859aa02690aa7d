/* pprof_decode — checks the profiles profile_prog.goc wrote, independently
 * of the runtime's encoder: it gunzips them, decodes profile.proto with its
 * own small reader (packed and unpacked repeated fields alike, unknown
 * fields skipped, as any protobuf reader must), resolves every sample's
 * locations to functions and strings, and compares the stacks and values
 * with the program's known goroutines, whose lines it reads from the
 * "@name" markers in the .goc source.
 *
 * Usage: pprof_decode PROGRAM.goc DIR EXACT
 *   EXACT=1: the program ran with GOC_MAXPROCS=1, so nothing else can have
 *   blocked or run: the sample sets must be exactly the expected ones.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const char *current = "";
static void fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "FAIL: %s: ", current);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

static void *xrealloc(void *p, size_t n) {
  p = realloc(p, n ? n : 1);
  if (!p) fail("out of memory");
  return p;
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) fail("cannot open %s", path);
  size_t n = 0, cap = 0;
  char *b = NULL;
  for (;;) {
    if (n + 4096 > cap) b = xrealloc(b, cap = cap ? cap * 2 : 65536);
    size_t k = fread(b + n, 1, cap - n - 1, f);
    if (!k) break;
    n += k;
  }
  fclose(f);
  b[n] = 0;
  *len = n;
  return b;
}

/* ---- gunzip --------------------------------------------------------------- */
static uint8_t *gunzip(const uint8_t *d, size_t n, size_t *outn) {
  if (n < 18 || d[0] != 0x1f || d[1] != 0x8b) fail("not gzip (no 1f 8b magic)");
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (inflateInit2(&zs, 15 + 16) != Z_OK) fail("inflateInit2");
  size_t cap = 65536, len = 0;
  uint8_t *out = xrealloc(NULL, cap);
  zs.next_in = (Bytef *)d;
  zs.avail_in = (uInt)n;
  int rc;
  do {
    if (len == cap) out = xrealloc(out, cap *= 2);
    zs.next_out = out + len;
    zs.avail_out = (uInt)(cap - len);
    rc = inflate(&zs, Z_NO_FLUSH);
    len = cap - zs.avail_out;
    if (rc != Z_OK && rc != Z_STREAM_END) fail("inflate: %d", rc);
  } while (rc != Z_STREAM_END);
  if (zs.avail_in) fail("%u bytes after the gzip stream", zs.avail_in);
  inflateEnd(&zs);
  *outn = len;
  return out;
}

/* ---- protobuf reader -------------------------------------------------------- */
typedef struct rd { const uint8_t *p, *end; } rd;

static uint64_t varint(rd *r) {
  uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (r->p >= r->end) fail("truncated varint");
    uint8_t b = *r->p++;
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  fail("varint longer than 10 bytes");
  return 0;
}

/* The next field: its number, wire type, and its value (varint) or body (len). */
static int field(rd *r, int *wt, uint64_t *v, rd *body) {
  if (r->p >= r->end) return 0;
  uint64_t key = varint(r);
  *wt = (int)(key & 7);
  switch (*wt) {
  case 0: *v = varint(r); break;
  case 1: if (r->end - r->p < 8) fail("truncated fixed64"); r->p += 8; break;
  case 5: if (r->end - r->p < 4) fail("truncated fixed32"); r->p += 4; break;
  case 2: {
    uint64_t n = varint(r);
    if (n > (uint64_t)(r->end - r->p)) fail("length %llu past the end", (unsigned long long)n);
    body->p = r->p;
    body->end = r->p + n;
    r->p += n;
    break;
  }
  default: fail("wire type %d", *wt);
  }
  if (key >> 3 == 0) fail("field number 0");
  return (int)(key >> 3);
}

/* A repeated integer field, packed (wire type 2) or not (0). */
static void push_ints(int wt, uint64_t v, rd *body, uint64_t **a, int *n) {
  if (wt == 0) {
    *a = xrealloc(*a, sizeof **a * (size_t)(*n + 1));
    (*a)[(*n)++] = v;
  } else if (wt == 2) {
    while (body->p < body->end) {
      uint64_t x = varint(body);
      *a = xrealloc(*a, sizeof **a * (size_t)(*n + 1));
      (*a)[(*n)++] = x;
    }
  } else {
    fail("repeated integer with wire type %d", wt);
  }
}

typedef struct vt { int64_t type, unit; } vt;
typedef struct sample { uint64_t *loc; int nloc; uint64_t *val; int nval; } sample;
typedef struct line { uint64_t fn; int64_t line; } line;
typedef struct location { uint64_t id, mapping, addr; line *ln; int nln; } location;
typedef struct function { uint64_t id; int64_t name, sys, file, start; } function;
typedef struct mapping { uint64_t id; int64_t file; int hasfn; } mapping;
typedef struct profile {
  char **str; int nstr;
  vt st[8]; int nst;
  vt period_type; int64_t period, time_nanos;
  sample *s; int ns;
  location *l; int nl;
  function *f; int nf;
  mapping *m; int nm;
} profile;

static vt value_type(rd *r) {
  vt t = {0, 0};
  int wt;
  uint64_t v = 0;
  rd b;
  for (int f; (f = field(r, &wt, &v, &b));) {
    if (f == 1 && wt == 0) t.type = (int64_t)v;
    if (f == 2 && wt == 0) t.unit = (int64_t)v;
  }
  return t;
}

static profile decode(const uint8_t *d, size_t n) {
  profile p;
  memset(&p, 0, sizeof p);
  rd r = {d, d + n}, b;
  int wt;
  uint64_t v = 0;
  for (int f; (f = field(&r, &wt, &v, &b));) {
    switch (f) {
    case 1:
      if (p.nst == 8) fail("too many sample types");
      p.st[p.nst++] = value_type(&b);
      break;
    case 2: {
      sample s = {0};
      rd sb;
      for (int g; (g = field(&b, &wt, &v, &sb));) {
        if (g == 1) push_ints(wt, v, &sb, &s.loc, &s.nloc);
        if (g == 2) push_ints(wt, v, &sb, &s.val, &s.nval);
      }
      p.s = xrealloc(p.s, sizeof *p.s * (size_t)(p.ns + 1));
      p.s[p.ns++] = s;
      break;
    }
    case 3: {
      mapping m = {0};
      rd mb;
      for (int g; (g = field(&b, &wt, &v, &mb));) {
        if (g == 1) m.id = v;
        if (g == 5) m.file = (int64_t)v;
        if (g == 7) m.hasfn = (int)v;
      }
      p.m = xrealloc(p.m, sizeof *p.m * (size_t)(p.nm + 1));
      p.m[p.nm++] = m;
      break;
    }
    case 4: {
      location l = {0};
      rd lb;
      for (int g; (g = field(&b, &wt, &v, &lb));) {
        if (g == 1) l.id = v;
        if (g == 2) l.mapping = v;
        if (g == 3) l.addr = v;
        if (g == 4) {
          line ln = {0, 0};
          rd xb;
          for (int h; (h = field(&lb, &wt, &v, &xb));) {
            if (h == 1) ln.fn = v;
            if (h == 2) ln.line = (int64_t)v;
          }
          l.ln = xrealloc(l.ln, sizeof *l.ln * (size_t)(l.nln + 1));
          l.ln[l.nln++] = ln;
        }
      }
      p.l = xrealloc(p.l, sizeof *p.l * (size_t)(p.nl + 1));
      p.l[p.nl++] = l;
      break;
    }
    case 5: {
      function fn = {0};
      rd fb;
      for (int g; (g = field(&b, &wt, &v, &fb));) {
        if (g == 1) fn.id = v;
        if (g == 2) fn.name = (int64_t)v;
        if (g == 3) fn.sys = (int64_t)v;
        if (g == 4) fn.file = (int64_t)v;
        if (g == 5) fn.start = (int64_t)v;
      }
      p.f = xrealloc(p.f, sizeof *p.f * (size_t)(p.nf + 1));
      p.f[p.nf++] = fn;
      break;
    }
    case 6: {
      if (wt != 2) fail("string_table entry with wire type %d", wt);
      size_t len = (size_t)(b.end - b.p);
      char *s = xrealloc(NULL, len + 1);
      memcpy(s, b.p, len);
      s[len] = 0;
      if (strlen(s) != len) fail("NUL inside a string");
      p.str = xrealloc(p.str, sizeof *p.str * (size_t)(p.nstr + 1));
      p.str[p.nstr++] = s;
      break;
    }
    case 9: p.time_nanos = (int64_t)v; break;
    case 11: p.period_type = value_type(&b); break;
    case 12: p.period = (int64_t)v; break;
    default: break;   /* fields this test does not look at */
    }
  }
  return p;
}

static const char *str(const profile *p, int64_t i) {
  if (i < 0 || i >= p->nstr) fail("string index %lld out of range (%d strings)", (long long)i, p->nstr);
  return p->str[i];
}
static const location *loc(const profile *p, uint64_t id) {
  for (int i = 0; i < p->nl; i++)
    if (p->l[i].id == id) return &p->l[i];
  fail("sample names location %llu, which does not exist", (unsigned long long)id);
  return NULL;
}
static const function *fn(const profile *p, uint64_t id) {
  for (int i = 0; i < p->nf; i++)
    if (p->f[i].id == id) return &p->f[i];
  fail("line names function %llu, which does not exist", (unsigned long long)id);
  return NULL;
}

/* ---- the program's source: marker lines ------------------------------------ */
static const char *src_base = "profile_prog.goc";
static int src_lines;
static char marks[16][32];
static int mark_line[16], nmarks;

static void read_marks(const char *path) {
  size_t n;
  char *s = read_file(path, &n);
  int lineno = 1;
  for (char *p = s; *p; p++) {
    if (*p == '\n') lineno++;
    if (p[0] == '/' && p[1] == '*' && p[2] == ' ' && p[3] == '@' && nmarks < 16) {
      char *e = strstr(p + 4, " */");
      if (!e || e - (p + 4) >= 31) continue;
      memcpy(marks[nmarks], p + 4, (size_t)(e - (p + 4)));
      marks[nmarks][e - (p + 4)] = 0;
      mark_line[nmarks++] = lineno;
    }
  }
  src_lines = lineno;
  free(s);
}
static int mark(const char *name) {
  for (int i = 0; i < nmarks; i++)
    if (!strcmp(marks[i], name)) return mark_line[i];
  fail("no /* @%s */ marker in the source", name);
  return 0;
}

static int ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && !strcmp(s + a - b, suffix) && (a == b || s[a - b - 1] == '/');
}

/* A sample's stack as "f:line f:line", innermost first, after checking that
 * every location resolves to one line of a function of the program. */
static void stack_string(const profile *p, const sample *s, char *buf, size_t n) {
  buf[0] = 0;
  size_t k = 0;
  for (int i = 0; i < s->nloc; i++) {
    const location *l = loc(p, s->loc[i]);
    if (l->nln != 1) fail("location %llu has %d lines, want 1", (unsigned long long)l->id, l->nln);
    if (l->mapping && l->mapping != 1) fail("location %llu in mapping %llu", (unsigned long long)l->id, (unsigned long long)l->mapping);
    const function *f = fn(p, l->ln[0].fn);
    const char *name = str(p, f->name), *file = str(p, f->file);
    if (strcmp(str(p, f->sys), name)) fail("function %s has system name %s", name, str(p, f->sys));
    if (!ends_with(file, src_base)) fail("function %s is in %s, not in %s", name, file, src_base);
    if (l->ln[0].line < 1 || l->ln[0].line > src_lines)
      fail("%s at line %lld, outside %s (%d lines)", name, (long long)l->ln[0].line, src_base, src_lines);
    k += (size_t)snprintf(buf + k, k < n ? n - k : 0, "%s%s:%lld", i ? " " : "", name, (long long)l->ln[0].line);
  }
}

static void check_common(const profile *p) {
  if (p->nstr < 1 || strcmp(p->str[0], "")) fail("string_table[0] is not \"\"");
  for (int i = 1; i < p->nstr; i++)
    for (int j = 1; j < i; j++)
      if (!strcmp(p->str[i], p->str[j])) fail("string \"%s\" twice in the table", p->str[i]);
  if (p->time_nanos <= 0) fail("no time_nanos");
  for (int i = 0; i < p->nl; i++)
    for (int j = 0; j < i; j++)
      if (p->l[i].id == p->l[j].id) fail("location id %llu twice", (unsigned long long)p->l[i].id);
  for (int i = 0; i < p->nf; i++)
    for (int j = 0; j < i; j++)
      if (p->f[i].id == p->f[j].id) fail("function id %llu twice", (unsigned long long)p->f[i].id);
  for (int i = 0; i < p->nm; i++) {
    str(p, p->m[i].file);
    if (!p->m[i].hasfn) fail("mapping %llu not marked as symbolized", (unsigned long long)p->m[i].id);
  }
  for (int i = 0; i < p->ns; i++)
    if (p->s[i].nval != p->nst) fail("sample %d has %d values for %d sample types", i, p->s[i].nval, p->nst);
  for (int i = 0; i < p->nf; i++) {
    if (!strcmp(str(p, p->f[i].name), "ignored")) fail("function ignored() is in the profile");
  }
}

static void want_type(const profile *p, const vt *t, const char *type, const char *unit, const char *what) {
  if (strcmp(str(p, t->type), type) || strcmp(str(p, t->unit), unit))
    fail("%s is %s/%s, want %s/%s", what, str(p, t->type), str(p, t->unit), type, unit);
}

/* The sample with stack `want`; fails if there is none. */
static const sample *find(const profile *p, const char *want) {
  char buf[1024];
  for (int i = 0; i < p->ns; i++) {
    stack_string(p, &p->s[i], buf, sizeof buf);
    if (!strcmp(buf, want)) return &p->s[i];
  }
  fprintf(stderr, "samples:\n");
  for (int i = 0; i < p->ns; i++) {
    stack_string(p, &p->s[i], buf, sizeof buf);
    fprintf(stderr, "  [%s] %llu\n", buf, (unsigned long long)p->s[i].val[0]);
  }
  fail("no sample with stack [%s]", want);
  return NULL;
}

static profile load(const char *dir, const char *name) {
  static char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  current = path;
  size_t n, un;
  char *gz = read_file(path, &n);
  uint8_t *raw = gunzip((const uint8_t *)gz, n, &un);
  free(gz);
  profile p = decode(raw, un);
  free(raw);
  check_common(&p);
  char buf[1024];
  for (int i = 0; i < p.ns; i++) stack_string(&p, &p.s[i], buf, sizeof buf);
  return p;
}

static void check_goroutine(const char *dir, int exact) {
  profile p = load(dir, "goroutine.pb.gz");
  if (p.nst != 1) fail("%d sample types, want 1", p.nst);
  want_type(&p, &p.st[0], "goroutine", "count", "sample_type[0]");
  want_type(&p, &p.period_type, "goroutine", "count", "period_type");
  if (p.period != 1) fail("period %lld, want 1", (long long)p.period);
  char want[256];
  snprintf(want, sizeof want, "parked:%d", mark("parked"));
  const sample *s = find(&p, want);
  if (s->val[0] != 5) fail("[%s] counts %llu goroutines, want 5", want, (unsigned long long)s->val[0]);
  snprintf(want, sizeof want, "inner:%d outer:%d", mark("inner"), mark("outer"));
  s = find(&p, want);
  if (s->val[0] != 3) fail("[%s] counts %llu goroutines, want 3", want, (unsigned long long)s->val[0]);
  uint64_t total = 0;
  int mains = 0;
  for (int i = 0; i < p.ns; i++) {
    total += p.s[i].val[0];
    const location *l = loc(&p, p.s[i].loc[p.s[i].nloc - 1]);
    if (!strcmp(str(&p, fn(&p, l->ln[0].fn)->name), "main")) mains += (int)p.s[i].val[0];
  }
  if (mains != 1) fail("%d goroutines whose outermost frame is main, want 1", mains);
  if (exact && (p.ns != 3 || total != 9)) fail("%d samples, %llu goroutines; want 3 and 9", p.ns, (unsigned long long)total);
}

/* The delay of timed()'s one block, within the bounds the program measured
 * around it (timed.txt: the least and the most it can have been), give or
 * take 1% for the runtime's conversion of its cycle counts. */
static void check_timed(const char *dir, const profile *p) {
  char path[4096], want[64];
  snprintf(path, sizeof path, "%s/timed.txt", dir);
  FILE *f = fopen(path, "r");
  long long lo, hi;
  if (!f || fscanf(f, "%lld %lld", &lo, &hi) != 2) fail("cannot read %s", path);
  fclose(f);
  snprintf(want, sizeof want, "timed:%d", mark("timed"));
  const sample *s = find(p, want);
  long long d = (long long)s->val[1];
  if (s->val[0] != 1 || d < lo - lo / 100 || d > hi + hi / 100)
    fail("[%s]: %llu contentions, %lld ns; want 1, and %lld to %lld ns", want, (unsigned long long)s->val[0], d, lo, hi);
}

/* deep_b()'s 400 blocks: one per stack, every stack a different one. */
static void check_deep(const profile *p) {
  char prefix[64], buf[1024];
  snprintf(prefix, sizeof prefix, "deep_b:%d", mark("deep"));
  size_t len = strlen(prefix);
  int n = 0;
  uint64_t total = 0;
  for (int i = 0; i < p->ns; i++) {
    stack_string(p, &p->s[i], buf, sizeof buf);
    if (strncmp(buf, prefix, len) || (buf[len] && buf[len] != ' ')) continue;
    if (p->s[i].val[0] != 1 || (int64_t)p->s[i].val[1] <= 0)
      fail("[%s]: %llu contentions, %lld ns; want 1 and > 0", buf, (unsigned long long)p->s[i].val[0], (long long)p->s[i].val[1]);
    n++;
    total += p->s[i].val[0];
  }
  if (n != 400 || total != 400) fail("%d stacks and %llu blocks at [%s ...]; want 400 and 400", n, (unsigned long long)total, prefix);
}

static void check_block(const char *dir, const char *name, int exact) {
  profile p = load(dir, name);
  if (p.nst != 2) fail("%d sample types, want 2", p.nst);
  want_type(&p, &p.st[0], "contentions", "count", "sample_type[0]");
  want_type(&p, &p.st[1], "delay", "nanoseconds", "sample_type[1]");
  want_type(&p, &p.period_type, "contentions", "count", "period_type");
  char want[256];
  snprintf(want, sizeof want, "parked:%d", mark("parked"));
  const sample *s = find(&p, want);
  if (s->val[0] != 5 || (int64_t)s->val[1] <= 0)
    fail("[%s]: %llu contentions, %lld ns; want 5 and > 0", want, (unsigned long long)s->val[0], (long long)s->val[1]);
  snprintf(want, sizeof want, "inner:%d outer:%d", mark("inner"), mark("outer"));
  s = find(&p, want);
  if (s->val[0] != 3 || (int64_t)s->val[1] <= 0)
    fail("[%s]: %llu contentions, %lld ns; want 3 and > 0", want, (unsigned long long)s->val[0], (long long)s->val[1]);
  check_timed(dir, &p);
  check_deep(&p);
  snprintf(want, sizeof want, "threaded:%d", mark("threaded"));
  s = find(&p, want);
  if (s->val[0] != 8 || (int64_t)s->val[1] <= 0)
    fail("[%s]: %llu contentions, %lld ns; want 8 and > 0", want, (unsigned long long)s->val[0], (long long)s->val[1]);
  int late = !strcmp(name, "exit.pb.gz");
  if (late) {
    snprintf(want, sizeof want, "late:%d", mark("late"));
    s = find(&p, want);
    if (s->val[0] != 100 || (int64_t)s->val[1] <= 0)
      fail("[%s]: %llu contentions, %lld ns; want 100 and > 0", want, (unsigned long long)s->val[0], (long long)s->val[1]);
  }
  if (exact && p.ns != 404 + late)
    fail("%d samples, want %d (main never blocks in a block event at 1 P)", p.ns, 404 + late);
}

/* Three goroutines waited for the mutex main held: each at least once (a
 * woken waiter may lose the mutex to another and wait again, but not at
 * one P). */
static void check_mutex(const char *dir, int exact) {
  profile p = load(dir, "mutex.pb.gz");
  if (p.nst != 2) fail("%d sample types, want 2", p.nst);
  want_type(&p, &p.st[0], "contentions", "count", "sample_type[0]");
  want_type(&p, &p.st[1], "delay", "nanoseconds", "sample_type[1]");
  char want[64];
  snprintf(want, sizeof want, "locker:%d", mark("locker"));
  const sample *s = find(&p, want);
  if (s->val[0] < 3 || (exact && s->val[0] != 3) || (int64_t)s->val[1] <= 0)
    fail("[%s]: %llu contentions, %lld ns; want 3 and > 0", want, (unsigned long long)s->val[0], (long long)s->val[1]);
  if (exact && p.ns != 1) fail("%d samples, want 1", p.ns);
}

static void want_text(const char *text, const char *what) {
  if (!strstr(text, what)) fail("no \"%s\" in:\n%s", what, text);
}

static void check_text(const char *dir, int exact) {
  char path[4096], buf[512];
  size_t n;
  snprintf(path, sizeof path, "%s/goroutine.txt", dir);
  current = path;
  char *t = read_file(path, &n);
  if (strncmp(t, "goroutine profile: total ", 25)) fail("first line is not 'goroutine profile: total N'");
  if (exact) want_text(t, "goroutine profile: total 9\n");
  want_text(t, "\n5 @ 0x");
  snprintf(buf, sizeof buf, "\tparked+0x0\t");
  want_text(t, buf);
  snprintf(buf, sizeof buf, "%s:%d\n\n", src_base, mark("parked"));
  want_text(t, buf);
  want_text(t, "\n3 @ 0x");
  snprintf(buf, sizeof buf, "\tinner+0x0\t");
  want_text(t, buf);
  snprintf(buf, sizeof buf, "%s:%d\n#\t0x", src_base, mark("inner"));
  want_text(t, buf);
  free(t);

  snprintf(path, sizeof path, "%s/goroutine2.txt", dir);
  t = read_file(path, &n);
  snprintf(buf, sizeof buf, "parked(...)\n\t");
  want_text(t, buf);
  snprintf(buf, sizeof buf, "%s:%d\ncreated by main in goroutine ", src_base, mark("parked"));
  want_text(t, buf);
  want_text(t, "[chan receive, ");
  free(t);

  snprintf(path, sizeof path, "%s/block.txt", dir);
  t = read_file(path, &n);
  if (strncmp(t, "--- contention:\ncycles/second=1000000000\n", 41)) fail("not Go's block profile header");
  want_text(t, " 5 @ 0x");
  want_text(t, " 3 @ 0x");
  snprintf(buf, sizeof buf, "\touter+0x0\t");
  want_text(t, buf);
  snprintf(buf, sizeof buf, "%s:%d\n", src_base, mark("outer"));
  want_text(t, buf);
  if (strstr(t, "ignored")) fail("ignored() is in the block profile");
  free(t);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s PROGRAM.goc DIR EXACT\n", argv[0]);
    return 2;
  }
  int exact = atoi(argv[3]);
  current = argv[1];
  read_marks(argv[1]);
  check_goroutine(argv[2], exact);
  check_block(argv[2], "block.pb.gz", exact);
  check_block(argv[2], "exit.pb.gz", exact);
  check_mutex(argv[2], exact);
  check_text(argv[2], exact);
  printf("ok\n");
  return 0;
}
