/* Stress from plain threads: 4 producers and 4 consumers, three data
 * channels (capacity 0, 1, 8) used through plain, non-blocking and select
 * operations chosen at random, a control channel closed midway that every
 * select also waits on, and the data channels closed at the end. Every value
 * must be received exactly once. 1M channel operations in all (fewer under
 * sanitizers). */
#include <stdatomic.h>
#include "chan_testutil.h"

enum { NPROD = 4, NCONS = 4, NCH = 3 };
static goc_chan *data[NCH], *ctl;
static int per_prod;
static _Atomic unsigned char *seen;
static _Atomic long received;
static _Atomic bool producers_done;

static uint64_t rnd(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

static void *producer(void *arg) {
  int p = (int)(intptr_t)arg;
  uint64_t rs = 0x9E3779B97F4A7C15ull * (uint64_t)(p + 1);
  goc_chan *myctl = ctl;
  for (int i = 0; i < per_prod; i++) {
    int v = p * per_prod + i;
    if (p == 0 && i == per_prod / 2) goc_chan_close(ctl);
    switch (rnd(&rs) % 4) {
    case 0:
      goc_chan_send(data[rnd(&rs) % NCH], &v);
      break;
    case 1:
    case 2: {
      for (;;) {
        bool dummy;
        goc_select_case cs[NCH + 1];
        for (int k = 0; k < NCH; k++)
          cs[k] = (goc_select_case){data[k], &v, GOC_SELECT_SEND};
        cs[NCH] = (goc_select_case){myctl, &dummy, GOC_SELECT_RECV};
        bool ok = true;
        int k = goc_chan_select(cs, NCH + 1, rnd(&rs) & 1, &ok);
        if (k == NCH) {
          CHECK(!ok);   /* ctl only ever closes */
          myctl = NULL;
          continue;
        }
        if (k == -1) {
          goc_chan_send(data[rnd(&rs) % NCH], &v);
        }
        break;
      }
      break;
    }
    default:
      if (!goc_chan_trysend(data[rnd(&rs) % NCH], &v))
        goc_chan_send(data[rnd(&rs) % NCH], &v);
      break;
    }
  }
  return NULL;
}

static void got(int v) {
  CHECK(v >= 0 && v < NPROD * per_prod);
  CHECK(atomic_fetch_add(&seen[v], 1) == 0);
  received++;
}

static void *consumer(void *arg) {
  int id = (int)(intptr_t)arg;
  uint64_t rs = 0xD1B54A32D192ED03ull * (uint64_t)(id + 7);
  goc_chan *ch[NCH];
  for (int k = 0; k < NCH; k++) ch[k] = data[k];
  goc_chan *myctl = ctl;
  int open = NCH;
  while (open > 0) {
    int mode = (int)(rnd(&rs) % 4);
    if (mode == 0) {
      /* Plain receives. Blocking on one channel could deadlock against a
       * producer blocked on another, so block only once the producers are
       * done (then the final close wakes us); before that, tryrecv. */
      int k = (int)(rnd(&rs) % NCH);
      while (!ch[k]) k = (k + 1) % NCH;
      int v;
      bool ok2;
      if (producers_done) {
        if (goc_chan_recv(ch[k], &v)) got(v);
        else { ch[k] = NULL; open--; }
      } else if (goc_chan_tryrecv(ch[k], &v, &ok2)) {
        if (ok2) got(v);
        else { ch[k] = NULL; open--; }
      }
      continue;
    }
    int vals[NCH];
    bool dummy;
    goc_select_case cs[NCH + 1];
    for (int k = 0; k < NCH; k++)
      cs[k] = (goc_select_case){ch[k], &vals[k], GOC_SELECT_RECV};
    cs[NCH] = (goc_select_case){myctl, &dummy, GOC_SELECT_RECV};
    bool ok = false;
    int k = goc_chan_select(cs, NCH + 1, mode != 1, &ok);
    if (k == -1) continue;
    if (k == NCH) { CHECK(!ok); myctl = NULL; continue; }
    if (ok) got(vals[k]);
    else { ch[k] = NULL; open--; }
  }
  return NULL;
}

int main(void) {
  per_prod = TEST_SANITIZED ? 25000 : 125000;
  seen = calloc((size_t)NPROD * per_prod, 1);
  size_t caps[NCH] = {0, 1, 8};
  for (int k = 0; k < NCH; k++)
    data[k] = goc_chan_make(sizeof(int), _Alignof(int), caps[k]);
  ctl = goc_chan_make(sizeof(bool), _Alignof(bool), 0);
  pthread_t pt[NPROD], ct[NCONS];
  for (int i = 0; i < NCONS; i++) ct[i] = test_spawn(consumer, (void *)(intptr_t)i);
  for (int i = 0; i < NPROD; i++) pt[i] = test_spawn(producer, (void *)(intptr_t)i);
  for (int i = 0; i < NPROD; i++) pthread_join(pt[i], NULL);
  producers_done = true;
  test_sleep_ms(5);
  for (int k = 0; k < NCH; k++) goc_chan_close(data[k]);
  for (int i = 0; i < NCONS; i++) pthread_join(ct[i], NULL);
  CHECK(received == (long)NPROD * per_prod);
  for (long v = 0; v < (long)NPROD * per_prod; v++) CHECK(seen[v] == 1);
  for (int k = 0; k < NCH; k++) goc_chan_free(data[k]);
  goc_chan_free(ctl);
  free((void *)seen);
  return 0;
}
