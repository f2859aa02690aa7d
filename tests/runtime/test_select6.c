/* Go's test/chan/select6.go (issue 2075) with threads: a losing select case
 * must leave the other waiters of its channel intact. c1 has a receiver A
 * queued before the select's sudog; after the select wins on c2, two more
 * sends on c1 must reach A and the selecting thread. */
#include "chan_testutil.h"

static goc_chan *c1, *c2, *c3;
static _Atomic int stage;

static void *a_recv(void *arg) {
  (void)arg;
  bool b;
  stage = 1;
  CHECK(goc_chan_recv(c1, &b));
  return NULL;
}
static void *selecter(void *arg) {
  (void)arg;
  bool b1, b2;
  goc_select_case cs[2] = {{c1, &b1, GOC_SELECT_RECV},
                           {c2, &b2, GOC_SELECT_RECV}};
  stage = 2;
  int k = goc_chan_select(cs, 2, true, NULL);
  CHECK(k == 1);   /* c1 gets nothing until c3 is answered */
  bool t = true;
  goc_chan_send(c3, &t);
  CHECK(goc_chan_recv(c1, &b1));
  return NULL;
}
static void *c2_send(void *arg) {
  (void)arg;
  bool t = true;
  goc_chan_send(c2, &t);
  return NULL;
}

int main(void) {
  for (int round = 0; round < 50; round++) {
    c1 = goc_chan_make(sizeof(bool), _Alignof(bool), 0);
    c2 = goc_chan_make(sizeof(bool), _Alignof(bool), 0);
    c3 = goc_chan_make(sizeof(bool), _Alignof(bool), 0);
    stage = 0;
    pthread_t ta = test_spawn(a_recv, NULL);
    while (stage < 1) test_sleep_ms(1);
    test_sleep_ms(1);
    pthread_t tb = test_spawn(selecter, NULL);
    while (stage < 2) test_sleep_ms(1);
    test_sleep_ms(1);
    pthread_t tc = test_spawn(c2_send, NULL);
    bool b;
    CHECK(goc_chan_recv(c3, &b));
    bool t = true;
    goc_chan_send(c1, &t);
    goc_chan_send(c1, &t);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    pthread_join(tc, NULL);
    goc_chan_free(c1);
    goc_chan_free(c2);
    goc_chan_free(c3);
  }
  return 0;
}
