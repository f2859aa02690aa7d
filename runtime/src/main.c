/* main.c — program entry: the main goroutine (goc__run_main) and plain C
 * calls into goroutine functions (goc__run_sync).
 *
 * Invariants: in goc__run_main the calling thread becomes M0 and never
 * returns; when the main G's root frame returns, the process exits through
 * exit() (stdio flushed, atexit handlers run) while other goroutines simply
 * stop, as in Go. goc__run_sync starts the runtime lazily, queues the G on
 * the global queue and sleeps the calling thread on goc__gx(g)->done_note; a
 * finished run_sync G stays GDEAD until goc__g_release. goc__run_async
 * is run_sync for a runtime __async function: one implementation serves
 * goroutines and plain threads (deadlines, close and the per-direction
 * locks of connections behave the same from both).
 */
#include <stddef.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "proc.h"

static size_t main_result_offset;
goc_g *goc__main_gp;

goc_g *goc__main_g(void) { return goc__go_new(); }

void goc__main_done(goc_g *g) {
  int status = *(int *)((char *)g->h.top + main_result_offset);
  exit(status);
}

void goc__run_main(goc_g *mainG, size_t result_offset) {
  main_result_offset = result_offset;
  goc__sched.main_mode = true;
  goc__runtime_init();
  goc__main_gp = mainG;
  goc_m *m = goc__allocm();
  m->thread = pthread_self();
  goc__tls_m = m;
  m->tid = pthread_self();
  m->ktid = (pid_t)syscall(SYS_gettid);
  atomic_fetch_add(&goc__sched.ngoroutines, 1);
  atomic_store(goc__gstatus(mainG), GOC_GRUNNABLE);
  goc__rt_lock(&goc__sched.lock);
  goc_p *p = goc__pidleget();
  if (!p) {
    goc__globrunqput(mainG);
    m->link = goc__sched.pwait;
    goc__sched.pwait = m;
    atomic_fetch_add(&goc__sched.npwait, 1);
    goc__rt_unlock(&goc__sched.lock);
    goc__note_sleep_m(&m->park);
    goc__note_clear(&m->park);
    p = m->nextp;
    m->nextp = NULL;
    goc__acquirep(p);
  } else {
    goc__rt_unlock(&goc__sched.lock);
    goc__acquirep(p);
    goc__runqput(p, mainG, false);
  }
  goc__schedule();
}

void goc__run_sync(goc_g *g) {
  goc__plain_thread_touch();
  goc__runtime_init();
  goc__gx(g)->is_sync = true;
  goc__note_clear(&g->x->done_note);
  atomic_fetch_add(&goc__sched.ngoroutines, 1);
  atomic_store(goc__gstatus(g), GOC_GRUNNABLE);
  goc__rt_lock(&goc__sched.lock);
  goc__globrunqput(g);
  goc__rt_unlock(&goc__sched.lock);
  goc__wakep();
  if (goc__tls_m && goc__getg()) {
    goc__block_thread_enter(GOC_WAIT_SYNC);
    goc__note_sleep_m(&goc__gx(g)->done_note);
    goc__block_thread_exit();
  } else {
    goc__note_sleep(&goc__gx(g)->done_note);
  }
}

void goc__g_release(goc_g *g) {
  if (atomic_load(goc__gstatus(g)) != GOC_GDEAD)
    goc__throw("goc__g_release: goroutine has not finished");
  goc__gfput(goc__lockp(), g);
  goc__unlockp();
}

typedef struct async_frame {
  goc_frame fr;
  goc_fninfo fi;            /* fr.fn: the operation's name, for traces */
  int (*op)(goc_g *g, void *ctx);
  void *ctx;
  int err;
} async_frame;
_Static_assert(offsetof(async_frame, fi) == sizeof(goc_frame),
               "blockrec.c knows a record kept in its frame by its place right after the header");

static int async_step(goc_g *g, goc_frame *f) {
  async_frame *a = (async_frame *)f;
  if (!a->op(g, a->ctx)) return GOC_SUSPEND;
  a->err = errno;
  return GOC_DONE;
}

void goc__run_async(int (*op)(goc_g *g, void *ctx), void *ctx, const char *name) {
  goc_g *g = goc__go_new();
  async_frame *a = (async_frame *)goc__frame_push(g, sizeof *a, NULL);
  a->fi.step = async_step;
  a->fi.func = name;
  a->fi.file = NULL;
  a->fr.fn = &a->fi;
  a->op = op;
  a->ctx = ctx;
  a->err = 0;
  goc__run_sync(g);
  int e = a->err;
  goc__g_release(g);
  errno = e;
}
