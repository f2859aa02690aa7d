/* Connections (net.c) and the buffered reader (bufio.c) from plain C
 * threads: the blocking functions run their __async twins in goroutines
 * of their own (goc__run_async) while the thread waits, so deadlines,
 * close and the per-direction turns behave as from goroutines. */
#include <errno.h>
#include <pthread.h>
#include "rt_test.h"
#include "goc.h"

static void *echo_thread(void *arg) {
  goc_conn *c = arg;
  char buf[1024];
  ssize_t n;
  while ((n = goc_conn_read(c, buf, sizeof buf)) > 0)
    if (goc_conn_write(c, buf, (size_t)n) != n) break;
  goc_conn_free(c);
  return NULL;
}

/* Echo between two plain threads, with a reader on the client side. */
static void case_echo(void) {
  goc_listener *l = goc_listen("tcp", "127.0.0.1:0");
  CHECK(l);
  goc_conn *c = goc_dial("tcp", goc_listener_addr(l));
  CHECK(c);
  goc_conn *s = goc_listener_accept(l);
  CHECK(s);
  pthread_t t;
  CHECK(pthread_create(&t, NULL, echo_thread, s) == 0);
  CHECK(goc_conn_write(c, "one\ntwo\n", 8) == 8);
  CHECK(goc_conn_close_write(c) == 0);
  goc_reader *r = goc_reader_new(c, 4);
  char line[16];
  CHECK(goc_reader_read_line(r, line, sizeof line) == 4 && strcmp(line, "one") == 0);
  CHECK(goc_reader_read_line(r, line, sizeof line) == 4 && strcmp(line, "two") == 0);
  CHECK(goc_reader_read_line(r, line, sizeof line) == 0);
  goc_reader_free(r);
  pthread_join(t, NULL);
  goc_conn_free(c);
  goc_listener_free(l);
}

/* A read deadline, then a close from another thread waking a read. */
static goc_conn *shared;
static void *closer(void *arg) {
  (void)arg;
  goc_sleep(20 * GOC_MILLISECOND);   /* usually after the read blocks; either way EBADF */
  goc_conn_close(shared);
  return NULL;
}
static void case_deadline_close(void) {
  goc_listener *l = goc_listen("unix", "@goc_rt_net_deadline");
  CHECK(l);
  goc_conn *c = goc_dial("unix", "@goc_rt_net_deadline");
  goc_conn *s = goc_listener_accept(l);
  CHECK(c && s);
  char b;
  CHECK(goc_conn_set_read_deadline(c, goc_now() + 30 * GOC_MILLISECOND) == 0);
  CHECK(goc_conn_read(c, &b, 1) == -1 && errno == ETIMEDOUT);
  CHECK(goc_conn_set_read_deadline(c, 0) == 0);
  shared = c;
  pthread_t t;
  CHECK(pthread_create(&t, NULL, closer, NULL) == 0);
  CHECK(goc_conn_read(c, &b, 1) == -1 && errno == EBADF);
  pthread_join(t, NULL);
  goc_conn_free(c);
  goc_conn_free(s);
  goc_listener_free(l);
}

static void case_dial_errors(void) {
  CHECK(goc_dial("tcp", "no.such.host.invalid:80") == NULL && errno == ENXIO);
  CHECK(goc_dial("tcp", "nonsense") == NULL && errno == EINVAL);
  CHECK(goc_listen("sctp", ":0") == NULL && errno == EAFNOSUPPORT);
}

int main(int argc, char **argv) {
  static const rt_case cases[] = {
      {"echo", case_echo, 0, {0}},
      {"deadline_close", case_deadline_close, 0, {0}},
      {"dial_errors", case_dial_errors, 0, {0}},
  };
  return rt_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
