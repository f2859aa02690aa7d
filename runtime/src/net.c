/* net.c — listeners and connections shaped like Go's net package, on the
 * netpoller (netpoll.c).
 *
 * Invariants:
 *   - A conn or listener's `state` is refs << 1 | closed: refs counts the
 *     calls in progress (from their first step to their return). A call
 *     starts only while closed is clear. The fd is closed (goc_close_fd)
 *     exactly once, by whoever makes the state exactly `closed` (1): the
 *     close itself when no call is in progress, else the last call to
 *     return. So no call ever runs a system call on an fd number that may
 *     already name another file (Go's fdMutex gives the same).
 *   - Close evicts the pollDesc before anything else: a call parked on
 *     the netpoller wakes and fails with EBADF, and no later wait parks.
 *     Calls queued on the direction's mutex fail with EBADF when they get
 *     it (they check `closed` after taking it).
 *   - rmu, wmu (goc_mutex) serialise the reads and the writes of a conn,
 *     amu the accepts of a listener: the netpoller has one waiter slot per
 *     direction, and Go's calls take turns per direction the same way.
 *     Deadlines live in the pollDesc (Go's too): a call waiting for the
 *     mutex past the deadline fails when its turn comes.
 *   - A G keeps the phase of its call in goc__gx(g)->net_phase (0 fresh,
 *     1 waiting for the mutex, 2 in the I/O), a write's progress in
 *     net_done, a dial's addresses and socket in net_state; the mutex
 *     wait itself is in ss, the I/O wait in io_state, the resolution in
 *     the blk_ fields (blocking.c). One call at a time per G.
 *   - Sockets are non-blocking and close-on-exec from their creation;
 *     writes use MSG_NOSIGNAL, so a closed peer is EPIPE, never SIGPIPE.
 */
#define _GNU_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "netpoll.h"
#include "proc.h"

#define MAX_ADDRS 16
#define ADDR_LEN 128   /* "[" INET6_ADDRSTRLEN "]:65535", or a unix path */

struct goc_conn {
  int fd;
  _Atomic uint32_t state;   /* refs << 1 | closed */
  goc_polldesc *pd;
  goc_mutex rmu, wmu;
};

struct goc_listener {
  int fd;
  _Atomic uint32_t state;
  goc_polldesc *pd;
  goc_mutex amu;
  bool tcp, unlink_path;
  char addr[ADDR_LEN];
  char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
};

/* ---- references ---------------------------------------------------------- */

static bool ref_acquire(_Atomic uint32_t *state) {
  uint32_t s = atomic_load(state);
  do {
    if (s & 1) return false;
  } while (!atomic_compare_exchange_weak(state, &s, s + 2));
  return true;
}

/* True if the caller must close the fd now (closed, last reference). */
static bool ref_release(_Atomic uint32_t *state) {
  return atomic_fetch_sub(state, 2) - 2 == 1;
}

/* Closes fd without disturbing errno (a call's result is already set). */
static void close_keep_errno(int fd) {
  int e = errno;
  goc_close_fd(fd);
  errno = e;
}

static int fail(int e) {
  errno = e;
  return -1;
}

/* ---- addresses ------------------------------------------------------------ */

typedef struct netaddr {
  int family;       /* AF_UNSPEC, AF_INET, AF_INET6; AF_UNIX for "unix" */
  char host[256];
  char port[6];
  struct sockaddr_un un;   /* "unix" */
  socklen_t unlen;
} netaddr;

/* Splits network and address; 0 or an errno (EINVAL: malformed,
 * EAFNOSUPPORT: unknown network). */
static int parse_addr(const char *network, const char *address, netaddr *a) {
  memset(a, 0, sizeof *a);
  if (!network || !address) return EINVAL;
  if (strcmp(network, "unix") == 0) {
    size_t n = strlen(address);
    if (n == 0 || n >= sizeof a->un.sun_path) return EINVAL;
    a->family = AF_UNIX;
    a->un.sun_family = AF_UNIX;
    memcpy(a->un.sun_path, address, n);
    if (address[0] == '@') a->un.sun_path[0] = 0;   /* abstract, as Go */
    a->unlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
                           (address[0] == '@' ? 0 : 1));
    return 0;
  }
  if (strcmp(network, "tcp") == 0) a->family = AF_UNSPEC;
  else if (strcmp(network, "tcp4") == 0) a->family = AF_INET;
  else if (strcmp(network, "tcp6") == 0) a->family = AF_INET6;
  else return EAFNOSUPPORT;
  const char *colon, *h = address;
  size_t hl;
  if (address[0] == '[') {
    const char *close = strchr(address, ']');
    if (!close || close[1] != ':') return EINVAL;
    h = address + 1;
    hl = (size_t)(close - h);
    colon = close + 1;
  } else {
    colon = strrchr(address, ':');
    if (!colon || memchr(address, ':', (size_t)(colon - address))) return EINVAL;
    hl = (size_t)(colon - address);
  }
  if (hl >= sizeof a->host) return EINVAL;
  memcpy(a->host, h, hl);
  const char *p = colon + 1;
  size_t pl = strlen(p);
  if (pl == 0 || pl > 5 || strspn(p, "0123456789") != pl || atoi(p) > 65535)
    return EINVAL;
  memcpy(a->port, p, pl);
  return 0;
}

/* getaddrinfo's failures as errno (goc.h: a name that does not resolve
 * is ENXIO, whatever the resolver's reason). */
static int gai_errno(int rc, int sys) {
  switch (rc) {
  case EAI_SYSTEM: return sys ? sys : EIO;
  case EAI_MEMORY: return ENOMEM;
  case EAI_SERVICE: case EAI_SOCKTYPE: case EAI_BADFLAGS: return EINVAL;
  case EAI_FAMILY: return EAFNOSUPPORT;
  default: return ENXIO;
  }
}

/* Writes a's text form (Go's Addr().String()) into out[ADDR_LEN]. */
static void format_addr(const struct sockaddr *sa, socklen_t len, char *out) {
  char ip[INET6_ADDRSTRLEN];
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
    inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
    snprintf(out, ADDR_LEN, "%s:%u", ip, ntohs(in->sin_port));
  } else if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
    inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
    snprintf(out, ADDR_LEN, "[%s]:%u", ip, ntohs(in6->sin6_port));
  } else if (sa->sa_family == AF_UNIX) {
    const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
    size_t n = len > offsetof(struct sockaddr_un, sun_path)
                   ? len - offsetof(struct sockaddr_un, sun_path) : 0;
    if (n > 0 && un->sun_path[0] == 0)
      snprintf(out, ADDR_LEN, "@%.*s", (int)(n - 1), un->sun_path + 1);
    else
      snprintf(out, ADDR_LEN, "%.*s", (int)strnlen(un->sun_path, n), un->sun_path);
  } else {
    out[0] = 0;
  }
}

/* Phases 0 and 1 of a call: 1 when it holds mu (phase 2), 0 to suspend,
 * -1 (EBADF) if closed, before or while it waited for mu. */
static int call_enter(goc_g *g, goc_gext *x, _Atomic uint32_t *state, int fd,
                      goc_mutex *mu) {
  if (x->net_phase == 0) {
    if (!ref_acquire(state)) return fail(EBADF);
    x->net_phase = 1;
    x->net_done = 0;
  }
  if (x->net_phase == 1) {
    if (!goc_mutex_lock__async(g, mu)) return 0;
    x->net_phase = 2;
    if (atomic_load(state) & 1) {
      goc_mutex_unlock(mu);
      x->net_phase = 0;
      if (ref_release(state)) goc_close_fd(fd);
      return fail(EBADF);
    }
  }
  return 1;
}

static void call_exit(goc_gext *x, _Atomic uint32_t *state, int fd, goc_mutex *mu) {
  goc_mutex_unlock(mu);
  x->net_phase = 0;
  if (ref_release(state)) close_keep_errno(fd);
}

static goc_conn *conn_new(int fd, bool tcp) {
  goc_conn *c = calloc(1, sizeof *c);
  goc_polldesc *pd = c ? goc__pd_get(fd) : NULL;
  if (!pd) {
    free(c);
    close_keep_errno(fd);
    errno = c ? EMFILE : ENOMEM;   /* beyond the netpoller's table */
    return NULL;
  }
  if (tcp) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  c->fd = fd;
  c->pd = pd;
  return c;
}

/* ---- listen ------------------------------------------------------------ */

goc_listener *goc_listen(const char *network, const char *address) {
  goc__runtime_init();
  netaddr a;
  int e = parse_addr(network, address, &a);
  if (e) return errno = e, NULL;
  struct sockaddr_storage ss;
  socklen_t sl;
  int family = a.family;
  bool v6only = family == AF_INET6;
  memset(&ss, 0, sizeof ss);
  if (family == AF_UNIX) {
    memcpy(&ss, &a.un, a.unlen);
    sl = a.unlen;
  } else if (a.host[0] == 0) {
    /* Every address: "tcp" is dual-stack where IPv6 exists, as Go. */
    int probe = family == AF_INET ? -1 : socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe >= 0) close(probe);
    if (family == AF_INET6 || (family == AF_UNSPEC && probe >= 0)) {
      struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
      in6->sin6_family = AF_INET6;
      in6->sin6_addr = in6addr_any;
      in6->sin6_port = htons((uint16_t)atoi(a.port));
      sl = sizeof *in6;
      family = AF_INET6;
    } else {
      struct sockaddr_in *in = (struct sockaddr_in *)&ss;
      in->sin_family = AF_INET;
      in->sin_addr.s_addr = htonl(INADDR_ANY);
      in->sin_port = htons((uint16_t)atoi(a.port));
      sl = sizeof *in;
      family = AF_INET;
    }
  } else {
    struct addrinfo hints = {.ai_family = family, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV | AI_NUMERICHOST};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(a.host, a.port, &hints, &res);
    if (rc == EAI_NONAME) {
      /* A name: the resolver may block, so the P is handed off. */
      hints.ai_flags &= ~AI_NUMERICHOST;
      goc_syscall_enter();
      rc = getaddrinfo(a.host, a.port, &hints, &res);
      int se = errno;
      goc_syscall_exit();
      errno = se;
    }
    if (rc) return errno = gai_errno(rc, errno), NULL;
    memcpy(&ss, res->ai_addr, res->ai_addrlen);
    sl = res->ai_addrlen;
    family = res->ai_family;
    freeaddrinfo(res);
  }
  goc_listener *l = calloc(1, sizeof *l);
  if (!l) return errno = ENOMEM, NULL;
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) { free(l); return NULL; }
  int one = 1;
  if (family != AF_UNIX) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (family == AF_INET6) {
    int v = v6only;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof v);
  }
  if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, SOMAXCONN) < 0 ||
      !(l->pd = goc__pd_get(fd))) {
    e = errno;
    close(fd);
    free(l);
    return errno = e, NULL;
  }
  l->fd = fd;
  l->tcp = family != AF_UNIX;
  if (family == AF_UNIX && address[0] != '@') {
    l->unlink_path = true;
    snprintf(l->path, sizeof l->path, "%s", address);
  }
  struct sockaddr_storage bound;
  socklen_t bl = sizeof bound;
  if (getsockname(fd, (struct sockaddr *)&bound, &bl) == 0)
    format_addr((struct sockaddr *)&bound, bl, l->addr);
  return l;
}

const char *goc_listener_addr(goc_listener *l) { return l->addr; }

int goc_listener_accept__async(goc_g *g, goc_conn **result, goc_listener *l) {
  goc_gext *x = goc__gx(g);
  int e = call_enter(g, x, &l->state, l->fd, &l->amu);
  if (e < 0) { *result = NULL; return 1; }
  if (e == 0) return 0;
  if (x->io_state) goc__pd_resumed(g, l->pd);   /* fd kept open: ok */
  int fd;
  for (;;) {
    e = goc__pd_check(l->pd, GOC_POLL_R);
    if (e) { errno = e; fd = -1; break; }
    fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) break;
    if (errno == EINTR || errno == ECONNABORTED) continue;   /* as Go */
    if (errno != EAGAIN && errno != EWOULDBLOCK) break;
    int w = goc__pd_wait(g, l->pd, GOC_POLL_R);
    if (w == 0) return 0;
    if (w < 0) break;
  }
  *result = fd >= 0 ? conn_new(fd, l->tcp) : NULL;
  call_exit(x, &l->state, l->fd, &l->amu);
  return 1;
}

int goc_listener_close(goc_listener *l) {
  uint32_t s = atomic_fetch_or(&l->state, 1);
  if (s & 1) return fail(EBADF);
  goc__pd_evict(l->pd);
  /* The name goes now; the fd when the last accept has returned. */
  if (l->unlink_path) unlink(l->path);
  if (s == 0) goc_close_fd(l->fd);
  return 0;
}

void goc_listener_free(goc_listener *l) {
  if (!l) return;
  uint32_t s = atomic_load(&l->state);
  if (!(s & 1)) goc_listener_close(l);
  else if (s != 1) goc__panic_str("goc_listener_free of a listener in use");
  free(l);
}

/* ---- dial ------------------------------------------------------------- */

typedef struct dial_state {
  netaddr a;
  struct addrinfo hints;
  int gai, gai_sys;
  struct sockaddr_storage addrs[MAX_ADDRS];
  socklen_t lens[MAX_ADDRS];
  int naddrs, next;
  int fd;           /* the socket connecting, or -1 */
  int first_err;
} dial_state;

static void take_addrs(dial_state *st, struct addrinfo *res) {
  for (struct addrinfo *ai = res; ai && st->naddrs < MAX_ADDRS; ai = ai->ai_next) {
    memcpy(&st->addrs[st->naddrs], ai->ai_addr, ai->ai_addrlen);
    st->lens[st->naddrs++] = ai->ai_addrlen;
  }
}

/* On the goc_blocking pool: the resolver may take as long as it likes. */
static void *resolve(void *arg) {
  dial_state *st = arg;
  struct addrinfo *res = NULL;
  st->gai = getaddrinfo(st->a.host, st->a.port, &st->hints, &res);
  st->gai_sys = errno;
  if (st->gai == 0) {
    take_addrs(st, res);
    freeaddrinfo(res);
  }
  return st;
}

static int dial_finish(goc_gext *x, goc_conn **result, goc_conn *c, int err) {
  dial_state *st = x->net_state;
  free(st);
  x->net_state = NULL;
  x->net_phase = 0;
  *result = c;
  if (!c) errno = err;
  return 1;
}

/* Phases: 0 fresh, 1 resolving on the pool, 2 connecting (net_state). */
int goc_dial__async(goc_g *g, goc_conn **result, const char *network,
                    const char *address) {
  goc_gext *x = goc__gx(g);
  dial_state *st = x->net_state;
  if (x->net_phase == 0) {
    st = calloc(1, sizeof *st);
    if (!st) { *result = NULL; errno = ENOMEM; return 1; }
    x->net_state = st;
    st->fd = -1;
    int e = parse_addr(network, address, &st->a);
    if (e) return dial_finish(x, result, NULL, e);
    if (st->a.family == AF_UNIX) {
      memcpy(&st->addrs[0], &st->a.un, st->a.unlen);
      st->lens[0] = st->a.unlen;
      st->naddrs = 1;
      x->net_phase = 2;
    } else {
      if (st->a.host[0] == 0)
        strcpy(st->a.host, st->a.family == AF_INET6 ? "::1" : "127.0.0.1");
      st->hints = (struct addrinfo){.ai_family = st->a.family,
                                    .ai_socktype = SOCK_STREAM,
                                    .ai_flags = AI_NUMERICSERV | AI_NUMERICHOST};
      struct addrinfo *res = NULL;
      int rc = getaddrinfo(st->a.host, st->a.port, &st->hints, &res);
      if (rc == 0) {   /* a literal address: parsed, nothing to look up */
        take_addrs(st, res);
        freeaddrinfo(res);
        x->net_phase = 2;
      } else if (rc == EAI_NONAME) {
        st->hints.ai_flags &= ~AI_NUMERICHOST;
        x->net_phase = 1;
      } else {
        return dial_finish(x, result, NULL, gai_errno(rc, errno));
      }
    }
  }
  if (x->net_phase == 1) {
    void *r;
    if (!goc_blocking__async(g, &r, resolve, st)) return 0;
    if (st->gai) return dial_finish(x, result, NULL, gai_errno(st->gai, st->gai_sys));
    if (st->naddrs == 0) return dial_finish(x, result, NULL, ENXIO);
    x->net_phase = 2;
  }
  for (;;) {
    int i = st->next;
    if (st->fd < 0) {
      if (i >= st->naddrs)
        return dial_finish(x, result, NULL, st->first_err ? st->first_err : ENXIO);
      st->fd = socket(st->addrs[i].ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (st->fd < 0) {
        if (!st->first_err) st->first_err = errno;
        st->next++;
        continue;
      }
    }
    int r;
    if (!goc_connect__async(g, &r, st->fd, (struct sockaddr *)&st->addrs[i], st->lens[i]))
      return 0;
    if (r == 0) {
      int fd = st->fd;
      bool tcp = st->a.family != AF_UNIX;
      goc_conn *c = conn_new(fd, tcp);
      return dial_finish(x, result, c, errno);
    }
    if (!st->first_err) st->first_err = errno;
    goc_close_fd(st->fd);
    st->fd = -1;
    st->next++;
  }
}

/* ---- read, write ----------------------------------------------------------- */

/* One direction's system call, parked on the netpoller until it can go:
 * 1 with *result (and errno) set, or 0 to suspend. */
static int conn_io(goc_g *g, goc_conn *c, int mode, void *buf, size_t n,
                   ssize_t *result) {
  if (goc__gx(g)->io_state) goc__pd_resumed(g, c->pd);   /* fd kept open: ok */
  for (;;) {
    int e = goc__pd_check(c->pd, mode);
    if (e) { errno = e; *result = -1; return 1; }
    ssize_t r = mode == GOC_POLL_R ? read(c->fd, buf, n)
                                   : send(c->fd, buf, n, MSG_NOSIGNAL);
    if (r < 0 && errno == EINTR) continue;
    if (r >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) { *result = r; return 1; }
    int w = goc__pd_wait(g, c->pd, mode);
    if (w == 0) return 0;
    if (w < 0) { *result = -1; return 1; }
  }
}

int goc_conn_read__async(goc_g *g, ssize_t *result, goc_conn *c, void *buf, size_t n) {
  goc_gext *x = goc__gx(g);
  int e = call_enter(g, x, &c->state, c->fd, &c->rmu);
  if (e < 0) { *result = -1; return 1; }
  if (e == 0) return 0;
  if (!conn_io(g, c, GOC_POLL_R, buf, n, result)) return 0;
  call_exit(x, &c->state, c->fd, &c->rmu);
  return 1;
}

int goc_conn_write__async(goc_g *g, ssize_t *result, goc_conn *c, const void *buf,
                          size_t n) {
  goc_gext *x = goc__gx(g);
  int e = call_enter(g, x, &c->state, c->fd, &c->wmu);
  if (e < 0) { *result = -1; return 1; }
  if (e == 0) return 0;
  do {
    ssize_t r;
    if (!conn_io(g, c, GOC_POLL_W, (char *)buf + x->net_done, n - (size_t)x->net_done, &r))
      return 0;
    if (r < 0) { *result = -1; call_exit(x, &c->state, c->fd, &c->wmu); return 1; }
    x->net_done += r;
  } while ((size_t)x->net_done < n);
  *result = (ssize_t)n;
  call_exit(x, &c->state, c->fd, &c->wmu);
  return 1;
}

/* ---- control ------------------------------------------------------------ */

static int set_deadline(goc_conn *c, int64_t t, int mode) {
  if (!ref_acquire(&c->state)) return fail(EBADF);
  goc__pd_set_deadline(c->pd, t < 0 ? 0 : t, mode);
  if (ref_release(&c->state)) close_keep_errno(c->fd);
  return 0;
}
int goc_conn_set_deadline(goc_conn *c, int64_t t) {
  return set_deadline(c, t, GOC_POLL_R | GOC_POLL_W);
}
int goc_conn_set_read_deadline(goc_conn *c, int64_t t) { return set_deadline(c, t, GOC_POLL_R); }
int goc_conn_set_write_deadline(goc_conn *c, int64_t t) { return set_deadline(c, t, GOC_POLL_W); }

int goc_conn_close_write(goc_conn *c) {
  if (!ref_acquire(&c->state)) return fail(EBADF);
  int r = shutdown(c->fd, SHUT_WR);
  if (ref_release(&c->state)) close_keep_errno(c->fd);
  return r;
}

int goc_conn_close(goc_conn *c) {
  uint32_t s = atomic_fetch_or(&c->state, 1);
  if (s & 1) return fail(EBADF);
  goc__pd_evict(c->pd);
  if (s == 0) goc_close_fd(c->fd);
  return 0;
}

void goc_conn_free(goc_conn *c) {
  if (!c) return;
  uint32_t s = atomic_load(&c->state);
  if (!(s & 1)) goc_conn_close(c);
  else if (s != 1) goc__panic_str("goc_conn_free of a connection in use");
  free(c);
}

int goc_conn_fd(goc_conn *c) { return atomic_load(&c->state) & 1 ? -1 : c->fd; }

/* ---- from plain C ---------------------------------------------------------- */

typedef struct net_call {
  goc_conn *c;
  goc_listener *l;
  const char *network, *address;
  void *buf;
  size_t n;
  ssize_t r;
  goc_conn *rc;
} net_call;

static int accept_op(goc_g *g, void *p) {
  net_call *a = p;
  return goc_listener_accept__async(g, &a->rc, a->l);
}
goc_conn *goc_listener_accept(goc_listener *l) {
  net_call a = {.l = l};
  goc__run_async(accept_op, &a, "goc_listener_accept");
  return a.rc;
}

static int dial_op(goc_g *g, void *p) {
  net_call *a = p;
  return goc_dial__async(g, &a->rc, a->network, a->address);
}
goc_conn *goc_dial(const char *network, const char *address) {
  net_call a = {.network = network, .address = address};
  goc__run_async(dial_op, &a, "goc_dial");
  return a.rc;
}

static int read_op(goc_g *g, void *p) {
  net_call *a = p;
  return goc_conn_read__async(g, &a->r, a->c, a->buf, a->n);
}
ssize_t goc_conn_read(goc_conn *c, void *buf, size_t n) {
  net_call a = {.c = c, .buf = buf, .n = n};
  goc__run_async(read_op, &a, "goc_conn_read");
  return a.r;
}

static int write_op(goc_g *g, void *p) {
  net_call *a = p;
  return goc_conn_write__async(g, &a->r, a->c, a->buf, a->n);
}
ssize_t goc_conn_write(goc_conn *c, const void *buf, size_t n) {
  net_call a = {.c = c, .buf = (void *)buf, .n = n};
  goc__run_async(write_op, &a, "goc_conn_write");
  return a.r;
}
