/* testing.c — a test's goroutine: goc_t's calls, subtests, parallel tests
 * and goc_t_fail_now's unwinding (Go's runtime.Goexit).
 *
 * Design. Every test (and every benchmark round) runs in its own G whose
 * first frame is a runtime frame, test_frame: its step calls the test
 * function's frame (through F__gofn for a goroutine function, directly for
 * plain C), then waits for the parallel subtests it released, runs the
 * cleanups and signals that the test is over. goc_t_fail_now marks the G
 * (gext->goexit_to = the innermost test_frame) and suspends through
 * the trampoline; execute() then calls goc__goexit_unwind, which drops
 * every frame above the test_frame, so the arena is as the test function
 * found it, and steps the test_frame on to its end phase. Waits inside the
 * runtime (a parent for its subtest, a parallel test for its release) are
 * receives from channels that are closed to signal: a closed channel
 * wakes every waiter and never blocks a later one.
 *
 * Invariants:
 *   - test_frame.callee is the test function's frame while it is pushed;
 *     NULL once it returned or was unwound.
 *   - Goroutine-side state of a multi-step call lives in the goc_t it is
 *     about (run_phase in the child, par_phase in the test itself): one
 *     goroutine per test calls them.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testing.h"

goc_chan *goc__test_parallel_slots;   /* -parallel N: a send takes a slot */

/* ---- waking the runner and plain C waiters --------------------------------
 * A sequence number under a mutex: a waiter reads it, checks what it waits
 * for, then sleeps until the number moves (no wake-up is lost, any number
 * of wake-ups is fine). */
static pthread_mutex_t wake_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake_cv;
static pthread_once_t wake_once = PTHREAD_ONCE_INIT;
static uint64_t wake_seq;

static void wake_init(void) {
  pthread_condattr_t a;
  pthread_condattr_init(&a);
  pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
  pthread_cond_init(&wake_cv, &a);
  pthread_condattr_destroy(&a);
}

void goc__test_wake(void) {
  pthread_once(&wake_once, wake_init);
  pthread_mutex_lock(&wake_mu);
  wake_seq++;
  pthread_cond_broadcast(&wake_cv);
  pthread_mutex_unlock(&wake_mu);
}

uint64_t goc__test_wake_seq(void) {
  pthread_once(&wake_once, wake_init);
  pthread_mutex_lock(&wake_mu);
  uint64_t v = wake_seq;
  pthread_mutex_unlock(&wake_mu);
  return v;
}

bool goc__test_sleep(uint64_t seen, int64_t deadline) {
  struct timespec ts = {deadline / GOC_SECOND, deadline % GOC_SECOND};
  bool woke = true;
  pthread_mutex_lock(&wake_mu);
  while (wake_seq == seen && woke) {
    if (deadline == INT64_MAX) pthread_cond_wait(&wake_cv, &wake_mu);
    else woke = pthread_cond_timedwait(&wake_cv, &wake_mu, &ts) == 0 || wake_seq != seen;
  }
  pthread_mutex_unlock(&wake_mu);
  return woke;
}

/* ---- output ---------------------------------------------------------------- */
static pthread_mutex_t output_mu = PTHREAD_MUTEX_INITIALIZER;
void goc__test_lock_output(void) { pthread_mutex_lock(&output_mu); }
void goc__test_unlock_output(void) { pthread_mutex_unlock(&output_mu); }

static void json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
    else if (*p == '\n') fputs("\\n", f);
    else if (*p == '\t') fputs("\\t", f);
    else if (*p == '\r') fputs("\\r", f);
    else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
    else fputc(*p, f);
  }
  fputc('"', f);
}

/* One event of go test -json's stream (output_mu held). */
void goc__test_json_line(const char *test, const char *action, const char *output, double elapsed,
                         bool with_elapsed) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char when[64];
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
  printf("{\"Time\":\"%s.%09ldZ\",\"Action\":\"%s\",\"Package\":", when, ts.tv_nsec, action);
  json_string(stdout, goc__topts.pkg);
  if (test) {
    fputs(",\"Test\":", stdout);
    json_string(stdout, test);
  }
  if (output) {
    fputs(",\"Output\":", stdout);
    json_string(stdout, output);
  }
  if (with_elapsed) printf(",\"Elapsed\":%.3f", elapsed);
  fputs("}\n", stdout);
}

/* Printed now: -v streams === lines and logs as they happen. */
void goc__test_emit(goc_t *t, const char *text) {
  goc__test_lock_output();
  if (goc__topts.json) {
    /* one event per line, as test2json reads them */
    const char *p = text;
    while (*p) {
      const char *nl = strchr(p, '\n');
      size_t n = nl ? (size_t)(nl - p + 1) : strlen(p);
      char *line = strndup(p, n);
      goc__test_json_line(t ? t->name : NULL, "output", line, 0, false);
      free(line);
      p += n;
    }
  } else {
    fputs(text, stdout);
  }
  fflush(stdout);
  goc__test_unlock_output();
}

void goc__test_action(goc_t *t, const char *action, double elapsed) {
  if (!goc__topts.json) return;
  bool with = !strcmp(action, "pass") || !strcmp(action, "fail") || !strcmp(action, "skip");
  goc__test_lock_output();
  goc__test_json_line(t->name, action, NULL, elapsed, with);
  fflush(stdout);
  goc__test_unlock_output();
}

int goc__asprintf(char **out, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vasprintf(out, fmt, ap);
  va_end(ap);
  if (n < 0) goc__throw("out of memory");
  return n;
}

/* ---- goc_t's calls ------------------------------------------------------ */
goc_t *goc__test_new(const char *name, goc_t *parent) {
  goc_t *t = goc__must(calloc(1, sizeof *t));
  t->name = goc__must(strdup(name));
  t->parent = parent;
  t->depth = parent ? parent->depth + 1 : 0;
  pthread_mutex_init(&t->mu, NULL);
  t->started_ch = goc_chan_make(1, 1, 0);
  t->done_ch = goc_chan_make(1, 1, 0);
  t->release_ch = goc_chan_make(1, 1, 0);
  return t;
}

static const char *base_name(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

static void out_append(goc_t *t, const char *s, size_t n) {
  if (t->outlen + n + 1 > t->outcap) {
    t->outcap = (t->outlen + n + 1) * 2;
    t->out = goc__must(realloc(t->out, t->outcap));
  }
  memcpy(t->out + t->outlen, s, n);
  t->outlen += n;
  t->out[t->outlen] = 0;
}

void goc__t_logf(goc_t *t, const char *file, int line, int kind, const char *fmt, ...) {
  char *msg = NULL;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&msg, fmt, ap) < 0) goc__throw("out of memory");
  va_end(ap);
  /* Go's layout: "    file:line: text", continuation lines indented more */
  char *text = NULL;
  size_t tn = 0;
  FILE *f = goc__must(open_memstream(&text, &tn));
  fprintf(f, "    %s:%d: ", base_name(file ? file : "?"), line);
  for (const char *p = msg ? msg : "?"; *p; p++) {
    fputc(*p, f);
    if (*p == '\n' && p[1]) fputs("        ", f);
  }
  if (!msg || !*msg || msg[strlen(msg) - 1] != '\n') fputc('\n', f);
  fclose(f);
  free(msg);
  if (kind == 1) atomic_store(&t->failed, true);
  if (goc__topts.chatty) {
    goc__test_emit(t, text);
  } else {
    pthread_mutex_lock(&t->mu);
    out_append(t, text, tn);
    pthread_mutex_unlock(&t->mu);
  }
  free(text);
}

void goc_t_fail(goc_t *t) {
  for (goc_t *p = t; p; p = p->parent) atomic_store(&p->failed, true);
}
bool goc_t_failed(goc_t *t) { return atomic_load(&t->failed); }
bool goc_t_skipped(goc_t *t) { return atomic_load(&t->skipped); }
const char *goc_t_name(goc_t *t) { return t->name; }
bool goc_testing_short(void) { return goc__topts.short_mode; }

void goc_t_cleanup(goc_t *t, void (*fn)(void *), void *arg) {
  pthread_mutex_lock(&t->mu);
  t->cleanups = goc__must(realloc(t->cleanups, sizeof *t->cleanups * (size_t)(t->ncleanups + 1)));
  t->cleanups[t->ncleanups++] = (goc_cleanup){fn, arg};
  pthread_mutex_unlock(&t->mu);
}

/* ---- goc_t_tempdir, goc_t_setenv ------------------------------------------ */
static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static void remove_tree(void *dir) {
  nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  free(dir);
}

const char *goc_t_tempdir(goc_t *t) {
  const char *base = getenv("TMPDIR");
  char *dir = NULL;
  if (asprintf(&dir, "%s/%s", base && *base ? base : "/tmp", "goc-test-XXXXXX") < 0) goc__throw("out of memory");
  if (!mkdtemp(dir)) goc_panic("goc_t_tempdir: %s", strerror(errno));
  goc_t_cleanup(t, remove_tree, dir);
  return dir;
}

typedef struct saved_env {
  char *key, *value;   /* value NULL: was unset */
} saved_env;

static void restore_env(void *arg) {
  saved_env *e = arg;
  if (e->value) setenv(e->key, e->value, 1);
  else unsetenv(e->key);
  free(e->key);
  free(e->value);
  free(e);
}

void goc_t_setenv(goc_t *t, const char *key, const char *value) {
  for (goc_t *p = t; p; p = p->parent)
    if (atomic_load(&p->parallel))
      goc_panic("testing: goc_t_setenv called in a parallel test or one with parallel ancestors");
  saved_env *e = calloc(1, sizeof *e);
  if (!e) goc__throw("out of memory");
  e->key = strdup(key);
  const char *old = getenv(key);
  e->value = old ? strdup(old) : NULL;
  if (!e->key || (old && !e->value)) goc__throw("out of memory");
  if (setenv(key, value, 1) != 0) goc_panic("goc_t_setenv: %s", strerror(errno));
  goc_t_cleanup(t, restore_env, e);
}

/* ---- the test's goroutine ------------------------------------------------ */
typedef struct test_frame {
  goc_frame hdr;
  goc_fninfo fi;       /* hdr.fn: the test's name, for "created by" */
  goc_t *t;
  goc_frame *callee;   /* the test function's frame, while pushed */
  int child;           /* phase 2: the next subtest to wait for */
  bool waiting;        /* phase 2: parked on that subtest's done_ch */
} test_frame;
_Static_assert(offsetof(test_frame, fi) == sizeof(goc_frame),
               "blockrec.c knows a record kept in its frame by its place right after the header");

static void signal_started(goc_t *t) {
  if (atomic_exchange(&t->started, true)) return;
  goc_chan_close(t->started_ch);
  goc__test_wake();
}

static int64_t bench_now(void) { return goc_now(); }

static int test_step(goc_g *g, goc_frame *fr) {
  test_frame *f = (test_frame *)fr;
  goc_t *t = f->t;
  switch (fr->resume) {
  case 0:
    fr->resume = 1;
    t->start = goc_now();
    if (t->bench) {
      t->bench_dur = 0;
      t->bench_on = true;
      t->bench_start = bench_now();
    }
    if (t->gofn || t->bench_gofn) {
      struct goc_gocall rec = {g, NULL, NULL};
      if (t->gofn) t->gofn(&rec, t);
      else t->bench_gofn(&rec, t->bench);
      f->callee = rec.frame;
      if (goc__call(g, fr, f->callee) != GOC_DONE) return GOC_SUSPEND;
    } else if (t->plain) {
      t->plain(t);
    } else if (t->bench_plain) {
      t->bench_plain(t->bench);
    }
    /* fallthrough */
  case 1:
    if (f->callee) {
      goc__frame_pop(g, f->callee);
      f->callee = NULL;
    }
    if (t->bench && t->bench_on) t->bench_dur += bench_now() - t->bench_start;
    /* the parallel subtests wait for the end of this function (Go) */
    pthread_mutex_lock(&t->mu);
    int n = t->nchildren;
    pthread_mutex_unlock(&t->mu);
    for (int i = 0; i < n; i++)
      if (atomic_load(&t->children[i]->parallel)) goc_chan_close(t->children[i]->release_ch);
    f->child = 0;
    fr->resume = 2;
    /* fallthrough */
  case 2:
    for (;;) {
      if (f->waiting) {
        goc__chan_recv_resume(g, &t->recv_ok);
        f->waiting = false;
        f->child++;
        continue;
      }
      pthread_mutex_lock(&t->mu);
      goc_t *c = f->child < t->nchildren ? t->children[f->child] : NULL;
      pthread_mutex_unlock(&t->mu);
      if (!c) break;
      if (!atomic_load(&c->done) && !goc__chan_recv(g, c->done_ch, NULL, &t->recv_ok)) {
        f->waiting = true;
        return GOC_SUSPEND;
      }
      f->child++;
    }
    break;
  }
  /* cleanups, last added first (plain C: they cannot block) */
  for (;;) {
    pthread_mutex_lock(&t->mu);
    goc_cleanup c = {0};
    if (t->ncleanups > 0) c = t->cleanups[--t->ncleanups];
    pthread_mutex_unlock(&t->mu);
    if (!c.fn) break;
    c.fn(c.arg);
  }
  t->elapsed = goc_now() - t->start;
  if (t->par_phase >= 5 && goc__topts.parallel > 0) {
    /* give back the slot taken in goc_t_parallel */
    char v;
    bool ok;
    goc_chan_tryrecv(goc__test_parallel_slots, &v, &ok);
  }
  for (int i = 0; i < t->nchildren; i++)
    if (atomic_load(&t->children[i]->failed)) atomic_store(&t->failed, true);
  if (atomic_load(&t->failed) && t->parent) goc_t_fail(t->parent);
  signal_started(t);
  atomic_store(&t->done, true);
  goc_chan_close(t->done_ch);
  goc__test_wake();
  return GOC_DONE;
}

/* t's goroutine, created and queued (the runner's or a parent's). */
void goc__test_start(goc_t *t) {
  goc_g *g = goc__go_new();
  goc__gx(g)->test = t;
  test_frame *f = (test_frame *)goc__frame_push(g, sizeof(test_frame), NULL);
  f->t = t;
  f->callee = NULL;
  f->child = 0;
  f->waiting = false;
  /* not listed in dumps (line < 0), but "created by" names the test */
  f->fi.step = test_step;
  f->fi.func = t->name;
  f->fi.file = NULL;
  f->hdr.fn = &f->fi;
  f->hdr.line = -1;
  t->g = g;
  goc__go_start(g, NULL);
}

/* execute(): g->x->goexit set by goc_t_fail_now. Drops the frames above
 * the test frame (the arena is LIFO) and lets it run its end phase; a
 * goroutine with no test frame (fail_now from a goroutine the test
 * started, as Go allows) ends instead. */
static int goexit_step(goc_g *g, goc_frame *fr) {
  (void)g;
  (void)fr;
  return GOC_DONE;
}
static const goc_fninfo goexit_fi = {goexit_step, "goc_t_fail_now", NULL};

void goc__goexit_unwind(goc_g *g) {
  goc_gext *x = g->x;
  x->goexit = false;
  goc_frame *target = x->goexit_to;
  x->goexit_to = NULL;
  /* keep: the test frame, or (none) the bottom frame, which then returns at
   * once; everything pushed above it goes (the arena is LIFO) */
  goc_frame *keep = target, *above = NULL;
  for (goc_frame *fr = g->h.top; fr && fr != target; fr = fr->parent) {
    if (!target && !fr->parent) {
      keep = fr;
      break;
    }
    above = fr;
  }
  if (!keep) return;
  if (above) goc__arena_pop(g, above);
  g->h.top = keep;
  if (target) {
    ((test_frame *)target)->callee = NULL;
    target->resume = 1;
  } else {
    keep->fn = &goexit_fi;
  }
}

static void arrange_goexit(goc_g *g) {
  goc_frame *target = NULL;
  for (goc_frame *fr = GOC_G(g)->top; fr && !target; fr = fr->parent)
    if (fr->fn && fr->fn->step == test_step) target = fr;
  goc_gext *x = goc__gx(g);
  x->goexit_to = target;
  x->goexit = true;
  goc__trampoline(g);
}

int goc_t_fail_now__async(goc_g *g, goc_t *t) {
  goc_t_fail(t);
  arrange_goexit(g);
  return 0;
}

int goc_t_skip_now__async(goc_g *g, goc_t *t) {
  atomic_store(&t->skipped, true);
  arrange_goexit(g);
  return 0;
}

/* From plain C the C stack cannot be unwound: the test is marked and the
 * caller goes on. */
void goc_t_fail_now(goc_t *t) { goc_t_fail(t); }
void goc_t_skip_now(goc_t *t) { atomic_store(&t->skipped, true); }

/* ---- parallel tests ------------------------------------------------------ */
static void announce(goc_t *t, const char *what, const char *action) {
  char *line = NULL;
  if (goc__topts.chatty && goc__asprintf(&line, "=== %s %s\n", what, t->name) >= 0) goc__test_emit(t, line);
  free(line);
  goc__test_action(t, action, 0);
}

int goc_t_parallel__async(goc_g *g, goc_t *t) {
  static const char one = 1;   /* a slot's token: senders read it later */
  for (;;) switch (t->par_phase) {
    case 0:
      atomic_store(&t->parallel, true);
      announce(t, "PAUSE", "pause");
      t->par_phase = 1;
      signal_started(t);
      if (!goc__chan_recv(g, t->release_ch, NULL, &t->recv_ok)) {
        t->par_phase = 2;
        return 0;
      }
      t->par_phase = 3;
      break;
    case 2:
      goc__chan_recv_resume(g, &t->recv_ok);
      t->par_phase = 3;
      break;
    case 3:
      if (goc__topts.parallel > 0 && !goc__chan_send(g, goc__test_parallel_slots, &one)) {
        t->par_phase = 4;
        return 0;
      }
      t->par_phase = 5;
      break;
    case 4:
      goc__chan_send_resume(g);
      t->par_phase = 5;
      break;
    case 5:
      announce(t, "CONT ", "cont");
      t->start = goc_now();   /* as Go: the pause does not count */
      t->par_phase = 6;
      return 1;
    default:
      goc_panic("testing: t.Parallel called multiple times");
  }
}

/* From plain C the test cannot pause: it runs on, sequentially. */
void goc_t_parallel(goc_t *t) { (void)t; }

/* ---- subtests ------------------------------------------------------------ */
/* Go's subtest names: spaces become underscores; a repeated name gets #01. */
static char *subtest_name(goc_t *parent, const char *name) {
  char *base = NULL;
  if (goc__asprintf(&base, "%s/%s", parent->name, name && *name ? name : "#00") < 0) goc__throw("out of memory");
  for (char *p = base + strlen(parent->name) + 1; *p; p++)
    if (*p == ' ') *p = '_';
  int seen = 0;
  pthread_mutex_lock(&parent->mu);
  for (int i = 0; i < parent->nchildren; i++) {
    const char *c = parent->children[i]->name;
    size_t bl = strlen(base);
    if (!strncmp(c, base, bl) && (c[bl] == 0 || c[bl] == '#')) seen++;
  }
  pthread_mutex_unlock(&parent->mu);
  if (!seen) return base;
  char *r = NULL;
  if (goc__asprintf(&r, "%s#%02d", base, seen) < 0) goc__throw("out of memory");
  free(base);
  return r;
}

extern bool goc__test_matches(const char *name, bool bench);   /* testing_main.c */

/* The child, created and started, or NULL when -run filters it out. */
static goc_t *start_child(goc_t *t, const char *name, void (*gofn)(goc_gofn_tag, goc_t *), void (*plain)(goc_t *)) {
  char *full = subtest_name(t, name);
  if (!goc__test_matches(full, false)) {
    free(full);
    return NULL;
  }
  goc_t *c = goc__test_new(full, t);
  free(full);
  c->gofn = gofn;
  c->plain = plain;
  pthread_mutex_lock(&t->mu);
  t->children = goc__must(realloc(t->children, sizeof *t->children * (size_t)(t->nchildren + 1)));
  t->children[t->nchildren++] = c;
  pthread_mutex_unlock(&t->mu);
  char *line = NULL;
  goc__test_action(c, "run", 0);
  if (goc__topts.chatty && goc__asprintf(&line, "=== RUN   %s\n", c->name) >= 0) goc__test_emit(c, line);
  free(line);
  goc__test_start(c);
  return c;
}

/* The parent's wait for the child: in the child's run_phase. The child
 * pointer is kept in the parent's gext between calls. */
static int run_async(goc_g *g, bool *result, goc_t *t, const char *name, void (*gofn)(goc_gofn_tag, goc_t *),
                     void (*plain)(goc_t *)) {
  goc_gext *x = goc__gx(g);
  goc_t *c = x->test_child;
  if (c) {   /* resumed: c has paused or finished */
    goc__chan_recv_resume(g, &c->recv_ok);
    x->test_child = NULL;
  } else {
    c = start_child(t, name, gofn, plain);
    if (c && !atomic_load(&c->started) && !goc__chan_recv(g, c->started_ch, NULL, &c->recv_ok)) {
      x->test_child = c;
      return 0;
    }
  }
  *result = !c || !atomic_load(&c->failed);   /* filtered out by -run: passed */
  return 1;
}

int goc_t_run__async(goc_g *g, bool *result, goc_t *t, const char *name, void (*fn)(goc_t *)) {
  return run_async(g, result, t, name, NULL, fn);
}

int goc_t_run_go__async(goc_g *g, bool *result, goc_t *t, const char *name, void (*fn)(goc_gofn_tag, goc_t *)) {
  return run_async(g, result, t, name, fn, NULL);
}

/* From plain C: the calling thread sleeps (an M hands off its P). */
static bool run_sync(goc_t *t, const char *name, void (*gofn)(goc_gofn_tag, goc_t *), void (*plain)(goc_t *)) {
  goc_t *c = start_child(t, name, gofn, plain);
  if (!c) return true;
  bool in_goroutine = goc__tls_m && goc__getg();
  if (in_goroutine) goc__block_thread_enter(GOC_WAIT_SYNC);
  for (;;) {
    uint64_t seen = goc__test_wake_seq();
    if (atomic_load(&c->started)) break;
    goc__test_sleep(seen, INT64_MAX);
  }
  if (in_goroutine) goc__block_thread_exit();
  return !atomic_load(&c->failed);
}

bool goc_t_run(goc_t *t, const char *name, void (*fn)(goc_t *)) { return run_sync(t, name, NULL, fn); }
bool goc_t_run_go(goc_t *t, const char *name, void (*fn)(goc_gofn_tag, goc_t *)) {
  return run_sync(t, name, fn, NULL);
}

/* ---- benchmarks' timer ---------------------------------------------------- */
void goc_b_reset_timer(goc_b *b) {
  goc_t *t = b->t;
  t->bench_dur = 0;
  if (t->bench_on) t->bench_start = bench_now();
}
void goc_b_start_timer(goc_b *b) {
  goc_t *t = b->t;
  if (!t->bench_on) {
    t->bench_on = true;
    t->bench_start = bench_now();
  }
}
void goc_b_stop_timer(goc_b *b) {
  goc_t *t = b->t;
  if (t->bench_on) {
    t->bench_dur += bench_now() - t->bench_start;
    t->bench_on = false;
  }
}
void goc_b_report_metric(goc_b *b, double value, const char *unit) {
  goc_bench *bb = (goc_bench *)b;
  for (int i = 0; i < bb->nmetrics; i++)
    if (!strcmp(bb->metrics[i].unit, unit)) {
      bb->metrics[i].value = value;
      return;
    }
  bb->metrics = goc__must(realloc(bb->metrics, sizeof *bb->metrics * (size_t)(bb->nmetrics + 1)));
  bb->metrics[bb->nmetrics++] = (goc_metric){goc__must(strdup(unit)), value};
}
