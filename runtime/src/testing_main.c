/* testing_main.c — the test binary's main: go test's flags, the runner
 * loop, the leak check, deadlock isolation, the timeout and benchmarks.
 *
 * Design. The runner is the process's main thread, a plain thread the
 * deadlock check does not count (it is registered as a runtime thread and
 * never touches a channel as a user would): it starts a top-level test's
 * goroutine and sleeps on a note until the test has paused or finished, a
 * deadlock was found, or the -timeout passed. A deadlock (the runtime's
 * check, panic.c, calls test_deadlock instead of ending the process) fails
 * the tests in flight with the dump of their goroutines, which stay parked,
 * abandoned; the run goes on. When a top-level test is over, the
 * goroutines its tree started and that are still alive after a grace
 * period fail it (the leak check). -cpu runs the binary again per value,
 * with GOC_MAXPROCS set: goc_set_maxprocs could switch in one process, as
 * Go's runner does, but a fresh process per value keeps the goroutines a
 * deadlocked test abandoned under one value out of the next.
 *
 * Invariants:
 *   - waiting/awaited/awaited_done change under sched.lock, so the
 *     deadlock hook (called with it held) sees a consistent wait.
 *   - Reports are printed by the runner only, after the leak check, so a
 *     test's verdict is final when printed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "gscan.h"
#include "testing.h"

goc_test_opts goc__topts = {.leakcheck = true};
extern goc_chan *goc__test_parallel_slots;

void goc__rt_thread_add(void);   /* panic.c */

/* ---- flags ------------------------------------------------------------------ */
typedef struct pattern {
  regex_t *levels;   /* -run A/B: one regex per level */
  int n;
} pattern;

static struct {
  const char *run, *bench, *list;
  int64_t benchtime_ns;
  int64_t benchtime_n;   /* -benchtime Nx */
  int count;
  const char *cpu;
  int64_t timeout;
  bool child, bench_header, failfast;
  pattern runp, benchp;
} fl = {.count = 1, .timeout = 10 * 60 * GOC_SECOND, .benchtime_ns = GOC_SECOND, .bench_header = true};

static void compile_pattern(pattern *p, const char *expr, const char *flag) {
  p->n = 0;
  p->levels = NULL;
  if (!expr) return;
  /* split at '/' outside brackets and parentheses, as Go's splitRegexp */
  char *s = goc__must(strdup(expr));
  char *start = s;
  int depth = 0;
  for (char *q = s;; q++) {
    if (*q == '[' || *q == '(') depth++;
    else if ((*q == ']' || *q == ')') && depth > 0) depth--;
    else if (*q == '\\' && q[1]) { q++; continue; }
    if ((*q == '/' && depth == 0) || *q == 0) {
      bool end = *q == 0;
      *q = 0;
      p->levels = goc__must(realloc(p->levels, sizeof(regex_t) * (size_t)(p->n + 1)));
      int rc = regcomp(&p->levels[p->n], start, REG_EXTENDED | REG_NOSUB);
      if (rc) {
        char msg[256];
        regerror(rc, &p->levels[p->n], msg, sizeof msg);
        fprintf(stderr, "testing: invalid regexp for %s: %s: %s\n", flag, start, msg);
        exit(1);
      }
      p->n++;
      if (end) break;
      start = q + 1;
    }
  }
  free(s);
}

/* Whether each level of name ("TestA/sub/x") matches its level of p. */
static bool pattern_matches(const pattern *p, const char *name) {
  char *s = goc__must(strdup(name));
  int level = 0;
  bool ok = true;
  for (char *part = s, *next; part && ok; part = next, level++) {
    next = strchr(part, '/');
    if (next) *next++ = 0;
    if (level < p->n) ok = regexec(&p->levels[level], part, 0, NULL, 0) == 0;
  }
  free(s);
  return ok;
}

bool goc__test_matches(const char *name, bool bench) {
  return pattern_matches(bench ? &fl.benchp : &fl.runp, name);
}

/* Go's durations: "1.5s", "300ms", "2m", "1h30m", "10us", "5ns". */
static bool parse_duration(const char *s, int64_t *out) {
  int64_t total = 0;
  if (!*s) return false;
  if (!strcmp(s, "0")) { *out = 0; return true; }
  while (*s) {
    char *end;
    double v = strtod(s, &end);
    if (end == s) return false;
    s = end;
    int64_t unit;
    if (!strncmp(s, "ns", 2)) { unit = 1; s += 2; }
    else if (!strncmp(s, "us", 2)) { unit = 1000; s += 2; }
    else if (!strncmp(s, "ms", 2)) { unit = GOC_MILLISECOND; s += 2; }
    else if (*s == 's') { unit = GOC_SECOND; s++; }
    else if (*s == 'm') { unit = 60 * GOC_SECOND; s++; }
    else if (*s == 'h') { unit = 3600 * GOC_SECOND; s++; }
    else return false;
    total += (int64_t)(v * (double)unit);
  }
  *out = total;
  return true;
}

static void format_duration(int64_t ns, char *buf, size_t n) {
  if (ns % (60 * GOC_SECOND) == 0 && ns >= 60 * GOC_SECOND) snprintf(buf, n, "%lldm0s", (long long)(ns / (60 * GOC_SECOND)));
  else if (ns >= GOC_SECOND) snprintf(buf, n, "%gs", (double)ns / GOC_SECOND);
  else snprintf(buf, n, "%gms", (double)ns / GOC_MILLISECOND);
}

static void usage_exit(const char *msg, const char *arg) {
  fprintf(stderr, "flag provided but not defined or invalid: %s%s\n", msg, arg ? arg : "");
  fprintf(stderr, "usage: TEST_BINARY [-run REGEX] [-bench REGEX] [-benchtime D|Nx] [-count N] [-cpu LIST]\n"
                  "                   [-timeout D] [-parallel N] [-v] [-json] [-short] [-failfast]\n"
                  "                   [-leakcheck=false]\n"
                  "                   [-list REGEX]\n");
  exit(2);
}

static bool parse_bool(const char *v) { return !v || !strcmp(v, "true") || !strcmp(v, "1"); }

static void parse_flags(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    char *a = argv[i];
    if (a[0] != '-') usage_exit("", a);
    a++;
    if (*a == '-') a++;
    if (!strncmp(a, "test.", 5)) a += 5;
    char *name = goc__must(strdup(a));
    char *val = strchr(name, '=');
    if (val) *val++ = 0;
    bool is_bool = !strcmp(name, "v") || !strcmp(name, "json") || !strcmp(name, "short") ||
                   !strcmp(name, "leakcheck") || !strcmp(name, "gocchild") || !strcmp(name, "benchheader") ||
                   !strcmp(name, "failfast");
    if (!is_bool && !val) {
      if (i + 1 >= argc) usage_exit("missing value for -", name);
      val = argv[++i];
    }
    if (!strcmp(name, "v")) goc__topts.chatty = parse_bool(val);
    else if (!strcmp(name, "json")) goc__topts.json = parse_bool(val);
    else if (!strcmp(name, "short")) goc__topts.short_mode = parse_bool(val);
    else if (!strcmp(name, "leakcheck")) goc__topts.leakcheck = parse_bool(val);
    else if (!strcmp(name, "gocchild")) fl.child = parse_bool(val);
    else if (!strcmp(name, "failfast")) fl.failfast = parse_bool(val);
    else if (!strcmp(name, "benchheader")) fl.bench_header = parse_bool(val);
    else if (!strcmp(name, "run")) fl.run = val;
    else if (!strcmp(name, "bench")) fl.bench = val;
    else if (!strcmp(name, "list")) fl.list = val;
    else if (!strcmp(name, "cpu")) fl.cpu = val;
    else if (!strcmp(name, "count")) {
      fl.count = atoi(val);
      if (fl.count < 0) usage_exit("-count ", val);
    } else if (!strcmp(name, "parallel")) {
      goc__topts.parallel = atoi(val);
      if (goc__topts.parallel < 1) usage_exit("-parallel ", val);
    } else if (!strcmp(name, "timeout")) {
      if (!parse_duration(val, &fl.timeout)) usage_exit("-timeout ", val);
    } else if (!strcmp(name, "benchtime")) {
      size_t n = strlen(val);
      if (n > 1 && val[n - 1] == 'x') {
        fl.benchtime_n = atoll(val);
        if (fl.benchtime_n <= 0) usage_exit("-benchtime ", val);
      } else if (!parse_duration(val, &fl.benchtime_ns)) {
        usage_exit("-benchtime ", val);
      }
    } else {
      usage_exit("-", name);
    }
  }
  if (goc__topts.json) goc__topts.chatty = true;
  compile_pattern(&fl.runp, fl.run, "-test.run");
  compile_pattern(&fl.benchp, fl.bench, "-test.bench");
}

/* ---- waiting for tests ------------------------------------------------------ */
static bool waiting;             /* sched.lock */
static goc_t *awaited;           /* sched.lock: the test the runner waits for */
static bool awaited_done;        /* sched.lock: for done (else started) */
static _Atomic bool deadlocked;
static int64_t deadline;         /* -timeout */
static int64_t run_start;
static goc_t **inflight;         /* started top-level tests not yet reported */
static int ninflight;


/* sched.lock held (panic.c's check found no goroutine that can run). */
static bool test_deadlock(void) {
  if (!waiting || !awaited) return false;
  if (atomic_load(awaited_done ? &awaited->done : &awaited->started)) return false;
  waiting = false;
  atomic_store(&deadlocked, true);
  goc__test_wake();
  return true;
}

static void timed_out(void);

/* Sleeps until t has started (paused or finished) or, if done, finished;
 * false if a deadlock was declared meanwhile. */
static bool await(goc_t *t, bool done) {
  for (;;) {
    uint64_t seen = goc__test_wake_seq();
    if (atomic_load(done ? &t->done : &t->started)) return true;
    if (atomic_exchange(&deadlocked, false)) return false;
    goc__rt_lock(&goc__sched.lock);
    waiting = true;
    awaited = t;
    awaited_done = done;
    goc__rt_unlock(&goc__sched.lock);
    bool woke = goc__test_sleep(seen, deadline);
    goc__rt_lock(&goc__sched.lock);
    waiting = false;
    awaited = NULL;
    goc__rt_unlock(&goc__sched.lock);
    if (!woke && !atomic_load(done ? &t->done : &t->started)) timed_out();
  }
}

/* ---- goroutines of a test tree ------------------------------------------------ */
static bool in_tree(goc_t *owner, goc_t *top) {
  for (goc_t *o = owner; o; o = o->parent)
    if (o == top) return true;
  return false;
}

static int by_id(const void *a, const void *b) {
  int64_t x = (*(goc_g *const *)a)->id, y = (*(goc_g *const *)b)->id;
  return x < y ? -1 : x > y;
}

/* The live goroutines whose test is in top's tree (not the tests' own
 * goroutines once they finished). */
static int tree_goroutines(goc_t *top, goc_g ***out) {
  goc__rt_lock(&goc__sched.allglock);
  int n = 0, cap = 0;
  goc_g **v = NULL;
  GOC_FOR_EACH_G(g) {
    uint32_t st = atomic_load(goc__gstatus(g));
    if (st == GOC_GIDLE || st == GOC_GDEAD || !g->x) continue;
    goc_t *owner = __atomic_load_n(&g->x->test, __ATOMIC_RELAXED);
    if (!owner || !in_tree(owner, top)) continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      v = goc__must(realloc(v, sizeof *v * (size_t)cap));
    }
    v[n++] = g;
  }
  goc__rt_unlock(&goc__sched.allglock);
  if (n > 1) qsort(v, (size_t)n, sizeof *v, by_id);
  *out = v;
  return n;
}

static goc_t abandoned_owner;   /* owner of goroutines no test waits for */

static void abandon(goc_g **v, int n) {
  for (int i = 0; i < n; i++) __atomic_store_n(&v[i]->x->test, &abandoned_owner, __ATOMIC_RELAXED);
}

static char *dump_of(goc_g **v, int n, const char *indent) {
  char *text = NULL;
  size_t tn = 0;
  FILE *f = goc__must(open_memstream(&text, &tn));
  char *one = NULL;
  size_t on = 0;
  for (int i = 0; i < n; i++) {
    FILE *g = goc__must(open_memstream(&one, &on));
    goc__scan_lock();   /* a memory stream: nothing waits on it */
    goc__print_goroutine(g, v[i], false);
    goc__scan_unlock();
    fclose(g);
    fputs("\n", f);
    for (char *line = one, *nl; line && *line; line = nl) {
      nl = strchr(line, '\n');
      if (nl) *nl++ = 0;
      fprintf(f, "%s%s\n", indent, line);
    }
    free(one);
    one = NULL;
  }
  fclose(f);
  return text;
}

static void add_extra(goc_t *t, const char *text) {
  pthread_mutex_lock(&t->mu);
  size_t a = t->extra ? strlen(t->extra) : 0, b = strlen(text);
  t->extra = goc__must(realloc(t->extra, a + b + 1));
  memcpy(t->extra + a, text, b + 1);
  pthread_mutex_unlock(&t->mu);
}

/* The test of top's tree that owns g. */
static goc_t *owner_of(goc_g *g) { return __atomic_load_n(&g->x->test, __ATOMIC_RELAXED); }

/* Fails each owner of a goroutine in v with the dump of its own ones. */
static void blame(goc_g **v, int n, const char *headline) {
  for (int i = 0; i < n; i++) {
    goc_t *o = owner_of(v[i]);
    if (!o || o == &abandoned_owner) continue;
    bool first = true;
    for (int j = 0; j < i; j++) first = first && owner_of(v[j]) != o;
    if (!first) continue;
    goc_g **mine = goc__must(malloc(sizeof *mine * (size_t)n));
    int k = 0;
    for (int j = 0; j < n; j++)
      if (owner_of(v[j]) == o) mine[k++] = v[j];
    char *d = dump_of(mine, k, "        ");
    char *msg = NULL;
    if (goc__asprintf(&msg, "    %s\n%s", headline, d) >= 0) add_extra(o, msg);
    free(msg);
    free(d);
    free(mine);
    goc_t_fail(o);
  }
}

/* After the test and its cleanups: goroutines it left behind fail it. */
static void leak_check(goc_t *top) {
  goc_g **v = NULL;
  int n = 0;
  for (int64_t nap = GOC_MILLISECOND, waited = 0;; waited += nap, nap *= 2) {
    free(v);
    n = tree_goroutines(top, &v);
    if (!n || waited >= 500 * GOC_MILLISECOND) break;
    struct timespec ts = {0, (long)nap};
    nanosleep(&ts, NULL);
  }
  if (n) {
    char head[160];
    snprintf(head, sizeof head, "leak check: %d goroutine%s still running or blocked after the test ended "
             "(-leakcheck=false turns the check off):", n, n == 1 ? "" : "s");
    blame(v, n, head);
    abandon(v, n);
  }
  free(v);
}

static void mark_done_tree(goc_t *t) {
  atomic_store(&t->started, true);
  atomic_store(&t->done, true);
  if (!t->elapsed) t->elapsed = goc_now() - t->start;
  for (int i = 0; i < t->nchildren; i++) mark_done_tree(t->children[i]);
}

/* Every goroutine is asleep: the tests in flight fail with their dumps. */
static void fail_deadlocked(void) {
  for (int i = 0; i < ninflight; i++) {
    goc_t *t = inflight[i];
    if (atomic_load(&t->done)) continue;
    goc_g **v;
    int n = tree_goroutines(t, &v);
    blame(v, n, "all goroutines of the test are asleep - deadlock!");
    if (!n) goc_t_fail(t);
    abandon(v, n);
    free(v);
    /* cleanups run here: the test's goroutine will never run them */
    for (int k = t->ncleanups - 1; k >= 0; k--) t->cleanups[k].fn(t->cleanups[k].arg);
    t->ncleanups = 0;
    mark_done_tree(t);
  }
}

/* ---- reports ------------------------------------------------------------------- */
static void indent_into(FILE *f, const char *text, int spaces) {
  for (const char *line = text; line && *line;) {
    const char *nl = strchr(line, '\n');
    size_t n = nl ? (size_t)(nl - line + 1) : strlen(line);
    fprintf(f, "%*s%.*s", spaces, "", (int)n, line);
    line += n;
  }
}

static bool any_failed;

/* The --- line of t and its subtests (with their logs unless -v printed
 * them already), as Go nests them; -json gets one event per test. */
static void report(goc_t *t, FILE *f) {
  bool failed = atomic_load(&t->failed), skipped = !failed && atomic_load(&t->skipped);
  const char *verdict = failed ? "FAIL" : skipped ? "SKIP" : "PASS";
  if (!goc__topts.chatty && !failed) return;
  double secs = (double)t->elapsed / GOC_SECOND;
  if (goc__topts.json) {
    for (int i = 0; i < t->nchildren; i++) report(t->children[i], f);
    char *line = NULL;
    if (t->extra) {
      if (goc__asprintf(&line, "%s", t->extra) >= 0) goc__test_emit(t, line);
      free(line);
    }
    if (goc__asprintf(&line, "--- %s: %s (%.2fs)\n", verdict, t->name, secs) >= 0) goc__test_emit(t, line);
    free(line);
    goc__test_action(t, failed ? "fail" : skipped ? "skip" : "pass", secs);
    return;
  }
  fprintf(f, "%*s--- %s: %s (%.2fs)\n", 4 * t->depth, "", verdict, t->name, secs);
  if (!goc__topts.chatty && t->out) indent_into(f, t->out, 4 * t->depth);
  if (t->extra) indent_into(f, t->extra, 4 * t->depth);
  for (int i = 0; i < t->nchildren; i++) report(t->children[i], f);
}

/* -race: ThreadSanitizer calls this for every report it prints (the
 * libtsan default is a weak no-op); a test during which one was printed
 * fails, as go test -race does. */
static _Atomic int races_reported;
#ifdef __SANITIZE_THREAD__
void __tsan_on_report(void *report);
void __tsan_on_report(void *report) {
  (void)report;
  atomic_fetch_add(&races_reported, 1);
}
#endif
static int races_before;

static void finish_top(goc_t *t) {
  if (goc__topts.leakcheck) leak_check(t);
  int races = atomic_load(&races_reported);
  if (races != races_before) {
    races_before = races;
    add_extra(t, "    testing: race detected during execution of test\n");
    goc_t_fail(t);
  }
  if (atomic_load(&t->failed)) any_failed = true;
  char *text = NULL;
  size_t n = 0;
  FILE *f = goc__must(open_memstream(&text, &n));
  report(t, f);
  fclose(f);
  if (n) {
    goc__test_lock_output();
    fputs(text, stdout);
    fflush(stdout);
    goc__test_unlock_output();
  }
  free(text);
}

static void timed_out(void) {
  goc__test_lock_output();
  char d[64];
  format_duration(fl.timeout, d, sizeof d);
  printf("panic: test timed out after %s\n\trunning tests:\n", d);
  int64_t now = goc_now();
  for (int i = 0; i < ninflight; i++)
    if (!atomic_load(&inflight[i]->done)) {
      long long secs = (long long)((now - inflight[i]->start + GOC_SECOND / 2) / GOC_SECOND);
      if (secs < 60) printf("\t\t%s (%llds)\n", inflight[i]->name, secs);
      else printf("\t\t%s (%lldm%llds)\n", inflight[i]->name, secs / 60, secs % 60);
    }
  printf("\n");
  fflush(stdout);
  goc__dump_all(stdout, NULL);
  printf("FAIL\t%s\t%.3fs\n", goc__topts.pkg, (double)(now - run_start) / GOC_SECOND);
  fflush(stdout);
  _exit(2);
}

/* ---- running tests ----------------------------------------------------------------- */
static goc_t *start_top(const goc__testdef *d) {
  goc_t *t = goc__test_new(d->name, NULL);
  t->gofn = d->gofn;
  t->plain = d->plain;
  inflight = goc__must(realloc(inflight, sizeof *inflight * (size_t)(ninflight + 1)));
  inflight[ninflight++] = t;
  goc__test_action(t, "run", 0);
  char *line = NULL;
  if (goc__topts.chatty && goc__asprintf(&line, "=== RUN   %s\n", t->name) >= 0) goc__test_emit(t, line);
  free(line);
  t->start = goc_now();
  goc__test_start(t);
  return t;
}

static void run_tests(const goc__testdef *defs, int n) {
  ninflight = 0;
  goc_t **paused = NULL;
  int npaused = 0;
  for (int i = 0; i < n; i++) {
    if (!defs[i].gofn && !defs[i].plain) continue;
    if (!pattern_matches(&fl.runp, defs[i].name)) continue;
    if (fl.failfast && any_failed) break;   /* -failfast: no new test after a failure */
    goc_t *t = start_top(&defs[i]);
    if (!await(t, false)) {
      fail_deadlocked();
    }
    if (!atomic_load(&t->parallel) && !atomic_load(&t->done) && !await(t, true)) fail_deadlocked();
    if (atomic_load(&t->done)) {
      finish_top(t);
      continue;
    }
    paused = goc__must(realloc(paused, sizeof *paused * (size_t)(npaused + 1)));
    paused[npaused++] = t;
  }
  /* the top-level parallel tests go once every sequential one is over */
  for (int i = 0; i < npaused; i++) goc_chan_close(paused[i]->release_ch);
  for (int i = 0; i < npaused; i++) {
    if (!await(paused[i], true)) fail_deadlocked();
  }
  for (int i = 0; i < npaused; i++) finish_top(paused[i]);
  free(paused);
}

/* ---- benchmarks ---------------------------------------------------------------------- */
static void pretty(FILE *f, double x, const char *unit) {
  double y = x < 0 ? -x : x;
  const char *fmt;
  if (y == 0 || y >= 999.95) fmt = "%10.0f %s";
  else if (y >= 99.995) fmt = "%12.1f %s";
  else if (y >= 9.9995) fmt = "%13.2f %s";
  else if (y >= 0.99995) fmt = "%14.3f %s";
  else if (y >= 0.099995) fmt = "%15.4f %s";
  else if (y >= 0.0099995) fmt = "%16.5f %s";
  else if (y >= 0.00099995) fmt = "%17.6f %s";
  else fmt = "%18.7f %s";
  fprintf(f, fmt, x, unit);
}

/* One round of b with n iterations in a new goroutine; its time, or -1. */
static int64_t bench_round(const goc__testdef *d, goc_bench *bb, const char *name, int64_t n, goc_t **tout) {
  goc_t *t = goc__test_new(name, NULL);
  t->bench = &bb->b;
  t->bench_gofn = d->bench_gofn;
  t->bench_plain = d->bench_plain;
  bb->b.n = n;
  bb->b.t = t;
  inflight = goc__must(realloc(inflight, sizeof *inflight * (size_t)(ninflight + 1)));
  inflight[ninflight++] = t;
  t->start = goc_now();
  goc__test_start(t);
  if (!await(t, true)) fail_deadlocked();
  *tout = t;
  return atomic_load(&t->failed) || atomic_load(&t->skipped) ? -1 : t->bench_dur;
}

static void run_bench(const goc__testdef *d, int procs, int maxlen) {
  char name[512];
  if (procs != 1) snprintf(name, sizeof name, "%s-%d", d->name, procs);
  else snprintf(name, sizeof name, "%s", d->name);
  goc_bench bb = {0};
  goc_t *t = NULL;
  ninflight = 0;
  int64_t n = 1, dur = bench_round(d, &bb, d->name, 1, &t);
  if (dur >= 0 && fl.benchtime_n > 0 && fl.benchtime_n != 1) {
    n = fl.benchtime_n;
    dur = bench_round(d, &bb, d->name, n, &t);
  } else {
    while (dur >= 0 && fl.benchtime_n == 0 && dur < fl.benchtime_ns && n < 1000000000) {
      /* Go's predictNs: aim 20% past the goal, grow at most 100x */
      int64_t last = n, prevns = dur > 0 ? dur : 1;
      double next = (double)fl.benchtime_ns * (double)n / (double)prevns;
      n = (int64_t)(next + next / 5);
      if (n > 100 * last) n = 100 * last;
      if (n < last + 1) n = last + 1;
      if (n > 1000000000) n = 1000000000;
      dur = bench_round(d, &bb, d->name, n, &t);
    }
  }
  goc__test_lock_output();
  if (dur < 0) {
    bool skipped = !atomic_load(&t->failed);
    if (!skipped) any_failed = true;
    printf("--- %s: %s\n", skipped ? "SKIP" : "FAIL", name);
    if (t->out) indent_into(stdout, t->out, 4);
    if (t->extra) indent_into(stdout, t->extra, 4);
  } else {
    printf("%-*s\t%8lld", maxlen, name, (long long)n);
    double nsop = (double)dur / (double)n;
    for (int i = 0; i < bb.nmetrics; i++)
      if (!strcmp(bb.metrics[i].unit, "ns/op")) nsop = bb.metrics[i].value;
    if (nsop != 0) {
      fputc('\t', stdout);
      pretty(stdout, nsop, "ns/op");
    }
    /* other metrics in the order of their names, as Go */
    for (;;) {
      goc_metric *next = NULL;
      for (int i = 0; i < bb.nmetrics; i++) {
        goc_metric *m = &bb.metrics[i];
        if (!m->unit || !strcmp(m->unit, "ns/op")) continue;
        if (!next || strcmp(m->unit, next->unit) < 0) next = m;
      }
      if (!next) break;
      fputc('\t', stdout);
      pretty(stdout, next->value, next->unit);
      free(next->unit);
      next->unit = NULL;
    }
    fputc('\n', stdout);
    if (t->out && goc__topts.chatty) indent_into(stdout, t->out, 4);
  }
  fflush(stdout);
  goc__test_unlock_output();
}

static void run_benches(const goc__testdef *defs, int n) {
  int procs = goc__maxprocs(), maxlen = 0;
  bool any = false;
  for (int i = 0; i < n; i++) {
    if (!defs[i].bench_gofn && !defs[i].bench_plain) continue;
    if (!pattern_matches(&fl.benchp, defs[i].name)) continue;
    int l = (int)strlen(defs[i].name) + (procs != 1 ? 1 + snprintf(NULL, 0, "%d", procs) : 0);
    if (l > maxlen) maxlen = l;
    any = true;
  }
  if (!any) return;
  if (fl.bench_header) {
    goc__test_lock_output();
    printf("goos: linux\ngoarch: %s\npkg: %s\n",
#if defined(__x86_64__)
           "amd64",
#elif defined(__aarch64__)
           "arm64",
#else
           "unknown",
#endif
           goc__topts.pkg);
    fflush(stdout);
    goc__test_unlock_output();
  }
  for (int i = 0; i < n; i++) {
    if (!defs[i].bench_gofn && !defs[i].bench_plain) continue;
    if (!pattern_matches(&fl.benchp, defs[i].name)) continue;
    run_bench(&defs[i], procs, maxlen);
  }
}

/* ---- -cpu: one child per value ---------------------------------------------------- */
static int run_cpu_children(int argc, char **argv) {
  char *list = goc__must(strdup(fl.cpu));
  int failed = 0;
  bool first = true;
  for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
    int procs = atoi(tok);
    if (procs <= 0) usage_exit("-cpu ", fl.cpu);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); return 1; }
    if (pid == 0) {
      char v[32];
      snprintf(v, sizeof v, "%d", procs);
      setenv("GOC_MAXPROCS", v, 1);
      char **av = goc__must(calloc((size_t)argc + 4, sizeof *av));
      int k = 0;
      av[k++] = argv[0];
      for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *b = a + (a[1] == '-' ? 2 : 1);
        if (!strncmp(b, "test.", 5)) b += 5;
        if (!strncmp(b, "cpu", 3) && (b[3] == 0 || b[3] == '=')) {
          if (b[3] == 0) i++;
          continue;
        }
        av[k++] = argv[i];
      }
      av[k++] = "-test.gocchild";
      if (!first) av[k++] = "-test.benchheader=false";
      execv("/proc/self/exe", av);
      perror("exec");
      _exit(127);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) failed = WIFEXITED(st) && WEXITSTATUS(st) == 1 ? 1 : 2;
    first = false;
    if (failed == 2) break;
  }
  free(list);
  return failed;
}

static void final_lines(bool failed) {
  double secs = (double)(goc_now() - run_start) / GOC_SECOND;
  goc__test_lock_output();
  if (goc__topts.json) {
    goc__test_json_line(NULL, "output", failed ? "FAIL\n" : "PASS\n", 0, false);
    char line[512];
    snprintf(line, sizeof line, failed ? "FAIL\t%s\t%.3fs\n" : "ok  \t%s\t%.3fs\n", goc__topts.pkg, secs);
    goc__test_json_line(NULL, "output", line, 0, false);
    goc__test_json_line(NULL, failed ? "fail" : "pass", NULL, secs, true);
  } else {
    printf(failed ? "FAIL\n" : "PASS\n");
    printf(failed ? "FAIL\t%s\t%.3fs\n" : "ok  \t%s\t%.3fs\n", goc__topts.pkg, secs);
  }
  fflush(stdout);
  goc__test_unlock_output();
}

int goc__testing_main(int argc, char **argv, const char *pkg, const goc__testdef *defs, int ndefs) {
  goc__topts.pkg = pkg;
  parse_flags(argc, argv);
  if (fl.list) {
    pattern lp;
    compile_pattern(&lp, fl.list, "-test.list");
    for (int i = 0; i < ndefs; i++)
      if (pattern_matches(&lp, defs[i].name)) puts(defs[i].name);
    fflush(stdout);
    _exit(0);   /* as every run ends: the flags live as long as the process */
  }
  run_start = goc_now();
  if (goc__topts.json && !fl.child) {
    goc__test_lock_output();
    goc__test_json_line(NULL, "start", NULL, 0, false);
    goc__test_unlock_output();
  }
  if (fl.cpu && !fl.child) {
    int rc = run_cpu_children(argc, argv);
    final_lines(rc != 0);
    return rc ? 1 : 0;
  }
  /* The runner is not a thread that may wake a goroutine: the deadlock
   * check must not wait for it. */
  goc__tls_plain = true;
  goc__rt_thread_add();
  goc__sched.test_deadlock = test_deadlock;   /* before the monitor starts */
  goc__sched.main_mode = true;
  goc__runtime_init();
  if (goc__topts.parallel <= 0) goc__topts.parallel = goc__maxprocs();
  goc__test_parallel_slots = goc_chan_make(1, 1, (size_t)goc__topts.parallel);
  deadline = fl.timeout > 0 ? run_start + fl.timeout : INT64_MAX;
  for (int c = 0; c < fl.count && !(fl.failfast && any_failed); c++) run_tests(defs, ndefs);
  if (fl.bench)
    for (int c = 0; c < fl.count; c++) run_benches(defs, ndefs);
  if (!fl.child) final_lines(any_failed);
  else if (any_failed) {
    goc__test_lock_output();
    printf("FAIL\n");
    goc__test_unlock_output();
  }
  fflush(stdout);
  /* goroutines left behind (leaked, abandoned) simply stop, as at the end
   * of Go's main */
  _exit(any_failed ? 1 : 0);
}
