/* time_chan.c — channels fed by runtime timers: goc_after, tickers, timers.
 *
 * Each has a channel of int64_t with capacity 1 and a goc_rtimer whose
 * callback does a non-blocking send of the firing time (Go's sendTime): a
 * tick nobody has received yet is dropped, never queued behind.
 *
 * Invariants:
 *   - goc__timer_stop returns only when the callback is neither running nor
 *     pending (timer.c), so after it the channel may be freed.
 *   - Stop and Reset discard a value already in the channel, as Go 1.23
 *     does: no stale time is received after either returns.
 *   - goc_after's timer belongs to its channel: goc_chan_free stops and
 *     frees it (chan.c).
 *   - Such a timer keeps a deadlocked program alive only while someone is
 *     blocked receiving from its channel (goc__timer_waited): a tick nobody
 *     waits for wakes nobody, as in Go 1.23. A ticker or timer owns its channel: stop/free
 *     frees the channel too, unless someone is blocked on it (then it is
 *     left, and they block forever, as on a stopped Go timer).
 */
#include <stdlib.h>
#include "chan.h"

struct goc_ticker {
  goc_rtimer t;
  goc_chan *c;
};
struct goc_timer {
  goc_rtimer t;
  goc_chan *c;
};

/* Timer callback (any M, must not block): c must not be closed. */
static void send_time(void *arg, int64_t now) {
  goc_chan *c = arg;
  goc__chansend(c, &now, false, NULL, NULL);
}

/* checkdead (sched.lock and t's heap lock held): can t's firing wake
 * someone? Any other timer's callback may (a sleep, a context deadline);
 * send_time only wakes a receiver already blocked on its channel (a
 * goroutine, a plain thread or a select case: all are on recvq). */
bool goc__timer_waited(const goc_rtimer *t) {
  if (t->f != send_time) return true;
  const goc_chan *c = t->arg;
  return __atomic_load_n(&c->recvq.first, __ATOMIC_SEQ_CST) != NULL;
}

static goc_chan *time_chan(void) {
  return goc_chan_make(sizeof(int64_t), _Alignof(int64_t), 1);
}

static void drain(goc_chan *c) {
  int64_t v;
  goc__chanrecv(c, &v, NULL, false, NULL, NULL);
}

static void rtimer_init(goc_rtimer *t, int64_t when, int64_t period,
                        goc_chan *c) {
  t->when = when;
  t->period = period;
  t->f = send_time;
  t->arg = c;
  t->heap_index = -1;
  t->p_id = -1;
  atomic_store(&t->status, 0);
}

static int64_t when_after(int64_t ns) {
  int64_t now = goc_now();
  if (ns < 0) ns = 0;
  return ns > INT64_MAX - now ? INT64_MAX : now + ns;
}

GOC_CHAN(int64_t) goc_after(int64_t ns) {
  goc_chan *c = time_chan();
  goc_rtimer *t = malloc(sizeof *t);
  if (!t) goc__throw("out of memory allocating a timer (goc_after)");
  rtimer_init(t, when_after(ns), 0, c);
  c->after_timer = t;
  goc__timer_start(t);
  return (GOC_CHAN(int64_t))c;
}

/* ---- tickers ---------------------------------------------------------------- */
goc_ticker *goc_ticker_new(int64_t period) {
  if (period <= 0) goc__panic_str("non-positive interval for goc_ticker_new");
  goc_ticker *tk = malloc(sizeof *tk);
  if (!tk) goc__throw("out of memory allocating a ticker");
  tk->c = time_chan();
  rtimer_init(&tk->t, when_after(period), period, tk->c);
  goc__timer_start(&tk->t);
  return tk;
}

GOC_CHAN(int64_t) goc_ticker_chan(goc_ticker *tk) {
  return (GOC_CHAN(int64_t))tk->c;
}

void goc_ticker_reset(goc_ticker *tk, int64_t period) {
  if (period <= 0) goc__panic_str("non-positive interval for goc_ticker_reset");
  goc__timer_stop(&tk->t);
  drain(tk->c);
  goc__timer_modify(&tk->t, when_after(period), period);
}

void goc_ticker_stop(goc_ticker *tk) {
  if (!tk) return;
  goc__timer_stop(&tk->t);
  goc__chan_free_if_idle(tk->c);
  free(tk);
}

/* ---- one-shot timers ------------------------------------------------------- */
goc_timer *goc_timer_new(int64_t ns) {
  goc_timer *tm = malloc(sizeof *tm);
  if (!tm) goc__throw("out of memory allocating a timer");
  tm->c = time_chan();
  rtimer_init(&tm->t, when_after(ns), 0, tm->c);
  goc__timer_start(&tm->t);
  return tm;
}

GOC_CHAN(int64_t) goc_timer_chan(goc_timer *tm) {
  return (GOC_CHAN(int64_t))tm->c;
}

bool goc_timer_stop(goc_timer *tm) {
  bool pending = goc__timer_stop(&tm->t);
  drain(tm->c);
  return pending;
}

bool goc_timer_reset(goc_timer *tm, int64_t ns) {
  bool pending = goc__timer_stop(&tm->t);
  drain(tm->c);
  goc__timer_modify(&tm->t, when_after(ns), 0);
  return pending;
}

void goc_timer_free(goc_timer *tm) {
  if (!tm) return;
  goc__timer_stop(&tm->t);
  goc__chan_free_if_idle(tm->c);
  free(tm);
}
