/* Channel panics: each case runs in a child that must exit 2 with the
 * message. */
#include "chan_testutil.h"

static void send_closed(void *a) {
  (void)a;
  goc_chan *c = goc_chan_make(sizeof(int), _Alignof(int), 1);
  goc_chan_close(c);
  int v = 1;
  goc_chan_send(c, &v);
}

static goc_chan *bs_c;
static void *closer(void *a) {
  (void)a;
  test_sleep_ms(30);
  goc_chan_close(bs_c);
  return NULL;
}
/* A sender blocked on an unbuffered channel panics when it is closed. */
static void blocked_send_closed(void *a) {
  (void)a;
  bs_c = goc_chan_make(sizeof(int), _Alignof(int), 0);
  test_spawn(closer, NULL);
  int v = 1;
  goc_chan_send(bs_c, &v);
}
/* Likewise for a send case of a blocked select. */
static void blocked_select_send_closed(void *a) {
  (void)a;
  bs_c = goc_chan_make(sizeof(int), _Alignof(int), 0);
  goc_chan *other = goc_chan_make(sizeof(int), _Alignof(int), 0);
  test_spawn(closer, NULL);
  int v = 1;
  goc_select_case cs[2] = {{other, &v, GOC_SELECT_RECV},
                           {bs_c, &v, GOC_SELECT_SEND}};
  goc_chan_select(cs, 2, true, NULL);
}
static void select_send_closed(void *a) {
  (void)a;
  goc_chan *c = goc_chan_make(sizeof(int), _Alignof(int), 0);
  goc_chan_close(c);
  int v = 1;
  goc_select_case cs[1] = {{c, &v, GOC_SELECT_SEND}};
  goc_chan_select(cs, 1, false, NULL);
}
static void trysend_closed(void *a) {
  (void)a;
  goc_chan *c = goc_chan_make(sizeof(int), _Alignof(int), 0);
  goc_chan_close(c);
  int v = 1;
  goc_chan_trysend(c, &v);
}
static void close_nil(void *a) { (void)a; goc_chan_close(NULL); }
static void close_closed(void *a) {
  (void)a;
  goc_chan *c = goc_chan_make(sizeof(int), _Alignof(int), 0);
  goc_chan_close(c);
  goc_chan_close(c);
}
static goc_chan *fw_c;
static void *fw_recver(void *a) {
  (void)a;
  int v;
  goc_chan_recv(fw_c, &v);
  return NULL;
}
static void free_with_waiters(void *a) {
  (void)a;
  fw_c = goc_chan_make(sizeof(int), _Alignof(int), 0);
  test_spawn(fw_recver, NULL);
  test_sleep_ms(30);
  goc_chan_free(fw_c);
}

int main(void) {
  expect_death(send_closed, NULL, "panic: send on closed channel");
  expect_death(blocked_send_closed, NULL, "panic: send on closed channel");
  expect_death(blocked_select_send_closed, NULL,
               "panic: send on closed channel");
  expect_death(select_send_closed, NULL, "panic: send on closed channel");
  expect_death(trysend_closed, NULL, "panic: send on closed channel");
  expect_death(close_nil, NULL, "panic: close of nil channel");
  expect_death(close_closed, NULL, "panic: close of closed channel");
  expect_death(free_with_waiters, NULL,
               "panic: free of channel with blocked goroutines");
  return 0;
}
