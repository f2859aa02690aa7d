/* testing.h — goc test's runner, internal to libgoc: the test record and
 * what the runner (testing_main.c) and the test goroutines (testing.c)
 * share.
 *
 * Invariants:
 *   - A goc_t lives until the process exits: leaked and abandoned
 *     goroutines keep pointing at it (gext->test).
 *   - t->mu guards out, children, cleanups and extra; the flags are
 *     atomics, written by t's own goroutine (or by the runner once t's
 *     goroutines are abandoned).
 *   - started is set once t has paused (goc_t_parallel) or finished; done
 *     once t, its cleanups and its subtests are over. Each is signalled to
 *     a parent test through a closed channel and to the runner through
 *     goc__test_wake().
 */
#ifndef GOC_TESTING_H
#define GOC_TESTING_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "proc.h"

/* The test binary's allocations: a failure is "fatal error: out of
 * memory" (exit 2), never a silently shorter report. */
static inline void *goc__must(void *p) {
  if (!p) goc__throw("out of memory");
  return p;
}
__attribute__((format(printf, 2, 3))) int goc__asprintf(char **out, const char *fmt, ...);   /* throws on failure */

typedef struct goc_cleanup {
  void (*fn)(void *);
  void *arg;
} goc_cleanup;

struct goc_t {
  char *name;                 /* full name, "TestA/sub" */
  goc_t *parent;              /* NULL for a top-level test */
  int depth;
  goc_b *bench;               /* a benchmark's round, or NULL */
  void (*gofn)(goc_gofn_tag, goc_t *);
  void (*plain)(goc_t *);
  void (*bench_gofn)(goc_gofn_tag, goc_b *);
  void (*bench_plain)(goc_b *);
  pthread_mutex_t mu;
  char *out;                  /* log lines (not yet printed) */
  size_t outlen, outcap;
  char *extra;                /* the leak check's or deadlock's report */
  goc_cleanup *cleanups;
  int ncleanups;
  goc_t **children;
  int nchildren;
  _Atomic bool failed, skipped, started, done, parallel, abandoned;
  int64_t start, elapsed;
  goc_chan *started_ch, *done_ch, *release_ch;   /* closed to signal */
  bool recv_ok;
  goc_g *g;                   /* its goroutine */
  int run_phase;              /* goc_t_run__async in the parent, per child */
  int par_phase;              /* goc_t_parallel__async */
  /* benchmark timing (its own goroutine only) */
  int64_t bench_start, bench_dur;
  bool bench_on;
};

typedef struct goc_metric {
  char *unit;
  double value;
} goc_metric;

/* A benchmark round's state beside the public goc_b. */
typedef struct goc_bench {
  goc_b b;
  goc_metric *metrics;
  int nmetrics;
} goc_bench;

/* Runner options (testing_main.c). */
typedef struct goc_test_opts {
  bool chatty;                /* -v (and -json) */
  bool json;
  bool leakcheck;
  bool short_mode;
  int parallel;               /* -parallel */
  const char *pkg;
} goc_test_opts;
extern goc_test_opts goc__topts;

/* testing.c */
goc_t *goc__test_new(const char *name, goc_t *parent);
void goc__test_start(goc_t *t);     /* t's goroutine: new and queued */
void goc__test_wake(void);          /* waiters look at their tests again */
uint64_t goc__test_wake_seq(void);
/* Until goc__test_wake after seen was read, or the deadline (false). */
bool goc__test_sleep(uint64_t seen, int64_t deadline);
void goc__test_emit(goc_t *t, const char *text);   /* output, as -v/-json want */
void goc__test_action(goc_t *t, const char *action, double elapsed);
void goc__test_lock_output(void);
void goc__test_unlock_output(void);
void goc__test_json_line(const char *test, const char *action, const char *output, double elapsed, bool with_elapsed);

#endif /* GOC_TESTING_H */
