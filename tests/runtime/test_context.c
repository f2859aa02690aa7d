/* goc_context from plain threads: cancel, propagation to children,
 * deadlines and timeouts, errors, background, free. */
#include "chan_testutil.h"

static goc_context *wctx;
static _Atomic int woke;
static void *waiter(void *arg) {
  (void)arg;
  int v = 5;
  CHECK(!goc_chan_recv((goc_chan *)goc_context_done(wctx), &v) && v == 0);
  woke++;
  return NULL;
}

static void test_cancel_tree(void) {
  goc_context *bg = goc_context_background();
  CHECK(goc_context_done(bg) == NULL && goc_context_err(bg) == NULL);
  CHECK(goc_context_deadline(bg) == 0);
  goc_context *a = goc_context_with_cancel(bg);
  goc_context *b = goc_context_with_cancel(a);
  goc_context *c = goc_context_with_cancel(b);
  goc_context *d = goc_context_with_cancel(a);
  CHECK(goc_context_err(a) == NULL && goc_context_err(c) == NULL);
  wctx = c;
  pthread_t t[3];
  for (int i = 0; i < 3; i++) t[i] = test_spawn(waiter, NULL);
  test_sleep_ms(20);
  CHECK(woke == 0);
  goc_context_cancel(b);
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  CHECK(woke == 3);
  CHECK(strcmp(goc_context_err(b), "context canceled") == 0);
  CHECK(strcmp(goc_context_err(c), "context canceled") == 0);
  CHECK(goc_context_err(a) == NULL && goc_context_err(d) == NULL);
  goc_context_cancel(b);   /* again: no-op */
  /* a child of a cancelled parent starts cancelled */
  goc_context *e = goc_context_with_cancel(b);
  CHECK(goc_context_err(e) != NULL);
  bool ok;
  int v;
  CHECK(goc_chan_tryrecv((goc_chan *)goc_context_done(e), &v, &ok) && !ok);
  /* free a parent first, then its (detached) children */
  goc_context_free(a);
  CHECK(goc_context_err(d) != NULL);
  goc_context_free(b);
  goc_context_free(c);
  goc_context_free(d);
  goc_context_free(e);
}

static void test_deadline(void) {
  goc_context *bg = goc_context_background();
  int64_t t0 = goc_now();
  goc_context *a = goc_context_with_timeout(bg, 30 * GOC_MILLISECOND);
  CHECK(goc_context_deadline(a) >= t0 + 30 * GOC_MILLISECOND);
  goc_context *b = goc_context_with_cancel(a);
  CHECK(goc_context_deadline(b) == goc_context_deadline(a));
  /* a later deadline under an earlier one keeps the earlier */
  goc_context *c = goc_context_with_timeout(b, GOC_SECOND);
  CHECK(goc_context_deadline(c) == goc_context_deadline(a));
  int v;
  CHECK(!goc_chan_recv((goc_chan *)goc_context_done(c), &v));
  CHECK(goc_now() - t0 >= 30 * GOC_MILLISECOND);
  CHECK(strcmp(goc_context_err(a), "context deadline exceeded") == 0);
  CHECK(strcmp(goc_context_err(c), "context deadline exceeded") == 0);
  /* a deadline already past */
  goc_context *p = goc_context_with_deadline(bg, goc_now() - 1);
  CHECK(strcmp(goc_context_err(p), "context deadline exceeded") == 0);
  /* cancelled before the deadline: "canceled" wins and stays */
  goc_context *q = goc_context_with_timeout(bg, 20 * GOC_MILLISECOND);
  goc_context_cancel(q);
  test_sleep_ms(30);
  CHECK(strcmp(goc_context_err(q), "context canceled") == 0);
  /* freed while its timer is pending */
  goc_context *r = goc_context_with_timeout(bg, 10 * GOC_MILLISECOND);
  goc_context *r2 = goc_context_with_cancel(r);
  goc_context_free(r);
  test_sleep_ms(20);
  CHECK(strcmp(goc_context_err(r2), "context canceled") == 0);
  goc_context_free(r2);
  goc_context_free(c);
  goc_context_free(b);
  goc_context_free(a);
  goc_context_free(p);
  goc_context_free(q);
}

/* Many threads create, cancel and free contexts under one parent while
 * the parent is cancelled. */
static goc_context *root;
static void *churn(void *arg) {
  (void)arg;
  for (int i = 0; i < 2000; i++) {
    goc_context *c = goc_context_with_cancel(root);
    goc_context *d = goc_context_with_timeout(c, (i % 3) * GOC_MICROSECOND);
    if (i & 1) goc_context_cancel(c);
    goc_context_free(d);
    goc_context_free(c);
  }
  return NULL;
}
static void test_concurrent(void) {
  root = goc_context_with_cancel(goc_context_background());
  pthread_t t[4];
  for (int i = 0; i < 4; i++) t[i] = test_spawn(churn, NULL);
  test_sleep_ms(2);
  goc_context_cancel(root);
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  goc_context_free(root);
}

int main(void) {
  test_cancel_tree();
  test_deadline();
  test_concurrent();
  return 0;
}
