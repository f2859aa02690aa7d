/* Unit tests of runtime pieces without running goroutines: run queues,
 * the frame arena, the timer heap. */
#include <stdatomic.h>
#include <stdint.h>
#include "rt_test.h"
#include "proc.h"

static goc_g *fake_g(int i) {
  goc_g *g = calloc(1, sizeof *g);
  g->id = i;
  return g;
}

static void case_runq(void) {
  setenv("GOC_MAXPROCS", "2", 1);
  goc__runtime_init();
  goc_p *p0 = goc__allp(0), *p1 = goc__allp(1);
  bool inherit;
  /* FIFO */
  goc_g *gs[400];
  for (int i = 0; i < 400; i++) gs[i] = fake_g(i);
  for (int i = 0; i < 10; i++) goc__runqput(p0, gs[i], false);
  for (int i = 0; i < 10; i++) {
    CHECK(goc__runqget(p0, &inherit) == gs[i]);
    CHECK(!inherit);
  }
  CHECK(goc__runqget(p0, &inherit) == NULL);
  /* runnext: the newest readied runs first; the old one goes to the tail */
  goc__runqput(p0, gs[0], true);
  goc__runqput(p0, gs[1], true);
  CHECK(goc__runqget(p0, &inherit) == gs[1] && inherit);
  CHECK(goc__runqget(p0, &inherit) == gs[0] && !inherit);
  CHECK(goc__runqempty(p0));
  /* overflow: half the ring plus the new G go to the global queue */
  for (int i = 0; i < 300; i++) goc__runqput(p0, gs[i], false);
  CHECK(goc__runqlen(p0) == 171);
  CHECK(atomic_load(&goc__sched.runqsize) == 129);
  CHECK(goc__sched.runqhead == gs[0]);   /* oldest first */
  /* steal half */
  goc_g *s = goc__runqsteal(p1, p0, false);
  CHECK(s != NULL);
  CHECK(goc__runqlen(p0) == 85);
  CHECK(goc__runqlen(p1) == 85);
  /* stealing runnext only when asked */
  while (goc__runqget(p0, &inherit)) {
  }
  goc__runqput(p0, gs[399], true);
  CHECK(goc__runqsteal(p1, p0, false) == NULL || goc__runqlen(p1) > 0);
  /* drain: every G exactly once */
  static int seen[400];
  seen[s->id]++;
  while ((s = goc__runqget(p1, &inherit))) seen[s->id]++;
  CHECK(goc__runqsteal(p1, p0, true) == gs[399]);
  goc_g *rest;
  pthread_mutex_lock(&goc__sched.lock);
  while ((s = goc__globrunqget(1, &rest))) {
    CHECK(rest == NULL);
    seen[s->id]++;
  }
  pthread_mutex_unlock(&goc__sched.lock);
  for (int i = 0; i < 300; i++) CHECK(i < 129 + 0 || seen[i] <= 1);
  int total = 0;
  for (int i = 0; i < 400; i++) total += seen[i];
  CHECK(total == 85 + 1 + 129);
  /* a fair share off the global queue (half at P=2, plus one), in order:
   * one returned, the rest listed for the P's queue */
  for (int i = 300; i < 310; i++) {
    pthread_mutex_lock(&goc__sched.lock);
    goc__globrunqput(gs[i]);
    pthread_mutex_unlock(&goc__sched.lock);
  }
  pthread_mutex_lock(&goc__sched.lock);
  s = goc__globrunqget(0, &rest);
  pthread_mutex_unlock(&goc__sched.lock);
  CHECK(s == gs[300]);
  CHECK(atomic_load(&goc__sched.runqsize) == 4);
  CHECK(goc__sched.runqhead == gs[306]);
  goc__runqputlist(p1, rest);
  CHECK(goc__runqlen(p1) == 5);
  for (int i = 301; i < 306; i++) CHECK(goc__runqget(p1, &inherit) == gs[i]);
  CHECK(goc__runqempty(p1));
  exit(0);
}

/* The shared G free lists move batches (proc.c): a full P cache gives half
 * of itself as one batch, a P with an empty cache takes a whole batch, and
 * a thread without a P takes one G and leaves the rest of its batch. Every
 * G comes back exactly once. */
static void case_gfree(void) {
  setenv("GOC_MAXPROCS", "2", 1);
  goc__runtime_init();
  goc_p *p0 = goc__allp(0), *p1 = goc__allp(1);
  enum { N = 256 };   /* proc.c's GFREE_LOCAL_MAX */
  static goc_g *gs[N];
  for (int i = 0; i < N; i++) gs[i] = goc__go_new();   /* no P: fresh */
  int cls = gs[0]->cls;
  int32_t shared0 = atomic_load(&goc__sched.ngfree[cls]);
  for (int i = 0; i < N - 1; i++) goc__gfput(p0, gs[i]);
  CHECK(p0->gfreecnt[cls] == N - 1);
  goc__gfput(p0, gs[N - 1]);   /* the cache is full: its newest half goes */
  CHECK(p0->gfreecnt[cls] == N / 2);
  CHECK(atomic_load(&goc__sched.ngfree[cls]) == shared0 + N / 2);
  goc_g *one = goc__gfget(NULL, cls);   /* the newest freed */
  CHECK(one == gs[N - 1]);
  CHECK(one->wait_state == NULL);
  CHECK(atomic_load(&goc__sched.ngfree[cls]) == shared0 + N / 2 - 1);
  while (p1->gfree[cls]) (void)goc__gfget(p1, cls);   /* p1's cache empty */
  goc_g *b = goc__gfget(p1, cls);   /* takes the rest of that batch */
  CHECK(b == gs[N - 2]);
  CHECK(p1->gfreecnt[cls] == N / 2 - 2);
  CHECK(atomic_load(&goc__sched.ngfree[cls]) == shared0);
  static int seen[N];
  for (goc_g *g = p1->gfree[cls]; g; g = g->schedlink) {
    CHECK(g->wait_state == NULL);
    for (int i = 0; i < N; i++) seen[i] += g == gs[i];
  }
  for (goc_g *g = p0->gfree[cls]; g; g = g->schedlink)
    for (int i = 0; i < N; i++) seen[i] += g == gs[i];
  seen[N - 1]++;
  seen[N - 2]++;
  for (int i = 0; i < N; i++) CHECK(seen[i] == 1);
  exit(0);
}

static void case_arena(void) {
  goc_g *g = goc__go_new();
  goc_g_head *h = GOC_G(g);
  enum { N = 2000 };
  static unsigned char *ptr[N];
  static size_t len[N];
  for (int round = 0; round < 3; round++) {
    for (int i = 0; i < N; i++) {
      len[i] = (size_t)((i * 7919 + round) % 300) + (i % 97 == 0 ? 9000 : 0);
      ptr[i] = goc__arena_push(g, len[i]);
      CHECK(((uintptr_t)ptr[i] & 15) == 0);
      memset(ptr[i], (i + round) & 0xff, len[i]);
    }
    for (int i = N - 1; i >= 0; i--) {
      for (size_t k = 0; k < len[i]; k++) CHECK(ptr[i][k] == ((i + round) & 0xff));
      goc__arena_pop(g, ptr[i]);
      CHECK(h->arena_ptr == (char *)ptr[i]);
    }
  }
  /* thrash on a chunk boundary */
  void *base = goc__arena_push(g, GOC_FIRST_CHUNK - 32);
  for (int i = 0; i < 100000; i++) {
    void *p = goc__arena_push(g, 64);
    goc__arena_pop(g, p);
  }
  goc__arena_pop(g, base);
  /* frames */
  goc_frame *a = goc__frame_push(g, 100, NULL);   /* first frame: g->top */
  goc_frame *b = goc__frame_push(g, 5000, NULL);
  CHECK(h->top == a && b->parent == NULL);
  b->parent = a;   /* what goc__call does before running b */
  h->top = b;
  goc__frame_pop(g, b);
  CHECK(h->top == a);
  goc__frame_pop(g, a);
  CHECK(h->top == NULL && h->arena_ptr == goc__arena_base(h));
  /* locals (goc__locals_push/at): after the frame while they fit in its
   * chunk, else at the start of the next chunk, found there again at a
   * resume from a later chunk; a chunk emptied between the frame's push
   * and its entry goes first */
  goc_frame *f = goc__frame_push(g, 32, NULL);
  CHECK(goc__locals_push(g, f, 32, 16) == (char *)f + 32);
  void *deep = goc__arena_push(g, 3000);   /* a later chunk */
  CHECK(goc__locals_at(g, f, 32, 16) == (char *)f + 32);
  goc__arena_pop(g, deep);
  goc__frame_pop(g, f);
  f = goc__frame_push(g, 32, NULL);
  size_t room = (size_t)(h->arena_end - h->arena_ptr) + 16;   /* does not fit after f */
  char *L = goc__locals_push(g, f, 32, room);
  CHECK(L != (char *)f + 32 && L == goc__arena_base(h));
  CHECK(goc__locals_at(g, f, 32, room) == L);
  deep = goc__arena_push(g, 5000);   /* a chunk above L's */
  CHECK(goc__locals_at(g, f, 32, room) == L);
  goc__arena_pop(g, deep);
  goc__frame_pop(g, f);
  CHECK(h->arena_ptr == (char *)f);
  f = goc__frame_push(g, 32, NULL);
  goc__arena_pop(g, goc__arena_push(g, 5000));   /* emptied, still current */
  CHECK(goc__locals_push(g, f, 32, 16) == (char *)f + 32);
  CHECK(goc__locals_at(g, f, 32, 16) == (char *)f + 32);
  goc__frame_pop(g, f);
  exit(0);
}

#define NT 1000
static goc_rtimer timers[NT];
static int64_t last_when;
static int fired[NT];
static void tf(void *arg, int64_t now) {
  (void)now;
  goc_rtimer *t = arg;
  CHECK(t->when >= last_when);
  last_when = t->when;
  fired[t - timers]++;
}
static void case_timer_heap(void) {
  setenv("GOC_MAXPROCS", "1", 1);
  goc__runtime_init();
  goc_p *p = goc__allp(0);
  int64_t base = goc_now() + 3600 * GOC_SECOND;
  uint32_t x = 12345;
  for (int i = 0; i < NT; i++) {
    x = x * 1103515245 + 12345;
    timers[i].when = base + (x >> 8) % 1000000;
    timers[i].f = tf;
    timers[i].arg = &timers[i];
    timers[i].heap_index = -1;
    timers[i].p_id = -1;
    goc__timer_start(&timers[i]);
  }
  for (int i = 0; i < NT; i += 3) CHECK(goc__timer_stop(&timers[i]));
  for (int i = 0; i < NT; i += 3) CHECK(!goc__timer_stop(&timers[i]));
  for (int i = 1; i < NT; i += 7) goc__timer_modify(&timers[i], base + 5 * i, 0);
  /* heap property */
  for (int32_t i = 1; i < p->ntimers; i++)
    CHECK(p->timers[(i - 1) / 4]->when <= p->timers[i]->when);
  CHECK(atomic_load(&p->timer0when) == p->timers[0]->when);
  CHECK(goc__run_timers(p, base + 2000000) == INT64_MAX);
  for (int i = 0; i < NT; i++) CHECK(fired[i] == ((i % 3 != 0 || i % 7 == 1) ? 1 : 0));
  exit(0);
}

static void noop_timer(void *arg, int64_t now) { (void)arg, (void)now; }

/* The poller's wait after its two looks at the heaps (sched.c's
 * goc__poll_deadline), played by this thread as the M that won
 * sched.polling. The timer its first look saw has run since (the heaps are
 * empty at the second): the wait still ends by that timer, since a later
 * one started after the second look sees poll_until, earlier, and does not
 * break the wait (select_after_no_false_deadlock's lost wake-up). One
 * started between the looks, earlier, shortens it. */
static void case_poll_deadline(void) {
  setenv("GOC_MAXPROCS", "1", 1);
  goc__runtime_init();
  int32_t z = 0;
  CHECK(atomic_compare_exchange_strong(&goc__sched.polling, &z, 1));
  int64_t first = goc_now() + GOC_SECOND;
  CHECK(goc__timers_earliest() == INT64_MAX);
  CHECK(goc__poll_deadline(first) == first);
  CHECK(atomic_load(&goc__sched.poll_until) == first);
  static goc_rtimer t;
  t.when = first - GOC_MILLISECOND;
  t.f = noop_timer;
  t.heap_index = -1;
  t.p_id = -1;
  goc__timer_start(&t);   /* earlier than poll_until: a break, no M woken */
  CHECK(goc__poll_deadline(first) == t.when);
  CHECK(goc__timer_stop(&t));
  exit(0);
}

int main(int argc, char **argv) {
  static const rt_case cases[] = {
      {"runq", case_runq, 0, {0}},
      {"arena", case_arena, 0, {0}},
      {"gfree", case_gfree, 0, {0}},
      {"timer_heap", case_timer_heap, 0, {0}},
      {"poll_deadline", case_poll_deadline, 0, {0}},
  };
  return rt_main(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
