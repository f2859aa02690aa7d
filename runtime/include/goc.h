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
/* In a .goc file the transformer lowers chan_make itself (GOC__FRONT_END is
 * defined while it preprocesses), so T may be a channel type there. */
#ifndef GOC__FRONT_END
#define chan_make(T, n) \
  ((GOC_CHAN(T))goc_chan_make(sizeof(T), _Alignof(T), (__SIZE_TYPE__)(n)))
#endif
/* ch as the runtime's goc_chan *, after a compile-time check that it is a
 * channel (a pointer to an array of one element, T (*)[1]). */
#define GOC__AS_CHAN(ch, what)                                                   \
  (__extension__({                                                               \
    _Static_assert(__builtin_types_compatible_p(__typeof__(*(ch)),               \
                                                __typeof__((*(ch))[0])[1]),      \
                   what " of something that is not a channel");                 \
    (goc_chan *)(ch);                                                            \
  }))
#define chan_close(ch) goc_chan_close(GOC__AS_CHAN(ch, "chan_close"))
#define chan_len(ch) goc_chan_len(GOC__AS_CHAN(ch, "chan_len"))
#define chan_cap(ch) goc_chan_cap(GOC__AS_CHAN(ch, "chan_cap"))
#define chan_free(ch) goc_chan_free(GOC__AS_CHAN(ch, "chan_free"))

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
/* Runs fn once; fn is plain C (it cannot block). Concurrent callers wait. */
GOC_BLOCKING void goc_once_do(goc_once *o, void (*fn)(void));

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

/* ---- context ------------------------------------------------------------ */
typedef struct goc_context goc_context;
goc_context *goc_context_background(void);          /* never cancelled */
goc_context *goc_context_with_cancel(goc_context *parent);
goc_context *goc_context_with_deadline(goc_context *parent, __INT64_TYPE__ deadline);
goc_context *goc_context_with_timeout(goc_context *parent, __INT64_TYPE__ ns);
void goc_context_cancel(goc_context *ctx);
GOC_CHAN(int) goc_context_done(goc_context *ctx);   /* closed on cancel */
/* ((void *)0) while not cancelled; "context canceled" or
 * "context deadline exceeded" after. */
const char *goc_context_err(goc_context *ctx);
__INT64_TYPE__ goc_context_deadline(goc_context *ctx);     /* 0 if none */
void goc_context_free(goc_context *ctx);            /* cancels it first */

/* ---- network I/O on the netpoller --------------------------------------
 * The fd is made non-blocking on first use. On EAGAIN the goroutine parks
 * on the netpoller, not the thread. Return values follow read(2) etc. */
GOC_BLOCKING __PTRDIFF_TYPE__ goc_read(int fd, void *buf, __SIZE_TYPE__ n);
GOC_BLOCKING __PTRDIFF_TYPE__ goc_write(int fd, const void *buf, __SIZE_TYPE__ n);
GOC_BLOCKING int goc_accept(int fd, struct sockaddr *addr, __UINT32_TYPE__ *len);
GOC_BLOCKING int goc_connect(int fd, const struct sockaddr *addr,
                             __UINT32_TYPE__ len);
void goc_close_fd(int fd);   /* forgets fd in the netpoller, then close(2) */

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
int goc_nprocs(void);        /* GOC_MAXPROCS in effect */
void goc_dump(struct _IO_FILE *out);    /* every goroutine, as on SIGQUIT */

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
