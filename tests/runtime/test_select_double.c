/* Go's test/chan/doubleselect.go with threads: senders select over four
 * unbuffered channels; a value must never be delivered by two cases of one
 * select (each value is received exactly once). */
#include "chan_testutil.h"

enum { NSEND = 2, NMUX = 4 };
static int n_per_sender;
static goc_chan *cs_[NMUX], *cmux, *done;
static _Atomic int senders_left = NSEND;

static void *sender(void *arg) {
  int base = (int)(intptr_t)arg * n_per_sender;
  for (int i = 0; i < n_per_sender; i++) {
    int v = base + i;
    goc_select_case cs[NMUX];
    for (int k = 0; k < NMUX; k++)
      cs[k] = (goc_select_case){cs_[k], &v, GOC_SELECT_SEND};
    int k = goc_chan_select(cs, NMUX, true, NULL);
    CHECK(k >= 0 && k < NMUX);
  }
  if (--senders_left == 0)
    for (int k = 0; k < NMUX; k++) goc_chan_close(cs_[k]);
  return NULL;
}

static void *mux(void *arg) {
  goc_chan *in = arg;
  int v;
  while (goc_chan_recv(in, &v)) goc_chan_send(cmux, &v);
  bool t = true;
  goc_chan_send(done, &t);
  return NULL;
}

static void *closer(void *arg) {
  (void)arg;
  bool t;
  for (int k = 0; k < NMUX; k++) CHECK(goc_chan_recv(done, &t));
  goc_chan_close(cmux);
  return NULL;
}

int main(void) {
  n_per_sender = TEST_SANITIZED ? 5000 : 20000;
  for (int k = 0; k < NMUX; k++)
    cs_[k] = goc_chan_make(sizeof(int), _Alignof(int), 0);
  cmux = goc_chan_make(sizeof(int), _Alignof(int), 0);
  done = goc_chan_make(sizeof(bool), _Alignof(bool), 0);
  pthread_t t[NSEND + NMUX + 1];
  int nt = 0;
  for (int i = 0; i < NSEND; i++) t[nt++] = test_spawn(sender, (void *)(intptr_t)i);
  for (int k = 0; k < NMUX; k++) t[nt++] = test_spawn(mux, cs_[k]);
  t[nt++] = test_spawn(closer, NULL);
  int total = NSEND * n_per_sender;
  unsigned char *seen = calloc((size_t)total, 1);
  int v, count = 0;
  while (goc_chan_recv(cmux, &v)) {
    CHECK(v >= 0 && v < total);
    CHECK(!seen[v]);   /* duplicate: two cases fired */
    seen[v] = 1;
    count++;
  }
  CHECK(count == total);
  for (int i = 0; i < nt; i++) pthread_join(t[i], NULL);
  free(seen);
  for (int k = 0; k < NMUX; k++) goc_chan_free(cs_[k]);
  goc_chan_free(cmux);
  goc_chan_free(done);
  return 0;
}
