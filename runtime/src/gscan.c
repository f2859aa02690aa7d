/* gscan.c — reading the frames of goroutines that may start running at any
 * moment: the goroutine listings (dump.c, leakcheck.c, testing_main.c) and
 * the goroutine profile (profile.c). Go suspends each G for this
 * (suspendG's _Gscan bit); goc pins the one G it is copying.
 *
 * Invariants:
 *   - Only the M running a G writes the G's frame chain (g->h.top and the
 *     frame headers), from execute()'s store of GRUNNING until the G parks
 *     or is requeued; that status store (release) publishes them.
 *   - A scanner holds allglock from goc__scan_lock to goc__scan_unlock, so
 *     there is one at a time; goc__scan_active is 1 exactly then.
 *   - A pin stores scan_g = g, then reads g's status (both seq_cst).
 *     execute() stores GRUNNING, then loads scan_active and, only when it
 *     is set, fences (seq_cst) and waits while scan_g == g: either the
 *     scanner sees GRUNNING and reads no frame, or that M waits for the
 *     unpin (release; the M's acquire load orders the copy before its
 *     writes). An M that loaded scan_active before the scanner set it
 *     takes no fence; the scanner's membarrier, after setting scan_active
 *     and before its first pin, makes that M's GRUNNING store visible to
 *     the pin. So the hot path pays one load of a global that is written
 *     only around scans. Without membarrier no other G's frames are read.
 *   - The wait fields (wait_reason, wait_ms) are written by the G's own M
 *     before it parks or enters a system call, and after it leaves one
 *     (goc_syscall_exit stores GRUNNING and then checks as execute does),
 *     so they are copied under the pin too.
 *   - A pin lasts only while the frames are copied, never across output:
 *     a listing may go to a pipe that one of the program's own goroutines
 *     drains, and the pinned G's M waits.
 */
#include <sched.h>
#include "gscan.h"

_Atomic int goc__scan_active;
static _Atomic(goc_g *) scan_g;
static bool barrier_ok;   /* this scan's membarrier succeeded */

void goc__scan_lock(void) {
  goc__rt_lock(&goc__sched.allglock);
  atomic_store(&goc__scan_active, 1);
  barrier_ok = goc__heavy_barrier();
}

void goc__scan_unlock(void) {
  atomic_store_explicit(&goc__scan_active, 0, memory_order_release);
  goc__rt_unlock(&goc__sched.allglock);
}

void goc__scan_wait(goc_g *g) {
  atomic_thread_fence(memory_order_seq_cst);
  for (int spins = 0; atomic_load_explicit(&scan_g, memory_order_acquire) == g; spins++) {
    if (spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    } else {
      sched_yield();
    }
  }
}

int goc__scan_g(goc_g *g, goc_g *self, goc_scan_stack *out, int inner, int outer_max) {
  out->n = 0;
  out->elided = 0;
  out->status = atomic_load(goc__gstatus(g));
  out->wait_reason = GOC_WAIT_NONE;
  out->wait_ms = 0;
  bool mine = g == self;
  if (!mine) {
    if (!barrier_ok) return -1;
    atomic_store(&scan_g, g);
    out->status = atomic_load(goc__gstatus(g));
    if (out->status == GOC_GRUNNING || out->status == GOC_GIDLE || out->status == GOC_GDEAD) {
      atomic_store_explicit(&scan_g, NULL, memory_order_release);
      return -1;
    }
  }
  out->wait_reason = g->wait_reason;
  out->wait_ms = g->wait_ms;
  int64_t depth = 0;
  goc_pframe outer[GOC_SCAN_MAX];
  if (mine || out->status != GOC_GSYSCALL) {
    for (goc_frame *fr = g->h.top; fr && (depth < inner || outer_max); fr = fr->parent, depth++) {
      goc_pframe f = {goc__frame_func(fr), goc__frame_file(fr), fr->line};
      if (depth < inner) out->f[out->n++] = f;
      else outer[(depth - inner) % outer_max] = f;
    }
  }
  if (!mine) atomic_store_explicit(&scan_g, NULL, memory_order_release);
  if (!mine && out->status == GOC_GSYSCALL) return -1;
  int64_t extra = depth - inner;
  if (extra > 0) {
    int keep = extra < outer_max ? (int)extra : outer_max;
    out->elided = extra - keep;
    for (int64_t i = extra - keep; i < extra; i++) out->f[out->n++] = outer[i % outer_max];
  }
  return out->n;
}
