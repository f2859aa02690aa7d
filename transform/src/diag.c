/* diag.c — diagnostics in the form compilers use: file:line:col: error: msg */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "transform.h"

int diag_count;
bool diag_quiet;

void diag_error(const source *s, TSNode at, const char *fmt, ...) {
  diag_count++;
  if (diag_quiet) return;
  int line = 1, col = 1;
  const char *file = s->path;
  if (!ts_node_is_null(at)) {
    node_pos(at, &line, &col);
    file = node_file(at);
  }
  fprintf(stderr, "%s:%d:%d: error: ", file, line, col);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

void diag_fatal(const char *fmt, ...) {
  fputs("goc: error: ", stderr);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(1);
}
