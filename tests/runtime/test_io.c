/* Netpoller I/O from goroutines and plain threads; run_sync; goc_dump. */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include "rt_test.h"

typedef struct { goc_frame fr; int result; long i; } main_frame;
static int sv[2];
static goc_waitgroup wg;

/* ---- ping-pong over a socketpair: both sides park on EAGAIN ------------- */
#define ROUNDS 2000
typedef struct { goc_frame fr; int fd; int starter; long i; ssize_t r; char buf[8]; } pp_frame;
static int pp_step(goc_g *g, goc_frame *f_) {
  pp_frame *f = (pp_frame *)f_;
  static void *const L[] = {&&L0, &&L1, &&L2};
  goto *L[f->fr.resume];
L0:
  for (f->i = 0; f->i < ROUNDS; f->i++) {
    if (!f->starter || f->i > 0) {
    L1:
      if (!goc_read__async(g, &f->r, f->fd, f->buf, 8)) RT_SUSPEND(&f->fr, 1);
      CHECK(f->r == 8);
      long v;
      memcpy(&v, f->buf, 8);
      CHECK(v == f->i - (f->starter ? 1 : 0) || v == f->i);
    }
    memcpy(f->buf, &f->i, 8);
  L2:
    if (!goc_write__async(g, &f->r, f->fd, f->buf, 8)) RT_SUSPEND(&f->fr, 2);
    CHECK(f->r == 8);
  }
  goc_waitgroup_done(&wg);
  return GOC_DONE;
}
static int pp_main(goc_g *g, goc_frame *f_) {
  main_frame *f = (main_frame *)f_;
  if (f->fr.resume == 0) {
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    goc_waitgroup_add(&wg, 2);
    for (int k = 0; k < 2; k++) {
      goc_g *ng;
      pp_frame *pf = RT_NEW(ng, pp_frame, pp_step);
      pf->fd = sv[k];
      pf->starter = k == 0;
      RT_GO(ng);
    }
    f->fr.resume = 1;
  }
  if (!goc_waitgroup_wait__async(g, &wg)) return GOC_SUSPEND;
  goc_close_fd(sv[0]);
  goc_close_fd(sv[1]);
  f->result = 0;
  return GOC_DONE;
}
static void case_pingpong(void) { RT_RUN_MAIN(main_frame, pp_main); }

/* ---- TCP accept/connect on loopback ------------------------------------- */
static int lfd;
static struct sockaddr_in laddr;
typedef struct { goc_frame fr; int fd; ssize_t r; char buf[16]; } tcp_frame;
static int server_step(goc_g *g, goc_frame *f_) {
  tcp_frame *f = (tcp_frame *)f_;
  static void *const L[] = {&&L0, &&L1, &&L2};
  goto *L[f->fr.resume];
L0:
L1:
  if (!goc_accept__async(g, &f->fd, lfd, NULL, NULL)) RT_SUSPEND(&f->fr, 1);
  CHECK(f->fd >= 0);
L2:
  if (!goc_read__async(g, &f->r, f->fd, f->buf, 5)) RT_SUSPEND(&f->fr, 2);
  CHECK(f->r == 5 && memcmp(f->buf, "hello", 5) == 0);
  goc_close_fd(f->fd);
  goc_waitgroup_done(&wg);
  return GOC_DONE;
}
static int client_step(goc_g *g, goc_frame *f_) {
  tcp_frame *f = (tcp_frame *)f_;
  static void *const L[] = {&&L0, &&L1, &&L2};
  int r;
  goto *L[f->fr.resume];
L0:
  f->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
L1:
  if (!goc_connect__async(g, &r, f->fd, (struct sockaddr *)&laddr, sizeof laddr))
    RT_SUSPEND(&f->fr, 1);
  CHECK(r == 0);
L2:
  if (!goc_write__async(g, &f->r, f->fd, "hello", 5)) RT_SUSPEND(&f->fr, 2);
  CHECK(f->r == 5);
  goc_close_fd(f->fd);
  goc_waitgroup_done(&wg);
  return GOC_DONE;
}
static int tcp_main(goc_g *g, goc_frame *f_) {
  main_frame *f = (main_frame *)f_;
  if (f->fr.resume == 0) {
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    laddr.sin_family = AF_INET;
    laddr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(lfd, (struct sockaddr *)&laddr, sizeof laddr) == 0);
    socklen_t l = sizeof laddr;
    getsockname(lfd, (struct sockaddr *)&laddr, &l);
    CHECK(listen(lfd, 8) == 0);
    goc_waitgroup_add(&wg, 2);
    goc_g *ng;
    RT_NEW(ng, tcp_frame, server_step);
    RT_GO(ng);
    RT_NEW(ng, tcp_frame, client_step);
    RT_GO(ng);
    f->fr.resume = 1;
  }
  if (!goc_waitgroup_wait__async(g, &wg)) return GOC_SUSPEND;
  goc_close_fd(lfd);
  f->result = 0;
  return GOC_DONE;
}
static void case_tcp(void) { RT_RUN_MAIN(main_frame, tcp_main); }

/* ---- close wakes a parked reader; plain thread I/O ----------------------- */
typedef struct { goc_frame fr; ssize_t r; char buf[4]; } rd_frame;
static int closed_reader(goc_g *g, goc_frame *f_) {
  rd_frame *f = (rd_frame *)f_;
  f->fr.resume = 1;
  if (!goc_read__async(g, &f->r, sv[0], f->buf, 4)) return GOC_SUSPEND;
  CHECK(f->r == -1 && errno == EBADF);
  goc_waitgroup_done(&wg);
  return GOC_DONE;
}
static void *plain_writer(void *arg) {
  (void)arg;
  char buf[4];
  CHECK(goc_read(sv[1], buf, 4) == 4 && memcmp(buf, "ping", 4) == 0);
  goc_close_fd(sv[0]);   /* wakes the parked reader */
  goc_waitgroup_done(&wg);
  return NULL;
}
static int close_main(goc_g *g, goc_frame *f_) {
  main_frame *f = (main_frame *)f_;
  static void *const L[] = {&&L0, &&L1, &&L2};
  ssize_t r;
  goto *L[f->fr.resume];
L0:
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  goc_waitgroup_add(&wg, 2);
  {
    goc_g *ng;
    RT_NEW(ng, rd_frame, closed_reader);
    RT_GO(ng);
  }
L1:
  if (!goc_sleep__async(g, 10 * GOC_MILLISECOND)) RT_SUSPEND(&f->fr, 1);
  {
    pthread_t t;
    pthread_create(&t, NULL, plain_writer, NULL);
    pthread_detach(t);
  }
  CHECK(goc_write(sv[0], "ping", 4) == 4);
L2:
  if (!goc_waitgroup_wait__async(g, &wg)) RT_SUSPEND(&f->fr, 2);
  (void)r;
  f->result = 0;
  return GOC_DONE;
}
static void case_close(void) { RT_RUN_MAIN(main_frame, close_main); }

/* ---- a plain C program calls a goroutine function (run_sync) ------------ */
typedef struct { goc_frame fr; int in; int out; } sq_frame;
static int sq_step(goc_g *g, goc_frame *f_) {
  sq_frame *f = (sq_frame *)f_;
  f->fr.resume = 1;
  if (!goc_sleep__async(g, GOC_MILLISECOND)) return GOC_SUSPEND;
  f->out = f->in * f->in;
  return GOC_DONE;
}
static int square(int x) {   /* what the transformer's C entry looks like */
  goc_g *g = goc__go_new();
  sq_frame *f = (sq_frame *)goc__frame_push(g, sizeof *f, RT_FI(sq_step));
  f->in = x;
  goc__run_sync(g);
  int r = f->out;
  goc__frame_pop(g, &f->fr);
  goc__g_release(g);
  return r;
}
static void *sq_thread(void *arg) {
  for (int i = 0; i < 20; i++) CHECK(square((int)(intptr_t)arg + i) == ((int)(intptr_t)arg + i) * ((int)(intptr_t)arg + i));
  return NULL;
}
static void case_run_sync(void) {
  pthread_t t[3];
  for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, sq_thread, (void *)(intptr_t)(i * 100));
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  CHECK(square(7) == 49);
  exit(0);
}

/* ---- goc_dump lists parked goroutines with reason, duration, site -------- */
typedef struct { goc_frame fr; } park_frame;
static int parked_step(goc_g *g, goc_frame *f) {
  f->line = 77;
  f->resume = 1;
  if (!goc_sleep__async(g, 10 * GOC_SECOND)) return GOC_SUSPEND;
  return GOC_DONE;
}
static int dump_main(goc_g *g, goc_frame *f_) {
  main_frame *f = (main_frame *)f_;
  if (f->fr.resume == 0) {
    goc_g *ng;
    park_frame *pf = RT_NEW(ng, park_frame, parked_step);
    { static const goc_fninfo fi_ = {parked_step, "napper", "nap.goc"}; pf->fr.fn = &fi_; }
    static const goc_site site = {"main", "main.goc", 5};
    goc__go_start(ng, &site);
    f->fr.resume = 1;
  }
  if (!goc_sleep__async(g, 20 * GOC_MILLISECOND)) return GOC_SUSPEND;
  goc_dump(stderr);
  f->result = 3;
  return GOC_DONE;
}
static void case_dump(void) { RT_RUN_MAIN(main_frame, dump_main); }

/* ---- writes to a closed peer fail with EPIPE; no SIGPIPE kills us ------ */
typedef struct { goc_frame fr; int result; ssize_t r; int fds[2]; int k; } ep_frame;
static int epipe_main(goc_g *g, goc_frame *f_) {
  ep_frame *f = (ep_frame *)f_;
  static void *const L[] = {&&L0, &&L1};
  goto *L[f->fr.resume];
L0:
  for (f->k = 0; f->k < 2; f->k++) {
    /* a socket, then a pipe, whose reading end is closed */
    if (f->k == 0) CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, f->fds) == 0);
    else {
      CHECK(pipe(f->fds) == 0);
      int t = f->fds[0];   /* fds[1] is the writing end */
      f->fds[0] = f->fds[1];
      f->fds[1] = t;
    }
    close(f->fds[1]);
  L1:
    if (!goc_write__async(g, &f->r, f->fds[0], "x", 1)) RT_SUSPEND(&f->fr, 1);
    CHECK(f->r == -1 && errno == EPIPE);
    /* the same from plain C code (goc_write, the thread variant) */
    CHECK(goc_write(f->fds[0], "y", 1) == -1 && errno == EPIPE);
    goc_close_fd(f->fds[0]);
  }
  f->result = 0;
  return GOC_DONE;
}
static void case_epipe(void) { RT_RUN_MAIN(ep_frame, epipe_main); }

/* The handler keeps C's rule for the program's own writes: a plain write()
 * to a closed pipe, after the runtime's handler is in place, still ends
 * the program by SIGPIPE. */
static void case_plain_write_sigpipe(void) {
  int fds[2];
  CHECK(pipe(fds) == 0);
  close(fds[0]);
  CHECK(goc_write(fds[1], "x", 1) == -1 && errno == EPIPE);
  ssize_t r = write(fds[1], "x", 1);
  fprintf(stderr, "survived a plain write: %zd\n", r);
  exit(0);
}

int main(int argc, char **argv) {
  static const rt_case cases[] = {
      {"pingpong", case_pingpong, 0, {0}},
      {"epipe", case_epipe, 0, {0}},
      {"plain_write_sigpipe", case_plain_write_sigpipe, 128 + SIGPIPE, {0}},
      {"tcp", case_tcp, 0, {0}},
      {"close", case_close, 0, {0}},
      {"run_sync", case_run_sync, 0, {0}},
      {"dump", case_dump, 3,
       {"goroutine 1 [running]:\nmain(...)\n",
        "goroutine 2 [sleep, ", " ms]:\nnapper(...)\n\tnap.goc:77\ncreated by main in goroutine 1\n\tmain.goc:5\n"}},
  };
  return rt_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
