/* once.c — goc_once, Go's sync.Once: fn runs once; callers that arrive
 * while it runs wait on o->m and return after it finished.
 *
 * goc_once_do_go takes a goroutine function (GOC_GOFN(f)), which may
 * block: the G that runs it holds o->m meanwhile and the others park on
 * o->m, holding no P. Its state cannot live in the G's sync state (ss,
 * ss2), which fn's own operations use, so the call runs in a frame of its
 * own, pushed above the caller's (a runtime step: lock, run fn as a callee,
 * set done, unlock), and the caller's lowered loop suspends until it is
 * done; the caller's next call releases that frame (gext->once_frame).
 *
 * Invariants: done is set (release) only after fn returned, under o->m.
 * goc_once_do keeps its phase in goc__gx(g)->ss2 (1: acquiring o->m,
 * whose own state is in goc__gx(g)->ss). A panic in fn ends the program
 * (goc has no recover), so the question of a once whose fn panicked never
 * arises; fn calling Do on its own once waits for itself, as in Go: a
 * deadlock.
 */
#include <stddef.h>
#include "proc.h"

static void once_locked(goc_once *o, void (*fn)(void)) {
  if (atomic_load(&o->done) == 0) {
    fn();
    atomic_store(&o->done, 1);
  }
  goc_mutex_unlock(&o->m);
}

int goc_once_do__async(goc_g *g, goc_once *o, void (*fn)(void)) {
  if (goc__gx(g)->ss2.phase == 0) {
    if (atomic_load(&o->done)) return 1;
    goc__gx(g)->ss2.phase = 1;
  }
  if (!goc_mutex_lock__async(g, &o->m)) return 0;
  goc__gx(g)->ss2.phase = 0;
  once_locked(o, fn);
  return 1;
}

void goc_once_do(goc_once *o, void (*fn)(void)) {
  if (atomic_load(&o->done)) return;
  goc_mutex_lock(&o->m);
  once_locked(o, fn);
}

/* ---- goroutine functions ----------------------------------------------- */

struct once_frame {
  goc_frame hdr;
  goc_fninfo fi;            /* hdr.fn; the caller's file: set by each step */
  goc_once *o;
  void (*fn)(goc_gofn_tag);
  struct goc_gocall call;
  int running;              /* fn's frame is pushed and called */
};
_Static_assert(offsetof(struct once_frame, fi) == sizeof(goc_frame),
               "blockrec.c knows a record kept in its frame by its place right after the header");

static int once_step(goc_g *g, goc_frame *fr) {
  struct once_frame *f = (struct once_frame *)fr;
  /* dumps and traces show the caller's suspension point (set by now) */
  f->fi.file = goc__frame_file(fr->parent);
  fr->line = fr->parent->line;
  if (!f->running) {
    if (!goc_mutex_lock__async(g, &f->o->m)) return GOC_SUSPEND;
    if (atomic_load(&f->o->done)) goto out;
    f->call.g = g;
    f->fn(&f->call);
    f->running = 1;
    if (goc__call(g, fr, f->call.frame) != GOC_DONE) return GOC_SUSPEND;
  }
  goc__frame_pop(g, f->call.frame);
  atomic_store(&f->o->done, 1);
out:
  goc_mutex_unlock(&f->o->m);
  goc__gx(g)->once_frame = fr;
  return GOC_DONE;
}

int goc_once_do_go__async(goc_g *g, goc_once *o, void (*fn)(goc_gofn_tag)) {
  goc_gext *x = goc__gx(g);
  if (x->once_frame) {   /* back from once_step */
    goc__arena_pop(g, x->once_frame);
    x->once_frame = NULL;
    return 1;
  }
  if (atomic_load(&o->done)) return 1;
  struct once_frame *f =
      (struct once_frame *)goc__frame_push(g, sizeof *f, NULL);
  f->fi.step = once_step;
  f->fi.func = "goc_once_do_go";
  f->fi.file = NULL;
  f->hdr.fn = &f->fi;
  f->o = o;
  f->fn = fn;
  f->running = 0;
  f->hdr.parent = GOC_G(g)->top;   /* the caller, running this call */
  GOC_G(g)->top = &f->hdr;
  goc__trampoline(g);   /* the caller suspends; the scheduler steps f */
  return 0;
}

void goc_once_do_go(goc_once *o, void (*fn)(goc_gofn_tag)) {
  if (atomic_load(&o->done)) return;
  goc_mutex_lock(&o->m);
  if (atomic_load(&o->done) == 0) {
    fn(GOC_GO);   /* runs it as a goroutine and waits (goc.h, GOC_GOFN) */
    atomic_store(&o->done, 1);
  }
  goc_mutex_unlock(&o->m);
}
