/* proc.h — goroutines (G), OS threads (M), processors (P) and the
 * scheduler's global state. Internal to libgoc.
 *
 * Design (as in Go's proc.go). A G is a goroutine: a chain of frames in its
 * own LIFO arena plus bookkeeping; it has no C stack of its own, so it runs
 * by having an M call the step function of its innermost frame. An M is an
 * OS thread that runs Gs. A P is the right to run Gs: there are exactly
 * GOMAXPROCS live ones, each with a lock-free run queue, a timer heap and
 * caches (free Gs, arena chunks), so the hot paths touch no global lock.
 * goc_set_maxprocs changes the count while running (procresize.c): Ps are
 * made on demand and never freed; those at or above the count are retired.
 * An M runs Gs only while it holds a P. An M without work gives its P back
 * (idle P list) and parks on a futex note; wakep() starts a spinning M when
 * work appears and there is an idle P and nobody spinning already.
 *
 * Rejected: one OS thread per goroutine (the point of the project), a
 * global run queue only (contention), and moving a G whose step is on an
 * M's C stack to another M (impossible without stacks: an M that lost its
 * P while in a system call waits for a P instead; see sched.c).
 *
 * Invariants:
 *   - g's status (goc__gstatus) moves GIDLE -> GRUNNABLE -> GRUNNING -> (GWAITING|GRUNNABLE|
 *     GSYSCALL)* -> GDEAD/GIDLE; only the M running g changes it from
 *     GRUNNING, and only goc__ready changes it from GWAITING.
 *   - m->p != NULL iff the M owns that P (p->m == m, p->status == P_RUNNING),
 *     except in syscall state, where p->status == P_SYSCALL and the P may be
 *     retaken by the monitor (CAS P_SYSCALL -> P_IDLE), and while
 *     m->detached is set (below), when m->p is stale.
 *   - Retake of a P whose M is stuck in plain C code (sched.c, sysmon.c):
 *     m->locks > 0 whenever the M may touch P-local state (it is 0 only
 *     while the M runs a step, outside the runtime). No signal is sent (it
 *     would make the user's system calls fail with EINTR). The monitor
 *     asks (m->detached 0 -> DETACH_ASKED), then runs a process-wide
 *     memory barrier (membarrier) and reads m->locks: 0 means the M is in
 *     user code and its next runtime entry (locks++, then a load of
 *     detached) will see the request; then the monitor commits (ASKED ->
 *     DETACH_TAKEN, then the P RUNNING -> DETACHED) and hands the P off.
 *     Otherwise it withdraws (ASKED -> 0). An M that sees ASKED withdraws
 *     it itself (CAS) and keeps its P, as it does if its CAS finds the
 *     request already withdrawn (0); one that sees TAKEN has lost it.
 *     The M resolves a request (goc__m_check) before it touches P-local
 *     state: every such place runs between goc__lockp() and
 *     goc__unlockp(), or in the scheduler. Every runtime lock is held
 *     inside goc__lockp too (goc__rt_lock, goc__chanlock): an M never
 *     waits for a P while it holds a lock.
 *   - A P's run queue is written at the tail only by its owner; thieves and
 *     the owner consume from the head with CAS.
 *   - G memory is never returned to malloc (free lists), so the monitor may
 *     touch a G it saw running a moment ago.
 *   - sched.lock protects: global run queue, idle P and idle M lists,
 *     the counters mcount/nmidle, and allm. allgs has its own lock, and
 *     so have the shared G free lists (gflock, taken after sched.lock
 *     when both are held, never before).
 */
#ifndef GOC_PROC_H
#define GOC_PROC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include "goc_abi.h"
#include "park.h"

/* The runtime's own globals, read on every hand-off: hidden, so that the
 * PIC library reaches each with one rip-relative access, not through the
 * GOT (an extra instruction each; nothing outside libgoc names them). */
#define GOC_HIDDEN __attribute__((visibility("hidden")))

#define GOC_RUNQ_SIZE 256
/* g->h.preempt: 1 the monitor's request (the G is requeued on the global
 * queue), GOC_PREEMPT_SPAWNER go_start's (proc.c; on the back of the P's
 * own queue, behind the Gs it made). */
#define GOC_PREEMPT_SPAWNER 2
/* A G carries its first arena chunk (chunk0) inside it, sized when it is
 * made: the first frame and its locals as goc__go_new_sized is told,
 * rounded to 16 (a blocked send or receive parks on the sudog in the G). Gs come in size classes of 16 bytes of
 * chunk0, each with its own slabs and free lists; first frames too big for
 * the largest class start in it and go on in a later chunk. */
#define GOC_CHUNK0_STEP 16
#define GOC_GCLASSES 16              /* chunk0 of 16, 32, ... 256 bytes */
#define GOC_FIRST_CHUNK 128          /* chunk0 when the first frame's size is
                                      * not known (goc__go_new) */
#define GOC_CHUNK_SIZE 4096          /* later chunks (cached per P) */

enum {
  GOC_GIDLE = 0,     /* on a free list */
  GOC_GRUNNABLE,     /* on a run queue */
  GOC_GRUNNING,      /* an M steps it */
  GOC_GSYSCALL,      /* an M runs its plain C code, P handed off */
  GOC_GWAITING,      /* parked */
  GOC_GDEAD,         /* finished; a run_sync/main owner has not released it */
};

/* RETIRED: id >= gomaxprocs, drained, owned by nobody (procresize.c). */
enum { GOC_P_IDLE = 0, GOC_P_RUNNING, GOC_P_SYSCALL, GOC_P_DETACHED, GOC_P_RETIRED };
#define GOC_MAXPROCS_LIMIT 1024
enum { GOC_DETACH_ASKED = 1, GOC_DETACH_TAKEN = 2 };   /* m->detached */

typedef struct goc_m goc_m;
typedef struct goc_p goc_p;

/* Arena chunk: header then data, data 16-byte aligned. */
typedef struct goc_chunk {
  struct goc_chunk *prev;   /* older chunk of the same G; NULL: chunk0 */
  size_t size;              /* usable bytes */
  char *prev_ptr;           /* prev's bump pointer when this one was pushed */
  uint64_t pad;
} goc_chunk;

/* A thread or G waiting on a sema / cond / netpoll object. */
typedef struct goc_swaiter {
  struct goc_swaiter *next, *prev;
  goc_g *g;                 /* NULL: a thread sleeping on note */
  goc_note note;
  const void *addr;         /* sema address */
  uint32_t ticket;          /* cond ticket; sema: 1 = handed off */
  int parked;               /* sema: a G parked and not yet resumed */
  int64_t t0;
} goc_swaiter;
void goc__swaiter_wake(goc_swaiter *w);   /* sema.c; w is dequeued */

/* Per-G state of the multi-step sync operations (one at a time per G). */
typedef struct goc_syncstate {
  int phase;                /* 0: fresh call */
  int sema_parked;          /* goc__semacquire_async parked and not resumed */
  int64_t wait_start;
  bool starving, awoke;
  int iter;
  int sub;                  /* phase of a nested operation */
} goc_syncstate;

/* The cold part of a G: records only goroutines that sleep, use the sync
 * package, do I/O or are run synchronously need. Allocated on first use
 * (goc__gx) and kept with the G across reuse. */
typedef struct goc_gext {
  goc_rtimer sleep_timer;
  goc_swaiter sw;           /* sema / cond / netpoll waiter record */
  goc_syncstate ss;         /* goc_mutex etc. */
  goc_syncstate ss2;        /* nested operation (mutex inside once etc.) */
  goc_note done_note;       /* run_sync: the caller sleeps here */
  bool is_sync;             /* run_sync: someone waits on done_note */
  uint64_t wait_ticks;      /* goc__cputicks() at the park, while a
                               contention profile is on (g->wait_ms is
                               too coarse) */
  /* blockrec.c: per profile kind, the table entry of this G's last
   * recorded event (valid while tab is the recording thread's table and
   * epoch its epoch), so that a G blocking again at the same stack only
   * compares its frames with that entry's. Written by G's waker alone. */
  struct { void *tab; uint32_t epoch, slot; } brec_last[2];
  struct goc_chunk *spare;  /* one freed arena chunk kept (arena.c) */
  int sleep_state;          /* goc_sleep__async: 0 none, 1 armed */
  int io_state;             /* netpoll: 1 parked for I/O */
  goc_frame *once_frame;    /* goc_once_do_go's finished frame (once.c) */
  /* goc_blocking (blocking.c) */
  int blk_state;            /* 0 none, 1 queued or running, 2 done */
  int blk_errno;
  void *(*blk_fn)(void *);
  void *blk_arg, *blk_result;
  goc_g *blk_g;
  struct goc_gext *blk_next;   /* the pool's queue */
  /* net.c: the connection call in progress (its mutex wait uses ss, its
   * I/O wait io_state, a dial's resolution the blk_ fields) */
  int net_phase;            /* 0: fresh call */
  ssize_t net_done;         /* goc_conn_write: bytes written so far */
  void *net_state;          /* goc_dial: addresses and the socket tried */
  /* goc test (testing.c) */
  struct goc_t *test;       /* the test whose goroutine started this one */
  struct goc_t *test_child; /* goc_t_run: the subtest waited for */
  goc_frame *goexit_to;     /* goc_t_fail_now: unwind to this frame */
  bool goexit;              /* ... at the next trampoline (execute) */
} goc_gext;

/* A waiter on a channel (Go's sudog; chan.h has the rules). A G's blocked
 * send or receive uses the one in its G (kind GOC_SG_LONE, which finds its
 * G by where it is: no G or channel pointer, no allocation); record waits
 * (select, plain threads) extend it (goc_rsudog, chan.h). */
typedef struct goc_sudog goc_sudog;
struct goc_sudog {
  goc_sudog *next, *prev;   /* wait queue links (under c->lock) */
  void *elem;               /* send: source; recv: destination or NULL */
  int32_t case_idx;         /* select: index into the cases; else 0 */
  uint8_t kind;             /* GOC_SG_* (chan.h) */
  bool is_send;
  bool success;             /* true: a partner completed the op; false: close */
  bool done;                /* LONE: a waker completed it (rec->woken) */
};

/* A blocked G is this struct and its chunk0 (frames included): fields
 * that only a running G needs live in its M (park record), and those only
 * some goroutines need in goc_gext. 96 bytes, so that chunk0 (16-aligned)
 * follows at once, with fields that are never live at the same time
 * sharing bytes:
 *   - The ids are 56 bits (one new goroutine a nanosecond would take
 *     over two years to reach 2^55, so they do not wrap in practice),
 *     each in a word with a byte of its own: a separate memory location,
 *     so the byte's writers (wait_reason's: the G's M) race with no
 *     reader of the id (a listing reads a running G's). Both are written
 *     whole while the G is on no list and runs nowhere.
 *   - status is the head's last byte (goc__gstatus).
 *   - The union's bytes: the lone sudog while the G waits on a send or
 *     receive (chan.c), wait_state while it waits on anything else
 *     (park.h), and the fields below overlapping the sudog's words that
 *     are dead whenever these are live. */
struct goc_g {
  goc_g_head h;             /* h.status: goc__gstatus */
  union {
    struct {
      int64_t id : 56;
      uint8_t cls;          /* size class: chunk0 is cls * GOC_CHUNK0_STEP bytes */
    };
    uint64_t id_word;       /* both in one store (goc__go_new_class) */
  };
  const goc_site *created;  /* the go statement; NULL: none */
  union {
    struct {
      int64_t created_goid : 56;   /* the goroutine that ran it */
      uint8_t wait_reason;  /* goc_wait_reason */
    };
    uint64_t creator_word;  /* both in one store (record_creator) */
  };
  goc_gext *x;              /* cold part, NULL until needed */
  union {
    goc_sudog lone;
    struct {
      /* Run queue / free list link: on those lists a G waits on nothing,
       * and the waker that readied it is done with lone.next (a close
       * reads its list's next link before it readies each G). */
      goc_g *schedlink;
      /* A park's scratch slot, overlapping lone.prev, which a lone wait
       * leaves NULL (its sudog left its queue from the front or through
       * goc__waitq_remove): NULL outside waits, as the free lists and
       * select's spurious-wakeup check expect. */
      void *wait_state;
      void *elem_;          /* lone.elem */
      /* goc__ms_monitor() at the park or system call; 0: unknown. Over
       * lone.case_idx, which no lone wait uses: a dump reads it while a
       * waker writes the sudog's other fields. */
      uint32_t wait_ms;
      uint8_t kind_, is_send_, success_;
      /* goc_yield__async's state, over lone.done: a G yields only while it
       * waits on nothing, and done is false then (single_finish clears
       * it), as yielded must be when a yield starts. */
      bool yielded;
    };
  };
  char chunk0_data[] __attribute__((aligned(16)));   /* chunk0 */
};
_Static_assert(offsetof(goc_g, schedlink) == offsetof(goc_g, lone.next) &&
                   offsetof(goc_g, wait_state) == offsetof(goc_g, lone.prev) &&
                   offsetof(goc_g, wait_ms) == offsetof(goc_g, lone.case_idx) &&
                   offsetof(goc_g, yielded) == offsetof(goc_g, lone.done),
               "the overlaps the comment above argues for");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && offsetof(goc_g, cls) == offsetof(goc_g, id_word) + 7 &&
                   offsetof(goc_g, wait_reason) == offsetof(goc_g, creator_word) + 7,
               "each 56-bit id is its word's low bytes, its neighbour the top one");
/* The bits of g's id in its word (id_word without cls): what a new G's
 * creator_word takes, with wait_reason GOC_WAIT_NONE (0) in its top byte,
 * in one store. */
#define GOC_GOID_BITS 56
static inline uint64_t goc__goid_bits(const goc_g *g) {
  return g->id_word & (((uint64_t)1 << GOC_GOID_BITS) - 1);
}
/* g's status (GOC_G*), a byte of the head (goc_abi.h cannot name an
 * atomic type), as the atomic it always is. */
static inline _Atomic uint8_t *goc__gstatus(goc_g *g) {
  _Static_assert(sizeof(_Atomic uint8_t) == 1 && _Alignof(_Atomic uint8_t) == 1, "a byte");
  return (_Atomic uint8_t *)&g->h.status;
}
/* park.h's per-G scratch slot for the blocking code. */
static inline void *goc__g_wait_state(goc_g *g) { return g->wait_state; }
static inline void goc__g_set_wait_state(goc_g *g, void *p) { g->wait_state = p; }
static inline goc_g *goc__lone_g(goc_sudog *s) {
  return (goc_g *)((char *)s - offsetof(goc_g, lone));
}
static inline size_t goc__chunk0_size(const goc_g *g) {
  return (size_t)g->cls * GOC_CHUNK0_STEP;
}
/* The main goroutine (main.c): the process exits when it ends. */
extern GOC_HIDDEN goc_g *goc__main_gp;

/* A frame's function and file for traces; NULL when it has none. */
static inline const char *goc__frame_func(const goc_frame *fr) {
  return fr->fn ? fr->fn->func : NULL;
}
static inline const char *goc__frame_file(const goc_frame *fr) {
  return fr->fn ? fr->fn->file : NULL;
}

goc_gext *goc__gx_alloc(goc_g *g);   /* proc.c */
void goc__goexit_unwind(goc_g *g);   /* testing.c: g->x->goexit is set */
static inline goc_gext *goc__gx(goc_g *g) {
  return __builtin_expect(g->x != NULL, 1) ? g->x : goc__gx_alloc(g);
}

struct goc_p {
  int32_t id;
  _Atomic int status;
  goc_m *m;                          /* owner (RUNNING/SYSCALL) */
  _Atomic(goc_m *) owner;            /* m, for the monitor (RUNNING) */
  _Atomic uint32_t schedtick;        /* incremented per G scheduled */
  _Atomic uint32_t syscalltick;      /* incremented per syscall enter */
  _Atomic(goc_g *) curg;             /* G being run (for the monitor) */
  /* run queue */
  _Atomic uint32_t runqhead, runqtail;
  _Atomic(goc_g *) runq[GOC_RUNQ_SIZE];
  _Atomic(goc_g *) runnext;
  _Atomic uint32_t nexttick;         /* runnext Gs the owner took (owner
                                        writes, the monitor reads) */
  _Atomic uint32_t drainedtick;      /* times the owner took its ring's last
                                        G (owner writes, thieves read) */
  /* The owner's take of runnext without a locked instruction (runq.c):
   * its claim while it takes, and a thief's mark (GOC_RUNNEXT_CAS for
   * good where there is no expedited membarrier: the owner CASes) */
  _Atomic(goc_g *) runnext_taking;
  _Atomic uint32_t runnext_thief;
  _Atomic uint32_t thief_drained;    /* drainedtick at a thief's last look */
  goc_p *link;                       /* idle list */
  /* caches (owner only) */
  goc_g *gfree[GOC_GCLASSES + 1];     /* by size class (1..GOC_GCLASSES) */
  int32_t gfreecnt[GOC_GCLASSES + 1];
  goc_chunk *chunkfree;
  int32_t chunkfreecnt;
  struct goc_gslab *gslab[GOC_GCLASSES + 1];   /* slabs it carves Gs from */
  int64_t goidcache, goidcacheend;   /* goroutine ids [cache, end) */
  /* Gs started and finished here (owner only; goc__ngoroutines sums
   * them): one shared counter was a locked add on a line both Ps wrote
   * for every G, half of the P=2 cost of a G that starts on one P and
   * ends on the other. */
  _Atomic int64_t ngstarted, ngended;
  /* timers */
  pthread_mutex_t timerlock;
  goc_rtimer **timers;               /* 4-ary min-heap */
  int32_t ntimers, timerscap;
  _Atomic int64_t timer0when;        /* heap top, INT64_MAX when empty */
  /* monitor bookkeeping */
  uint32_t sm_schedtick, sm_syscalltick, sm_nexttick;
  goc_g *sm_runnext;
  int32_t sm_preempts;               /* preempt requests ignored so far */
  int64_t sm_schedwhen, sm_syscallwhen;
};

struct goc_m {
  int64_t id;
  pthread_t thread;
  goc_p *p;                  /* owned P */
  goc_p *oldp;               /* P before a syscall */
  goc_p *nextp;              /* P handed over by startm */
  _Atomic(goc_g *) curg;
  bool spinning;
  int insyscall;             /* depth of goc_syscall_enter/block_thread_enter */
  pthread_t tid;             /* set by the M itself */
  pid_t ktid;                /* its kernel thread id (checkdead) */
  _Atomic int locks;         /* > 0: may touch P-local state (not retakable);
                                written by the M only (goc__locks_add) */
  _Atomic uint32_t detached; /* 0, DETACH_ASKED or DETACH_TAKEN (above) */
  goc_note park;
  /* the park record of the G it runs: set by goc__park_g inside the step,
   * consumed by the scheduler when the step has returned */
  bool park_pending;
  uint8_t park_reason;       /* goc_wait_reason */
  bool trampoline;           /* step g->top again at once */
  bool preempted;            /* requeue g on the global queue */
  bool preempt_local;        /* ... on the back of the P's own, instead */
  goc_commit_fn park_commit;
  void *park_arg;
  goc_m *link;               /* idle list / syscall waiters */
  goc_m *alllink;
  int64_t fastrand;
};

typedef struct goc_sched {
  pthread_mutex_t lock;
  goc_g *runqhead, *runqtail;
  _Atomic int32_t runqsize;
  goc_p *pidle;
  _Atomic int32_t npidle;
  _Atomic int32_t nmspinning;
  /* 1 while an idle M watches the running Ps' lone Gs (sched.c): it looks
   * again within about GOC_WATCH_NS, so a lone G need not wake it */
  _Atomic int32_t nmwatch;
  goc_m *midle;
  int32_t nmidle;
  int32_t mcount;                 /* worker Ms (not the monitor) */
  goc_m *allm;
  goc_m *pwait;                   /* Ms back from a syscall waiting for a P */
  _Atomic int32_t npwait;         /* written under lock, read without */
  int64_t mnext;
  /* G free lists shared by Ps, by size class: batches (proc.c), under
   * gflock; ngfree counts the Gs (a hint without the lock) */
  pthread_mutex_t gflock;
  goc_g *gfree[GOC_GCLASSES + 1];
  _Atomic int32_t ngfree[GOC_GCLASSES + 1];
  /* state: allp[0..gomaxprocs) are live, allp[gomaxprocs..nallp) retired;
   * both change under lock, nallp first and only upwards (procresize.c) */
  _Atomic int32_t gomaxprocs;
  _Atomic int32_t nallp;
  _Atomic(goc_p *) allp[GOC_MAXPROCS_LIMIT];
  _Atomic int64_t goidgen;
  _Atomic bool started;
  bool main_mode;                 /* goc__run_main owns the process */
  /* goc test: called instead of the deadlock panic (sched.lock held);
   * true if a test was waited for and now fails as deadlocked. */
  bool (*test_deadlock)(void);
  _Atomic int32_t nblocked;       /* plain threads blocked in the runtime */
  _Atomic int32_t nsigwant;       /* (channel, signal) pairs (signal.c) */
  _Atomic int32_t nblocking;      /* goc_blocking jobs in flight (blocking.c) */
  _Atomic int32_t nplain;         /* live plain threads that used the runtime */
  _Atomic int32_t nsyscall;       /* Ms in syscall state */
  _Atomic int32_t netpoll_waiters;
  _Atomic int32_t polling;        /* an M is blocked in netpoll */
  _Atomic int64_t poll_until;     /* its deadline (INT64_MAX: none) */
  _Atomic int64_t lastpoll;
  _Atomic int32_t ngoroutines;    /* Gs started without a P (main, run_sync,
                                     plain threads) or ended without one;
                                     see goc__ngoroutines */
  /* all Gs, for dumps */
  pthread_mutex_t allglock;
  struct goc_gslab *allgs;        /* the slabs Gs are carved from (proc.c) */
  struct goc_gslab *gslab[GOC_GCLASSES + 1];   /* each class's newest
                                                  carved without a P */
  int64_t start_time;
  /* GOC_DEBUG */
  int64_t schedtrace_ms;
  bool scheddetail;
} goc_sched;

extern GOC_HIDDEN goc_sched goc__sched;

/* Every G ever allocated, for dumps and profiles: the slabs, newest first
 * (all classes in one list), each with the Gs carved from it so far, every
 * one of them `stride` bytes (its class's). Walk under allglock; n may grow
 * meanwhile (a P carving from its own slab, proc.c). The k-th G carved
 * from a slab is at slot goc__gslab_slot(k), not k: in each group of four
 * slots the Gs lie in the order 1 3 0 2, so that Gs made one after the
 * other (a loop of go statements, whose Gs then run on different Ps) are
 * never neighbours, and one's hot header and frames and the next one's
 * never share a cache line (at P=2, bench/goc/select.goc's two
 * uncontended goroutines, carved side by side, ran no faster than one:
 * 199-215 ms against 74-80 ms apart), while a run of Gs made together
 * stays in one stretch of the slab (a P stealing half a queue takes such
 * a run; a spread of 37 slots instead interleaved the runs of two Ps, and
 * chan_popular's 1000 waiters fell into its slow mode 5 runs in 8
 * against 2-3). */
#define GOC_GSLAB_COUNT 128
static inline uint32_t goc__gslab_slot(uint32_t k) {
  _Static_assert(GOC_GSLAB_COUNT % 4 == 0, "whole groups of four");
  return (k & ~3u) | ((0x72u >> ((k & 3u) * 2)) & 3u);   /* 0,1,2,3 -> 2,0,3,1 */
}
typedef struct goc_gslab {
  struct goc_gslab *next;   /* older slab */
  _Atomic int32_t n;        /* Gs carved from it (written by its carver) */
  uint32_t stride;          /* sizeof(goc_g) + the class's chunk0 */
  char mem[] __attribute__((aligned(16)));
} goc_gslab;
#define GOC_FOR_EACH_G(g)                                                     \
  for (goc_gslab *goc_s_ = goc__sched.allgs; goc_s_; goc_s_ = goc_s_->next) \
    for (uint32_t goc_k_ = 0, goc_n_ = (uint32_t)atomic_load_explicit(        \
                                  &goc_s_->n, memory_order_acquire);           \
         goc_k_ < goc_n_; goc_k_++)                                            \
      for (goc_g *g = (goc_g *)(goc_s_->mem +                                  \
                                (size_t)goc__gslab_slot(goc_k_) * goc_s_->stride); \
           g; g = NULL)
/* The M and G a thread runs, read several times on every spawn and
 * hand-off: initial-exec, one %fs-relative load where the default
 * (general-dynamic, as PIC code gets) relaxes to three instructions. A
 * library holding libgoc that is dlopen'ed takes them from glibc's spare
 * static TLS (17 bytes). */
#define GOC_TLS_IE __attribute__((tls_model("initial-exec")))
extern _Thread_local goc_m *goc__tls_m GOC_TLS_IE;
extern _Thread_local goc_g *goc__tls_g GOC_TLS_IE;

/* allp[i], i < nallp (or < gomaxprocs): made and initialised before the
 * count that covers it was stored. */
static inline goc_p *goc__allp(int32_t i) {
  return atomic_load_explicit(&goc__sched.allp[i], memory_order_acquire);
}
static inline int32_t goc__nallp(void) {
  return atomic_load_explicit(&goc__sched.nallp, memory_order_acquire);
}
static inline int32_t goc__maxprocs(void) {
  return atomic_load_explicit(&goc__sched.gomaxprocs, memory_order_acquire);
}
/* A hint outside sched.lock: decisions that must not race a resize are
 * taken under it (pidleput). */
static inline bool goc__p_retired(const goc_p *p) {
  return p->id >= atomic_load_explicit(&goc__sched.gomaxprocs, memory_order_relaxed);
}

/* proc.c */
void goc__runtime_init(void);             /* idempotent */
goc_m *goc__allocm(void);                 /* sched.lock not held */
void goc__newm(goc_p *p, bool spinning);  /* sched.lock not held */
goc_g *goc__gfget(goc_p *p, int cls);     /* p owned or NULL */
void goc__gfput(goc_p *p, goc_g *g);      /* p owned or NULL */
void goc__gfree_flush(goc_p *p);          /* p's G caches to sched.gfree */
uint32_t goc__fastrand(void);
/* A thread that is not an M uses the runtime: until it exits it counts as
 * able to make progress (no deadlock is declared). Cheap after the first. */
void goc__plain_thread_slow(void);
extern _Thread_local bool goc__tls_plain GOC_TLS_IE;
static inline void goc__plain_thread_touch(void) {
  if (!goc__tls_m && !goc__tls_plain) goc__plain_thread_slow();
}

/* m->locks is written by its own M only: a plain load and store, no
 * locked instruction (the monitor's membarrier orders them; release so
 * that a monitor reading 0 sees the M's last touches of P-local state). */
static inline void goc__locks_add(goc_m *m, int d) {
  atomic_store_explicit(&m->locks,
                        atomic_load_explicit(&m->locks, memory_order_relaxed) + d,
                        memory_order_release);
}

/* main.c: a blocking runtime function called from plain C runs its
 * __async twin in a goroutine of its own while the thread waits (as
 * goc__run_sync), op(g, ctx) called until it returns 1; errno comes back. */
void goc__run_async(int (*op)(goc_g *g, void *ctx), void *ctx, const char *name);

/* sched.c */
__attribute__((noreturn)) void goc__schedule(void);
/* The monitor asked to retake the M's P (m->detached != 0): withdraw the
 * request and keep the P, or, if it was taken, get a P back (waits for one
 * if none is idle). Called with m->locks > 0 or from goc__m_check. */
void goc__reacquirep_slow(goc_m *m);
/* At every runtime entry from lowered code: one load of an M-local flag. */
static inline void goc__m_check(void) {
  goc_m *m = goc__tls_m;
  if (m && __builtin_expect(atomic_load_explicit(&m->detached,
                                                 memory_order_relaxed), 0))
    goc__reacquirep_slow(m);
}
/* park.h's goc__park_g: the park record in the M, which the scheduler
 * acts on once the step has returned. The checks that the caller is the
 * M's running G, not already parking, and that the M still has its P are
 * in goc__park_g_checked (sched.c), taken when any of them fails. */
void goc__park_g_checked(goc_g *g, goc_wait_reason reason, goc_commit_fn commit,
                         void *arg);
static inline void goc__park_g_m(goc_m *m, goc_g *g, goc_wait_reason reason,
                                 goc_commit_fn commit, void *arg) {
  if (__builtin_expect(!m || g != goc__tls_g || m->park_pending ||
                           atomic_load_explicit(&m->detached, memory_order_relaxed), 0)) {
    goc__park_g_checked(g, reason, commit, arg);
    return;
  }
  m->park_pending = true;
  m->park_reason = (uint8_t)reason;
  m->park_commit = commit;
  m->park_arg = arg;
}
static inline void goc__park_g(goc_g *g, goc_wait_reason reason, goc_commit_fn commit,
                               void *arg) {
  goc__park_g_m(goc__tls_m, g, reason, commit, arg);
}
/* Around code that touches the current P's local state (run queue,
 * caches): the P cannot be retaken in between. Returns the P, or NULL on a
 * thread that is not an M or an M in syscall state. Nests. */
static inline goc_p *goc__lockp_m(goc_m *m) {
  if (!m) return NULL;
  goc__locks_add(m, 1);
  atomic_signal_fence(memory_order_seq_cst);
  if (__builtin_expect(atomic_load_explicit(&m->detached,
                                            memory_order_relaxed), 0))
    goc__reacquirep_slow(m);
  return m->p;
}
static inline void goc__unlockp_m(goc_m *m) {
  if (!m) return;
  atomic_signal_fence(memory_order_seq_cst);
  goc__locks_add(m, -1);
}
/* The same with the caller's goc__tls_m (NULL: not an M), which code that
 * locks several times loads once: a load of it after an atomic is not
 * folded into the one before. */
static inline goc_p *goc__lockp(void) { return goc__lockp_m(goc__tls_m); }
static inline void goc__unlockp(void) { goc__unlockp_m(goc__tls_m); }
/* Every runtime lock (pthread mutexes here, channel locks in chan.h) is
 * taken inside goc__lockp: an M holding or acquiring one is inside the
 * runtime, so the monitor never retakes its P meanwhile, and an M that was
 * retaken gets its P back before it takes the lock, never while it holds
 * one (waiting for a P there would deadlock with the Ms that own the Ps if
 * they need that lock). Taken and released on the same thread. */
static inline void goc__rt_lock(pthread_mutex_t *mu) {
  goc__lockp();
  pthread_mutex_lock(mu);
}
static inline void goc__rt_unlock(pthread_mutex_t *mu) {
  pthread_mutex_unlock(mu);
  goc__unlockp();
}
void goc__wakep(void);
/* wakep after a G went into p's queue (p's owner, or its M just after
 * goc__unlockp): nobody to wake while an M watches the running Ps' queues
 * (sched.c's invariants): it steals what their owners do not get to. */
static inline void goc__wakep_next(goc_p *p) {
  (void)p;
  if (atomic_load_explicit(&goc__sched.npidle, memory_order_relaxed) == 0) return;
  if (atomic_load_explicit(&goc__sched.nmwatch, memory_order_relaxed) != 0) return;
  goc__wakep();
}
/* goc__ready by the M m inside goc__lockp (its P cannot change; the
 * channel hand-offs, which hold it from the channel lock on). */
void goc__ready_lockedp(goc_m *m, goc_g *g);
void goc__startm(goc_p *p, bool spinning);  /* sched.lock not held */
void goc__handoffp(goc_p *p);               /* p released by its M */
void goc__acquirep(goc_p *p);
goc_p *goc__releasep(void);
void goc__acquire_any_p(goc_m *m, const char *why);   /* m holds none: idle one, or waits (why: the trace's) */
goc_p *goc__pidleget(void);                 /* sched.lock held */
void goc__pidleput(goc_p *p);               /* sched.lock held; retires a
                                               retired p instead */
void goc__checkdead(void);                  /* sched.lock held */

/* procresize.c */
goc_p *goc__newp(int32_t id);               /* status RETIRED */
void goc__procs_init(int32_t n);            /* start-up: n idle Ps */
void goc__p_retire(goc_p *p);               /* sched.lock held; p unowned */

/* runq.c (owner-only unless noted) */
/* Gs in the ring (runnext not counted); any M, a snapshot. */
static inline uint32_t goc__runqlen(goc_p *p) {
  return atomic_load_explicit(&p->runqtail, memory_order_relaxed) -
         atomic_load_explicit(&p->runqhead, memory_order_relaxed);
}
/* The owner took its runnext G (handoff_next, runqget): the monitor tells
 * a G left in runnext for a whole round from a stream of them. */
static inline void goc__runnext_taken(goc_p *p) {
  atomic_store_explicit(&p->nexttick,
                        atomic_load_explicit(&p->nexttick, memory_order_relaxed) + 1,
                        memory_order_relaxed);
}
uint32_t goc__runqput(goc_p *p, goc_g *g, bool next);   /* ring length */
/* runqput(p, g, true) when runnext is empty, inline: only the owner makes
 * it non-NULL (thieves CAS a G to NULL), so a plain store will do. */
static inline void goc__runqput_next(goc_p *p, goc_g *g) {
  if (__builtin_expect(atomic_load_explicit(&p->runnext, memory_order_relaxed) == NULL, 1)) {
    atomic_store_explicit(&p->runnext, g, memory_order_release);
    return;
  }
  (void)goc__runqput(p, g, true);
}
#define GOC_RUNNEXT_CAS 2u
/* The owner takes its runnext G (NULL: none, or a thief took it). Plain
 * loads and stores while no thief is at it; runq.c argues the protocol
 * (runnext_steal is the thieves' side). */
static inline goc_g *goc__runnext_take(goc_p *p) {
  goc_g *g = atomic_load_explicit(&p->runnext, memory_order_relaxed);
  if (!g) return NULL;
  atomic_store_explicit(&p->runnext_taking, g, memory_order_relaxed);
  atomic_signal_fence(memory_order_seq_cst);   /* claim, then look for thieves */
  if (__builtin_expect(atomic_load_explicit(&p->runnext_thief, memory_order_acquire) == 0 &&
                           atomic_load_explicit(&p->runnext, memory_order_relaxed) == g, 1)) {
    atomic_store_explicit(&p->runnext, NULL, memory_order_relaxed);
    atomic_store_explicit(&p->runnext_taking, NULL, memory_order_release);
    return g;
  }
  bool mine = atomic_compare_exchange_strong(&p->runnext, &g, NULL);
  atomic_store_explicit(&p->runnext_taking, NULL, memory_order_release);
  return mine ? g : NULL;
}
goc_g *goc__runqget(goc_p *p, bool *inherit);
/* goc__ready_lockedp, inline for its common case (a P, no trace, no block profile:
 * the two hooks ready_on runs, sched.c), which a channel hand-off takes
 * every time; the rest goes to goc__ready_lockedp. */
extern GOC_HIDDEN bool goc__trace_on;                  /* trace.h */
extern GOC_HIDDEN _Atomic bool goc__contention_on;     /* blockprof.h */
static inline void goc__ready_lockedp_inline(goc_m *m, goc_g *g) {
  goc_p *p = m->p;
  if (__builtin_expect(p == NULL || goc__trace_on ||
                           atomic_load_explicit(&goc__contention_on, memory_order_relaxed), 0)) {
    goc__ready_lockedp(m, g);
    return;
  }
  /* ready_on's status change, without its hooks */
  if (atomic_load_explicit(goc__gstatus(g), memory_order_acquire) != GOC_GWAITING)
    goc__throw("goc__ready: goroutine is not waiting");
  atomic_store_explicit(goc__gstatus(g), GOC_GRUNNABLE, memory_order_release);
  goc__runqput_next(p, g);
  goc__wakep_next(p);
}
goc_g *goc__runqsteal(goc_p *p, goc_p *victim, bool stealnext); /* any M */
bool goc__runqempty(goc_p *p);                                  /* any M */
void goc__globrunqput(goc_g *g);             /* sched.lock held */
void goc__globrunqputbatch(goc_g *head, goc_g *tail, int32_t n); /* held */
goc_g *goc__globrunqget(int32_t max, goc_g **rest); /* held */
void goc__runqputlist(goc_p *p, goc_g *list);   /* rest, lock released */

/* arena.c */
void goc__arena_init(goc_g *g);
void goc__arena_free(goc_g *g, goc_p *p);   /* release all but chunk0 */
void goc__chunk_cache_drain(goc_p *p);

/* timer.c */
void goc__timers_init(goc_p *p);
int64_t goc__run_timers(goc_p *p, int64_t now);   /* next when, or INT64_MAX */
int64_t goc__timers_earliest(void);              /* over all Ps */
int64_t goc__poll_deadline(int64_t first);       /* sched.c: the poller's wait */
void goc__timers_move(goc_p *from, goc_p *to);   /* sched.lock held */
int64_t goc__run_all_timers(int64_t now);
int32_t goc__timers_count(void);
bool goc__timers_waited(void);                  /* sched.lock held */
/* time_chan.c */
bool goc__timer_waited(const goc_rtimer *t);

/* netpoll.c */
void goc__netpoll_init(void);
int goc__netpoll(int64_t delay_ns);    /* readies Gs; returns how many */
void goc__netpoll_break(void);
bool goc__netpoll_inited(void);

/* note.c */
void goc__note_sleep_m(goc_note *n);   /* an M parking: not a blocked thread */
bool goc__note_sleep_until_m(goc_note *n, int64_t deadline);

/* sysmon.c */
void goc__sysmon_start(void);
void goc__retake_init(void);   /* membarrier for the retake protocol */
/* membarrier: every running thread of the process has passed a full fence
 * when it returns true (sysmon.c; false without kernel support). */
bool goc__heavy_barrier(void);
/* The same, only where it costs microseconds (PRIVATE_EXPEDITED): the
 * fast path that leans on it (runnext's take, runq.c) has its slow side,
 * a thief, wait for it. false: not available, nothing done. */
bool goc__heavy_barrier_expedited(void);
bool goc__heavy_barrier_expedited_ok(void);   /* whether it is available */

/* execute()'s side of the frame-scan protocol (gscan.c): after storing
 * GRUNNING, wait while a scanner is copying g's frames. */
extern GOC_HIDDEN _Atomic int goc__scan_active;
void goc__scan_wait(goc_g *g);
static inline void goc__scan_check(goc_g *g) {
  if (__builtin_expect(atomic_load_explicit(&goc__scan_active, memory_order_acquire), 0))
    goc__scan_wait(g);
}
void goc__schedtrace(bool detail);
void goc__schedtrace_to(FILE *out, bool detail);

/* dump.c / panic.c; running_here false: under goc__scan_lock (gscan.h) */
void goc__print_goroutine(FILE *out, goc_g *g, bool running_here);
void goc__dump_all(FILE *out, goc_g *skip);
__attribute__((noreturn)) void goc__fatal_exit(void);

/* sema.c */
int goc__semacquire_async(goc_g *g, _Atomic uint32_t *addr, bool lifo,
                          goc_wait_reason reason);
void goc__semacquire_thread(_Atomic uint32_t *addr, bool lifo,
                            goc_wait_reason reason);
void goc__semrelease(_Atomic uint32_t *addr, bool handoff);

static inline int64_t goc__min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* Owner-only counter: a plain load and store, no locked instruction. */
static inline void goc__count_add(_Atomic int64_t *c, int64_t d) {
  atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + d,
                        memory_order_relaxed);
}
/* Live goroutines. Exact while no M runs (the deadlock check, with every
 * M idle); otherwise a snapshot that may be off by the Gs started or ended
 * meanwhile, so it is trusted only to say "none" then. */
int64_t goc__ngoroutines(void);   /* proc.c */

/* goc_now() at the resolution of a clock tick, without reading the TSC:
 * good enough for "waiting since" in dumps, cheap enough for every park. */
static inline int64_t goc__now_coarse(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
/* The same in milliseconds, modulo 2^32 (about 49 days): what a G keeps
 * of when it parked, in 4 bytes. A wait is (uint32_t)(now - then) ms. */
static inline uint32_t goc__ms_coarse(void) {
  return (uint32_t)(goc__now_coarse() / 1000000);
}
/* goc__ms_coarse() as the monitor last read it (sysmon.c, after each of
 * its sleeps: at most 10 ms behind): what a park records in g->wait_ms and
 * what dumps measure the wait against, one clock for both. Reading the
 * clock itself on every park was ~20 of a channel hand-off's ~480
 * instructions. */
extern GOC_HIDDEN _Atomic uint32_t goc__ms_now;
static inline uint32_t goc__ms_monitor(void) {
  return atomic_load_explicit(&goc__ms_now, memory_order_relaxed);
}

#endif /* GOC_PROC_H */
