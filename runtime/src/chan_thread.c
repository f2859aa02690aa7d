/* chan_thread.c — channel operations for plain C threads.
 *
 * A thread that must wait enqueues a sudog whose record has no G; the waker
 * signals the record's note instead of readying a G. The thread unlocks the
 * channel, then sleeps on the note. If the thread is an M running a
 * goroutine (plain C code called from goroutine code), it hands its P off
 * around the sleep (goc__block_thread_enter/exit), as for a system call.
 * goc__note_sleep itself counts the thread as blocked in the runtime for
 * the deadlock detector. Every entry registers a plain thread first
 * (goc__plain_thread_touch): from then on it holds back the deadlock
 * verdict, even if this operation completes without blocking.
 */
#include "chan.h"

void goc__thread_wait(goc_waitrec *r, goc_wait_reason reason) {
  bool on_m = goc__getg() != NULL;
  if (on_m) goc__block_thread_enter(reason);
  goc__note_sleep(&r->note);
  if (on_m) goc__block_thread_exit();
}

void goc__thread_block_forever(goc_wait_reason reason) {
  goc_note n;
  goc__note_clear(&n);
  bool on_m = goc__getg() != NULL;
  if (on_m) goc__block_thread_enter(reason);
  for (;;) goc__note_sleep(&n);
}

void goc_chan_send(goc_chan *c, const void *elem) {
  goc__plain_thread_touch();
  if (!c) goc__thread_block_forever(GOC_WAIT_CHAN_SEND_NIL);
  goc_sudog *s;
  if (goc__chansend(c, elem, true, NULL, &s)) return;
  goc_waitrec *r = goc__sudog_rec(s);
  goc__chanunlock(&c->lock);
  goc__thread_wait(r, GOC_WAIT_CHAN_SEND);
  if (r->woken != &r->sg[0].s) goc__throw("chansend: spurious wakeup");
  bool ok = r->sg[0].s.success;
  goc__waitrec_put(r);
  if (!ok) goc__panic_str("send on closed channel");
}

bool goc_chan_recv(goc_chan *c, void *elem) {
  goc__plain_thread_touch();
  if (!c) goc__thread_block_forever(GOC_WAIT_CHAN_RECV_NIL);
  goc_sudog *s;
  bool ok = false;
  if (goc__chanrecv(c, elem, &ok, true, NULL, &s)) return ok;
  goc_waitrec *r = goc__sudog_rec(s);
  goc__chanunlock(&c->lock);
  goc__thread_wait(r, GOC_WAIT_CHAN_RECV);
  if (r->woken != &r->sg[0].s) goc__throw("chanrecv: spurious wakeup");
  ok = r->sg[0].s.success;
  goc__waitrec_put(r);
  return ok;
}

/* The same from goroutine code (lowered one-case selects with a default):
 * no plain-thread bookkeeping, and no lock-free "would block" check: the
 * lowered code's inline wrapper (goc_abi.h) ran it before the call, so the
 * common failing case costs a few loads and no call at all, and the one
 * that may complete goes straight to the locked path. */
int goc__chan_trysend(goc_chan *c, const void *elem) {
  return goc__chansend(c, elem, false, NULL, NULL) != 0;
}

int goc__chan_tryrecv(goc_chan *c, void *dst, bool *ok) {
  bool rok = false;
  if (!goc__chanrecv(c, dst, &rok, false, NULL, NULL)) return 0;
  if (ok) *ok = rok;
  return 1;
}

bool goc_chan_trysend(goc_chan *c, const void *elem) {
  goc__plain_thread_touch();
  if (!c || goc__chan_send_would_block(c)) return false;
  return goc__chansend(c, elem, false, NULL, NULL) != 0;
}

bool goc_chan_tryrecv(goc_chan *c, void *elem, bool *ok) {
  goc__plain_thread_touch();
  if (!c || goc__chan_recv_would_block(c)) return false;
  bool rok = false;
  if (!goc__chanrecv(c, elem, &rok, false, NULL, NULL)) return false;
  if (ok) *ok = rok;
  return true;
}
