/* context.c — Go's context: cancellation, deadlines, a done channel,
 * values, a cancel cause, AfterFunc and WithoutCancel.
 *
 * Three kinds of node besides the background one. A cancel node
 * (with_cancel, with_cancel_cause, with_deadline, with_timeout) has a done
 * channel (int, unbuffered) that is closed exactly once, when it is
 * cancelled: by goc_context_cancel(_cause), by its deadline timer, by the
 * cancellation of its nearest cancel ancestor, or by goc_context_free. A
 * value node (with_value) holds one key and value and answers everything
 * else from its parent. A without-cancel node keeps its parent's values and
 * is never done (like background). The background context is never
 * cancelled and its done channel is nil (receiving blocks forever), as in
 * Go.
 *
 * Invariants:
 *   - tree_lock guards every cancel-tree link, every err transition (NULL
 *     -> message, once; cause is written before err, so a reader that sees
 *     err sees cause) and every after-func state. Contexts are not a hot
 *     path; one lock keeps a child from reaching a parent that another
 *     thread is freeing.
 *   - A cancel node is on the child list of its nearest cancel ancestor
 *     (value nodes skipped) iff it is not cancelled and that ancestor
 *     exists. Cancelling detaches the whole subtree, so a cancelled node is
 *     never reached through the tree again.
 *   - Memory: every node but the background holds a reference on its
 *     parent (up), and the user holds one until goc_context_free. A node's
 *     memory (its done channel and its after-func records included) goes
 *     when the last reference does, so a derived context can always walk up
 *     for values and deadlines, whatever order contexts are freed in.
 *   - An after-func record lives on its home, the nearest node up from the
 *     context it was registered on that is not a value node, until that
 *     home's memory goes: its handle stays valid while that context is
 *     alive. Its state moves once, under tree_lock, from pending to started
 *     (the home was cancelled) or to stopped. Goroutines are started after
 *     tree_lock is released (cancel collects what to start).
 *   - goc__timer_stop is never called with tree_lock held (it waits for a
 *     running callback, which takes tree_lock).
 */
#include <pthread.h>
#include <stdlib.h>
#include "chan.h"

enum { K_BACKGROUND, K_CANCEL, K_VALUE, K_WITHOUT };
enum { AF_PENDING, AF_STARTED, AF_STOPPED };

struct goc_context_after {
  struct goc_context_after *next;   /* the home's list */
  void (*fn)(goc_gofn_tag, void *);
  void *arg;
  int state;                        /* AF_*, tree_lock */
};

/* A goroutine to start once tree_lock is released. */
typedef struct after_start {
  struct after_start *next;
  void (*fn)(goc_gofn_tag, void *);
  void *arg;
} after_start;

struct goc_context {
  int kind;
  goc_context *up;            /* the parent it was made from (a reference) */
  _Atomic int refs;
  goc_context_after *afters;  /* records whose home this is */
  /* value node */
  const void *key;
  void *value;
  /* cancel node */
  goc_context *parent;        /* cancel-tree parent; NULL: none, or detached */
  goc_context *children;      /* first child */
  goc_context *next, *prev;   /* siblings */
  goc_chan *done;
  const char *_Atomic err;
  const char *cause;          /* set with err */
  int64_t deadline;           /* 0: none */
  bool has_timer;
  goc_rtimer timer;
};

static const char err_canceled[] = "context canceled";
static const char err_deadline[] = "context deadline exceeded";

static pthread_mutex_t tree_lock = PTHREAD_MUTEX_INITIALIZER;
static goc_context background = {.kind = K_BACKGROUND};

goc_context *goc_context_background(void) { return &background; }

/* The node that decides when ctx is done: its nearest cancel node, or NULL
 * (never done: background or without_cancel above). */
static goc_context *cancel_node(goc_context *ctx) {
  while (ctx && ctx->kind == K_VALUE) ctx = ctx->up;
  return ctx && ctx->kind == K_CANCEL ? ctx : NULL;
}

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

/* tree_lock held. Marks ctx's pending after-funcs started and adds them
 * to *st. */
static void take_afters(goc_context *ctx, after_start **st) {
  for (goc_context_after *a = ctx->afters; a; a = a->next) {
    if (a->state != AF_PENDING) continue;
    a->state = AF_STARTED;
    after_start *s = malloc(sizeof *s);
    if (!s) goc__throw("out of memory allocating a context");
    s->fn = a->fn;
    s->arg = a->arg;
    s->next = *st;
    *st = s;
  }
}

/* tree_lock held. Cancels ctx and its subtree with err and cause (Go's
 * propagateCancel: children get the parent's cause). */
static void cancel_locked(goc_context *ctx, const char *err, const char *cause,
                          after_start **st) {
  if (atomic_load(&ctx->err)) return;
  ctx->cause = cause ? cause : err;
  atomic_store(&ctx->err, err);
  goc_chan_close(ctx->done);
  unlink_child(ctx);
  take_afters(ctx, st);
  goc_context *c = ctx->children;
  ctx->children = NULL;
  while (c) {
    goc_context *nx = c->next;
    c->parent = NULL;
    c->next = c->prev = NULL;
    cancel_locked(c, err, ctx->cause, st);
    c = nx;
  }
}

/* tree_lock not held. Each fn(arg) in its own goroutine (goc.h, GOC_GOFN:
 * F__gofn pushes F's frame on the new G). */
static void start_afters(after_start *st) {
  while (st) {
    after_start *nx = st->next;
    goc_g *g = goc__go_new();
    struct goc_gocall call = {.g = g};
    st->fn(&call, st->arg);
    static const goc_site site = {"goc_context_after_func", "goc_context_after_func", 0};
    goc__go_start(g, &site);
    free(st);
    st = nx;
  }
}

static void cancel(goc_context *ctx, const char *err, const char *cause) {
  after_start *st = NULL;
  goc__rt_lock(&tree_lock);
  cancel_locked(ctx, err, cause, &st);
  goc__rt_unlock(&tree_lock);
  start_afters(st);
}

static void deadline_fired(void *arg, int64_t now) {
  (void)now;
  cancel(arg, err_deadline, NULL);
}

static goc_context *new_node(goc_context *parent, int kind) {
  if (!parent) goc__panic_str("cannot create context from nil parent");
  goc_context *ctx = calloc(1, sizeof *ctx);
  if (!ctx) goc__throw("out of memory allocating a context");
  ctx->kind = kind;
  ctx->up = parent;
  atomic_store(&ctx->refs, 1);
  if (parent != &background) atomic_fetch_add(&parent->refs, 1);
  return ctx;
}

static goc_context *new_child(goc_context *parent, int64_t deadline) {
  goc_context *ctx = new_node(parent, K_CANCEL);
  ctx->done = goc_chan_make(sizeof(int), _Alignof(int), 0);
  ctx->deadline = deadline;
  goc_context *anc = cancel_node(parent);
  goc__rt_lock(&tree_lock);
  const char *perr = anc ? atomic_load(&anc->err) : NULL;
  if (perr) {
    after_start *st = NULL;   /* a new node has no after-funcs */
    cancel_locked(ctx, perr, anc->cause, &st);
  } else if (anc) {
    ctx->parent = anc;
    ctx->next = anc->children;
    if (ctx->next) ctx->next->prev = ctx;
    anc->children = ctx;
  }
  goc__rt_unlock(&tree_lock);
  return ctx;
}

goc_context *goc_context_with_cancel(goc_context *parent) {
  return new_child(parent, goc_context_deadline(parent));
}

goc_context *goc_context_with_cancel_cause(goc_context *parent) {
  return goc_context_with_cancel(parent);
}

goc_context *goc_context_with_deadline(goc_context *parent, int64_t deadline) {
  int64_t pd = goc_context_deadline(parent);
  if (pd && pd <= deadline)
    return goc_context_with_cancel(parent);   /* the parent's comes first */
  goc_context *ctx = new_child(parent, deadline);
  if (goc_now() >= deadline) {
    cancel(ctx, err_deadline, NULL);
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

goc_context *goc_context_with_value(goc_context *parent, const void *key,
                                    void *value) {
  if (!key) goc__panic_str("goc_context_with_value: nil key");
  goc_context *ctx = new_node(parent, K_VALUE);
  ctx->key = key;
  ctx->value = value;
  return ctx;
}

goc_context *goc_context_without_cancel(goc_context *parent) {
  return new_node(parent, K_WITHOUT);
}

void *goc_context_value(goc_context *ctx, const void *key) {
  for (; ctx; ctx = ctx->up)
    if (ctx->kind == K_VALUE && ctx->key == key) return ctx->value;
  return NULL;
}

static void cancel_checked(goc_context *ctx, const char *cause) {
  if (!ctx || ctx == &background) return;
  if (ctx->kind != K_CANCEL)
    goc__panic_str(ctx->kind == K_VALUE
                       ? "goc_context_cancel: a context made by goc_context_with_value cannot be cancelled"
                       : "goc_context_cancel: a context made by goc_context_without_cancel cannot be cancelled");
  cancel(ctx, err_canceled, cause);
  if (ctx->has_timer) goc__timer_stop(&ctx->timer);   /* release it early */
}

void goc_context_cancel(goc_context *ctx) { cancel_checked(ctx, NULL); }

void goc_context_cancel_cause(goc_context *ctx, const char *cause) {
  cancel_checked(ctx, cause);
}

GOC_CHAN(int) goc_context_done(goc_context *ctx) {
  goc_context *c = cancel_node(ctx);
  return (GOC_CHAN(int))(c ? c->done : NULL);
}

const char *goc_context_err(goc_context *ctx) {
  goc_context *c = cancel_node(ctx);
  return c ? atomic_load(&c->err) : NULL;
}

const char *goc_context_cause(goc_context *ctx) {
  goc_context *c = cancel_node(ctx);
  return c && atomic_load(&c->err) ? c->cause : NULL;
}

int64_t goc_context_deadline(goc_context *ctx) {
  goc_context *c = cancel_node(ctx);
  return c ? c->deadline : 0;
}

goc_context_after *goc_context_after_func(goc_context *ctx,
                                          void (*fn)(goc_gofn_tag, void *),
                                          void *arg) {
  if (!ctx) goc__panic_str("goc_context_after_func: nil context");
  if (!fn) goc__panic_str("goc_context_after_func: nil function");
  goc_context_after *a = calloc(1, sizeof *a);
  if (!a) goc__throw("out of memory allocating a context");
  a->fn = fn;
  a->arg = arg;
  goc_context *home = ctx;
  while (home->kind == K_VALUE) home = home->up;
  after_start *st = NULL;
  goc__rt_lock(&tree_lock);
  if (home != &background) {   /* background's records are never freed */
    a->next = home->afters;
    home->afters = a;
  }
  if (home->kind == K_CANCEL && atomic_load(&home->err)) take_afters(home, &st);
  goc__rt_unlock(&tree_lock);
  start_afters(st);   /* already done: at once, in its own goroutine */
  return a;
}

bool goc_context_after_func_stop(goc_context_after *a) {
  goc__rt_lock(&tree_lock);
  bool stopped = a->state == AF_PENDING;
  if (stopped) a->state = AF_STOPPED;
  goc__rt_unlock(&tree_lock);
  return stopped;
}

/* Drops one reference; the last one releases the node and its own
 * reference on its parent. */
static void unref(goc_context *ctx) {
  while (ctx && ctx != &background && atomic_fetch_sub(&ctx->refs, 1) == 1) {
    goc_context *up = ctx->up;
    goc_context_after *a = ctx->afters;
    while (a) {
      goc_context_after *nx = a->next;
      free(a);
      a = nx;
    }
    /* Cancelled (goc_context_free): nobody can be blocked on done. */
    if (ctx->done) goc_chan_free(ctx->done);
    free(ctx);
    ctx = up;
  }
}

void goc_context_free(goc_context *ctx) {
  if (!ctx || ctx == &background) return;
  if (ctx->kind == K_CANCEL) {
    if (ctx->has_timer) goc__timer_stop(&ctx->timer);
    cancel(ctx, err_canceled, NULL);
  }
  unref(ctx);
}
