/* goc.h — the public API of libgoc, Go-style concurrency for C.
 *
 * Included implicitly in every .goc file; .c files include it to use
 * channels from plain C threads. Names follow Go's with a goc_ prefix.
 * Durations are int64_t nanoseconds. As in Go, a zeroed object is ready to
 * use: goc_mutex mu = {0};
 *
 * Functions marked GOC_BLOCKING may suspend the calling goroutine. In a .goc
 * file the transformer recognises the mark (it reads this header) and turns
 * a call into a suspension point of the caller's state machine; from plain
 * C code (a .c file, or a thread the runtime did not start) the same
 * function blocks the calling OS thread instead.
 */
#ifndef GOC_H
#define GOC_H
/* A system header to the programs that include it: its own code does not
 * meet a project's strict warning flags (-Wdeclaration-after-statement,
 * -Wconversion, -Wpadded, ...) as the project's code does. libgoc's own
 * build (GOC__RUNTIME_BUILD) keeps its warnings. */
#ifndef GOC__RUNTIME_BUILD
#pragma GCC system_header
#endif


/* goc.h includes no header: it is included before the first line of every
 * .goc file, where a feature-test macro (_GNU_SOURCE) must still work and
 * the user may declare any libc name. So its types are the compiler's own
 * (__INT64_TYPE__ is int64_t, __SIZE_TYPE__ size_t, __PTRDIFF_TYPE__
 * ssize_t, __UINT32_TYPE__ socklen_t, struct _IO_FILE glibc's FILE). */
struct sockaddr;
struct _IO_FILE;

#ifdef __cplusplus
extern "C" {
#endif

/* The transformer finds blocking functions by this mark; libclang sees it as
 * an annotate attribute. */
#if defined(__clang__)
#define GOC_BLOCKING __attribute__((annotate("goc_blocking")))
#else
#define GOC_BLOCKING /* gcc has no annotate attribute; only libclang reads it */
#endif

#define GOC_NANOSECOND  ((__INT64_TYPE__)1)
#define GOC_MICROSECOND ((__INT64_TYPE__)1000)
#define GOC_MILLISECOND ((__INT64_TYPE__)1000000)
#define GOC_SECOND      ((__INT64_TYPE__)1000000000)

/* ---- channels ----------------------------------------------------------
 * In a .goc file, chan(T) is a typed handle: the transformer lowers it to
 * GOC_CHAN(T), __typeof__(__typeof__(T) (*)[1]), a pointer the C compiler
 * type-checks, whose pointee is really a goc_chan. From .c files use the
 * untyped goc_chan * and the functions below. ((void *)0) is the nil channel. */
typedef struct goc_chan goc_chan;

#define GOC_CHAN(T) __typeof__(__typeof__(T) (*)[1])
/* The directional channel types, chan<-(T) (send-only) and <-chan(T)
 * (receive-only) in a .goc file: the same pointer with the element
 * volatile or const, so that a chan(T) converts to either implicitly (a
 * pointer to a more qualified type) while neither converts back nor to the
 * other (that discards a qualifier: an error with clang's
 * -Werror=incompatible-pointer-types, and with gcc's
 * -Wdiscarded-array-qualifiers, which goc_abi.h makes an error). The
 * qualifier never reaches a value: the lowering's transfer slots have the
 * element type without it (GOC__ELEM). */
#define GOC_CHAN_SEND(T) __typeof__(volatile __typeof__(T) (*)[1])
#define GOC_CHAN_RECV(T) __typeof__(const __typeof__(T) (*)[1])
/* An expression of channel ch's element type without the qualifier of a
 * direction (unevaluated: for __typeof__ only). An array element type,
 * which no send can carry by value, is left as it is. */
#define GOC__ELEM(ch)                                                          \
  __builtin_choose_expr(                                                       \
      __builtin_types_compatible_p(__typeof__((*(ch))[0]),                     \
                                   __typeof__(((void)0, (*(ch))[0]))),         \
      ((void)0, (*(ch))[0]), (*(ch))[0])
/* In a .goc file the transformer lowers chan_make itself (GOC__FRONT_END is
 * defined while it preprocesses), so T may be a channel type there. */
#ifndef GOC__FRONT_END
#define chan_make(T, n) \
  ((GOC_CHAN(T))goc_chan_make(sizeof(T), _Alignof(T), (__SIZE_TYPE__)(n)))
#endif
/* ch as the runtime's goc_chan *, after a compile-time check that it is a
 * channel (a pointer to an array of one element, T (*)[1], of any
 * direction). */
#define GOC__AS_CHAN(ch, what)                                                   \
  (__extension__({                                                               \
    _Static_assert(__builtin_types_compatible_p(__typeof__(*(ch)),               \
                                                __typeof__((*(ch))[0])[1]),      \
                   what " of something that is not a channel");                 \
    (goc_chan *)(__UINTPTR_TYPE__)(ch);                                          \
  }))
/* chan_close's operand, checked to be a channel that is not receive-only
 * (one does not convert to a pointer to the volatile element). */
#define GOC__AS_CLOSABLE(ch)                                                     \
  (__extension__({                                                               \
    _Static_assert(__builtin_types_compatible_p(__typeof__(*(ch)),               \
                                                __typeof__((*(ch))[0])[1]),      \
                   "chan_close of something that is not a channel");            \
    volatile __typeof__(GOC__ELEM(ch)) (*goc__closable)[1] = (ch);               \
    (goc_chan *)(__UINTPTR_TYPE__)goc__closable;                                 \
  }))
/* Not while the transformer preprocesses a .goc file either: a file may
 * declare functions of these names (a channel library of its own, as
 * tylertreat/chan's chan_close); the lowered C drops the macro of each
 * name the file declares. */
#ifndef GOC__FRONT_END
#define chan_close(ch) goc_chan_close(GOC__AS_CLOSABLE(ch))
#define chan_len(ch) goc_chan_len(GOC__AS_CHAN(ch, "chan_len"))
#define chan_cap(ch) goc_chan_cap(GOC__AS_CHAN(ch, "chan_cap"))
#define chan_free(ch) goc_chan_free(GOC__AS_CHAN(ch, "chan_free"))
#endif

goc_chan *goc_chan_make(__SIZE_TYPE__ elem_size, __SIZE_TYPE__ elem_align, __SIZE_TYPE__ cap);
void goc_chan_close(goc_chan *c);   /* panics: close of nil/closed channel */
__SIZE_TYPE__ goc_chan_len(goc_chan *c);   /* 0 for nil */
__SIZE_TYPE__ goc_chan_cap(goc_chan *c);   /* 0 for nil */
void goc_chan_free(goc_chan *c);    /* panics if goroutines wait on c */

/* Blocking operations for plain C threads (they park the OS thread). When
 * called from a goroutine's plain-C callee they block its M, which the
 * monitor hands off like a system call. elem points to elem_size bytes. */
void goc_chan_send(goc_chan *c, const void *elem);
_Bool goc_chan_recv(goc_chan *c, void *elem);  /* false: closed and drained */
/* Non-blocking variants: return false if the operation would block. */
_Bool goc_chan_trysend(goc_chan *c, const void *elem);
_Bool goc_chan_tryrecv(goc_chan *c, void *elem, _Bool *ok);

enum { GOC_SELECT_RECV = 1, GOC_SELECT_SEND = 2 };
typedef struct goc_select_case {
  goc_chan *chan;   /* ((void *)0): never ready */
  void *elem;       /* send: value to send; recv: destination or ((void *)0) */
  int dir;          /* GOC_SELECT_RECV or GOC_SELECT_SEND */
} goc_select_case;
/* Go's select from plain C. Returns the index of the chosen case, or -1 if
 * block is false and no case is ready. *recv_ok (may be ((void *)0)) tells whether
 * a chosen receive got a value (false: channel closed). */
int goc_chan_select(goc_select_case *cases, int ncases, _Bool block,
                    _Bool *recv_ok);

/* ---- pointers to goroutine functions ------------------------------------
 * A goroutine function's pointer type has an extra first parameter of type
 * goc_gofn_tag, so the C compiler keeps it apart from plain function
 * pointers (storing one where the other is expected is an error):
 *     int worker(chan(int) c, int n);                     // a goroutine function
 *     int (*h)(goc_gofn_tag, chan(int), int) = GOC_GOFN(worker);
 *     int r = h(GOC_GO, c, 3);        // a suspension point in goroutine code
 *     go h(GOC_GO, c, 4);             // starts it as a goroutine
 * From plain C code the same call runs it to completion on the calling
 * thread. */
typedef struct goc_gocall *goc_gofn_tag;
#define GOC_GO ((goc_gofn_tag)0)
#define GOC_GOFN(f) f##__gofn

/* ---- time --------------------------------------------------------------- */
__INT64_TYPE__ goc_now(void);                    /* monotonic clock, ns */
GOC_BLOCKING void goc_sleep(__INT64_TYPE__ ns);
GOC_BLOCKING void goc_yield(void);        /* Go's runtime.Gosched */
/* time.After: a channel (capacity 1) that receives goc_now() once, ns from
 * now. The channel is the caller's: chan_free stops its timer if it has
 * not fired and frees both, whether or not the value was received. The
 * runtime never frees it by itself: it cannot tell whether a handle is
 * still held (a stored one may be received from, or freed, later; Go's
 * collector can tell). So in a loop, name it and free it after the select:
 *     chan(int64_t) t = goc_after(d);
 *     select { case v = <-c: ...  case <-t: ... }
 *     chan_free(t);
 * An unnamed receive from it, `case <-goc_after(d):` or `<-goc_after(d)`,
 * is a temporary in a .goc file: the lowered code frees it when the select
 * or receive is over, so the idiom runs in constant memory (tests/soak.sh
 * checks it). From plain C, free it yourself. A goc_after channel nobody waits
 * on never keeps a deadlocked program alive. */
GOC_CHAN(__INT64_TYPE__) goc_after(__INT64_TYPE__ ns);

typedef struct goc_ticker goc_ticker;
goc_ticker *goc_ticker_new(__INT64_TYPE__ period);   /* panics if period <= 0 */
GOC_CHAN(__INT64_TYPE__) goc_ticker_chan(goc_ticker *t);  /* cap 1 */
void goc_ticker_reset(goc_ticker *t, __INT64_TYPE__ period);
void goc_ticker_stop(goc_ticker *t);          /* frees t */

typedef struct goc_timer goc_timer;
goc_timer *goc_timer_new(__INT64_TYPE__ ns);         /* fires once on its channel */
GOC_CHAN(__INT64_TYPE__) goc_timer_chan(goc_timer *t);   /* cap 1 */
_Bool goc_timer_stop(goc_timer *t);    /* true if it stopped a pending fire */
_Bool goc_timer_reset(goc_timer *t, __INT64_TYPE__ ns);
void goc_timer_free(goc_timer *t);

/* ---- sync ---------------------------------------------------------------
 * Layouts are public so objects can be embedded and zero-initialised;
 * fields are private to the runtime. */
typedef struct goc_mutex {
  _Atomic __INT32_TYPE__ state;
  _Atomic __UINT32_TYPE__ sema;
} goc_mutex;
GOC_BLOCKING void goc_mutex_lock(goc_mutex *m);
void goc_mutex_unlock(goc_mutex *m);   /* fatal error if not locked */
_Bool goc_mutex_trylock(goc_mutex *m);

typedef struct goc_rwmutex {
  goc_mutex w;
  _Atomic __UINT32_TYPE__ writer_sem;
  _Atomic __UINT32_TYPE__ reader_sem;
  _Atomic __INT32_TYPE__ reader_count;
  _Atomic __INT32_TYPE__ reader_wait;
} goc_rwmutex;
GOC_BLOCKING void goc_rwmutex_rlock(goc_rwmutex *rw);
void goc_rwmutex_runlock(goc_rwmutex *rw);
GOC_BLOCKING void goc_rwmutex_lock(goc_rwmutex *rw);
void goc_rwmutex_unlock(goc_rwmutex *rw);

typedef struct goc_waitgroup {
  _Atomic __UINT64_TYPE__ state;   /* high 32: counter, low 32: waiters */
  _Atomic __UINT32_TYPE__ sema;
} goc_waitgroup;
void goc_waitgroup_add(goc_waitgroup *wg, int delta); /* panics below 0 */
void goc_waitgroup_done(goc_waitgroup *wg);
GOC_BLOCKING void goc_waitgroup_wait(goc_waitgroup *wg);

typedef struct goc_once {
  _Atomic __UINT32_TYPE__ done;
  goc_mutex m;
} goc_once;
/* Runs fn once; concurrent callers wait. In a .goc file fn may be a
 * goroutine function named directly (the transformer passes it to
 * goc_once_do_go); from plain C it is plain C. */
GOC_BLOCKING void goc_once_do(goc_once *o, void (*fn)(void));
/* The same for a goroutine function, GOC_GOFN(f) for  void f(void);  which
 * may block (sleep, channels, locks): callers that arrive meanwhile park
 * (holding no P) until it returned, then return; later calls return at
 * once. As in Go, fn calling Do on the same once deadlocks; a panic in fn
 * ends the program. One goc_once is used with one of the two functions. */
GOC_BLOCKING void goc_once_do_go(goc_once *o, void (*fn)(goc_gofn_tag));

typedef struct goc_cond {
  goc_mutex *L;           /* must be set before use */
  _Atomic __UINT32_TYPE__ wait_ticket;
  _Atomic __UINT32_TYPE__ notify_ticket;
  void *waiters;          /* runtime-private list */
  _Atomic int lock;
} goc_cond;
GOC_BLOCKING void goc_cond_wait(goc_cond *c);   /* c->L must be held */
void goc_cond_signal(goc_cond *c);
void goc_cond_broadcast(goc_cond *c);

/* ---- context ------------------------------------------------------------
 * Go's context. Errors and causes are strings: "context canceled",
 * "context deadline exceeded", or the cause a caller gave. A context is
 * the caller's until goc_context_free; contexts derived from it keep what
 * they need of it alive (values, deadline), so they may be freed in any
 * order. */
typedef struct goc_context goc_context;
goc_context *goc_context_background(void);          /* never cancelled */
goc_context *goc_context_with_cancel(goc_context *parent);
goc_context *goc_context_with_deadline(goc_context *parent, __INT64_TYPE__ deadline);
goc_context *goc_context_with_timeout(goc_context *parent, __INT64_TYPE__ ns);
/* Cancels ctx and the contexts derived from it; no-op if done already or
 * ctx is the background. Panics on a context made by with_value or
 * without_cancel (Go gives those no cancel function). */
void goc_context_cancel(goc_context *ctx);
GOC_CHAN(int) goc_context_done(goc_context *ctx);   /* closed on cancel */
/* ((void *)0) while not cancelled; "context canceled" or
 * "context deadline exceeded" after. */
const char *goc_context_err(goc_context *ctx);
__INT64_TYPE__ goc_context_deadline(goc_context *ctx);     /* 0 if none */
void goc_context_free(goc_context *ctx);            /* cancels it first */

/* WithValue: a context that carries value under key (compared as a
 * pointer; use the address of a static object of your own, as Go's
 * unexported key types); everything else comes from parent. Panics if key
 * is ((void *)0). goc_context_value returns the value of the nearest
 * context up the chain made with key, or ((void *)0). */
goc_context *goc_context_with_value(goc_context *parent, const void *key, void *value);
void *goc_context_value(goc_context *ctx, const void *key);

/* WithCancelCause: a cancellable context (goc_context_cancel works on it
 * too, with the cause "context canceled"). goc_context_cancel_cause(ctx,
 * cause) cancels it (err "context canceled") and records cause (((void *)0):
 * "context canceled"); it works on any context goc_context_cancel does. The
 * first cancellation wins. goc_context_cause(ctx): ((void *)0) while ctx is
 * not done; then the cause of the cancellation that reached it (a parent's
 * cause propagates to its children), or its err if none was given
 * ("context deadline exceeded" for a deadline). */
goc_context *goc_context_with_cancel_cause(goc_context *parent);
void goc_context_cancel_cause(goc_context *ctx, const char *cause);
const char *goc_context_cause(goc_context *ctx);

/* AfterFunc: once ctx is done, fn(arg) runs in its own goroutine (at once
 * if ctx is done already). fn is a goroutine function, given as
 * GOC_GOFN(f) for  void f(void *arg);  (it may block). Each registration is
 * independent. goc_context_after_func_stop(h) stops the association: true
 * if that kept fn from running; false if fn has been started or h was
 * stopped before. It does not wait for fn. h stays valid while ctx does
 * (until goc_context_free(ctx)). */
typedef struct goc_context_after goc_context_after;
goc_context_after *goc_context_after_func(goc_context *ctx,
                                          void (*fn)(goc_gofn_tag, void *),
                                          void *arg);
_Bool goc_context_after_func_stop(goc_context_after *h);

/* WithoutCancel: parent's values, but never done: no deadline, err and
 * cause ((void *)0), a nil done channel, whatever happens to parent. */
goc_context *goc_context_without_cancel(goc_context *parent);

/* ---- network I/O on the netpoller --------------------------------------
 * The fd is made non-blocking on first use. On EAGAIN the goroutine parks
 * on the netpoller, not the thread. Return values follow read(2) etc. */
GOC_BLOCKING __PTRDIFF_TYPE__ goc_read(int fd, void *buf, __SIZE_TYPE__ n);
GOC_BLOCKING __PTRDIFF_TYPE__ goc_write(int fd, const void *buf, __SIZE_TYPE__ n);
GOC_BLOCKING int goc_accept(int fd, struct sockaddr *addr, __UINT32_TYPE__ *len);
GOC_BLOCKING int goc_connect(int fd, const struct sockaddr *addr,
                             __UINT32_TYPE__ len);
void goc_close_fd(int fd);   /* forgets fd in the netpoller, then close(2) */

/* ---- connections, as Go's net package ----------------------------------
 * network: "tcp" (IPv4 or IPv6), "tcp4", "tcp6" or "unix". address:
 * "host:port" ("[::1]:8080" for an IPv6 literal; port numeric, 0 or an
 * empty host as below), or a path for "unix" ("@name": the abstract
 * namespace). Failures return ((void *)0) or -1 with errno set. A call
 * on a connection parks its goroutine, never its thread; from plain C it
 * blocks the thread with the same behaviour (deadlines, close).
 * Several goroutines may read (or write, or accept) at once: the calls of
 * one direction take turns, each completing before the next starts, as in
 * Go. Closing wakes every call in progress with EBADF (Go's net.ErrClosed)
 * and later calls fail with EBADF too; goc_X_free releases the object,
 * after which no call may use it (close and free are two steps, as
 * chan_close and chan_free: a goroutine woken by the close may still look
 * at the object). */
typedef struct goc_listener goc_listener;
typedef struct goc_conn goc_conn;

/* Listens (SO_REUSEADDR, as Go). An empty host listens on every address:
 * "tcp" on IPv6 and IPv4 at once where the system has IPv6 ("[::]:p"),
 * "tcp4" on 0.0.0.0, "tcp6" on [::] (IPv6 only). Port 0 picks a free
 * port: goc_listener_addr tells which. A host name is resolved from the
 * calling thread (the P handed off meanwhile); the first address is used.
 * A "unix" listener removes its socket file when closed. */
goc_listener *goc_listen(const char *network, const char *address);
/* The address listened on, Go's Addr().String(): "127.0.0.1:43211",
 * "[::1]:43211", a path. Owned by l, valid until goc_listener_free; a
 * goc_dial(network, goc_listener_addr(l)) reaches it. */
const char *goc_listener_addr(goc_listener *l);
/* The next connection; blocks until one comes. EMFILE and the like are
 * returned as they come (l keeps working once fds are free again). */
GOC_BLOCKING goc_conn *goc_listener_accept(goc_listener *l);
int goc_listener_close(goc_listener *l);   /* -1 (EBADF) if already closed */
void goc_listener_free(goc_listener *l);   /* closes first if open; no call
                                              may be in progress */

/* Connects. A host name is resolved (getaddrinfo, /etc/hosts included) on
 * the goc_blocking pool, without holding a P, and its addresses are tried
 * in order; the first error is reported if none connects. A name that
 * does not resolve fails with ENXIO (Go's "no such host"; any resolver
 * failure, temporary ones included), a refused connection with
 * ECONNREFUSED. An empty host is the local system (127.0.0.1, or ::1 for
 * "tcp6"). TCP connections have TCP_NODELAY set, as in Go. */
GOC_BLOCKING goc_conn *goc_dial(const char *network, const char *address);
/* Reads at most n bytes, what is there once something is: the count, 0 at
 * EOF, -1 with errno on error. */
GOC_BLOCKING __PTRDIFF_TYPE__ goc_conn_read(goc_conn *c, void *buf, __SIZE_TYPE__ n);
/* Writes all n bytes, as Go's Write (partial writes are retried), and
 * returns n, or -1 with errno; the count written before a failure is not
 * reported. A peer that has closed gives EPIPE (or ECONNRESET); the
 * process never gets SIGPIPE for it. */
GOC_BLOCKING __PTRDIFF_TYPE__ goc_conn_write(goc_conn *c, const void *buf, __SIZE_TYPE__ n);
/* Deadlines: absolute goc_now() times (0 clears), for the calls of one
 * direction, in progress and later, as in Go: a call blocked past its
 * deadline, or started after it, fails with ETIMEDOUT; setting a later
 * deadline makes the connection usable again. -1 (EBADF) if closed. */
int goc_conn_set_deadline(goc_conn *c, __INT64_TYPE__ t);
int goc_conn_set_read_deadline(goc_conn *c, __INT64_TYPE__ t);
int goc_conn_set_write_deadline(goc_conn *c, __INT64_TYPE__ t);
int goc_conn_close_write(goc_conn *c);   /* shutdown(SHUT_WR): the peer reads EOF */
int goc_conn_close(goc_conn *c);   /* -1 (EBADF) if already closed */
void goc_conn_free(goc_conn *c);   /* closes first if open; no call may be
                                      in progress */
int goc_conn_fd(goc_conn *c);      /* -1 once closed */

/* ---- buffered reading, as Go's bufio.Reader ------------------------------
 * A reader over a connection or any fd (read with goc_read). One reader
 * is used by one goroutine at a time, as bufio.Reader. Every read returns
 * 0 at EOF and -1 with errno on error, which come after the data before
 * them has been returned. size is the buffer's (0: 4096). */
typedef struct goc_reader goc_reader;
goc_reader *goc_reader_new(goc_conn *c, __SIZE_TYPE__ size);
goc_reader *goc_reader_new_fd(int fd, __SIZE_TYPE__ size);
void goc_reader_free(goc_reader *r);       /* not the conn or fd */
__SIZE_TYPE__ goc_reader_buffered(goc_reader *r);   /* bytes readable now */
/* At most n bytes: buffered ones if any, else one read's worth. */
GOC_BLOCKING __PTRDIFF_TYPE__ goc_reader_read(goc_reader *r, void *buf, __SIZE_TYPE__ n);
/* Bytes up to and including the first `delim`, NUL-terminated in buf:
 * returns how many (excluding the NUL). At most n - 1 fit: a longer run
 * comes in pieces, a piece not ending in delim means the run goes on (or
 * that EOF came first). */
GOC_BLOCKING __PTRDIFF_TYPE__ goc_reader_read_until(goc_reader *r, int delim, char *buf,
                                                    __SIZE_TYPE__ n);
/* A line: as read_until(r, '\n', ...), then the "\n" or "\r\n" is removed
 * from buf. Returns the bytes consumed, terminator included, so an empty
 * line gives 1 and only EOF gives 0: while (goc_reader_read_line(r, b, n) > 0). */
GOC_BLOCKING __PTRDIFF_TYPE__ goc_reader_read_line(goc_reader *r, char *buf, __SIZE_TYPE__ n);
/* The next n bytes without consuming them: *p points to them inside the
 * buffer, valid until the next call on r. Returns n, fewer only at EOF or
 * on an error (0 at EOF with nothing buffered; -1 if nothing is buffered
 * and a read failed); -1 with ENOBUFS if n exceeds the buffer's size. */
GOC_BLOCKING __PTRDIFF_TYPE__ goc_reader_peek(goc_reader *r, __SIZE_TYPE__ n, const char **p);

/* ---- signals -----------------------------------------------------------
 * Go's os/signal. goc_signal_notify makes the runtime catch signum and
 * send it to c without blocking: if c is full the signal is dropped, so
 * give c a buffer (capacity 1 is enough for one kind of signal). Signals
 * of one number that arrive before the runtime delivers them are sent
 * once. c may be registered for several signals, and a signal for several
 * channels. goc_signal_stop(c) ends delivery to c (when it returns, c
 * receives no more); a signal no channel wants any more gets back the
 * action it had before (the default one, usually). c must not be closed
 * or freed while registered. SIGKILL and SIGSTOP cannot be caught (panic).
 * While some channel is registered, the program is never declared
 * deadlocked: a signal may still come. */
void goc_signal_notify(GOC_CHAN(int) c, int signum);
void goc_signal_stop(GOC_CHAN(int) c);

/* ---- tests (goc test) -----------------------------------------------------
 * A *_test.goc file holds tests, void TestName(goc_t *t), and benchmarks,
 * void BenchmarkName(goc_b *b); `goc test FILES...` finds them, builds a
 * test binary and runs each test as its own goroutine, as go test does.
 * The formatting calls take printf arguments and name the caller's
 * file:line. goc_t_fatal and goc_t_skip end the test's goroutine from any
 * depth of goroutine-function calls (Go's runtime.Goexit); called from
 * plain C (a .c file) they mark the test and return. */
typedef struct goc_t goc_t;
typedef struct goc_b {
  __INT64_TYPE__ n;   /* Go's b.N: iterations this round */
  goc_t *t;           /* the benchmark as a test: log, error, fatal, skip */
} goc_b;

void goc__t_logf(goc_t *t, const char *file, int line, int kind, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
#define goc_t_log(t, ...) goc__t_logf((t), __FILE__, __LINE__, 0, __VA_ARGS__)
#define goc_t_error(t, ...) goc__t_logf((t), __FILE__, __LINE__, 1, __VA_ARGS__)
#define goc_t_fatal(t, ...)                                                  \
  do {                                                                       \
    goc__t_logf((t), __FILE__, __LINE__, 1, __VA_ARGS__);                    \
    goc_t_fail_now(t);                                                       \
  } while (0)
#define goc_t_skip(t, ...)                                                   \
  do {                                                                       \
    goc__t_logf((t), __FILE__, __LINE__, 2, __VA_ARGS__);                    \
    goc_t_skip_now(t);                                                       \
  } while (0)
GOC_BLOCKING void goc_t_fail_now(goc_t *t);   /* t.FailNow */
GOC_BLOCKING void goc_t_skip_now(goc_t *t);   /* t.SkipNow */
void goc_t_fail(goc_t *t);
_Bool goc_t_failed(goc_t *t);
_Bool goc_t_skipped(goc_t *t);
const char *goc_t_name(goc_t *t);
/* Pauses the test until its parent's sequential part is over, then runs it
 * beside the other parallel tests (at most -parallel N at once). */
GOC_BLOCKING void goc_t_parallel(goc_t *t);
/* fn(arg) runs when the test and its subtests are over, last added first. */
void goc_t_cleanup(goc_t *t, void (*fn)(void *), void *arg);
/* A new directory for this call, removed with its contents when the test
 * is over (t.TempDir). */
const char *goc_t_tempdir(goc_t *t);
/* setenv(key, value) until the test is over, then the old value comes back
 * (t.Setenv; as in Go, not in a parallel test: it panics there). */
void goc_t_setenv(goc_t *t, const char *key, const char *value);
/* Runs fn as the subtest t/name in its own goroutine and waits for it (or
 * for its goc_t_parallel); false if it failed. In a .goc file fn may be
 * any function of a test's signature, blocking or not, named directly (the
 * transformer passes a goroutine function as goc_t_run_go would). */
GOC_BLOCKING _Bool goc_t_run(goc_t *t, const char *name, void (*fn)(goc_t *));
GOC_BLOCKING _Bool goc_t_run_go(goc_t *t, const char *name, void (*fn)(goc_gofn_tag, goc_t *));
_Bool goc_testing_short(void);   /* -short */

void goc_b_reset_timer(goc_b *b);
void goc_b_start_timer(goc_b *b);
void goc_b_stop_timer(goc_b *b);
/* Reports value per unit ("widgets/op") beside ns/op; "ns/op" replaces it. */
void goc_b_report_metric(goc_b *b, double value, const char *unit);

/* The test binary's table (written by goc test / goc_add_test). */
typedef struct goc__testdef {
  const char *name;
  void (*gofn)(goc_gofn_tag, goc_t *);
  void (*plain)(goc_t *);
  void (*bench_gofn)(goc_gofn_tag, goc_b *);
  void (*bench_plain)(goc_b *);
} goc__testdef;
int goc__testing_main(int argc, char **argv, const char *pkg, const goc__testdef *defs, int ndefs);

/* ---- misc --------------------------------------------------------------- */
__attribute__((noreturn, format(printf, 1, 2)))
void goc_panic(const char *fmt, ...);
__INT64_TYPE__ goc_id(void);        /* current goroutine id; 0 on a plain thread */
int goc_nprocs(void);        /* GOMAXPROCS in effect */
/* runtime.GOMAXPROCS: sets GOMAXPROCS to n (at most 1024; more than the
 * CPUs is allowed) and returns the previous value; n < 1 only reads it.
 * From goroutines and plain threads alike. Returns once no goroutine runs
 * on a P above the new count: one in plain C code is waited for until
 * the monitor takes its P (two time slices, 20 ms), or, where the kernel
 * has no membarrier, until it is back in goroutine code. */
int goc_set_maxprocs(int n);
void goc_dump(struct _IO_FILE *out);    /* every goroutine, as on SIGQUIT */

/* Profiles, as Go's runtime/pprof: pprof.Lookup(name).WriteTo(out, debug).
 * name "goroutine": every goroutine's .goc stack; debug 0 is pprof's
 * gzipped protobuf (sample type goroutine/count, one sample per distinct
 * stack), 1 Go's text grouped by stack with counts, 2 goc_dump's listing.
 * name "block": time blocked in channel operations, select and the sync
 * types per .goc stack (contentions/count, delay/nanoseconds), recorded
 * while the rate below is on; debug 0 protobuf, 1 Go's text. name "mutex":
 * contended goc_mutex/goc_rwmutex waits (the same form, recorded while the
 * fraction below is on, at the waiter's stack). The hex
 * numbers of the text forms are location ids, not addresses. Returns 0, or
 * -1 for an unknown name or a failed write. */
int goc_profile_write(const char *name, struct _IO_FILE *out, int debug);
/* runtime.SetBlockProfileRate: 1 records every block, 0 (or less) none,
 * ns > 1 one per ns nanoseconds blocked on average. GOC_BLOCKPROFILE=FILE
 * sets 1 at start and writes the profile to FILE at exit. */
void goc_set_block_profile_rate(__INT64_TYPE__ ns);
/* runtime.SetMutexProfileFraction: the "mutex" profile records, on
 * average, one in rate contended goc_mutex/goc_rwmutex acquisitions (their
 * waiter's .goc stack and how long it waited, scaled by rate); 0 turns it
 * off; a negative rate only reads. Returns the previous rate.
 * GOC_MUTEXPROFILE=FILE sets 1 at start and writes the profile at exit. */
int goc_set_mutex_profile_fraction(int rate);

/* Runs fn(arg) on a thread of the runtime's pool while the calling
 * goroutine is parked, and returns fn's result (errno as fn left it): for
 * plain C that blocks (file I/O, a library call, getaddrinfo), which then
 * holds neither a P nor an M that goroutines need, as tokio's
 * spawn_blocking. Calls run in parallel, on up to 64 threads; idle ones go
 * away after 10 s. From plain C the same function calls fn directly (an M
 * hands off its P around the call). fn must not use goroutine-only
 * operations; it may use the blocking C channel functions. */
GOC_BLOCKING void *goc_blocking(void *(*fn)(void *), void *arg);

/* Brackets around plain C code that blocks in a system call: lets the
 * monitor hand off the P at once instead of after a time slice. */
void goc_syscall_enter(void);
void goc_syscall_exit(void);

#ifdef __cplusplus
}
#endif
#endif /* GOC_H */
