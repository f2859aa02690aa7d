/* blocking.c — goc_blocking: plain C that blocks, run on a thread pool
 * while its goroutine is parked (tokio's spawn_blocking; Go gets the same
 * by handing off the P in entersyscall, which needs a stack to leave the
 * call on).
 *
 * Invariants:
 *   - A G in goc_blocking__async parks (GOC_WAIT_BLOCKING) with its job in
 *     its gext (blk_*); the job is queued only in the park's commit, so a
 *     worker can ready the G only after the park is committed (park.h).
 *   - gx->blk_state: 0 no call, 1 queued or running, 2 done (blk_result and
 *     blk_errno hold fn's result and errno). The call after the wake-up
 *     sees 2, returns the result and resets it to 0.
 *   - pool.lock guards the FIFO job queue (linked through blk_next) and
 *     the counts. After a job is queued, a worker is signalled, and a new
 *     worker is started while queued jobs outnumber idle workers (up to
 *     POOL_MAX threads; beyond that jobs wait their turn). A worker takes
 *     a queued job before it waits or exits, so no job is stranded.
 *   - A worker idle for KEEP_ALIVE exits. Workers are the runtime's threads
 *     (goc__tls_plain set, registered with checkdead): they count neither
 *     as plain threads nor as foreign ones.
 *   - sched.nblocking counts jobs from their commit until after the worker
 *     has readied the G: while fn may still return, the program is never
 *     declared deadlocked, and once the count falls the G is runnable.
 *   - Workers keep the signal mask of the M that started them; fn sees
 *     errno as it left it on the worker, and the goroutine sees it too.
 */
#include <errno.h>
#include <stdlib.h>
#include "proc.h"
#include "trace.h"

#define POOL_MAX 64
#define KEEP_ALIVE (10 * GOC_SECOND)

void goc__rt_thread_add(void);      /* panic.c */
void goc__rt_thread_remove(void);

static struct {
  pthread_mutex_t lock;
  pthread_cond_t cond;              /* CLOCK_MONOTONIC */
  goc_gext *head, *tail;
  int nqueued, nidle, nthreads;
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER};
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

static void pool_init(void) {
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&pool.cond, &ca);
  pthread_condattr_destroy(&ca);
}

static void *worker(void *arg) {
  (void)arg;
  goc__tls_plain = true;   /* runtime-owned: never counts as a plain thread */
  goc__rt_thread_add();
  pthread_mutex_lock(&pool.lock);
  for (;;) {
    goc_gext *x = pool.head;
    if (x) {
      pool.head = x->blk_next;
      if (!pool.head) pool.tail = NULL;
      pool.nqueued--;
      pthread_mutex_unlock(&pool.lock);
      errno = 0;
      void *r = x->blk_fn(x->blk_arg);
      x->blk_errno = errno;
      x->blk_result = r;
      x->blk_state = 2;
      goc__ready(x->blk_g);
      atomic_fetch_sub(&goc__sched.nblocking, 1);
      pthread_mutex_lock(&pool.lock);
      continue;
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += KEEP_ALIVE / GOC_SECOND;
    pool.nidle++;
    int rc = 0;
    while (!pool.head && rc != ETIMEDOUT)
      rc = pthread_cond_timedwait(&pool.cond, &pool.lock, &ts);
    pool.nidle--;
    if (!pool.head) break;   /* timed out with nothing to do */
  }
  pool.nthreads--;
  pthread_mutex_unlock(&pool.lock);
  goc__rt_thread_remove();
  return NULL;
}

/* The scheduler, after g's park (it is waiting): queue its job. */
static void blocking_commit(goc_g *g, void *arg) {
  (void)arg;
  goc_gext *x = goc__gx(g);
  atomic_fetch_add(&goc__sched.nblocking, 1);
  goc__rt_lock(&pool.lock);
  x->blk_next = NULL;
  if (pool.tail) pool.tail->blk_next = x;
  else pool.head = x;
  pool.tail = x;
  pool.nqueued++;
  bool start = pool.nqueued > pool.nidle && pool.nthreads < POOL_MAX;
  if (start) pool.nthreads++;
  pthread_cond_signal(&pool.cond);
  goc__rt_unlock(&pool.lock);
  if (!start) return;
  pthread_t t;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  int err = pthread_create(&t, &attr, worker, NULL);
  pthread_attr_destroy(&attr);
  if (err) {
    goc__rt_lock(&pool.lock);
    pool.nthreads--;
    bool none = pool.nthreads == 0;
    goc__rt_unlock(&pool.lock);
    /* Other workers will get to the job; with none, nobody would. */
    if (none) goc__throw_err("goc_blocking: cannot create a thread", err);
  }
}

/* g is the current G. */
int goc_blocking__async(goc_g *g, void **result, void *(*fn)(void *), void *arg) {
  goc_gext *x = goc__gx(g);
  if (x->blk_state == 2) {
    x->blk_state = 0;
    *result = x->blk_result;
    errno = x->blk_errno;
    return 1;
  }
  if (x->blk_state) goc__throw("goc_blocking: goroutine resumed before its call returned");
  pthread_once(&pool_once, pool_init);
  x->blk_fn = fn;
  x->blk_arg = arg;
  x->blk_g = g;
  x->blk_state = 1;
  goc__park_g(g, GOC_WAIT_BLOCKING, blocking_commit, NULL);
  if (__builtin_expect(goc__trace_on, 0)) {   /* before the commit queues the job */
    goc_p *p = goc__tls_m ? goc__tls_m->p : NULL;
    goc__trace_event(GOC_EV_BLOCKING, g->id, p ? p->id : -1, NULL, NULL, 0);
  }
  return 0;
}

/* From plain C: a plain thread just calls fn; an M running a goroutine's
 * plain C callee hands its P off first, as for any system call. */
void *goc_blocking(void *(*fn)(void *), void *arg) {
  if (!goc__getg()) return fn(arg);
  goc_syscall_enter();
  void *r = fn(arg);
  int e = errno;
  goc_syscall_exit();
  errno = e;
  return r;
}
