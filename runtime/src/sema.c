/* sema.c — a semaphore on a uint32 address that parks goroutines or
 * threads (Go's sema.go), the building block of goc_mutex & co.
 *
 * Invariants:
 *   - semtable[hash(addr)] holds every waiter on addr, in one list per
 *     bucket (FIFO, or LIFO for a mutex waiter that already waited).
 *   - root->nwait counts the bucket's waiters; it is incremented under
 *     root->lock before the last cansemacquire, and semrelease reads it
 *     after incrementing *addr, so no wake-up is lost.
 *   - A G waiter registers under root->lock and the park's commit releases
 *     the lock; a thread waiter sleeps on its note after unlocking.
 *   - w->ticket = 1 means the releaser handed the token directly to w
 *     (starving mutex); w must not take another.
 */
#include <sched.h>
#include "proc.h"

#define SEMTABSZ 251

typedef struct semroot {
  pthread_mutex_t lock;
  goc_swaiter *head, *tail;
  _Atomic uint32_t nwait;
  char pad[64 - sizeof(pthread_mutex_t) % 64];
} semroot;

static semroot semtable[SEMTABSZ];
static pthread_once_t sem_once = PTHREAD_ONCE_INIT;

static void sem_init(void) {
  for (int i = 0; i < SEMTABSZ; i++) pthread_mutex_init(&semtable[i].lock, NULL);
}

static semroot *root_of(const void *addr) {
  pthread_once(&sem_once, sem_init);
  return &semtable[((uintptr_t)addr >> 3) % SEMTABSZ];
}

static bool cansemacquire(_Atomic uint32_t *addr) {
  uint32_t v = atomic_load(addr);
  while (v != 0)
    if (atomic_compare_exchange_weak(addr, &v, v - 1)) return true;
  return false;
}

/* root->lock held. */
static void enqueue(semroot *r, goc_swaiter *w, bool lifo) {
  w->prev = NULL;
  w->next = NULL;
  if (lifo) {
    w->next = r->head;
    if (r->head) r->head->prev = w;
    else r->tail = w;
    r->head = w;
  } else {
    w->prev = r->tail;
    if (r->tail) r->tail->next = w;
    else r->head = w;
    r->tail = w;
  }
}

/* root->lock held. First waiter on addr, removed. */
static goc_swaiter *dequeue(semroot *r, const void *addr) {
  for (goc_swaiter *w = r->head; w; w = w->next) {
    if (w->addr != addr) continue;
    if (w->prev) w->prev->next = w->next;
    else r->head = w->next;
    if (w->next) w->next->prev = w->prev;
    else r->tail = w->prev;
    w->next = w->prev = NULL;
    return w;
  }
  return NULL;
}

/* No lock held. After this, w (a thread's stack record) may be gone. */
void goc__swaiter_wake(goc_swaiter *w) {
  goc_g *g = w->g;
  if (g) goc__ready(g);
  else goc__note_wakeup(&w->note);
}

static void unlock_root(goc_g *g, void *arg) {
  (void)g;
  goc__rt_unlock(&((semroot *)arg)->lock);
}

/* g is the current G. 1: acquired; 0: g must suspend (call again after). */
int goc__semacquire_async(goc_g *g, _Atomic uint32_t *addr, bool lifo,
                          goc_wait_reason reason) {
  goc_swaiter *w = &goc__gx(g)->sw;
  if (w->parked) {
    w->parked = 0;
    if (w->ticket) return 1;
  }
  if (cansemacquire(addr)) return 1;
  semroot *r = root_of(addr);
  goc__rt_lock(&r->lock);
  atomic_fetch_add(&r->nwait, 1);
  if (cansemacquire(addr)) {
    atomic_fetch_sub(&r->nwait, 1);
    goc__rt_unlock(&r->lock);
    return 1;
  }
  w->g = g;
  w->addr = addr;
  w->ticket = 0;
  w->t0 = goc_now();
  enqueue(r, w, lifo);
  w->parked = 1;
  goc__park_g(g, reason, unlock_root, r);
  return 0;
}

/* Blocks the calling thread (handing off its P if it has one). */
void goc__semacquire_thread(_Atomic uint32_t *addr, bool lifo,
                            goc_wait_reason reason) {
  goc__plain_thread_touch();
  if (cansemacquire(addr)) return;
  semroot *r = root_of(addr);
  for (;;) {
    goc__rt_lock(&r->lock);
    atomic_fetch_add(&r->nwait, 1);
    if (cansemacquire(addr)) {
      atomic_fetch_sub(&r->nwait, 1);
      goc__rt_unlock(&r->lock);
      return;
    }
    goc_swaiter w = {.g = NULL, .addr = addr, .ticket = 0};
    goc__note_clear(&w.note);
    enqueue(r, &w, lifo);
    goc__rt_unlock(&r->lock);
    if (goc__getg()) {
      goc__block_thread_enter(reason);
      goc__note_sleep(&w.note);
      goc__block_thread_exit();
    } else {
      goc__note_sleep(&w.note);
    }
    if (w.ticket || cansemacquire(addr)) return;

  }
}

/* No lock held; never blocks. handoff: give the token to the first waiter. */
void goc__semrelease(_Atomic uint32_t *addr, bool handoff) {
  goc__plain_thread_touch();
  semroot *r = root_of(addr);
  atomic_fetch_add(addr, 1);
  if (atomic_load(&r->nwait) == 0) return;
  goc__rt_lock(&r->lock);
  if (atomic_load(&r->nwait) == 0) {
    goc__rt_unlock(&r->lock);
    return;
  }
  goc_swaiter *w = dequeue(r, addr);
  if (w) atomic_fetch_sub(&r->nwait, 1);
  goc__rt_unlock(&r->lock);
  if (!w) return;
  if (handoff && cansemacquire(addr)) w->ticket = 1;
  goc__swaiter_wake(w);
}
