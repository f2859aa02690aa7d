/* failmalloc.c — an LD_PRELOAD shim that makes one allocation fail.
 *
 *   GOC_FAILMALLOC_N=K      the K-th counted allocation (1-based) returns
 *                           NULL with errno ENOMEM
 *   GOC_FAILMALLOC_MODE=once|after|delay
 *                           once (default): only the K-th fails; after:
 *                           the K-th and every later one fail; delay: the
 *                           K-th sleeps GOC_FAILMALLOC_DELAY_US (default
 *                           1.5 s), then succeeds: the thread making it
 *                           stalls there, as a descheduled thread would
 *   GOC_FAILMALLOC_COUNT=F  fail nothing; at exit write the number of
 *                           counted allocations to the file F
 *   GOC_FAILMALLOC_SITES=F  fail nothing; at exit write every distinct call
 *                           site (failsite.c) with its count to the file F
 *   GOC_FAILMALLOC_SITE=H   fail the N-th allocation (default the first)
 *                           made from the site whose hash is H, instead of
 *                           the N-th of all; GOC_FAILMALLOC_HIT=F creates F
 *                           when it does; GOC_FAILMALLOC_DEPTH=D: frames
 *                           in a site (default 6)
 *   GOC_FAILMALLOC_FROM=main|start
 *                           main (default): count from the entry of main
 *                           (static constructors of the libraries, which
 *                           no program can survive failing, run before;
 *                           those of a library dlopen loads later, inside
 *                           it, are not counted either);
 *                           start: from the shim's first call
 *
 * Counted: malloc, calloc, realloc (a non-NULL size), reallocarray,
 * aligned_alloc, posix_memalign, memalign, valloc, pvalloc. glibc routes
 * its own allocations (strdup, asprintf, open_memstream, fopen, stdio
 * buffers, pthread_create's bookkeeping, libstdc++'s operator new, ...)
 * through the public malloc symbols, so those are counted and fail too.
 * A call made while the shim is already inside one of its functions on
 * the same thread (glibc's reallocarray calling realloc, dlsym calling
 * calloc) is passed through uncounted. The counter is one atomic for the
 * whole process, so with several threads the K-th allocation is whichever
 * thread gets there.
 *
 * The shim removes its variables and itself from LD_PRELOAD at load, so
 * the commands a tool runs (cc, the linker) allocate normally.
 *
 * Bootstrapping: dlsym(RTLD_NEXT) may allocate before the real functions
 * are known; those allocations come from a static bump buffer that free
 * and realloc recognise. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "failsite.h"

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void *(*real_reallocarray)(void *, size_t, size_t);
static void (*real_free)(void *);
static void *(*real_aligned_alloc)(size_t, size_t);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_memalign)(size_t, size_t);
static void *(*real_valloc)(size_t);
static void *(*real_pvalloc)(size_t);

static _Alignas(64) char boot[1 << 16];
static size_t boot_used;
static bool in_boot(const void *p) { return (const char *)p >= boot && (const char *)p < boot + sizeof boot; }
static void *boot_alloc(size_t n) {
  n = (n + 15) & ~(size_t)15;
  if (boot_used + n > sizeof boot) return NULL;
  void *p = boot + boot_used;
  boot_used += n;
  return p;
}

static _Atomic int init_state;   /* 0 none, 1 resolving, 2 ready */
static _Atomic long counter;
static long fail_at;             /* 0: never */
static bool fail_after;
static long delay_us;         /* mode delay: the chosen allocation sleeps, then succeeds */
static bool count_only;
static char count_path[4096];
static _Atomic bool armed;
static __thread int depth;

static void configure(void);

static void resolve(void) {
  int z = 0;
  if (!atomic_compare_exchange_strong(&init_state, &z, 1)) {
    while (atomic_load(&init_state) != 2) {}
    return;
  }
  real_malloc = dlsym(RTLD_NEXT, "malloc");
  real_calloc = dlsym(RTLD_NEXT, "calloc");
  real_realloc = dlsym(RTLD_NEXT, "realloc");
  real_reallocarray = dlsym(RTLD_NEXT, "reallocarray");
  real_free = dlsym(RTLD_NEXT, "free");
  real_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
  real_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
  real_memalign = dlsym(RTLD_NEXT, "memalign");
  real_valloc = dlsym(RTLD_NEXT, "valloc");
  real_pvalloc = dlsym(RTLD_NEXT, "pvalloc");
  configure();
  atomic_store(&init_state, 2);
}

/* The allocation now being made fails. Called at depth 0 only. */
static bool should_fail(void) {
  if (!atomic_load_explicit(&armed, memory_order_relaxed)) return false;
  if (failsite_active()) return failsite_should_fail();
  long k = atomic_fetch_add_explicit(&counter, 1, memory_order_relaxed) + 1;
  if (count_only || !fail_at) return false;
  return k == fail_at || (fail_after && k > fail_at);
}

#define ENTER()                                                   \
  if (atomic_load_explicit(&init_state, memory_order_acquire) != 2) { \
    if (atomic_load(&init_state) == 1 || depth) return BOOT;      \
    depth++; resolve(); depth--;                                  \
  }                                                               \
  bool outer = depth++ == 0;                                      \
  if (outer && should_fail()) {                                   \
    if (!delay_us) { depth--; errno = ENOMEM; return FAIL; }      \
    struct timespec ts = {delay_us / 1000000, delay_us % 1000000 * 1000}; \
    nanosleep(&ts, NULL);                                         \
  }
#define LEAVE(v) do { depth--; return (v); } while (0)

void *malloc(size_t n) {
#define BOOT boot_alloc(n)
#define FAIL NULL
  ENTER();
  (void)outer;
  void *p = real_malloc(n);
  LEAVE(p);
#undef BOOT
}
void *calloc(size_t n, size_t m) {
#define BOOT boot_alloc(n * m)   /* the buffer is zero and never reused */
  ENTER();
  (void)outer;
  void *p = real_calloc(n, m);
  LEAVE(p);
#undef BOOT
}
void *realloc(void *p, size_t n) {
  if (in_boot(p)) {
    /* a bootstrap block moves to the real heap (its old size is unknown:
       copy what the buffer holds after it) */
    void *q = malloc(n);
    if (q) memcpy(q, p, n < (size_t)(boot + sizeof boot - (char *)p) ? n : (size_t)(boot + sizeof boot - (char *)p));
    return q;
  }
#define BOOT NULL
  ENTER();
  (void)outer;
  void *q = real_realloc(p, n);
  LEAVE(q);
#undef BOOT
}
void *reallocarray(void *p, size_t n, size_t m) {
  if (in_boot(p)) {
    size_t t;
    if (__builtin_mul_overflow(n, m, &t)) { errno = ENOMEM; return NULL; }
    return realloc(p, t);
  }
#define BOOT NULL
  ENTER();
  (void)outer;
  void *q = real_reallocarray(p, n, m);
  LEAVE(q);
#undef BOOT
}
void free(void *p) {
  if (!p || in_boot(p)) return;
  if (atomic_load_explicit(&init_state, memory_order_acquire) != 2) return;   /* cannot be the real heap's yet */
  real_free(p);
}
void *aligned_alloc(size_t a, size_t n) {
#define BOOT NULL
  ENTER();
  (void)outer;
  void *p = real_aligned_alloc(a, n);
  LEAVE(p);
}
void *memalign(size_t a, size_t n) {
  ENTER();
  (void)outer;
  void *p = real_memalign(a, n);
  LEAVE(p);
}
void *valloc(size_t n) {
  ENTER();
  (void)outer;
  void *p = real_valloc(n);
  LEAVE(p);
}
void *pvalloc(size_t n) {
  ENTER();
  (void)outer;
  void *p = real_pvalloc(n);
  LEAVE(p);
#undef BOOT
#undef FAIL
}
int posix_memalign(void **out, size_t a, size_t n) {
#define BOOT ENOMEM
#define FAIL ENOMEM
  ENTER();
  (void)outer;
  int r = real_posix_memalign(out, a, n);
  LEAVE(r);
#undef BOOT
#undef FAIL
}

/* ---- arming ---- */

static void write_count(void) {
  if (!count_only) return;
  int fd = open(count_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return;
  char b[32];
  int len = snprintf(b, sizeof b, "%ld\n", atomic_load(&counter));
  if (write(fd, b, (size_t)len) != len) {}
  close(fd);
}

/* Removes NAME=... from the environment without allocating. */
static void env_drop(const char *name) {
  extern char **environ;
  size_t n = strlen(name);
  for (char **e = environ; e && *e;) {
    if (!strncmp(*e, name, n) && (*e)[n] == '=') {
      char **d = e;
      do d[0] = d[1]; while (*d++);
    } else {
      e++;
    }
  }
}

static bool from_main = true;

static void arm(void) {
  depth++;   /* the stack walker's first use allocates: not counted */
  failsite_arm();
  depth--;
  atomic_store(&armed, true);
}

/* Reads the variables (getenv and the rest here do not allocate) at the
 * first allocation, which may come before any constructor runs. */
static void configure(void) {
  const char *n = getenv("GOC_FAILMALLOC_N");
  const char *mode = getenv("GOC_FAILMALLOC_MODE");
  const char *cnt = getenv("GOC_FAILMALLOC_COUNT");
  const char *from = getenv("GOC_FAILMALLOC_FROM");
  if (n) fail_at = atol(n);
  fail_after = mode && !strcmp(mode, "after");
  if (mode && !strcmp(mode, "delay")) {
    const char *us = getenv("GOC_FAILMALLOC_DELAY_US");
    delay_us = us && atol(us) > 0 ? atol(us) : 1500000;
  }
  if (cnt && *cnt) {
    count_only = true;
    size_t len = strlen(cnt);
    if (len >= sizeof count_path) len = sizeof count_path - 1;
    memcpy(count_path, cnt, len);
  }
  from_main = !(from && !strcmp(from, "start"));
  failsite_setup(getenv("GOC_FAILMALLOC_SITES"), getenv("GOC_FAILMALLOC_SITE"), fail_at, fail_after,
                 getenv("GOC_FAILMALLOC_HIT"), getenv("GOC_FAILMALLOC_DEPTH"));
  env_drop("GOC_FAILMALLOC_N");
  env_drop("GOC_FAILMALLOC_MODE");
  env_drop("GOC_FAILMALLOC_DELAY_US");
  env_drop("GOC_FAILMALLOC_COUNT");
  env_drop("GOC_FAILMALLOC_FROM");
  env_drop("GOC_FAILMALLOC_SITES");
  env_drop("GOC_FAILMALLOC_SITE");
  env_drop("GOC_FAILMALLOC_HIT");
  env_drop("GOC_FAILMALLOC_DEPTH");
  env_drop("LD_PRELOAD");
  if (!from_main) arm();
}

__attribute__((constructor)) static void failmalloc_init(void) {
  if (atomic_load(&init_state) != 2) { depth++; resolve(); depth--; }
  if (count_only) { depth++; atexit(write_count); depth--; }   /* not counted */
  if (failsite_active()) { depth++; atexit(failsite_write); depth--; }
}

/* A library that dlopen loads runs its static constructors inside it (goc
 * loads libclang at its first check): uncounted, as are those that run
 * before main. */
void *dlopen(const char *file, int mode) {
  static void *(*real_dlopen)(const char *, int);
  depth++;
  if (!real_dlopen) real_dlopen = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
  void *h = real_dlopen ? real_dlopen(file, mode) : NULL;
  depth--;
  return h;
}

/* Counting from main: __libc_start_main is wrapped to wrap main. */
typedef int (*main_fn)(int, char **, char **);
static main_fn real_main;
static int main_wrapper(int argc, char **argv, char **envp) {
  arm();
  return real_main(argc, argv, envp);
}
int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void), void (*fini)(void),
                      void (*rtld_fini)(void), void *stack_end) {
  typedef int (*start_fn)(main_fn, int, char **, void (*)(void), void (*)(void), void (*)(void), void *);
  start_fn real_start = (start_fn)dlsym(RTLD_NEXT, "__libc_start_main");
  real_main = main;
  return real_start(main_wrapper, argc, argv, init, fini, rtld_fini, stack_end);
}
