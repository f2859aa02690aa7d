/* debugaddr.c — GOC_DEBUG_ADDR=host:port: Go's net/http/pprof paths served
 * from inside the program while it runs: /debug/pprof/ (an index),
 * /debug/pprof/goroutine, /debug/pprof/block and /debug/pprof/mutex
 * (?debug=0 pprof's gzipped protobuf, 1 Go's text, 2 for goroutine the
 * full dump), /debug/pprof/profile?seconds=N (CPU, cpuprof.c),
 * /debug/pprof/trace?seconds=N (the execution trace, trace.c) and
 * /debug/goc/sched (a schedtrace line, ?detail=1 with every P, M and G).
 *
 * Design: one runtime thread, not a goroutine, blocked in accept(2): idle,
 * it holds no P and no M, costs no scheduling and is invisible to goroutine
 * dumps and profiles (which would otherwise show the server itself); it is
 * registered as a runtime thread, so it never holds back the deadlock
 * check. One request per connection (HTTP/1.0, Connection: close), read
 * with a 5 s receive timeout and at most 8 KiB, so a slow or hostile
 * client cannot pin memory; responses are built in memory (a profile is
 * small) and written with MSG_NOSIGNAL.
 *
 * Invariants: off unless GOC_DEBUG_ADDR is set; the listening address,
 * with the port the kernel chose for ":0", is printed once to stderr as
 * "goc: debug server listening on http://HOST:PORT/debug/pprof/".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include "proc.h"
#include "trace.h"

void goc__rt_thread_add(void);   /* panic.c */
int goc__cpuprof_start(void);    /* cpuprof.c */
int goc__cpuprof_stop(FILE *out, int debug);

static void send_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p += w;
    n -= (size_t)w;
  }
}

static void respond(int fd, int code, const char *type, const char *body, size_t n) {
  char head[256];
  const char *reason = code == 200 ? "OK" : code == 404 ? "Not Found" : code == 405 ? "Method Not Allowed" : "Bad Request";
  int h = snprintf(head, sizeof head,
                   "HTTP/1.0 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", code,
                   reason, type, n);
  send_all(fd, head, (size_t)h);
  send_all(fd, body, n);
}

/* The value of ?name=N in query (a number), or def. */
static int query_int(const char *query, const char *name, int def) {
  size_t n = strlen(name);
  for (const char *q = query; q && *q;) {
    if (!strncmp(q, name, n) && q[n] == '=') return atoi(q + n + 1);
    q = strchr(q, '&');
    if (q) q++;
  }
  return def;
}

static const char index_html[] =
    "<html><head><title>/debug/pprof/</title></head><body>\n"
    "/debug/pprof/<br><br>\n"
    "Types of profiles available:\n<table>\n"
    "<tr><td><a href='block?debug=1'>block</a></td><td>time blocked in channel operations, select and sync, per "
    ".goc stack (goc_set_block_profile_rate)</td></tr>\n"
    "<tr><td><a href='goroutine?debug=1'>goroutine</a></td><td>every goroutine's .goc stack</td></tr>\n"
    "<tr><td><a href='profile?seconds=5&amp;debug=1'>profile</a></td><td>CPU: samples of the running "
    "goroutines' .goc stacks (?seconds=N, default 30)</td></tr>\n"
    "<tr><td><a href='trace?seconds=1'>trace</a></td><td>the execution trace (trace-event JSON, for "
    "Perfetto; ?seconds=N, at most 60)</td></tr>\n"
    "<tr><td><a href='mutex?debug=1'>mutex</a></td><td>contended goc_mutex and goc_rwmutex waits per waiter's "
    ".goc stack (goc_set_mutex_profile_fraction)</td></tr>\n"
    "</table>\n<a href='goroutine?debug=2'>full goroutine stack dump</a><br>\n"
    "<a href='/debug/goc/sched'>scheduler state</a> (<a href='/debug/goc/sched?detail=1'>detail</a>)\n"
    "</body></html>\n";

static void serve(int fd) {
  char req[8192];
  size_t n = 0;
  while (n < sizeof req - 1) {
    ssize_t r = recv(fd, req + n, sizeof req - 1 - n, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    n += (size_t)r;
    req[n] = 0;
    if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n")) break;
  }
  req[n] = 0;
  char method[16], target[1024];
  if (sscanf(req, "%15s %1023s", method, target) != 2) {
    respond(fd, 400, "text/plain", "bad request\n", 12);
    return;
  }
  if (strcmp(method, "GET")) {
    respond(fd, 405, "text/plain", "only GET\n", 9);
    return;
  }
  char *query = strchr(target, '?');
  if (query) *query++ = 0;
  char *body = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&body, &len);
  if (!f) return;
  int code = 200;
  const char *type = "text/plain; charset=utf-8";
  if (!strcmp(target, "/debug/pprof/") || !strcmp(target, "/debug/pprof")) {
    fputs(index_html, f);
    type = "text/html; charset=utf-8";
  } else if (!strcmp(target, "/debug/pprof/goroutine") || !strcmp(target, "/debug/pprof/block") ||
             !strcmp(target, "/debug/pprof/mutex")) {
    int debug = query_int(query, "debug", 0);
    if (!debug) type = "application/octet-stream";
    if (goc_profile_write(target + strlen("/debug/pprof/"), f, debug) != 0) code = 400;
  } else if (!strcmp(target, "/debug/pprof/profile")) {
    /* Go's: ?seconds=N (default 30) of CPU samples, then the profile */
    int secs = query_int(query, "seconds", 30);
    if (secs < 1) secs = 1;
    if (goc__cpuprof_start() != 0) {
      code = 400;
      fputs("a CPU profile is already running (GOC_CPUPROFILE or another request)\n", f);
    } else {
      struct timespec ts = {secs, 0};
      while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
      type = "application/octet-stream";
      if (goc__cpuprof_stop(f, query_int(query, "debug", 0)) != 0) code = 400;
    }
  } else if (!strcmp(target, "/debug/pprof/trace")) {
    /* ?seconds=N (default 1, at most 60: the response is built in memory)
     * of the execution trace, trace-event JSON as GOC_TRACE writes it */
    int secs = query_int(query, "seconds", 1);
    if (secs < 1) secs = 1;
    if (secs > 60) secs = 60;
    if (goc__trace_start(f) != 0) {
      code = 400;
      fputs("a trace is already being written (GOC_TRACE or another request)\n", f);
    } else {
      struct timespec ts = {secs, 0};
      while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
      goc__trace_stop();
      type = "application/json";
    }
  } else if (!strcmp(target, "/debug/goc/sched")) {
    goc__schedtrace_to(f, query_int(query, "detail", 0) != 0);
  } else {
    code = 404;
    fprintf(f, "404 page not found\n");
  }
  fclose(f);
  respond(fd, code, type, body, len);
  free(body);
}

static void *server(void *arg) {
  int lfd = (int)(intptr_t)arg;
  goc__rt_thread_add();
  for (;;) {
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      struct timespec ts = {0, 100 * 1000 * 1000};   /* EMFILE and the like: try again later */
      nanosleep(&ts, NULL);
      continue;
    }
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    serve(fd);
    close(fd);
  }
  return NULL;
}

void goc__debugaddr_init(void) {
  const char *addr = getenv("GOC_DEBUG_ADDR");
  if (!addr || !*addr) return;
  char host[256];
  const char *colon = strrchr(addr, ':');
  if (!colon || (size_t)(colon - addr) >= sizeof host) {
    fprintf(stderr, "goc: GOC_DEBUG_ADDR=%s: want host:port\n", addr);
    return;
  }
  memcpy(host, addr, (size_t)(colon - addr));
  host[colon - addr] = 0;
  char *h = host;
  if (h[0] == '[' && h[strlen(h) - 1] == ']') {   /* [::1]:6060 */
    h[strlen(h) - 1] = 0;
    h++;
  }
  struct addrinfo hints = {0}, *res = NULL;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  int rc = getaddrinfo(*h ? h : NULL, colon + 1, &hints, &res);
  if (rc != 0) {
    fprintf(stderr, "goc: GOC_DEBUG_ADDR=%s: %s\n", addr, gai_strerror(rc));
    return;
  }
  int lfd = -1;
  for (struct addrinfo *ai = res; ai && lfd < 0; ai = ai->ai_next) {
    lfd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (lfd < 0) continue;
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(lfd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(lfd, 16) != 0) {
      close(lfd);
      lfd = -1;
    }
  }
  freeaddrinfo(res);
  if (lfd < 0) {
    fprintf(stderr, "goc: GOC_DEBUG_ADDR=%s: cannot listen: %s\n", addr, strerror(errno));
    return;
  }
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  char nhost[128] = "?", nport[16] = "?";
  if (getsockname(lfd, (struct sockaddr *)&ss, &sl) == 0)
    getnameinfo((struct sockaddr *)&ss, sl, nhost, sizeof nhost, nport, sizeof nport, NI_NUMERICHOST | NI_NUMERICSERV);
  bool v6 = ss.ss_family == AF_INET6;
  fprintf(stderr, "goc: debug server listening on http://%s%s%s:%s/debug/pprof/\n", v6 ? "[" : "", nhost, v6 ? "]" : "",
          nport);
  pthread_t th;
  pthread_attr_t at;
  pthread_attr_init(&at);
  pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&at, 256 * 1024);
  if (pthread_create(&th, &at, server, (void *)(intptr_t)lfd) != 0) {
    fprintf(stderr, "goc: GOC_DEBUG_ADDR: cannot start the server thread\n");
    close(lfd);
  }
  pthread_attr_destroy(&at);
}
