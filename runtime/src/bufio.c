/* bufio.c — goc_reader, Go's bufio.Reader over a connection or an fd.
 *
 * Invariants:
 *   - buf[r, w) are the bytes read and not yet consumed; 0 <= r <= w <= size.
 *   - `filling` is set while a read into buf[w, size) is in progress
 *     (possibly suspended): every call first finishes it, with the same
 *     arguments, before it looks at the buffer (goc_abi.h: an __async
 *     function is called again with the same arguments). The buffer is
 *     compacted only when a read starts, never while one is in progress.
 *   - An EOF or error from the fd is kept (eof, err) until the bytes read
 *     before it have been returned; reporting it clears it, so a later
 *     call reads again (Go's readErr).
 *   - `done` is what read_until has copied into the caller's buffer so far
 *     in the call in progress; 0 between calls. One call at a time per
 *     reader (a reader is for one goroutine at a time, as in Go), so the
 *     state lives in the reader, not in the G; the read underneath keeps
 *     its own state in the G.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "proc.h"

#define DEFAULT_SIZE 4096

struct goc_reader {
  goc_conn *c;        /* or NULL: fd */
  int fd;
  char *buf;
  size_t size, r, w;
  bool filling, eof;
  int err;
  size_t done;
};

static goc_reader *reader_new(goc_conn *c, int fd, size_t size) {
  if (size == 0) size = DEFAULT_SIZE;
  goc_reader *r = calloc(1, sizeof *r);
  if (r) r->buf = malloc(size);
  if (!r || !r->buf) {
    free(r);
    errno = ENOMEM;
    return NULL;
  }
  r->c = c;
  r->fd = fd;
  r->size = size;
  return r;
}

goc_reader *goc_reader_new(goc_conn *c, size_t size) { return reader_new(c, -1, size); }
goc_reader *goc_reader_new_fd(int fd, size_t size) { return reader_new(NULL, fd, size); }

void goc_reader_free(goc_reader *r) {
  if (!r) return;
  free(r->buf);
  free(r);
}

size_t goc_reader_buffered(goc_reader *r) { return r->w - r->r; }

/* One read into the free end of buf: 1 when done (w, eof or err moved), 0
 * to suspend. */
static int fill(goc_g *g, goc_reader *r) {
  if (!r->filling) {
    if (r->r > 0) {
      memmove(r->buf, r->buf + r->r, r->w - r->r);
      r->w -= r->r;
      r->r = 0;
    }
    r->filling = true;
  }
  ssize_t n;
  int ok = r->c ? goc_conn_read__async(g, &n, r->c, r->buf + r->w, r->size - r->w)
                : goc_read__async(g, &n, r->fd, r->buf + r->w, r->size - r->w);
  if (!ok) return 0;
  r->filling = false;
  if (n > 0) r->w += (size_t)n;
  else if (n == 0) r->eof = true;
  else r->err = errno ? errno : EIO;
  return 1;
}

/* Nothing buffered and an EOF or error kept: report it (0 or -1). */
static bool report(goc_reader *r, ssize_t *result) {
  if (r->err) {
    errno = r->err;
    r->err = 0;
    *result = -1;
    return true;
  }
  if (r->eof) {
    r->eof = false;
    *result = 0;
    return true;
  }
  return false;
}

int goc_reader_read__async(goc_g *g, ssize_t *result, goc_reader *r, void *buf, size_t n) {
  for (;;) {
    if (r->filling && !fill(g, r)) return 0;
    if (n == 0) { *result = 0; return 1; }
    size_t avail = r->w - r->r;
    if (avail > 0) {
      size_t k = avail < n ? avail : n;
      memcpy(buf, r->buf + r->r, k);
      r->r += k;
      *result = (ssize_t)k;
      return 1;
    }
    if (report(r, result)) return 1;
    if (!fill(g, r)) return 0;
  }
}

int goc_reader_read_until__async(goc_g *g, ssize_t *result, goc_reader *r, int delim,
                                 char *buf, size_t n) {
  if (n == 0) { errno = EINVAL; *result = -1; return 1; }
  for (;;) {
    if (r->filling && !fill(g, r)) return 0;
    size_t room = n - 1 - r->done, avail = r->w - r->r;
    size_t look = avail < room ? avail : room;
    char *hit = memchr(r->buf + r->r, (unsigned char)delim, look);
    size_t k = hit ? (size_t)(hit - (r->buf + r->r)) + 1 : look;
    memcpy(buf + r->done, r->buf + r->r, k);
    r->r += k;
    r->done += k;
    if (hit || r->done == n - 1 || ((r->eof || r->err) && r->done > 0)) {
      buf[r->done] = 0;
      *result = (ssize_t)r->done;
      r->done = 0;
      return 1;
    }
    if (report(r, result)) {
      buf[0] = 0;
      return 1;
    }
    if (!fill(g, r)) return 0;
  }
}

int goc_reader_read_line__async(goc_g *g, ssize_t *result, goc_reader *r, char *buf,
                                size_t n) {
  if (!goc_reader_read_until__async(g, result, r, '\n', buf, n)) return 0;
  ssize_t k = *result;
  if (k > 0 && buf[k - 1] == '\n') {
    buf[--k] = 0;
    if (k > 0 && buf[k - 1] == '\r') buf[--k] = 0;
  }
  return 1;
}

int goc_reader_peek__async(goc_g *g, ssize_t *result, goc_reader *r, size_t n,
                           const char **p) {
  if (n > r->size) { errno = ENOBUFS; *result = -1; return 1; }
  for (;;) {
    if (r->filling && !fill(g, r)) return 0;
    size_t avail = r->w - r->r;
    if (avail >= n || ((r->eof || r->err) && avail > 0)) {
      *p = r->buf + r->r;
      *result = (ssize_t)(avail < n ? avail : n);
      return 1;
    }
    *p = r->buf + r->r;
    if (report(r, result)) return 1;
    if (!fill(g, r)) return 0;
  }
}

/* ---- from plain C ---------------------------------------------------------- */

typedef struct reader_call {
  goc_reader *r;
  int delim;
  void *buf;
  size_t n;
  const char **p;
  ssize_t result;
} reader_call;

static int read_op(goc_g *g, void *p) {
  reader_call *a = p;
  return goc_reader_read__async(g, &a->result, a->r, a->buf, a->n);
}
ssize_t goc_reader_read(goc_reader *r, void *buf, size_t n) {
  reader_call a = {.r = r, .buf = buf, .n = n};
  goc__run_async(read_op, &a, "goc_reader_read");
  return a.result;
}

static int until_op(goc_g *g, void *p) {
  reader_call *a = p;
  return goc_reader_read_until__async(g, &a->result, a->r, a->delim, a->buf, a->n);
}
ssize_t goc_reader_read_until(goc_reader *r, int delim, char *buf, size_t n) {
  reader_call a = {.r = r, .delim = delim, .buf = buf, .n = n};
  goc__run_async(until_op, &a, "goc_reader_read_until");
  return a.result;
}

static int line_op(goc_g *g, void *p) {
  reader_call *a = p;
  return goc_reader_read_line__async(g, &a->result, a->r, a->buf, a->n);
}
ssize_t goc_reader_read_line(goc_reader *r, char *buf, size_t n) {
  reader_call a = {.r = r, .buf = buf, .n = n};
  goc__run_async(line_op, &a, "goc_reader_read_line");
  return a.result;
}

static int peek_op(goc_g *g, void *p) {
  reader_call *a = p;
  return goc_reader_peek__async(g, &a->result, a->r, a->n, a->p);
}
ssize_t goc_reader_peek(goc_reader *r, size_t n, const char **p) {
  reader_call a = {.r = r, .n = n, .p = p};
  goc__run_async(peek_op, &a, "goc_reader_peek");
  return a.result;
}
