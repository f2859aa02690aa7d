/* A channel's ready bytes (chan.h: recv_ready, send_ready, which the
 * lowered one-case selects read lock-free) after each kind of locked
 * section: buffered sends, receives and close; an unbuffered channel with
 * a blocked sender, a blocked receiver, a blocked select whose other case
 * won, and a close. A stale 0 would make a one-case select take default
 * for ever; a stale 1 only sends it to the locked path, but the bytes
 * are meant to be exact at every unlock. Plain threads block here; the
 * goroutine side is covered by tests/behaviour/select_test.goc's
 * TestNonblockingSeesWaiters. */
#include <sched.h>
#include "chan_testutil.h"
#include "chan.h"

static int rready(goc_chan *c) { return __atomic_load_n(&c->recv_ready, __ATOMIC_SEQ_CST); }
static int sready(goc_chan *c) { return __atomic_load_n(&c->send_ready, __ATOMIC_SEQ_CST); }
#define READY(c, r, s) CHECK(rready(c) == (r) && sready(c) == (s))

static void test_buffered(void) {
  goc_chan *c = goc_chan_make(sizeof(int), _Alignof(int), 2);
  READY(c, 0, 1);
  int v = 1, w = 0;
  goc_chan_send(c, &v);
  READY(c, 1, 1);
  goc_chan_send(c, &v);
  READY(c, 1, 0);
  CHECK(!goc_chan_trysend(c, &v));
  READY(c, 1, 0);
  CHECK(goc_chan_recv(c, &w));
  READY(c, 1, 1);
  CHECK(goc_chan_recv(c, &w));
  READY(c, 0, 1);
  bool ok = true;
  CHECK(!goc_chan_tryrecv(c, &w, &ok));
  READY(c, 0, 1);
  /* closed with a value left: ready both ways while it drains, and after */
  goc_chan_send(c, &v);
  goc_chan_close(c);
  READY(c, 1, 1);
  CHECK(goc_chan_recv(c, &w) && w == 1);
  READY(c, 1, 1);
  CHECK(goc_chan_tryrecv(c, &w, &ok) && !ok && w == 0);
  READY(c, 1, 1);
  goc_chan_free(c);
}

static void spin_until(goc_chan *c, int (*ready)(goc_chan *)) {
  while (!ready(c)) sched_yield();   /* a lost update hangs (the test's timeout) */
}

static goc_chan *ub, *ub2;
static void *blocked_sender(void *a) {
  (void)a;
  int v = 42;
  goc_chan_send(ub, &v);
  return NULL;
}
static void *blocked_recver(void *a) {
  (void)a;
  int v = -1;
  bool ok = goc_chan_recv(ub, &v);
  *(int *)a = ok ? v : -2;
  return NULL;
}
static void *blocked_select(void *a) {
  (void)a;
  int v1 = -1, v2 = -1;
  goc_select_case cs[2] = {
      {.chan = ub, .elem = &v1, .dir = GOC_SELECT_RECV},
      {.chan = ub2, .elem = &v2, .dir = GOC_SELECT_RECV},
  };
  bool ok = false;
  int k = goc_chan_select(cs, 2, true, &ok);
  CHECK(k == 0 && ok && v1 == 7);
  return NULL;
}

static void test_unbuffered(void) {
  ub = goc_chan_make(sizeof(int), _Alignof(int), 0);
  ub2 = goc_chan_make(sizeof(int), _Alignof(int), 0);
  READY(ub, 0, 0);
  int v = 0;
  bool ok = false;

  /* a blocked sender: a receive is ready until it takes the value */
  pthread_t t = test_spawn(blocked_sender, NULL);
  spin_until(ub, rready);
  READY(ub, 1, 0);
  CHECK(goc_chan_tryrecv(ub, &v, &ok) && ok && v == 42);
  READY(ub, 0, 0);
  pthread_join(t, NULL);
  READY(ub, 0, 0);

  /* a blocked receiver: a send is ready until it hands the value over */
  int got = 0;
  t = test_spawn(blocked_recver, &got);
  spin_until(ub, sready);
  READY(ub, 0, 1);
  v = 9;
  CHECK(goc_chan_trysend(ub, &v));
  pthread_join(t, NULL);
  CHECK(got == 9);
  READY(ub, 0, 0);

  /* a select on two channels: once one case wins, the other channel's
   * sudog is removed and its byte goes back to 0 */
  t = test_spawn(blocked_select, NULL);
  spin_until(ub, sready);
  spin_until(ub2, sready);
  v = 7;
  CHECK(goc_chan_trysend(ub, &v));
  pthread_join(t, NULL);
  READY(ub, 0, 0);
  READY(ub2, 0, 0);
  CHECK(!goc_chan_trysend(ub2, &v));

  /* close with a blocked receiver: ready both ways from then on */
  t = test_spawn(blocked_recver, &got);
  spin_until(ub, sready);
  goc_chan_close(ub);
  READY(ub, 1, 1);
  pthread_join(t, NULL);
  CHECK(got == -2);
  READY(ub, 1, 1);
  CHECK(goc_chan_tryrecv(ub, &v, &ok) && !ok);
  goc_chan_free(ub);
  goc_chan_free(ub2);
}

int main(void) {
  test_buffered();
  test_unbuffered();
  return 0;
}
