/* cpuprof.c — the CPU profile: GOC_CPUPROFILE=FILE for the whole run, and
 * /debug/pprof/profile?seconds=N on the debug endpoint (debugaddr.c).
 *
 * Design: setitimer(ITIMER_PROF) at 100 Hz, as Go before 1.18: the kernel
 * sends SIGPROF, per 10 ms of CPU the process used, to a thread that is
 * running. The handler copies the running goroutine's chain of .goc frames
 * (function, file, line: static strings and ints, written by that same
 * thread at entry and suspensions, so the chain it sees is the thread's own
 * and at worst cut short mid-call) into a fixed ring of samples; a thread
 * running no goroutine (the scheduler, the monitor, plain C threads) counts
 * as one frame, "(runtime or plain C)". Stopping folds the ring into a pprof
 * builder (sample types samples/count and cpu/nanoseconds, period 10 ms).
 *
 * Invariants:
 *   - The handler is async-signal-safe: no locks, no allocation; it claims
 *     a ring slot with one atomic add and publishes it with a release store
 *     of the slot's depth; a full ring drops samples (counted).
 *   - One profile at a time (start fails while one runs). While it runs, a
 *     blocking system call in user code may return EINTR, as under Go's
 *     profiler (SA_RESTART restarts the others).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include "pprof.h"
#include "proc.h"

#define CPU_HZ 100
#define RING 8192           /* 80 s of one busy thread at 100 Hz */
#define DEPTH 32

typedef struct cpu_sample {
  _Atomic int depth;        /* 0: not written yet; -1: no goroutine */
  goc_pframe f[DEPTH];
} cpu_sample;

static cpu_sample *ring;
static _Atomic uint32_t ring_next;
static _Atomic uint32_t dropped;
static _Atomic bool running;
static struct sigaction old_action;
static char *exit_path;     /* GOC_CPUPROFILE */

static void on_sigprof(int sig) {
  (void)sig;
  if (!atomic_load_explicit(&running, memory_order_relaxed)) return;
  uint32_t i = atomic_fetch_add_explicit(&ring_next, 1, memory_order_relaxed);
  if (i >= RING) {
    atomic_fetch_add_explicit(&dropped, 1, memory_order_relaxed);
    return;
  }
  cpu_sample *s = &ring[i];
  goc_g *g = goc__tls_g;
  int n = 0;
  if (g)
    for (goc_frame *fr = g->h.top; fr && n < DEPTH; fr = fr->parent)
      if (fr->line >= 0) s->f[n++] = (goc_pframe){goc__frame_func(fr), goc__frame_file(fr), fr->line};
  atomic_store_explicit(&s->depth, n ? n : -1, memory_order_release);
}

int goc__cpuprof_start(void) {
  bool was = false;
  if (!atomic_compare_exchange_strong(&running, &was, true)) return -1;
  if (!ring) {
    ring = calloc(RING, sizeof *ring);
    if (!ring) goc__throw("out of memory allocating the CPU profile");
  }
  for (uint32_t i = 0; i < RING; i++) atomic_store(&ring[i].depth, 0);
  atomic_store(&ring_next, 0);
  atomic_store(&dropped, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigprof;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGPROF, &sa, &old_action);
  struct itimerval it = {{0, 1000000 / CPU_HZ}, {0, 1000000 / CPU_HZ}};
  setitimer(ITIMER_PROF, &it, NULL);
  return 0;
}

/* Stops the profile and writes it (debug <= 0: gzipped protobuf; else a
 * text form as the block profile's). */
int goc__cpuprof_stop(FILE *out, int debug) {
  if (!atomic_load(&running)) return -1;
  struct itimerval off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_PROF, &off, NULL);
  atomic_store(&running, false);
  /* a handler already inside finishes its slot; the old action (the
   * default, which would end the process) comes back only after that */
  sigaction(SIGPROF, &old_action, NULL);
  goc_pprof p;
  static const char *const type[] = {"samples", "cpu"}, *const unit[] = {"count", "nanoseconds"};
  goc__pprof_init(&p, 2, type, unit, "cpu", "nanoseconds", 1000000000 / CPU_HZ);
  uint32_t n = atomic_load(&ring_next);
  if (n > RING) n = RING;
  for (uint32_t i = 0; i < n; i++) {
    int d = atomic_load_explicit(&ring[i].depth, memory_order_acquire);
    if (d == 0) continue;   /* claimed by a handler that never finished */
    int64_t v[2] = {1, 1000000000 / CPU_HZ};
    if (d < 0) {
      goc_pframe rt = {"(runtime or plain C)", "", 0};
      goc__pprof_add(&p, &rt, 1, v);
    } else {
      goc__pprof_add(&p, ring[i].f, d, v);
    }
  }
  int rc;
  if (debug <= 0) {
    rc = goc__pprof_write(&p, out);
  } else {
    uint32_t *ord = goc__pprof_order(&p, 0);
    rc = ord ? 0 : -1;
    fprintf(out, "--- cpu: %u samples at %d Hz, %u dropped\n", n, CPU_HZ, atomic_load(&dropped));
    for (size_t i = 0; ord && i < p.nsample; i++) {
      const goc_pprof_sample *s = &p.sample[ord[i]];
      fprintf(out, "%lld %lld", (long long)s->v[0], (long long)s->v[1]);
      goc__pprof_text_stack(&p, s, out);
    }
    free(ord);
  }
  goc__pprof_free(&p);
  if (fflush(out) != 0) rc = -1;
  return rc;
}

void goc__cpuprof_flush(void) {
  char *path = exit_path;
  exit_path = NULL;
  if (!path) return;
  FILE *f = fopen(path, "w");
  free(path);
  if (!f) return;
  goc__cpuprof_stop(f, 0);
  fclose(f);
}

bool goc__cpuprof_wanted(void) { return exit_path != NULL; }

void goc__cpuprof_init(void) {
  const char *e = getenv("GOC_CPUPROFILE");
  if (!e || !*e) return;
  exit_path = strdup(e);
  if (!exit_path) goc__throw("out of memory");
  goc__cpuprof_start();
  atexit(goc__cpuprof_flush);
}
