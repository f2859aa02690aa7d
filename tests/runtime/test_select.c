/* select from plain threads: random choice among ready cases, default, nil
 * cases, closed channels, blocking select woken by each kind of partner. */
#include "chan_testutil.h"

static void test_fairness(void) {
  goc_chan *a = goc_chan_make(sizeof(int), _Alignof(int), 1);
  goc_chan *b = goc_chan_make(sizeof(int), _Alignof(int), 1);
  int counts[2] = {0, 0};
  for (int i = 0; i < 10000; i++) {
    int v = i;
    goc_chan_send(a, &v);
    goc_chan_send(b, &v);
    int ra = -1, rb = -1;
    goc_select_case cs[2] = {{a, &ra, GOC_SELECT_RECV},
                             {b, &rb, GOC_SELECT_RECV}};
    bool ok = false;
    int k = goc_chan_select(cs, 2, true, &ok);
    CHECK(k == 0 || k == 1);
    CHECK(ok);
    CHECK((k == 0 ? ra : rb) == i);
    counts[k]++;
    /* drain the other one */
    int x;
    CHECK(goc_chan_recv(k == 0 ? b : a, &x) && x == i);
  }
  CHECK(counts[0] > 4000 && counts[0] < 6000);
  /* three ready send cases */
  int c3[3] = {0, 0, 0};
  goc_chan *cc = goc_chan_make(sizeof(int), _Alignof(int), 3);
  for (int i = 0; i < 9000; i++) {
    int v0 = 0, v1 = 1, v2 = 2;
    goc_select_case cs[4] = {{cc, &v0, GOC_SELECT_SEND},
                             {NULL, &v0, GOC_SELECT_RECV},
                             {cc, &v1, GOC_SELECT_SEND},
                             {cc, &v2, GOC_SELECT_SEND}};
    int k = goc_chan_select(cs, 4, false, NULL);
    CHECK(k == 0 || k == 2 || k == 3);
    int got;
    CHECK(goc_chan_recv(cc, &got));
    CHECK(got == (k == 0 ? 0 : k - 1));
    c3[got]++;
  }
  for (int i = 0; i < 3; i++) CHECK(c3[i] > 2400 && c3[i] < 3600);
  goc_chan_free(a);
  goc_chan_free(b);
  goc_chan_free(cc);
}

static void test_default_and_nil(void) {
  goc_chan *c = goc_chan_make(sizeof(int), _Alignof(int), 0);
  int v = 1;
  goc_select_case cs[3] = {{c, &v, GOC_SELECT_RECV},
                           {c, &v, GOC_SELECT_SEND},
                           {NULL, &v, GOC_SELECT_SEND}};
  bool ok = true;
  CHECK(goc_chan_select(cs, 3, false, &ok) == -1);
  CHECK(goc_chan_select(NULL, 0, false, &ok) == -1);
  goc_select_case nils[2] = {{NULL, &v, GOC_SELECT_RECV},
                             {NULL, &v, GOC_SELECT_SEND}};
  CHECK(goc_chan_select(nils, 2, false, &ok) == -1);
  /* a buffered channel with room: the send case is ready */
  goc_chan *b = goc_chan_make(sizeof(int), _Alignof(int), 1);
  int s = 42, r = 0;
  goc_select_case cs2[2] = {{NULL, &r, GOC_SELECT_RECV},
                            {b, &s, GOC_SELECT_SEND}};
  CHECK(goc_chan_select(cs2, 2, false, NULL) == 1);
  CHECK(goc_chan_select(cs2, 2, false, NULL) == -1);  /* full now */
  goc_select_case cs3[1] = {{b, &r, GOC_SELECT_RECV}};
  CHECK(goc_chan_select(cs3, 1, false, &ok) == 0 && ok && r == 42);
  /* closed: receive case ready with ok = false and zero value */
  goc_chan_close(b);
  r = 7;
  CHECK(goc_chan_select(cs3, 1, false, &ok) == 0 && !ok && r == 0);
  goc_chan_free(b);
  goc_chan_free(c);
}

/* ---- blocking select, woken by a sender, a receiver, a close ---- */
static goc_chan *w_a, *w_b;
static void *w_send_b(void *arg) {
  (void)arg;
  test_sleep_ms(20);
  int v = 77;
  goc_chan_send(w_b, &v);
  return NULL;
}
static void *w_recv_a(void *arg) {
  (void)arg;
  test_sleep_ms(20);
  int v = 0;
  CHECK(goc_chan_recv(w_a, &v) && v == 55);
  return NULL;
}
static void *w_close_b(void *arg) {
  (void)arg;
  test_sleep_ms(20);
  goc_chan_close(w_b);
  return NULL;
}
static void test_blocking(size_t cap) {
  w_a = goc_chan_make(sizeof(int), _Alignof(int), cap);
  w_b = goc_chan_make(sizeof(int), _Alignof(int), cap);
  int out = 55, in = 0;
  bool ok = false;
  if (cap) {  /* fill a so the send case blocks */
    for (size_t i = 0; i < cap; i++) goc_chan_send(w_a, &(int){55});
  }
  goc_select_case cs[2] = {{w_a, &out, GOC_SELECT_SEND},
                           {w_b, &in, GOC_SELECT_RECV}};
  pthread_t t = test_spawn(w_send_b, NULL);
  CHECK(goc_chan_select(cs, 2, true, &ok) == 1 && ok && in == 77);
  pthread_join(t, NULL);
  t = test_spawn(w_recv_a, NULL);
  CHECK(goc_chan_select(cs, 2, true, &ok) == 0);
  pthread_join(t, NULL);
  if (cap) {
    for (size_t i = 0; i < cap; i++) CHECK(goc_chan_recv(w_a, &in) && in == 55);
    for (size_t i = 0; i < cap; i++) goc_chan_send(w_a, &(int){55});
  }
  t = test_spawn(w_close_b, NULL);
  in = 3;
  CHECK(goc_chan_select(cs, 2, true, &ok) == 1 && !ok && in == 0);
  pthread_join(t, NULL);
  CHECK(goc_chan_len(w_a) == cap);
  goc_chan_free(w_a);
  goc_chan_free(w_b);
}

/* A select over the same unbuffered channel twice, send and receive: it
 * must not match itself; a partner completes exactly one case. */
static goc_chan *self_c;
static void *self_partner(void *arg) {
  (void)arg;
  test_sleep_ms(20);
  int v = 0;
  CHECK(goc_chan_recv(self_c, &v) && v == 9);
  return NULL;
}
static void test_same_channel(void) {
  self_c = goc_chan_make(sizeof(int), _Alignof(int), 0);
  int out = 9, in = -1;
  goc_select_case cs[2] = {{self_c, &in, GOC_SELECT_RECV},
                           {self_c, &out, GOC_SELECT_SEND}};
  CHECK(goc_chan_select(cs, 2, false, NULL) == -1);
  pthread_t t = test_spawn(self_partner, NULL);
  CHECK(goc_chan_select(cs, 2, true, NULL) == 1);
  pthread_join(t, NULL);
  CHECK(in == -1);
  goc_chan_free(self_c);   /* panics if a sudog were left behind */
}

int main(void) {
  test_fairness();
  test_default_and_nil();
  test_blocking(0);
  test_blocking(2);
  test_same_channel();
  return 0;
}
