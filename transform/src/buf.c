/* buf.c — growable strings and checked allocation. */
#include "buf.h"
#include "transform.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(void) { diag_oom(); }
void *xmalloc(size_t n) { void *p = malloc(n ? n : 1); if (!p) oom(); return p; }
void *xcalloc(size_t n, size_t m) { void *p = calloc(n ? n : 1, m ? m : 1); if (!p) oom(); return p; }
void *xrealloc(void *p, size_t n) { p = realloc(p, n ? n : 1); if (!p) oom(); return p; }
char *xstrdup(const char *s) { return xstrndup(s, strlen(s)); }
char *xstrndup(const char *s, size_t n) {
  char *p = xmalloc(n + 1);
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}
char *xasprintf(const char *fmt, ...) {
  buf b = {0};
  va_list ap;
  va_start(ap, fmt);
  buf_vprintf(&b, fmt, ap);
  va_end(ap);
  return buf_take(&b);
}

void buf_grow(buf *b, size_t extra) {
  if (b->len + extra + 1 <= b->cap) return;
  size_t cap = b->cap ? b->cap * 2 : 256;
  while (cap < b->len + extra + 1) cap *= 2;
  b->s = xrealloc(b->s, cap);
  b->cap = cap;
}
void buf_cat(buf *b, ...) {
  va_list ap;
  va_start(ap, b);
  for (const char *p; (p = va_arg(ap, const char *));) buf_puts(b, p);
  va_end(ap);
}
/* Formats into the room already there and only on overflow a second time:
 * most writes fit, and the lowering's output is mostly printf'd. */
void buf_vprintf(buf *b, const char *fmt, va_list ap) {
  buf_grow(b, 128);
  va_list ap2;
  va_copy(ap2, ap);
  size_t room = b->cap - b->len;
  int n = vsnprintf(b->s + b->len, room, fmt, ap2);
  va_end(ap2);
  if (n < 0) {
    b->s[b->len] = 0;
    return;
  }
  if ((size_t)n >= room) {
    buf_grow(b, (size_t)n);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
  }
  b->len += (size_t)n;
}
void buf_printf(buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  buf_vprintf(b, fmt, ap);
  va_end(ap);
}
const char *buf_str(buf *b) { return b->s ? b->s : ""; }
char *buf_take(buf *b) {
  char *s = b->s ? b->s : xstrdup("");
  b->s = NULL;
  b->len = b->cap = 0;
  return s;
}
void buf_free(buf *b) { free(b->s); b->s = NULL; b->len = b->cap = 0; }

void buf_put_cstr(buf *b, const char *s) {
  buf_putc(b, '"');
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') buf_putc(b, '\\');
    buf_putc(b, *s);
  }
  buf_putc(b, '"');
}

void buf_put_line(buf *b, int line, const char *path) {
  if (b->len && b->s[b->len - 1] != '\n') buf_putc(b, '\n');
  buf_printf(b, "#line %d ", line);
  buf_put_cstr(b, path);
  buf_putc(b, '\n');
}
