/* Timer channels from plain threads: goc_after, tickers, timers (stop,
 * reset, no stale value after either), and select with a timeout. */
#include "chan_testutil.h"

static void test_after(void) {
  int64_t t0 = goc_now();
  goc_chan *c = (goc_chan *)goc_after(20 * GOC_MILLISECOND);
  CHECK(goc_chan_cap(c) == 1);
  int64_t when = 0;
  CHECK(goc_chan_recv(c, &when));
  int64_t t1 = goc_now();
  CHECK(t1 - t0 >= 20 * GOC_MILLISECOND);
  CHECK(when >= t0 + 20 * GOC_MILLISECOND && when <= t1);
  goc_chan_free(c);
  /* freed before it fires: the timer goes with it */
  goc_chan_free((goc_chan *)goc_after(5 * GOC_MILLISECOND));
  test_sleep_ms(15);
}

static void test_select_timeout(void) {
  goc_chan *never = goc_chan_make(sizeof(int), _Alignof(int), 0);
  int64_t t0 = goc_now();
  goc_chan *to = (goc_chan *)goc_after(15 * GOC_MILLISECOND);
  int v;
  int64_t w;
  goc_select_case cs[2] = {{never, &v, GOC_SELECT_RECV},
                           {to, &w, GOC_SELECT_RECV}};
  CHECK(goc_chan_select(cs, 2, true, NULL) == 1);
  CHECK(goc_now() - t0 >= 15 * GOC_MILLISECOND);
  goc_chan_free(to);
  goc_chan_free(never);
}

static void test_ticker(void) {
  goc_ticker *tk = goc_ticker_new(5 * GOC_MILLISECOND);
  goc_chan *c = (goc_chan *)goc_ticker_chan(tk);
  int64_t prev = goc_now(), w;
  for (int i = 0; i < 5; i++) {
    CHECK(goc_chan_recv(c, &w));
    CHECK(w >= prev);
    prev = w;
  }
  /* ticks nobody takes are dropped: the buffer holds at most one */
  test_sleep_ms(30);
  CHECK(goc_chan_len(c) == 1);
  int64_t t0 = goc_now();
  goc_ticker_reset(tk, 50 * GOC_MILLISECOND);
  bool ok;
  CHECK(!goc_chan_tryrecv(c, &w, &ok));   /* reset dropped the stale tick */
  CHECK(goc_chan_recv(c, &w));
  CHECK(goc_now() - t0 >= 50 * GOC_MILLISECOND);
  goc_ticker_stop(tk);
}

static void test_timer(void) {
  goc_timer *tm = goc_timer_new(500 * GOC_MILLISECOND);
  goc_chan *c = (goc_chan *)goc_timer_chan(tm);
  int64_t w;
  bool ok;
  CHECK(goc_timer_stop(tm));      /* stopped before it fired */
  test_sleep_ms(20);
  CHECK(!goc_chan_tryrecv(c, &w, &ok));
  CHECK(!goc_timer_stop(tm));
  CHECK(!goc_timer_reset(tm, 5 * GOC_MILLISECOND));
  CHECK(goc_chan_recv(c, &w));
  /* fired, value not received, then stopped: no stale value */
  CHECK(!goc_timer_reset(tm, 5 * GOC_MILLISECOND));
  test_sleep_ms(20);
  CHECK(!goc_timer_stop(tm));
  CHECK(!goc_chan_tryrecv(c, &w, &ok));
  CHECK(goc_timer_reset(tm, 1000 * GOC_MILLISECOND) == false);
  CHECK(goc_timer_reset(tm, 5 * GOC_MILLISECOND) == true);
  CHECK(goc_chan_recv(c, &w));
  goc_timer_free(tm);
}

int main(void) {
  test_after();
  test_select_timeout();
  test_ticker();
  test_timer();
  return 0;
}
