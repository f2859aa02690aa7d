/* once.c — goc_once, Go's sync.Once: fn runs once; callers that arrive
 * while it runs wait on o->m and return after it finished.
 * Invariant: done is set (release) only after fn returned, under o->m.
 * A G keeps its phase in goc__gx(g)->ss2 (1: acquiring o->m, whose own state is in
 * goc__gx(g)->ss).
 */
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
