/* context.c — Go's context: cancellation, deadlines, a done channel.
 *
 * Every context but the background one has a done channel (int, unbuffered)
 * that is closed exactly once, when the context is cancelled: by
 * goc_context_cancel, by its deadline timer, by its parent's cancellation,
 * or by goc_context_free. The background context is never cancelled and its
 * done channel is nil (receiving blocks forever), as in Go.
 *
 * Invariants:
 *   - tree_lock guards every parent/child link and every err transition
 *     (NULL -> message, once). Contexts are not a hot path; one lock keeps
 *     a child from reaching a parent that another thread is freeing.
 *   - A context is on its parent's child list iff it is not cancelled and
 *     its parent is not the background. Cancelling detaches the whole
 *     subtree (each node's parent link is cleared), so freeing a parent
 *     never leaves a child pointing at it.
 *   - goc__timer_stop is never called with tree_lock held (it waits for a
 *     running callback, which takes tree_lock).
 */
#include <pthread.h>
#include <stdlib.h>
#include "chan.h"

struct goc_context {
  goc_context *parent;        /* NULL: background, or detached */
  goc_context *children;      /* first child */
  goc_context *next, *prev;   /* siblings */
  goc_chan *done;
  const char *_Atomic err;
  int64_t deadline;           /* 0: none */
  bool has_timer;
  goc_rtimer timer;
};

static const char err_canceled[] = "context canceled";
static const char err_deadline[] = "context deadline exceeded";

static pthread_mutex_t tree_lock = PTHREAD_MUTEX_INITIALIZER;
static goc_context background;

goc_context *goc_context_background(void) { return &background; }

/* tree_lock held. */
static void unlink_child(goc_context *ctx) {
  goc_context *p = ctx->parent;
  if (!p) return;
  if (ctx->prev) ctx->prev->next = ctx->next;
  else p->children = ctx->next;
  if (ctx->next) ctx->next->prev = ctx->prev;
  ctx->next = ctx->prev = NULL;
  ctx->parent = NULL;
}

/* tree_lock held. Cancels ctx and its subtree with err. */
static void cancel_locked(goc_context *ctx, const char *err) {
  if (atomic_load(&ctx->err)) return;
  atomic_store(&ctx->err, err);
  goc_chan_close(ctx->done);
  unlink_child(ctx);
  goc_context *c = ctx->children;
  ctx->children = NULL;
  while (c) {
    goc_context *nx = c->next;
    c->parent = NULL;
    c->next = c->prev = NULL;
    cancel_locked(c, err);
    c = nx;
  }
}

static void deadline_fired(void *arg, int64_t now) {
  (void)now;
  goc__rt_lock(&tree_lock);
  cancel_locked(arg, err_deadline);
  goc__rt_unlock(&tree_lock);
}

static goc_context *new_child(goc_context *parent, int64_t deadline) {
  if (!parent) goc__panic_str("cannot create context from nil parent");
  goc_context *ctx = calloc(1, sizeof *ctx);
  if (!ctx) goc__panic_str("goc_context: out of memory");
  ctx->done = goc_chan_make(sizeof(int), _Alignof(int), 0);
  ctx->deadline = deadline;
  goc__rt_lock(&tree_lock);
  const char *perr = parent == &background ? NULL : atomic_load(&parent->err);
  if (perr) {
    cancel_locked(ctx, perr);
  } else if (parent != &background) {
    ctx->parent = parent;
    ctx->next = parent->children;
    if (ctx->next) ctx->next->prev = ctx;
    parent->children = ctx;
  }
  goc__rt_unlock(&tree_lock);
  return ctx;
}

goc_context *goc_context_with_cancel(goc_context *parent) {
  return new_child(parent, parent ? parent->deadline : 0);
}

goc_context *goc_context_with_deadline(goc_context *parent, int64_t deadline) {
  if (parent && parent->deadline && parent->deadline <= deadline)
    return goc_context_with_cancel(parent);   /* the parent's comes first */
  goc_context *ctx = new_child(parent, deadline);
  if (goc_now() >= deadline) {
    goc__rt_lock(&tree_lock);
    cancel_locked(ctx, err_deadline);
    goc__rt_unlock(&tree_lock);
    return ctx;
  }
  if (!atomic_load(&ctx->err)) {
    ctx->has_timer = true;
    ctx->timer.when = deadline;
    ctx->timer.period = 0;
    ctx->timer.f = deadline_fired;
    ctx->timer.arg = ctx;
    ctx->timer.heap_index = -1;
    ctx->timer.p_id = -1;
    atomic_store(&ctx->timer.status, 0);
    goc__timer_start(&ctx->timer);
  }
  return ctx;
}

goc_context *goc_context_with_timeout(goc_context *parent, int64_t ns) {
  int64_t now = goc_now();
  return goc_context_with_deadline(
      parent, ns > INT64_MAX - now ? INT64_MAX : now + ns);
}

void goc_context_cancel(goc_context *ctx) {
  if (!ctx || ctx == &background) return;
  goc__rt_lock(&tree_lock);
  cancel_locked(ctx, err_canceled);
  goc__rt_unlock(&tree_lock);
  if (ctx->has_timer) goc__timer_stop(&ctx->timer);   /* release it early */
}

GOC_CHAN(int) goc_context_done(goc_context *ctx) {
  return (GOC_CHAN(int))(ctx ? ctx->done : NULL);
}

const char *goc_context_err(goc_context *ctx) {
  if (!ctx || ctx == &background) return NULL;
  return atomic_load(&ctx->err);
}

int64_t goc_context_deadline(goc_context *ctx) {
  return ctx ? ctx->deadline : 0;
}

void goc_context_free(goc_context *ctx) {
  if (!ctx || ctx == &background) return;
  if (ctx->has_timer) goc__timer_stop(&ctx->timer);
  goc__rt_lock(&tree_lock);
  cancel_locked(ctx, err_canceled);
  goc__rt_unlock(&tree_lock);
  /* Closed: nobody can be blocked on done any more. */
  goc_chan_free(ctx->done);
  free(ctx);
}
