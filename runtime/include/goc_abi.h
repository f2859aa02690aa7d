/* goc_abi.h — where the transformer's output meets the runtime.
 *
 * Lowered code includes this header; users never call it. Every name here is
 * goc__ (internal). The runtime knows nothing of the transformer beyond
 * this file.
 *
 * Model. A goroutine (G) runs a chain of frames. Each goroutine function
 * compiles to
 *   - a frame struct that starts with goc_frame and holds the arguments
 *     and the return value (allocated by the caller), and
 *   - a step function  int f__step(goc_g *g, goc_frame *fr)  that runs the
 *     function from the resume point fr->resume until it returns
 *     (GOC_DONE: the result is in the frame) or suspends (GOC_SUSPEND).
 * Frames live in the G's LIFO arena (goc__frame_push/pop), so a goroutine's
 * memory is its frames, not a stack. The innermost frame is g->top.
 *
 * Calls. A goroutine function calling another pushes the callee's frame,
 * fills the arguments and calls the callee's step directly on the C stack
 * (goc__call links the callee to its caller and makes it g->top).
 * GOC_DONE: it reads the result and pops the frame. GOC_SUSPEND: it saves
 * its own state (resume index, spilled locals) and returns GOC_SUSPEND to
 * its own caller, and so on up to the scheduler. When the G runs again the
 * scheduler steps g->top; when a frame returns GOC_DONE the scheduler sets
 * g->top to its parent and steps the parent, which resumes after the call,
 * reads the result and pops the child frame.
 * To bound the C stack, a caller whose g->cdepth has reached
 * GOC_MAX_CDEPTH does not call the step; it calls goc__trampoline(g) and
 * suspends, and the scheduler steps the callee from its own loop.
 *
 * Suspension protocol (the part that keeps multi-threading safe). A
 * blocking operation is a function returning 1 if it completed at once and
 * 0 if the G must suspend. On 0 the runtime has registered the G as a waiter
 * but has NOT yet made the registration visible to wakers (it holds the
 * locks, or has deferred the action); the lowered code saves its state and
 * returns GOC_SUSPEND up the C stack, and only then, back in the scheduler,
 * does the runtime commit the park. So no other thread can run the G while
 * its frames are still being written. Every path that gets 0 must return
 * GOC_SUSPEND to the scheduler without calling another blocking operation.
 *
 * After the G is resumed, the lowered code calls the operation's _resume
 * function (channel operations, select), or calls a blocking runtime
 * function's __async twin again with the same arguments until it returns 1
 * (sleep, mutex, wait group, I/O: the runtime keeps what it needs in the G).
 */
#ifndef GOC_ABI_H
#define GOC_ABI_H
/* A system header to the programs that include it: its own code does not
 * meet a project's strict warning flags (-Wdeclaration-after-statement,
 * -Wconversion, -Wpadded, ...) as the project's code does. libgoc's own
 * build (GOC__RUNTIME_BUILD) keeps its warnings. */
#ifndef GOC__RUNTIME_BUILD
#pragma GCC system_header
#endif

#include "goc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Headers shared by .goc files are not transformed: there chan(T) is this
 * macro (the transformer lowers chan(T) in .goc text itself). Define
 * GOC_NO_CHAN_MACRO if a header uses a function named chan. */
#ifndef GOC_NO_CHAN_MACRO
#define chan(T) GOC_CHAN(T)
#endif

/* A directional channel converted back to chan(T), or to the other
 * direction, discards the qualifier goc.h's GOC_CHAN_SEND/GOC_CHAN_RECV put
 * on the element: gcc only warns about that (clang's
 * -Werror=incompatible-pointer-types already refuses it). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic error "-Wdiscarded-array-qualifiers"
#endif

/* ch as a goc_chan * for a receive, after a check that ch is not a
 * send-only channel (a volatile element does not convert to a const one);
 * GOC__SEND_CHAN for a send: not receive-only. id is the transformer's
 * record of the operation, for the diagnostic in the user's words. */
#define GOC__RECV_CHAN(id, ch)                                              \
  ((goc_chan *)(__UINTPTR_TYPE__)__extension__({                            \
    const __typeof__(GOC__ELEM(ch)) (*goc__recv_from)[1] = (ch);            \
    goc__recv_from;                                                         \
  }))
#define GOC__SEND_CHAN(id, ch)                                              \
  ((goc_chan *)(__UINTPTR_TYPE__)__extension__({                            \
    volatile __typeof__(GOC__ELEM(ch)) (*goc__send_to)[1] = (ch);           \
    goc__send_to;                                                           \
  }))

typedef struct goc_g goc_g;
typedef struct goc_frame goc_frame;
typedef int (*goc_step_fn)(goc_g *g, goc_frame *fr);

enum { GOC_DONE = 0, GOC_SUSPEND = 1 };
/* Resume indexes from here select a go-statement thunk in a step function
 * (the lowering's; the runtime never looks at resume). */
#define GOC_THUNK_BASE 0x40000000u
#define GOC_MAX_CDEPTH 512

/* A goroutine function: its step, and its name and .goc file for traces.
 * One static record per function (the transformer's F__fi), so a frame
 * spends one pointer on all three. */
typedef struct goc_fninfo {
  goc_step_fn step;
  const char *func;
  const char *file;
} goc_fninfo;

/* 24 bytes. The function's spill area (its locals, owned by its step) is
 * not named here: it follows the frame in the arena (goc__locals_push). */
struct goc_frame {
  const goc_fninfo *fn;
  goc_frame *parent;
  __UINT32_TYPE__ resume;       /* index into the step's table of resume labels */
  __INT32_TYPE__ line;          /* .goc line of the current suspension (traces) */
};

/* The head of every G, visible to lowered code so the hot paths inline.
 * The runtime's struct goc_g begins with this. */
typedef struct goc_g_head {
  goc_frame *top;             /* innermost frame */
  char *arena_ptr;            /* bump pointer in the current arena chunk */
  char *arena_end;
  __UINT32_TYPE__ arena_size; /* the current chunk's usable bytes, which end
                                 at arena_end (a length, not a third
                                 pointer: 4 bytes of every G) */
  __UINT16_TYPE__ cdepth;     /* direct step calls on the C stack */
  volatile __UINT8_TYPE__ preempt;   /* nonzero: yield at next check (set by
                                        the monitor, or by go_start for a G
                                        that filled its run queue) */
  __UINT8_TYPE__ status;      /* the runtime's: goc_g's status, only ever
                                 read and written atomically (proc.h) */
} goc_g_head;
/* Where the current chunk's usable area starts. */
static inline char *goc__arena_base(const goc_g_head *h) { return h->arena_end - h->arena_size; }
#define GOC_G(g) ((goc_g_head *)(g))

/* ---- frame arena ------------------------------------------------------- */
#define GOC_ARENA_ALIGN 16
void *goc__arena_push_slow(goc_g *g, __SIZE_TYPE__ n);
void goc__arena_pop_slow(goc_g *g, void *p);

/* LIFO allocation of n bytes, 16-byte aligned. Never fails (panics on OOM). */
static inline void *goc__arena_push(goc_g *g, __SIZE_TYPE__ n) {
  goc_g_head *h = GOC_G(g);
  n = (n + GOC_ARENA_ALIGN - 1) & ~(__SIZE_TYPE__)(GOC_ARENA_ALIGN - 1);
  if (__builtin_expect((__SIZE_TYPE__)(h->arena_end - h->arena_ptr) >= n, 1)) {
    void *p = h->arena_ptr;
    h->arena_ptr += n;
    return p;
  }
  return goc__arena_push_slow(g, n);
}
/* What the arena takes for a frame of type FR and the locals of type L its
 * step pushes at entry (a goroutine function's F__first). */
#define GOC__ARENA_ROUND(n) (((n) + GOC_ARENA_ALIGN - 1) & ~(__SIZE_TYPE__)(GOC_ARENA_ALIGN - 1))
#define GOC__FIRST_BYTES(FR, L)                                             \
  (GOC__ARENA_ROUND(sizeof(FR)) +                                           \
   GOC__ARENA_ROUND(sizeof(L) + (_Alignof(L) > GOC_ARENA_ALIGN ? _Alignof(L) : 0)))
/* Releases p and everything pushed after it. */
static inline void goc__arena_pop(goc_g *g, void *p) {
  goc_g_head *h = GOC_G(g);
  /* p in [arena_end - arena_size, arena_end) */
  if (__builtin_expect((__SIZE_TYPE__)(h->arena_end - (char *)p) - 1 < h->arena_size, 1))
    h->arena_ptr = (char *)p;
  else
    goc__arena_pop_slow(g, p);
}

/* Pushes a frame of `size` bytes (the whole frame struct) for the function
 * fn and returns it with resume = 0; the caller fills the argument fields. The frame becomes g->top only when it is called
 * (goc__call), or at once if g has no frame yet (the first frame of a new
 * G), because argument evaluation may push and call other frames first. */
static inline goc_frame *goc__frame_push(goc_g *g, __SIZE_TYPE__ size, const goc_fninfo *fn) {
  goc_frame *fr = (goc_frame *)goc__arena_push(g, size);
  fr->fn = fn;
  fr->parent = ((void *)0);
  fr->resume = 0;
  fr->line = 0;
  if (!GOC_G(g)->top) GOC_G(g)->top = fr;
  return fr;
}
/* A step's locals: `n` bytes right after its frame fr (of frsize bytes)
 * when they fit in fr's arena chunk, else at the start of the chunk
 * pushed after it. Fixed by that rule, they need no pointer in the frame:
 * goc__locals_push at the step's entry (fr is the newest frame then; a
 * chunk pushed and emptied since is let go first), goc__locals_at at
 * each resume, which finds them at once while fr is in the arena's
 * current chunk (the locals then are too: any chunk after fr's would be
 * current as long as they live). */
void *goc__locals_push_slow(goc_g *g, goc_frame *fr, __SIZE_TYPE__ frsize, __SIZE_TYPE__ n);
void *goc__locals_at_slow(goc_g *g, goc_frame *fr, __SIZE_TYPE__ frsize, __SIZE_TYPE__ n);
static inline void *goc__locals_push(goc_g *g, goc_frame *fr, __SIZE_TYPE__ frsize, __SIZE_TYPE__ n) {
  goc_g_head *h = GOC_G(g);
  char *at = (char *)fr + GOC__ARENA_ROUND(frsize);
  n = GOC__ARENA_ROUND(n);
  if (__builtin_expect(h->arena_ptr == at && (__SIZE_TYPE__)(h->arena_end - at) >= n, 1)) {
    h->arena_ptr = at + n;
    return at;
  }
  return goc__locals_push_slow(g, fr, frsize, n);
}
static inline void *goc__locals_at(goc_g *g, goc_frame *fr, __SIZE_TYPE__ frsize, __SIZE_TYPE__ n) {
  goc_g_head *h = GOC_G(g);
  if (__builtin_expect((__SIZE_TYPE__)(h->arena_end - (char *)fr) - 1 < h->arena_size, 1))
    return (char *)fr + GOC__ARENA_ROUND(frsize);
  return goc__locals_at_slow(g, fr, frsize, GOC__ARENA_ROUND(n));
}
/* Pops fr (and anything above it) after it returned; g->top becomes its
 * caller again. */
static inline void goc__frame_pop(goc_g *g, goc_frame *fr) {
  GOC_G(g)->top = fr->parent;
  goc__arena_pop(g, fr);
}

/* Calls the pushed frame fr from the running frame caller: fr becomes
 * g->top and runs directly, or via the scheduler when the C stack is deep.
 * Returns GOC_DONE or GOC_SUSPEND like a step. */
void goc__trampoline(goc_g *g);
static inline int goc__call(goc_g *g, goc_frame *caller, goc_frame *fr) {
  goc_g_head *h = GOC_G(g);
  fr->parent = caller;
  h->top = fr;
  if (__builtin_expect(h->cdepth < GOC_MAX_CDEPTH, 1)) {
    h->cdepth++;
    int r = fr->fn->step(g, fr);
    h->cdepth--;
    return r;
  }
  goc__trampoline(g);   /* the scheduler steps g->top (fr) next */
  return GOC_SUSPEND;
}

/* A call through a goroutine-function pointer (goc.h, GOC_GOFN): the
 * lowered caller passes this record instead of GOC_GO; the callee's F__gofn
 * pushes F's frame on g, fills the arguments and records the frame and where
 * its result will be, and the caller runs it with goc__call (or starts it
 * with goc__go_start when g is a new G). */
struct goc_gocall {
  goc_g *g;
  goc_frame *frame;
  void *ret;
};

/* Around the copies of a suspension's locals into the locals area: the
 * lowering keeps every local that is read later, which may be one not set
 * yet on the way there (int x; if (c) x = 1; <-ch; ... x); copying it is
 * no read of the user's, who is still warned where the code reads it. */
#if defined(__GNUC__) && !defined(__clang__)
#define GOC__KEEP_BEGIN                                                     \
  _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"") \
  _Pragma("GCC diagnostic ignored \"-Wuninitialized\"")
#define GOC__KEEP_END _Pragma("GCC diagnostic pop")
#else
#define GOC__KEEP_BEGIN
#define GOC__KEEP_END
#endif

/* Called where a non-void goroutine function's body ends, when the
 * compile's flags turn -Wreturn-type on (transform/src/warnflags.c): the
 * compiler reports the call where it stays reachable, as it would report
 * control reaching the end of the function. No-ops. */
#if defined(__clang__)
#define GOC__FELL_OFF_END_WORDS "non-void function does not return a value in all control paths"
#else
#define GOC__FELL_OFF_END_WORDS "control reaches end of non-void function"
#endif
void goc__fell_off_end(void) __attribute__((warning(GOC__FELL_OFF_END_WORDS)));
void goc__fell_off_end_error(void) __attribute__((error(GOC__FELL_OFF_END_WORDS)));
/* Likewise for `return E;` in a void goroutine function and `return;` in a
 * non-void one: the step function returns its state, not the user's value.
 * gcc warns of both by default, clang refuses both unless
 * -Wno-return-type (warnflags.c decides whether the call is written). */
#if defined(__clang__)
void goc__return_value_in_void(void) __attribute__((error("void function should not return a value")));
void goc__return_no_value(void) __attribute__((error("non-void function should return a value")));
#else
void goc__return_value_in_void(void) __attribute__((warning("'return' with a value, in function returning void")));
void goc__return_no_value(void) __attribute__((warning("'return' with no value, in function returning non-void")));
#endif

/* A goroutine function's const local or parameter, which the lowering
 * keeps unqualified, read as const: &k is a pointer to const and a const
 * array decays to one, so that gcc warns where C warns ("discards 'const'
 * qualifier") and _Generic sees the const. Not with clang: it counts a
 * discarded const among -Wincompatible-pointer-types, which goc makes an
 * error (the directional channels are qualified pointers), so C's
 * warning would become an error there. */
#if defined(__GNUC__) && !defined(__clang__)
#define GOC__CONST_LVALUE(x) (*(const __typeof__(x) *)&(x))
#else
#define GOC__CONST_LVALUE(x) (x)
#endif

/* dst = v for any complete object type, structs with const members
 * included (they can be initialised but not assigned): the lowering's
 * stores of arguments, results and initialisers. */
#define GOC__INIT(dst, v)                                                   \
  do {                                                                      \
    __typeof__(dst) goc__v = (v);                                           \
    __builtin_memcpy((void *)&(dst), (void *)&goc__v, sizeof goc__v);      \
  } while (0)

/* ---- preemption ----------------------------------------------------------
 * At every loop back-edge and function entry:
 *   if (__builtin_expect(GOC_G(g)->preempt, 0)) { goc__preempt(g); suspend }
 * goc__preempt clears the flag and arranges for the G to be requeued once
 * it has suspended (it always "parks", never completes at once). */
void goc__preempt(goc_g *g);
/* The check itself: a relaxed atomic load (a plain load on every target),
 * so that race detectors see the monitor's store and this read as atomic. */
static inline int goc__preempt_requested(goc_g *g) {
  return __builtin_expect(
      __atomic_load_n(&GOC_G(g)->preempt, __ATOMIC_RELAXED) != 0, 0);
}

/* The length of the next chunk of a strip-mined counted loop (docs/
 * lowering.md): of `for (; lo < hi; lo += s)` (incl: lo <= hi; or the same
 * with hi counting down) whose condition holds now, the iterations for
 * which it still holds, at most c and at least 1. The distance is taken in
 * the comparison's own type (that of 0 ? lo : hi, after the usual
 * conversions) as an unsigned difference, exact whenever it fits 64 bits;
 * past that (an __int128 counter) every value from 1 to c is below it. A
 * counter that wraps (unsigned char i < 300) only moves further from the
 * bound. When the comparison is not between integers (a floating bound, a
 * pointer typedef) every chunk is one iteration. */
#define GOC__CHUNK(lo, hi, s, c, incl)                                      \
  (__builtin_classify_type(0 ? (lo) : (hi)) == 1                            \
       ? goc__chunk_len((unsigned long long)(__typeof__(0 ? (lo) : (hi)))(hi) - \
                            (unsigned long long)(__typeof__(0 ? (lo) : (hi)))(lo), \
                        (s), (c), (incl))                                   \
       : 1ULL)
static inline unsigned long long goc__chunk_len(unsigned long long d, unsigned long long s,
                                                unsigned long long c, int incl) {
  if (incl) return d < c * s ? d / s + 1 : c;
  return d - 1 < c * s ? (d - 1) / s + 1 : c;   /* d >= 1, or 0 past 64 bits */
}
/* Of the same loop, whose condition holds now: whether all the iterations
 * left are at most c, so that GOC__CHUNK counts them all, which it knows
 * only for a comparison between integers of at most 64 bits. When they are
 * not, GOC__CHUNK_FULL is the next chunk's length: c, a constant, so that
 * the C compiler can unroll and vectorise the chunk as it would the plain
 * loop (GOC__CHUNK otherwise). */
#define GOC__CHUNK_EXACT(lo, hi)                                            \
  (__builtin_classify_type(0 ? (lo) : (hi)) == 1 && sizeof(0 ? (lo) : (hi)) <= 8)
#define GOC__CHUNK_FITS(lo, hi, s, c, incl)                                 \
  (GOC__CHUNK_EXACT(lo, hi) &&                                              \
   goc__chunk_fits((unsigned long long)(__typeof__(0 ? (lo) : (hi)))(hi) -  \
                       (unsigned long long)(__typeof__(0 ? (lo) : (hi)))(lo), \
                   (s), (c), (incl)))
/* GOC__CHUNK_FITS for a loop whose condition cond may not hold, and with
 * at least one iteration left (a distance of 0 to an exclusive bound is
 * not short), so that the C compiler knows that the short count is not 0:
 * below 64 bits a distance that fits is one of the condition holding,
 * since a bound below the counter is at least 2^32 away. */
#define GOC__CHUNK_SHORT(lo, hi, s, c, incl, cond)                          \
  (GOC__CHUNK_EXACT(lo, hi) &&                                              \
   goc__chunk_short((unsigned long long)(__typeof__(0 ? (lo) : (hi)))(hi) - \
                        (unsigned long long)(__typeof__(0 ? (lo) : (hi)))(lo), \
                    (s), (c), (incl)) &&                                    \
   (sizeof(0 ? (lo) : (hi)) < 8 || (cond)))
/* Whether the counter v of such a loop may wrap around past its bound, so
 * that the condition holds again after the iterations counted: not when v
 * is as wide as the comparison and that is signed (overflow would be
 * undefined), nor when it steps by one onto an exclusive bound. */
#define GOC__CHUNK_WRAPS(v, lo, hi, s, c, incl)                              \
  (!(sizeof(v) >= sizeof(0 ? (lo) : (hi)) &&                                \
     ((__typeof__(0 ? (lo) : (hi)))-1 < 0 || ((s) == 1 && !(incl)))))
#define GOC__CHUNK_LEFT(lo, hi, s, c, incl)                                 \
  goc__chunk_left((unsigned long long)(__typeof__(0 ? (lo) : (hi)))(hi) -   \
                      (unsigned long long)(__typeof__(0 ? (lo) : (hi)))(lo), \
                  (s), (incl))
#define GOC__CHUNK_FULL(lo, hi, s, c, incl)                                 \
  (GOC__CHUNK_EXACT(lo, hi) ? (unsigned long long)(c) : GOC__CHUNK(lo, hi, s, c, incl))
static inline unsigned long long goc__chunk_left(unsigned long long d, unsigned long long s, int incl) {
  return incl ? d / s + 1 : d / s + (d % s != 0);
}
static inline int goc__chunk_fits(unsigned long long d, unsigned long long s, unsigned long long c,
                                  int incl) {
  return incl ? d < c * s : d <= c * s;
}
static inline int goc__chunk_short(unsigned long long d, unsigned long long s, unsigned long long c,
                                   int incl) {
  return incl ? d < c * s : d - 1 < c * s;
}

/* ---- goroutines ------------------------------------------------------- */
/* A go statement, for "created by" in traces: one static record each (the
 * transformer's), so a G spends one pointer on where it was created. func
 * is the function the statement is in. */
typedef struct goc_site {
  const char *func;
  const char *file;
  int line;
} goc_site;

/* A new G, not yet runnable. Push its first frame with goc__frame_push,
 * fill the arguments, then goc__go_start. site may be ((void *)0) (no
 * "created by"). goc__go_new_sized(first): the G's first chunk is sized to
 * hold `first` bytes of frames (the first frame and its locals, as the
 * arena will push them: F__first()); goc__go_new: a size for first
 * frames that are not known. */
goc_g *goc__go_new(void);
#define GOC__FIRST_UNKNOWN 128   /* what goc__go_new makes room for */
/* The size class: chunk0 of cls * 16 bytes for the frames (the runtime's
 * proc.h), at most 16 classes. Inline, so that a constant `first` makes a
 * constant class. */
static inline int goc__g_class(__SIZE_TYPE__ first) {
  __SIZE_TYPE__ k = (first + 15) / 16;
  return k > 16 ? 16 : (int)k;
}
goc_g *goc__go_new_class(int cls);
static inline goc_g *goc__go_new_sized(__SIZE_TYPE__ first) {
  return goc__go_new_class(goc__g_class(first));
}
void goc__go_start(goc_g *newg, const goc_site *site);

/* Runs the program: starts the runtime, runs the frame already pushed on
 * mainG as the main goroutine, and exits the process with its int result
 * (read through result_offset into the frame) once it returns. */
goc_g *goc__main_g(void);
__attribute__((noreturn))
void goc__run_main(goc_g *mainG, __SIZE_TYPE__ result_offset);

/* The plain C entry of a goroutine function with external linkage: runs the
 * frame pushed on g (from goc__go_new) as a goroutine and blocks the calling
 * OS thread until it returns; then the caller reads the result and calls
 * goc__g_release(g). Starts the runtime on first use. If called from a
 * thread that is itself running a goroutine (plain C called from
 * goroutine code), the M's P is handed off while it waits. */
void goc__run_sync(goc_g *g);
void goc__g_release(goc_g *g);

/* ---- channels ---------------------------------------------------------- */
/* Each returns 1 if the operation completed at once; 0 if g must suspend.
 * `elem` (send) and `dst` (receive) must point into frame memory (the
 * step's locals area), not the C stack, because wakers access them after
 * the step has returned. dst may be ((void *)0) (value discarded).
 * After resuming from 0, call the matching _resume. */
int goc__chan_send(goc_g *g, goc_chan *c, const void *elem);
int goc__chan_recv(goc_g *g, goc_chan *c, void *dst, _Bool *ok);
/* The resumes, inline for a wait a partner completed (every hand-off's):
 * one load of the G's lone waiter's last word (the runtime's proc.h,
 * goc_sudog: kind, is_send, success, done; static asserts in its chan.c
 * keep the two in step) and the store of done back to 0; a close or
 * anything amiss goes to the _slow twin, which panics or throws. */
#define GOC__LONE_STATE_OFFSET 92
#define GOC__LONE_STATE(is_send) (2u | (is_send) << 8 | 1u << 16 | 1u << 24)   /* little-endian */
void goc__chan_send_resume_slow(goc_g *g);   /* panics if c was closed meanwhile */
void goc__chan_recv_resume_slow(goc_g *g, _Bool *ok);
static inline int goc__lone_done(goc_g *g, __UINT32_TYPE__ want) {
  char *p = (char *)g + GOC__LONE_STATE_OFFSET;
  __UINT32_TYPE__ w;
  __builtin_memcpy(&w, p, sizeof w);
  if (__builtin_expect(w != want, 0)) return 0;
  p[3] = 0;   /* done: a second resume of one wait is caught */
  return 1;
}
static inline void goc__chan_send_resume(goc_g *g) {
  if (!goc__lone_done(g, GOC__LONE_STATE(1u))) goc__chan_send_resume_slow(g);
}
static inline void goc__chan_recv_resume(goc_g *g, _Bool *ok) {
  if (!goc__lone_done(g, GOC__LONE_STATE(0u))) {
    goc__chan_recv_resume_slow(g, ok);
    return;
  }
  if (ok) *ok = 1;
}

/* select. `cases` must live in frame memory; n may be 0 (with no default:
 * blocks forever). Returns 1 with *chosen set (-1: default taken), or 0.
 * After resuming from 0, goc__select_resume sets *chosen and *recv_ok. */
int goc__select(goc_g *g, goc_select_case *cases, int n, _Bool has_default,
                int *chosen, _Bool *recv_ok);
void goc__select_resume(goc_g *g, int *chosen, _Bool *recv_ok);

/* A select with one case and a default (Go's selectnbrecv/selectnbsend):
 * the operation if it can complete at once, else 0; never parks. c is not
 * nil; called through the _inline wrappers below, after their check. */
int goc__chan_tryrecv(goc_chan *c, void *dst, _Bool *ok);
int goc__chan_trysend(goc_chan *c, const void *elem);   /* panics if c is closed */

/* The words of a channel's header that the lock-free "would block" checks
 * read (runtime/src/chan.h: struct goc_chan begins so, static asserts in
 * chan.c keep the two in step; the checks' reasoning is in chan.h). Inline, a
 * one-case select that finds nothing to do makes no call, as Go's
 * selectnbrecv returns before it takes the lock. may_alias: the runtime
 * writes these words through its own struct. */
typedef struct __attribute__((may_alias)) goc__chan_view {
  __UINT32_TYPE__ lock;
  __UINT8_TYPE__ closed;
  __UINT8_TYPE__ recv_ready, send_ready;   /* nonzero: would not block */
  __UINT8_TYPE__ spare_;
  __UINT32_TYPE__ elemsize, bufoff;
  __SIZE_TYPE__ qcount, dataqsiz, sendx, recvx;
  void *recvq_first, *recvq_last, *sendq_first, *sendq_last;
} goc__chan_view;
/* The lock-free checks of the fields themselves, for a receive that finds
 * the channel closed (is it still empty?), and the runtime's own uses. */
static inline _Bool goc__chan_nb_full(goc_chan *c) {
  const goc__chan_view *v = (const goc__chan_view *)(void *)c;
  if (v->dataqsiz == 0) return __atomic_load_n(&v->recvq_first, __ATOMIC_SEQ_CST) == (void *)0;
  return __atomic_load_n(&v->qcount, __ATOMIC_SEQ_CST) == v->dataqsiz;
}
static inline _Bool goc__chan_nb_empty(goc_chan *c) {
  const goc__chan_view *v = (const goc__chan_view *)(void *)c;
  if (v->dataqsiz == 0) return __atomic_load_n(&v->sendq_first, __ATOMIC_SEQ_CST) == (void *)0;
  return __atomic_load_n(&v->qcount, __ATOMIC_SEQ_CST) == 0;
}
/* A non-blocking send on c would block now: full (no waiting receiver) and
 * open; one byte that the runtime keeps so under the channel's lock
 * (chan.h). (A closed channel panics on the locked path.) */
static inline _Bool goc__chan_send_would_block(goc_chan *c) {
  return __atomic_load_n(&((const goc__chan_view *)(void *)c)->send_ready, __ATOMIC_SEQ_CST) == 0;
}
/* A non-blocking receive on c would block now: empty and open. */
static inline _Bool goc__chan_recv_would_block(goc_chan *c) {
  return __atomic_load_n(&((const goc__chan_view *)(void *)c)->recv_ready, __ATOMIC_SEQ_CST) == 0;
}
/* The lowered one-case select: the check here, the rest in the runtime.
 * A nil channel never is ready (default is taken); otherwise one load of
 * the ready byte and one branch decide, where reading the fields it
 * summarises (capacity, then the waiting peer or the count, then closed)
 * cost three loads and three branches. */
static inline int goc__chan_recv_ready(goc_chan *c) {
  return c && __builtin_expect(!goc__chan_recv_would_block(c), 0);
}
static inline int goc__chan_send_ready(goc_chan *c) {
  return c && __builtin_expect(!goc__chan_send_would_block(c), 0);
}
static inline int goc__chan_tryrecv_inline(goc_chan *c, void *dst, _Bool *ok) {
  return goc__chan_recv_ready(c) && goc__chan_tryrecv(c, dst, ok);
}
static inline int goc__chan_trysend_inline(goc_chan *c, const void *elem) {
  return goc__chan_send_ready(c) && goc__chan_trysend(c, elem);
}
/* The same for a value that no case's evaluation can change (a literal, a
 * name): it is copied to the C stack (a try-op never parks) only once the
 * send can happen, where a copy in the frame was stored every time. */
#define GOC__TRYSEND_VALUE(c, T, val)                                       \
  ({                                                                        \
    goc_chan *goc__c = (c);                                                 \
    goc__chan_send_ready(goc__c) && ({                                      \
      T goc__v = (val);                                                     \
      goc__chan_trysend(goc__c, &goc__v);                                   \
    });                                                                     \
  })

/* ---- blocking runtime functions -----------------------------------------
 * For every GOC_BLOCKING function  R goc_X(A...)  of goc.h there is
 *   int goc_X__async(goc_g *g, A...)              (R is void)
 *   int goc_X__async(goc_g *g, R *result, A...)   (R is not void)
 * that returns 1 when done and 0 to suspend; after each resume the lowered
 * code calls it again with the same arguments until it returns 1. */
int goc_sleep__async(goc_g *g, __INT64_TYPE__ ns);
int goc_yield__async(goc_g *g);
/* goc_mutex's uncontended paths are inline, as Go inlines Lock's CAS and
 * Unlock's add: an out-of-line call each made the lock/unlock pair of an
 * uncontended mutex 25% slower than Go's. The CAS from 0 needs no check
 * that g is resuming a wait on m: while a waiter is on its way (parked,
 * woken or handed the lock) m->state counts it, or has the woken or the
 * starving bit it alone clears, so the CAS fails and the slow path
 * resumes it (runtime/src/mutex.c). The casts: clang's __atomic builtins
 * refuse an _Atomic object, whose representation is the plain type's. */
int goc__mutex_lock_slow(goc_g *g, goc_mutex *m);
static inline int goc_mutex_lock__async(goc_g *g, goc_mutex *m) {
  __INT32_TYPE__ z = 0;
  if (__builtin_expect(__atomic_compare_exchange_n((__INT32_TYPE__ *)&m->state, &z, 1, 0,
                                                   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED), 1))
    return 1;
  return goc__mutex_lock_slow(g, m);
}
/* The unlock with waiters to wake or a lock to hand off; state is m->state
 * just after the unlocking add. */
void goc__mutex_unlock_slow(goc_mutex *m, __INT32_TYPE__ state);
/* goc.h's goc_mutex_unlock, for inlining only (gnu_inline: the library
 * keeps the function, which plain C and pointers to it call). */
extern __inline__ __attribute__((__gnu_inline__, __always_inline__)) void
goc_mutex_unlock(goc_mutex *m) {
  __INT32_TYPE__ s = __atomic_sub_fetch((__INT32_TYPE__ *)&m->state, 1, __ATOMIC_RELEASE);
  if (__builtin_expect(s != 0, 0)) goc__mutex_unlock_slow(m, s);
}
int goc_rwmutex_rlock__async(goc_g *g, goc_rwmutex *rw);
int goc_rwmutex_lock__async(goc_g *g, goc_rwmutex *rw);
int goc_waitgroup_wait__async(goc_g *g, goc_waitgroup *wg);
int goc_once_do__async(goc_g *g, goc_once *o, void (*fn)(void));
int goc_once_do_go__async(goc_g *g, goc_once *o, void (*fn)(goc_gofn_tag));
int goc_cond_wait__async(goc_g *g, goc_cond *c);
int goc_read__async(goc_g *g, __PTRDIFF_TYPE__ *result, int fd, void *buf, __SIZE_TYPE__ n);
int goc_write__async(goc_g *g, __PTRDIFF_TYPE__ *result, int fd, const void *buf, __SIZE_TYPE__ n);
int goc_accept__async(goc_g *g, int *result, int fd, struct sockaddr *addr,
                      __UINT32_TYPE__ *len);
int goc_connect__async(goc_g *g, int *result, int fd,
                       const struct sockaddr *addr, __UINT32_TYPE__ len);
int goc_blocking__async(goc_g *g, void **result, void *(*fn)(void *), void *arg);
int goc_listener_accept__async(goc_g *g, goc_conn **result, goc_listener *l);
int goc_dial__async(goc_g *g, goc_conn **result, const char *network,
                    const char *address);
int goc_conn_read__async(goc_g *g, __PTRDIFF_TYPE__ *result, goc_conn *c, void *buf,
                         __SIZE_TYPE__ n);
int goc_conn_write__async(goc_g *g, __PTRDIFF_TYPE__ *result, goc_conn *c,
                          const void *buf, __SIZE_TYPE__ n);
int goc_reader_read__async(goc_g *g, __PTRDIFF_TYPE__ *result, goc_reader *r, void *buf,
                           __SIZE_TYPE__ n);
int goc_reader_read_until__async(goc_g *g, __PTRDIFF_TYPE__ *result, goc_reader *r,
                                 int delim, char *buf, __SIZE_TYPE__ n);
int goc_reader_read_line__async(goc_g *g, __PTRDIFF_TYPE__ *result, goc_reader *r,
                                char *buf, __SIZE_TYPE__ n);
int goc_reader_peek__async(goc_g *g, __PTRDIFF_TYPE__ *result, goc_reader *r,
                           __SIZE_TYPE__ n, const char **p);
int goc_t_fail_now__async(goc_g *g, goc_t *t);
int goc_t_skip_now__async(goc_g *g, goc_t *t);
int goc_t_parallel__async(goc_g *g, goc_t *t);
int goc_t_run__async(goc_g *g, _Bool *result, goc_t *t, const char *name, void (*fn)(goc_t *));
int goc_t_run_go__async(goc_g *g, _Bool *result, goc_t *t, const char *name,
                        void (*fn)(goc_gofn_tag, goc_t *));

#ifdef __cplusplus
}
#endif
#endif /* GOC_ABI_H */
