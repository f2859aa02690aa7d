/* Channels from plain threads: FIFO order, rendezvous, close, len/cap,
 * non-blocking operations, zero-size, large and odd-aligned elements. */
#include "chan_testutil.h"

static void test_buffered_fifo(void) {
  goc_chan *c = goc_chan_make(sizeof(int), _Alignof(int), 5);
  CHECK(goc_chan_cap(c) == 5 && goc_chan_len(c) == 0);
  for (int round = 0; round < 3; round++) {  /* wraps the ring */
    for (int i = 0; i < 5; i++) goc_chan_send(c, &i);
    CHECK(goc_chan_len(c) == 5);
    int x = 99;
    CHECK(!goc_chan_trysend(c, &x));
    for (int i = 0; i < 5; i++) {
      int v = -1;
      CHECK(goc_chan_recv(c, &v) && v == i);
    }
    bool ok = true;
    CHECK(!goc_chan_tryrecv(c, &x, &ok));
  }
  goc_chan_free(c);
  CHECK(goc_chan_len(NULL) == 0 && goc_chan_cap(NULL) == 0);
  goc_chan_free(NULL);
}

/* ---- unbuffered rendezvous ---- */
static goc_chan *rv_c, *rv_ack;
static _Atomic int rv_received;
static void *rv_recver(void *a) {
  (void)a;
  for (int i = 0; i < 1000; i++) {
    int v;
    CHECK(goc_chan_recv(rv_c, &v) && v == i);
    rv_received = i + 1;
  }
  return NULL;
}
static void test_rendezvous(void) {
  rv_c = goc_chan_make(sizeof(int), _Alignof(int), 0);
  int x = 7;
  CHECK(!goc_chan_trysend(rv_c, &x));   /* nobody receiving */
  pthread_t t = test_spawn(rv_recver, NULL);
  for (int i = 0; i < 1000; i++) {
    goc_chan_send(rv_c, &i);
    /* the receiver took value i before send returned */
    CHECK(rv_received >= i);
  }
  pthread_join(t, NULL);
  CHECK(rv_received == 1000);
  goc_chan_free(rv_c);
  (void)rv_ack;
}

/* ---- close wakes every receiver ---- */
static goc_chan *cl_c;
static _Atomic int cl_woken, cl_waiting;
static void *cl_recver(void *a) {
  (void)a;
  long v = 12345;
  cl_waiting++;
  bool ok = goc_chan_recv(cl_c, &v);
  CHECK(!ok && v == 0);
  cl_woken++;
  return NULL;
}
static void test_close_wakes_all(size_t cap) {
  cl_c = goc_chan_make(sizeof(long), _Alignof(long), cap);
  cl_woken = cl_waiting = 0;
  pthread_t t[6];
  for (int i = 0; i < 6; i++) t[i] = test_spawn(cl_recver, NULL);
  while (cl_waiting < 6) test_sleep_ms(1);
  test_sleep_ms(20);
  CHECK(cl_woken == 0);
  goc_chan_close(cl_c);
  for (int i = 0; i < 6; i++) pthread_join(t[i], NULL);
  CHECK(cl_woken == 6);
  long v = 5;
  bool ok = true;
  CHECK(goc_chan_tryrecv(cl_c, &v, &ok) && !ok && v == 0);
  goc_chan_free(cl_c);
}

static void test_close_then_drain(void) {
  goc_chan *c = goc_chan_make(sizeof(int), _Alignof(int), 4);
  for (int i = 1; i <= 3; i++) goc_chan_send(c, &i);
  goc_chan_close(c);
  CHECK(goc_chan_len(c) == 3);
  for (int i = 1; i <= 3; i++) {
    int v = 0;
    CHECK(goc_chan_recv(c, &v) && v == i);
  }
  int v = 9;
  CHECK(!goc_chan_recv(c, &v) && v == 0);
  v = 9;
  CHECK(!goc_chan_recv(c, NULL));
  goc_chan_free(c);
}

/* ---- blocked senders on a full buffer: hand-off keeps FIFO ---- */
static goc_chan *fs_c;
static _Atomic int fs_waiting;
static void *fs_sender(void *a) {
  int v = (int)(intptr_t)a;
  fs_waiting++;
  goc_chan_send(fs_c, &v);
  return NULL;
}
static void test_full_handoff(void) {
  fs_c = goc_chan_make(sizeof(int), _Alignof(int), 2);
  int a = 0, b = 1;
  goc_chan_send(fs_c, &a);
  goc_chan_send(fs_c, &b);
  pthread_t t[3];
  for (int i = 0; i < 3; i++) {  /* enqueue senders 2, 3, 4 in order */
    int before = fs_waiting;
    t[i] = test_spawn(fs_sender, (void *)(intptr_t)(2 + i));
    while (fs_waiting == before) test_sleep_ms(1);
    test_sleep_ms(10);
  }
  for (int i = 0; i < 5; i++) {
    int v = -1;
    CHECK(goc_chan_recv(fs_c, &v) && v == i);
  }
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  CHECK(goc_chan_len(fs_c) == 0);
  goc_chan_free(fs_c);
}

/* ---- zero-size elements ---- */
static goc_chan *zs_c;
static void *zs_recver(void *a) {
  (void)a;
  for (int i = 0; i < 100; i++) CHECK(goc_chan_recv(zs_c, NULL));
  return NULL;
}
static void test_zero_size(void) {
  goc_chan *c = goc_chan_make(0, 1, 3);
  char dummy;
  CHECK(goc_chan_trysend(c, &dummy) && goc_chan_trysend(c, &dummy) &&
        goc_chan_trysend(c, &dummy) && !goc_chan_trysend(c, &dummy));
  CHECK(goc_chan_len(c) == 3);
  bool ok;
  CHECK(goc_chan_tryrecv(c, NULL, &ok) && ok);
  CHECK(goc_chan_len(c) == 2);
  goc_chan_free(c);
  zs_c = goc_chan_make(0, 1, 0);
  pthread_t t = test_spawn(zs_recver, NULL);
  for (int i = 0; i < 100; i++) goc_chan_send(zs_c, &dummy);
  pthread_join(t, NULL);
  goc_chan_close(zs_c);
  CHECK(!goc_chan_recv(zs_c, NULL));
  goc_chan_free(zs_c);
}

/* ---- large and odd-aligned elements ---- */
typedef struct big { unsigned char b[1024]; } big;
typedef struct odd { char x[3]; } odd;
typedef struct __attribute__((aligned(64))) wide { int v; } wide;
static goc_chan *big_c;
static void *big_sender(void *a) {
  (void)a;
  big *v = malloc(sizeof *v);
  for (int i = 0; i < 200; i++) {
    for (int j = 0; j < 1024; j++) v->b[j] = (unsigned char)(i + j);
    goc_chan_send(big_c, v);
  }
  free(v);
  return NULL;
}
static void test_big_and_odd(size_t cap) {
  big_c = goc_chan_make(sizeof(big), _Alignof(big), cap);
  pthread_t t = test_spawn(big_sender, NULL);
  big *v = malloc(sizeof *v);
  for (int i = 0; i < 200; i++) {
    CHECK(goc_chan_recv(big_c, v));
    for (int j = 0; j < 1024; j++) CHECK(v->b[j] == (unsigned char)(i + j));
  }
  free(v);
  pthread_join(t, NULL);
  goc_chan_free(big_c);

  goc_chan *c = goc_chan_make(sizeof(odd), _Alignof(odd), 7);
  for (int i = 0; i < 7; i++) {
    odd o = {{(char)i, (char)(i + 1), (char)(i + 2)}};
    goc_chan_send(c, &o);
  }
  for (int i = 0; i < 7; i++) {
    odd o;
    CHECK(goc_chan_recv(c, &o));
    CHECK(o.x[0] == i && o.x[1] == i + 1 && o.x[2] == i + 2);
  }
  goc_chan_free(c);

  c = goc_chan_make(sizeof(wide), _Alignof(wide), 3);
  for (int i = 0; i < 3; i++) {
    wide w = {i * 10};
    goc_chan_send(c, &w);
  }
  for (int i = 0; i < 3; i++) {
    wide w;
    CHECK(goc_chan_recv(c, &w) && w.v == i * 10);
  }
  goc_chan_free(c);
}

int main(void) {
  test_buffered_fifo();
  test_rendezvous();
  test_close_wakes_all(0);
  test_close_wakes_all(3);
  test_close_then_drain();
  test_full_handoff();
  test_zero_size();
  test_big_and_odd(0);
  test_big_and_odd(4);
  return 0;
}
