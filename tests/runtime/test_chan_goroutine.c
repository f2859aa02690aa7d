/* Channels and select between goroutines (hand-written step functions in
 * the shape of lowered code, goc_abi.h) and between goroutines and plain
 * threads. */
#include <pthread.h>
#include <stdatomic.h>
#include "proc.h"
#include "rt_test.h"

/* Lowered-code idioms for the blocking channel operations. L is the label
 * the step's table maps resume index idx to. */
#define SEND(g, f, idx, L, c, src)                                       \
  do {                                                                   \
    if (!goc__chan_send((g), (goc_chan *)(c), (src))) {                  \
      (f)->fr.resume = (idx);                                            \
      return GOC_SUSPEND;                                                \
    L:                                                                   \
      goc__chan_send_resume(g);                                          \
    }                                                                    \
  } while (0)
#define RECV(g, f, idx, L, c, dst, okp)                                  \
  do {                                                                   \
    if (!goc__chan_recv((g), (goc_chan *)(c), (dst), (okp))) {           \
      (f)->fr.resume = (idx);                                            \
      return GOC_SUSPEND;                                                \
    L:                                                                   \
      goc__chan_recv_resume((g), (okp));                                 \
    }                                                                    \
  } while (0)
#define SELECT(g, f, idx, L, cases, n, dflt, chosenp, okp)               \
  do {                                                                   \
    if (!goc__select((g), (cases), (n), (dflt), (chosenp), (okp))) {     \
      (f)->fr.resume = (idx);                                            \
      return GOC_SUSPEND;                                                \
    L:                                                                   \
      goc__select_resume((g), (chosenp), (okp));                         \
    }                                                                    \
  } while (0)
#define SLEEP(g, f, idx, L, ns)                                          \
  do {                                                                   \
  L:                                                                     \
    if (!goc_sleep__async((g), (ns))) {                                  \
      (f)->fr.resume = (idx);                                            \
      return GOC_SUSPEND;                                                \
    }                                                                    \
  } while (0)

static goc_chan *mk(size_t cap) {
  return goc_chan_make(sizeof(long), _Alignof(long), cap);
}

/* ---- ping-pong between two goroutines --------------------------------------- */
#define NPING 200000L
static goc_chan *ping, *pong, *done;
typedef struct { goc_frame fr; long v; bool ok; } ponger_frame;
static int ponger_step(goc_g *g, goc_frame *f_) {
  ponger_frame *f = (ponger_frame *)f_;
  static void *const L[] = {&&L0, &&L1, &&L2, &&L3};
  goto *L[f->fr.resume];
L0:
  for (;;) {
    RECV(g, f, 1, L1, ping, &f->v, &f->ok);
    if (!f->ok) break;
    f->v++;
    SEND(g, f, 2, L2, pong, &f->v);
  }
  f->v = -1;
  SEND(g, f, 3, L3, done, &f->v);
  return GOC_DONE;
}

typedef struct { goc_frame fr; int result; long i, v; bool ok; } main_frame;
static int pingpong_main(goc_g *g, goc_frame *f_) {
  main_frame *f = (main_frame *)f_;
  static void *const L[] = {&&L0, &&L1, &&L2, &&L3};
  goto *L[f->fr.resume];
L0:
  ping = mk(0);
  pong = mk(0);
  done = mk(0);
  {
    goc_g *ng;
    RT_NEW(ng, ponger_frame, ponger_step);
    RT_GO(ng);
  }
  for (f->i = 0; f->i < NPING; f->i++) {
    f->v = f->i;
    SEND(g, f, 1, L1, ping, &f->v);
    RECV(g, f, 2, L2, pong, &f->v, &f->ok);
    CHECK(f->ok && f->v == f->i + 1);
  }
  goc_chan_close(ping);
  RECV(g, f, 3, L3, done, &f->v, &f->ok);
  CHECK(f->ok && f->v == -1);
  goc_chan_free(ping);
  goc_chan_free(pong);
  goc_chan_free(done);
  f->result = 0;
  return GOC_DONE;
}
static void case_pingpong(void) { RT_RUN_MAIN(main_frame, pingpong_main); }

/* ---- a goroutine and a plain thread on one pair of channels ------------------ */
#define NTHR 20000L
static goc_chan *to_thr, *from_thr;
static void *doubler(void *arg) {
  (void)arg;
  long v;
  while (goc_chan_recv(to_thr, &v)) {
    v *= 2;
    goc_chan_send(from_thr, &v);
  }
  v = -7;
  goc_chan_send(from_thr, &v);
  return NULL;
}
static int thread_main(goc_g *g, goc_frame *f_) {
  main_frame *f = (main_frame *)f_;
  static void *const L[] = {&&L0, &&L1, &&L2, &&L3};
  goto *L[f->fr.resume];
L0:
  to_thr = mk(f->result);   /* result holds the capacity on entry */
  from_thr = mk(0);
  {
    pthread_t t;
    CHECK(pthread_create(&t, NULL, doubler, NULL) == 0);
    pthread_detach(t);
  }
  for (f->i = 0; f->i < NTHR; f->i++) {
    f->v = f->i;
    SEND(g, f, 1, L1, to_thr, &f->v);
    RECV(g, f, 2, L2, from_thr, &f->v, &f->ok);
    CHECK(f->ok && f->v == 2 * f->i);
  }
  goc_chan_close(to_thr);
  RECV(g, f, 3, L3, from_thr, &f->v, &f->ok);
  CHECK(f->ok && f->v == -7);
  f->result = 0;
  return GOC_DONE;
}
static void case_thread0(void) {
  goc_g *mg = goc__main_g();
  main_frame *mf = (main_frame *)goc__frame_push(mg, sizeof *mf, RT_FI(thread_main));
  mf->result = 0;
  goc__run_main(mg, offsetof(main_frame, result));
}
static void case_thread3(void) {
  goc_g *mg = goc__main_g();
  main_frame *mf = (main_frame *)goc__frame_push(mg, sizeof *mf, RT_FI(thread_main));
  mf->result = 3;
  goc__run_main(mg, offsetof(main_frame, result));
}

/* ---- doubleselect with goroutine and thread senders ----------------------------- */
enum { NMUX = 4, NGSEND = 3 };
#define NPER 20000L
static goc_chan *dch[NMUX], *cmux, *mdone;
static _Atomic int senders_left;
static void senders_finished(void) {
  if (atomic_fetch_sub(&senders_left, 1) == 1)
    for (int k = 0; k < NMUX; k++) goc_chan_close(dch[k]);
}
typedef struct {
  goc_frame fr; long base, i, v; int chosen; bool ok;
  goc_select_case cs[NMUX];
} gsender_frame;
static int gsender_step(goc_g *g, goc_frame *f_) {
  gsender_frame *f = (gsender_frame *)f_;
  static void *const L[] = {&&L0, &&L1};
  goto *L[f->fr.resume];
L0:
  for (f->i = 0; f->i < NPER; f->i++) {
    f->v = f->base + f->i;
    for (int k = 0; k < NMUX; k++)
      f->cs[k] = (goc_select_case){dch[k], &f->v, GOC_SELECT_SEND};
    SELECT(g, f, 1, L1, f->cs, NMUX, false, &f->chosen, &f->ok);
    CHECK(f->chosen >= 0 && f->chosen < NMUX);
  }
  senders_finished();
  return GOC_DONE;
}
static void *tsender(void *arg) {
  long base = (long)(intptr_t)arg;
  for (long i = 0; i < NPER; i++) {
    long v = base + i;
    goc_select_case cs[NMUX];
    for (int k = 0; k < NMUX; k++)
      cs[k] = (goc_select_case){dch[k], &v, GOC_SELECT_SEND};
    CHECK(goc_chan_select(cs, NMUX, true, NULL) >= 0);
  }
  senders_finished();
  return NULL;
}
typedef struct { goc_frame fr; goc_chan *in; long v; bool ok; } mux_frame;
static int mux_step(goc_g *g, goc_frame *f_) {
  mux_frame *f = (mux_frame *)f_;
  static void *const L[] = {&&L0, &&L1, &&L2, &&L3};
  goto *L[f->fr.resume];
L0:
  for (;;) {
    RECV(g, f, 1, L1, f->in, &f->v, &f->ok);
    if (!f->ok) break;
    SEND(g, f, 2, L2, cmux, &f->v);
  }
  SEND(g, f, 3, L3, mdone, &f->v);
  return GOC_DONE;
}
typedef struct { goc_frame fr; long v; bool ok; int k; } closer_frame;
static int closer_step(goc_g *g, goc_frame *f_) {
  closer_frame *f = (closer_frame *)f_;
  static void *const L[] = {&&L0, &&L1};
  goto *L[f->fr.resume];
L0:
  for (f->k = 0; f->k < NMUX; f->k++) RECV(g, f, 1, L1, mdone, &f->v, &f->ok);
  goc_chan_close(cmux);
  return GOC_DONE;
}
static unsigned char *dseen;
static int dselect_main(goc_g *g, goc_frame *f_) {
  main_frame *f = (main_frame *)f_;
  static void *const L[] = {&&L0, &&L1};
  goto *L[f->fr.resume];
L0:
  for (int k = 0; k < NMUX; k++) dch[k] = mk(k == 3 ? 2 : 0);
  cmux = mk(0);
  mdone = mk(0);
  senders_left = NGSEND + 1;
  dseen = calloc((NGSEND + 1) * NPER, 1);
  for (int s = 0; s < NGSEND; s++) {
    goc_g *ng;
    gsender_frame *sf = RT_NEW(ng, gsender_frame, gsender_step);
    sf->base = s * NPER;
    RT_GO(ng);
  }
  {
    pthread_t t;
    CHECK(pthread_create(&t, NULL, tsender, (void *)(intptr_t)(NGSEND * NPER)) == 0);
    pthread_detach(t);
  }
  for (int k = 0; k < NMUX; k++) {
    goc_g *ng;
    mux_frame *mf = RT_NEW(ng, mux_frame, mux_step);
    mf->in = dch[k];
    RT_GO(ng);
  }
  {
    goc_g *ng;
    RT_NEW(ng, closer_frame, closer_step);
    RT_GO(ng);
  }
  f->i = 0;
  for (;;) {
    RECV(g, f, 1, L1, cmux, &f->v, &f->ok);
    if (!f->ok) break;
    CHECK(f->v >= 0 && f->v < (NGSEND + 1) * NPER);
    CHECK(!dseen[f->v]);
    dseen[f->v] = 1;
    f->i++;
  }
  CHECK(f->i == (NGSEND + 1) * NPER);
  f->result = 0;
  return GOC_DONE;
}
static void case_doubleselect(void) { RT_RUN_MAIN(main_frame, dselect_main); }

/* ---- close wakes blocked goroutines; a select with a timeout ------------------- */
static goc_chan *cw, *results;
typedef struct { goc_frame fr; long v; bool ok; } cwait_frame;
static int cwait_step(goc_g *g, goc_frame *f_) {
  cwait_frame *f = (cwait_frame *)f_;
  static void *const L[] = {&&L0, &&L1, &&L2};
  goto *L[f->fr.resume];
L0:
  f->v = 99;
  RECV(g, f, 1, L1, cw, &f->v, &f->ok);
  CHECK(!f->ok && f->v == 0);
  f->v = 1;
  SEND(g, f, 2, L2, results, &f->v);
  return GOC_DONE;
}
typedef struct {
  goc_frame fr; int result; long i, v; int64_t t; bool ok; int chosen;
  goc_chan *after; goc_select_case cs[2];
} close_frame;
static int close_main(goc_g *g, goc_frame *f_) {
  close_frame *f = (close_frame *)f_;
  static void *const L[] = {&&L0, &&L1, &&L2, &&L3};
  goto *L[f->fr.resume];
L0:
  cw = mk(0);
  results = mk(10);
  for (int k = 0; k < 10; k++) {
    goc_g *ng;
    RT_NEW(ng, cwait_frame, cwait_step);
    RT_GO(ng);
  }
  SLEEP(g, f, 1, L1, 20 * GOC_MILLISECOND);
  CHECK(goc_chan_len(results) == 0);
  goc_chan_close(cw);
  for (f->i = 0; f->i < 10; f->i++) {
    RECV(g, f, 2, L2, results, &f->v, &f->ok);
    CHECK(f->ok && f->v == 1);
  }
  /* select { case <-never: case <-goc_after(15ms): } */
  f->i = goc_now();
  f->after = (goc_chan *)goc_after(15 * GOC_MILLISECOND);
  f->cs[0] = (goc_select_case){results, &f->v, GOC_SELECT_RECV};
  f->cs[1] = (goc_select_case){f->after, &f->t, GOC_SELECT_RECV};
  SELECT(g, f, 3, L3, f->cs, 2, false, &f->chosen, &f->ok);
  CHECK(f->chosen == 1 && f->ok);
  CHECK(f->t - f->i >= 15 * GOC_MILLISECOND);
  goc_chan_free(f->after);
  goc_chan_free(cw);
  goc_chan_free(results);
  f->result = 0;
  return GOC_DONE;
}
static void case_close(void) { RT_RUN_MAIN(close_frame, close_main); }

/* ---- context done in a goroutine select ---------------------------------------- */
typedef struct {
  goc_frame fr; int result; long v; bool ok; int chosen;
  goc_context *ctx; goc_select_case cs[2];
} ctx_frame;
static int ctx_main(goc_g *g, goc_frame *f_) {
  ctx_frame *f = (ctx_frame *)f_;
  static void *const L[] = {&&L0, &&L1};
  goto *L[f->fr.resume];
L0:
  cw = mk(0);
  f->ctx = goc_context_with_timeout(goc_context_background(),
                                    10 * GOC_MILLISECOND);
  f->cs[0] = (goc_select_case){cw, &f->v, GOC_SELECT_RECV};
  f->cs[1] = (goc_select_case){(goc_chan *)goc_context_done(f->ctx), NULL,
                               GOC_SELECT_RECV};
  SELECT(g, f, 1, L1, f->cs, 2, false, &f->chosen, &f->ok);
  CHECK(f->chosen == 1 && !f->ok);
  CHECK(strcmp(goc_context_err(f->ctx), "context deadline exceeded") == 0);
  goc_context_free(f->ctx);
  goc_chan_free(cw);
  f->result = 0;
  return GOC_DONE;
}
static void case_context(void) { RT_RUN_MAIN(ctx_frame, ctx_main); }

/* ---- failures --------------------------------------------------------------------- */
typedef struct { goc_frame fr; long v; } bsend_frame;
static int bsend_step(goc_g *g, goc_frame *f_) {
  bsend_frame *f = (bsend_frame *)f_;
  static void *const L[] = {&&L0, &&L1};
  goto *L[f->fr.resume];
L0:
  f->v = 1;
  SEND(g, f, 1, L1, cw, &f->v);
  return GOC_DONE;
}
static int sendclosed_main(goc_g *g, goc_frame *f_) {
  main_frame *f = (main_frame *)f_;
  static void *const L[] = {&&L0, &&L1, &&L2};
  goto *L[f->fr.resume];
L0:
  cw = mk(0);
  {
    goc_g *ng;
    RT_NEW(ng, bsend_frame, bsend_step);
    RT_GO(ng);
  }
  SLEEP(g, f, 1, L1, 20 * GOC_MILLISECOND);
  goc_chan_close(cw);
  SLEEP(g, f, 2, L2, 1000 * GOC_MILLISECOND);
  f->result = 0;
  return GOC_DONE;
}
static void case_send_closed(void) { RT_RUN_MAIN(main_frame, sendclosed_main); }

static int nilrecv_main(goc_g *g, goc_frame *f_) {
  main_frame *f = (main_frame *)f_;
  static void *const L[] = {&&L0, &&L1};
  goto *L[f->fr.resume];
L0:
  RECV(g, f, 1, L1, NULL, &f->v, &f->ok);
  f->result = 0;
  return GOC_DONE;
}
static void case_nil_recv(void) { RT_RUN_MAIN(main_frame, nilrecv_main); }

typedef struct { goc_frame fr; int result; int chosen; bool ok; } sel0_frame;
static int select0_main(goc_g *g, goc_frame *f_) {
  sel0_frame *f = (sel0_frame *)f_;
  static void *const L[] = {&&L0, &&L1};
  goto *L[f->fr.resume];
L0:
  CHECK(goc__select(g, NULL, 0, true, &f->chosen, &f->ok) == 1 &&
        f->chosen == -1);
  SELECT(g, f, 1, L1, NULL, 0, false, &f->chosen, &f->ok);
  f->result = 0;
  return GOC_DONE;
}
static void case_select_nocases(void) { RT_RUN_MAIN(sel0_frame, select0_main); }

/* ---- where a goroutine's single wait lives ------------------------------------
 * A blocked receive waits on the lone sudog inside its G, whether or not
 * the arena's current chunk has room left: the arena does not grow for a
 * wait and no record is taken. One P, so each receive blocks: main yields
 * to the receiver before it sends or closes. */
static goc_chan *tight;
typedef struct { goc_frame fr; long v; bool ok; char *pad; ptrdiff_t grew[2]; int blocked, lone; } tight_frame;
static int tight_step(goc_g *g, goc_frame *f_) {
  tight_frame *f = (tight_frame *)f_;
  goc_g_head *h = GOC_G(g);
  static void *const L[] = {&&L0, &&L1, &&L2, &&L3};
  goto *L[f->fr.resume];
L0:
  f->blocked = 0;   /* frames are not zeroed (a fresh G's first chunk neither) */
  f->grew[0] = f->grew[1] = 0;
  f->lone = 0;
  {
    char *before = h->arena_ptr;
    if (!goc__chan_recv(g, tight, &f->v, &f->ok)) {
      f->grew[0] = h->arena_ptr - before;
      f->blocked++;
      f->lone += ((goc__chan_view *)(void *)tight)->recvq_first == (void *)&g->lone;
      RT_SUSPEND(&f->fr, 1);
    L1:
      goc__chan_recv_resume(g, &f->ok);
    }
  }
  CHECK(f->ok && f->v == 1);
  {
    size_t room = (size_t)(h->arena_end - h->arena_ptr);
    f->pad = goc__arena_push(g, room > 32 ? room - 32 : 0);   /* 32 bytes left */
    char *before = h->arena_ptr;
    if (!goc__chan_recv(g, tight, &f->v, &f->ok)) {
      f->grew[1] = h->arena_ptr - before;
      f->blocked++;
      f->lone += ((goc__chan_view *)(void *)tight)->recvq_first == (void *)&g->lone;
      RT_SUSPEND(&f->fr, 2);
    L2:
      goc__chan_recv_resume(g, &f->ok);
    }
  }
  CHECK(!f->ok && f->v == 0);   /* closed while it waited */
  goc__arena_pop(g, f->pad);
  CHECK(f->blocked == 2 && f->lone == 2 && f->grew[0] == 0 && f->grew[1] == 0);
  f->v = 7;
  SEND(g, f, 3, L3, done, &f->v);
  return GOC_DONE;
}

typedef struct { goc_frame fr; int result; long v; bool ok; } tight_main_frame;
static int tight_main(goc_g *g, goc_frame *f_) {
  tight_main_frame *f = (tight_main_frame *)f_;
  static void *const L[] = {&&L0, &&L1, &&L2, &&L3, &&L4};
  goto *L[f->fr.resume];
L0:
  tight = mk(0);
  done = mk(0);
  {
    goc_g *ng;
    RT_NEW(ng, tight_frame, tight_step);
    RT_GO(ng);
  }
L1:
  if (!goc_yield__async(g)) RT_SUSPEND(&f->fr, 1);
  f->v = 1;
  SEND(g, f, 2, L2, tight, &f->v);
L3:
  if (!goc_yield__async(g)) RT_SUSPEND(&f->fr, 3);
  goc_chan_close(tight);
  RECV(g, f, 4, L4, done, &f->v, &f->ok);
  CHECK(f->ok && f->v == 7);
  f->result = 0;
  return GOC_DONE;
}
static void case_single_wait(void) {
  setenv("GOC_MAXPROCS", "1", 1);
  RT_RUN_MAIN(tight_main_frame, tight_main);
}

int main(int argc, char **argv) {
  static const rt_case cases[] = {
      {"pingpong", case_pingpong, 0, {0}},
      {"thread_unbuffered", case_thread0, 0, {0}},
      {"thread_buffered", case_thread3, 0, {0}},
      {"doubleselect", case_doubleselect, 0, {0}},
      {"close_wakes", case_close, 0, {0}},
      {"single_wait", case_single_wait, 0, {0}},
      {"context_done", case_context, 0, {0}},
      {"send_closed", case_send_closed, 2, {"panic: send on closed channel"}},
      {"nil_recv_deadlock", case_nil_recv, 2,
       {"all goroutines are asleep - deadlock!"}},
      {"select_no_cases", case_select_nocases, 2,
       {"all goroutines are asleep - deadlock!"}},
  };
  return rt_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
