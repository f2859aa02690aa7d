/* nowarn.c — `-w` on a compile of lowered C.
 *
 * gcc's and clang's -w silences every warning, those made errors by
 * -Werror=... or a pragma included, so with it the channel type check of
 * lowered C (-Werror=incompatible-pointer-types: a directional channel
 * converted the wrong way) would let a wrong program build. Such a compile
 * runs without -w instead and without the -Werror options that -w made
 * inert, and what -w would have silenced is dropped from its messages:
 * every warning, and the notes and context lines that go with one.
 *
 * Invariants:
 *   - Only a command that holds -w and compiles a channel type is
 *     changed; the channel check's own -Werror=incompatible-pointer-types
 *     stays in it.
 *   - The messages kept are whole diagnostics: an error's first line, the
 *     lines under it (excerpt, caret) and its notes, after the context
 *     lines that introduce it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "transform.h"

#define CHANNEL_CHECK "-Werror=incompatible-pointer-types"

/* Whether file path holds a channel type: goc.h's GOC_CHAN and its
 * directional forms expand to a pointer to an array of one element. */
static bool names_a_channel_type(const char *path) {
  char *t = file_text(path, NULL);
  if (!t) return true;   /* unknown: as if it did */
  bool r = strstr(t, "(*)[1]") != NULL;
  free(t);
  return r;
}

bool nowarn_applies(char **argv) {
  bool w = false;
  for (int i = 0; argv[i] && !w; i++) w = !strcmp(argv[i], "-w");
  if (!w) return false;
  /* a compile with no channel type has no channel check to lose: it
     keeps its -w (and gcc's time: warnings computed and printed cost
     csmith programs 5-10% of the compile) */
  for (int i = 1; argv[i]; i++) {
    size_t n = strlen(argv[i]);
    if (n > 2 && !strcmp(argv[i] + n - 2, ".c") && names_a_channel_type(argv[i])) return true;
  }
  return false;
}

static bool inert_under_w(const char *a) {
  if (!strcmp(a, "-w") || !strcmp(a, "-Werror")) return true;
  return !strncmp(a, "-Werror=", 8) && strcmp(a, CHANNEL_CHECK);
}

char **nowarn_argv(char **argv) {
  int n = 0;
  while (argv[n]) n++;
  char **v = xcalloc((size_t)n + 1, sizeof *v);
  int k = 0;
  for (int i = 0; i < n; i++)
    if (i == 0 || !inert_under_w(argv[i])) v[k++] = argv[i];
  return v;
}

/* What a line of the compiler's messages is: a diagnostic's first line
 * ("path:line:col: error: ..."; gcc's and clang's excerpt and caret lines
 * under it carry no such words), a context line ("In function 'f':",
 * "In file included from ...", "At top level:"), which introduces the
 * diagnostic after it, or clang's count of warnings. */
typedef enum { LINE_MORE, LINE_ERROR, LINE_WARNING, LINE_NOTE, LINE_CONTEXT, LINE_COUNT } line_kind;

static line_kind kind_of(const char *line) {
  if (strstr(line, ": error: ") || strstr(line, ": fatal error: ")) return LINE_ERROR;
  if (strstr(line, ": warning: ")) return LINE_WARNING;
  if (strstr(line, ": note: ")) return LINE_NOTE;
  if (strstr(line, ": In function ") || strstr(line, ": In file included from") ||
      !strncmp(line, "In file included from ", 22) || strstr(line, ": At top level:") ||
      !strncmp(line, "                 from ", 22))
    return LINE_CONTEXT;
  if (strstr(line, " warning generated.") || strstr(line, " warnings generated.")) return LINE_COUNT;
  return LINE_MORE;
}

void nowarn_filter(const char *errpath) {
  char *text = file_text(errpath, NULL);
  if (!text) return;
  buf out = {0}, pending = {0};   /* context lines wait for what follows them */
  bool keep = false;
  for (char *p = text; *p;) {
    char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
    char *raw = xstrndup(p, len);
    char *line = plain_text(raw);   /* judged without its colours */
    free(raw);
    line_kind k = kind_of(line);
    if (k == LINE_CONTEXT) {
      buf_putn(&pending, p, len);
      keep = false;
    } else if (k == LINE_ERROR || k == LINE_WARNING || k == LINE_NOTE || k == LINE_COUNT) {
      /* a note goes with the diagnostic before it */
      keep = k == LINE_ERROR || (k == LINE_NOTE && keep);
      if (keep) buf_putn(&out, buf_str(&pending), pending.len);
      pending.len = 0;
      if (pending.s) pending.s[0] = 0;
      if (keep) buf_putn(&out, p, len);
    } else if (keep) {
      buf_putn(&out, p, len);
    }
    free(line);
    p += len;
  }
  FILE *f = fopen(errpath, "w");
  if (f) {
    fwrite(buf_str(&out), 1, out.len, f);
    fclose(f);
  }
  free(text);
  buf_free(&out);
  buf_free(&pending);
}
