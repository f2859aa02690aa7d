/* buf.h — a growable string, the unit every stage of the transformer writes.
 * Invariant: s is always NUL-terminated (len excludes the NUL); s is NULL
 * only before the first write. Allocation failure aborts. */
#ifndef GOC_BUF_H
#define GOC_BUF_H
#include <stdarg.h>
#include <stddef.h>

typedef struct buf {
  char *s;
  size_t len, cap;
} buf;

void buf_grow(buf *b, size_t extra);   /* room for extra more bytes and the NUL */
/* Inline where there is room: the lowering writes its text in hundreds of
 * thousands of pieces, and a call and a reserve each cost as much as a
 * short copy. */
static inline void buf_putn(buf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) buf_grow(b, n);
  __builtin_memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = 0;
}
static inline void buf_puts(buf *b, const char *s) { buf_putn(b, s, __builtin_strlen(s)); }
static inline void buf_putc(buf *b, char c) { buf_putn(b, &c, 1); }
/* The strings up to a NULL, one after another: for pieces of any length,
 * which buf_printf would copy through vsnprintf (twice when they overflow
 * the room there is). */
__attribute__((sentinel)) void buf_cat(buf *b, ...);
__attribute__((format(printf, 2, 3))) void buf_printf(buf *b, const char *fmt, ...);
void buf_vprintf(buf *b, const char *fmt, va_list ap);
/* s as a C string literal, quotes included. */
void buf_put_cstr(buf *b, const char *s);
/* A #line directive on its own line. */
void buf_put_line(buf *b, int line, const char *path);
const char *buf_str(buf *b);     /* "" when empty */
char *buf_take(buf *b);          /* returns the string, resets b */
void buf_free(buf *b);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
__attribute__((format(printf, 1, 2))) char *xasprintf(const char *fmt, ...);
#endif
