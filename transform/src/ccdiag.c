/* ccdiag.c — the C compiler's diagnostics for the lowered C, on their way
 * to the user (goc cc): columns of the user's .goc lines, and the user's
 * function names.
 *
 * A lowered statement is one physical line under the #line of its .goc
 * line, and the statement machinery (a spill, the frame's line, a
 * receive's fast path) comes before the user's text on it, so the
 * compiler's column for a token of the user's is one of the lowered line
 * (14:344). The token at that column is found in the lowered line and,
 * as the n-th of its spelling there, at the n-th of its spelling in the
 * .goc line (check.c's token_column does the same for goc's own check).
 * A column that does not map (a generated token) is left as it is.
 * "In function 'F__step'" names the user's F. */
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "transform.h"

typedef struct pline { const char *file; int line; const char *text; size_t len; const char *base; } pline;
typedef struct lowered { char *data; pline *v; int n; } lowered;

/* Every physical line of a lowered file with the file and line it stands for. */
static void index_lowered(lowered *lw, char *text) {
  const char *file = NULL;
  int line = 1;
  for (char *p = text; *p;) {
    char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    const char *q = p + 1;
    if (p[0] == '#') {
      while (*q == ' ') q++;
      if (!strncmp(q, "line ", 5)) q += 5;
    }
    if (p[0] == '#' && *q >= '0' && *q <= '9') {
      line = atoi(q);
      const char *s = strchr(q, '"');
      if (s && s < p + len) {
        const char *e = strchr(s + 1, '"');
        if (e && e < p + len) {
          file = xstrndup(s + 1, (size_t)(e - s - 1));   /* kept for the index's life */
        }
      }
    } else {
      if (file) {
        lw->v = xrealloc(lw->v, sizeof(pline) * (size_t)(lw->n + 1));
        lw->v[lw->n++] = (pline){file, line, p, len, text};
      }
      line++;
    }
    if (!nl) break;
    p = nl + 1;
  }
}

static bool is_word(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }
static bool is_op(char c) { return c && strchr("+-*/%=<>!&|^~?:", c); }

/* The byte offset of display column col (tabs to the next multiple of 8),
 * or -1 past the end. */
static long offset_of_column(const char *s, size_t len, int col) {
  int c = 1;
  for (size_t i = 0; i < len; i++) {
    if (c >= col) return (long)i;
    if (s[i] == '\t') c = ((c - 1) / 8 + 1) * 8 + 1;
    else if (((unsigned char)s[i] & 0xC0) != 0x80) c++;
  }
  return -1;
}

static int column_of_offset(const char *s, size_t off) {
  int c = 1;
  for (size_t i = 0; i < off; i++) {
    if (s[i] == '\t') c = ((c - 1) / 8 + 1) * 8 + 1;
    else if (((unsigned char)s[i] & 0xC0) != 0x80) c++;
  }
  return c;
}

/* The token starting at s[off]: its length (0 if there is none). */
static size_t token_len(const char *s, size_t len, size_t off) {
  size_t e = off;
  if (is_word(s[off])) {
    while (e < len && is_word(s[e])) e++;
  } else if (s[off] == '"' || s[off] == '\'') {
    char q = s[off];
    for (e = off + 1; e < len && s[e] != q; e++)
      if (s[e] == '\\' && e + 1 < len) e++;
    if (e < len) e++;
  } else if (is_op(s[off])) {
    while (e < len && is_op(s[e])) e++;
  } else {
    e = off + 1;
  }
  return e - off;
}


/* The token of s that holds byte off: its start, or -1. */
static long token_start(const char *s, size_t len, size_t off) {
  for (size_t i = 0; i < len;) {
    if (s[i] == ' ' || s[i] == '\t') { i++; continue; }
    size_t tl = token_len(s, len, i);
    if (off < i + tl) return off >= i ? (long)i : -1;
    i += tl;
  }
  return -1;
}

/* The tokens of s equal to t: how many, and the start of the n-th. */
static int tokens_equal(const char *s, size_t len, const char *t, size_t tl, int nth, size_t *at) {
  int count = 0;
  for (size_t i = 0; i < len;) {
    if (s[i] == ' ' || s[i] == '\t') { i++; continue; }
    size_t l = token_len(s, len, i);
    if (l == tl && !strncmp(s + i, t, tl)) {
      if (count == nth) *at = i;
      count++;
    }
    i += l;
  }
  return count;
}

/* The .goc column of what is at column col of the lowered line pl, or 0;
 * with name, only if its token is that name. The token is taken as the
 * k-th of its spelling on both lines, counted from the start when both
 * have as many, else from the end (the machinery comes first on a line,
 * naming the user's locals too), so a column inside a string (gcc's
 * -Wformat points at the directive) keeps its place in it. */
static int map_column(const pline *pl, int col, const char *src, size_t srclen, const char *name, size_t *tok_len) {
  long off = offset_of_column(pl->text, pl->len, col);
  if (off < 0) return 0;
  long ts = token_start(pl->text, pl->len, (size_t)off);
  if (ts < 0) return 0;
  size_t tl = token_len(pl->text, pl->len, (size_t)ts);
  const char *t = pl->text + ts;
  if (name && (strlen(name) != tl || strncmp(name, t, tl))) return 0;
  if (tl == 9 && !strncmp(t, "GOC__INIT", 9)) {
    /* an initialiser's conversion, reported where the macro is used:
       gcc points at the value (after the '=' that follows the name in
       "GOC__INIT(x, ("), clang at the name */
    const char *nm = t + 9, *end = pl->text + pl->len;
    while (nm < end && (*nm == '(' || *nm == ' ')) nm++;
    const char *ne = nm;
    while (ne < end && is_word(*ne)) ne++;
    /* in the .goc line: the name declared, then its '=' */
    for (size_t i = 0; ne > nm && i + (size_t)(ne - nm) <= srclen; i++) {
      if (strncmp(src + i, nm, (size_t)(ne - nm)) || (i && is_word(src[i - 1])) || is_word(src[i + (size_t)(ne - nm)]))
        continue;
      size_t j = i + (size_t)(ne - nm);
      while (j < srclen && (src[j] == ' ' || src[j] == '\t' || src[j] == ']' || src[j] == '[' || is_word(src[j]))) j++;
      if (j >= srclen || src[j] != '=' || (j + 1 < srclen && src[j + 1] == '=')) continue;
      if (!compiler_is_gcc()) {   /* clang points at the name */
        *tok_len = (size_t)(ne - nm);
        return column_of_offset(src, i);
      }
      j++;
      while (j < srclen && (src[j] == ' ' || src[j] == '\t')) j++;
      if (j >= srclen) break;
      *tok_len = token_len(src, srclen, j);
      return column_of_offset(src, j);
    }
    return 0;
  }
  if (tl >= 4 && !strncmp(t, "goc_", 4)) return 0;
  if (tl >= 5 && !strncmp(t, "GOC__", 5)) return 0;
  size_t dummy;
  int before = tokens_equal(pl->text, (size_t)ts, t, tl, -1, &dummy);
  int in_lowered = tokens_equal(pl->text, pl->len, t, tl, -1, &dummy);
  int in_src = tokens_equal(src, srclen, t, tl, -1, &dummy);
  if (!in_src) return 0;
  int k = in_lowered == in_src ? before : in_src - (in_lowered - before);
  if (k < 0 || k >= in_src) return 0;
  size_t at = 0;
  tokens_equal(src, srclen, t, tl, k, &at);
  *tok_len = tl - (size_t)(off - ts);
  return column_of_offset(src, at + (size_t)(off - ts));
}

/* The first name quoted in a message (‘x’ or 'x'), or NULL. */
static char *quoted_name(const char *m) {
  for (const char *p = m; *p; p++) {
    size_t q = !strncmp(p, "\xe2\x80\x98", 3) ? 3 : *p == '\'' ? 1 : 0;
    if (!q) continue;
    const char *s = p + q, *e = s;
    while (is_word(*e)) e++;
    if (e > s && (!strncmp(e, "\xe2\x80\x99", 3) || *e == '\'')) return xstrndup(s, (size_t)(e - s));
  }
  return NULL;
}

/* Line n (1-based) of a file, cached by path. */
typedef struct srcfile { char *path; char *data; size_t len; } srcfile;
static srcfile *srcs;
static int nsrcs;

static const char *src_line(const char *path, int n, size_t *len) {
  srcfile *f = NULL;
  for (int i = 0; i < nsrcs && !f; i++)
    if (!strcmp(srcs[i].path, path)) f = &srcs[i];
  if (!f) {
    srcs = xrealloc(srcs, sizeof(srcfile) * (size_t)(nsrcs + 1));
    f = &srcs[nsrcs++];
    f->path = xstrdup(path);
    f->data = file_text(path, &f->len);
  }
  if (!f->data) return NULL;
  const char *p = f->data;
  for (int i = 1; i < n && p; i++) {
    p = strchr(p, '\n');
    if (p) p++;
  }
  if (!p) return NULL;
  *len = strcspn(p, "\r\n");
  return p;
}

/* line without its escape sequences (-fdiagnostics-color) */
char *plain_text(const char *line) {
  buf b = {0};
  for (const char *p = line; *p; p++) {
    if (*p == '\033' && p[1] == '[') {
      p += 2;
      while (*p && !(*p >= '@' && *p <= '~')) p++;
      if (!*p) break;
      continue;
    }
    buf_putc(&b, *p);
  }
  return buf_take(&b);
}

/* "F:L:C: " at the start of a plain line: F's length, L and C, or 0. */
static size_t parse_location(const char *s, int *line, int *col) {
  for (const char *p = s; *p && *p != ' '; p++) {
    if (*p != ':' || p == s) continue;
    char *e;
    long l = strtol(p + 1, &e, 10);
    if (e == p + 1 || *e != ':') continue;
    char *e2;
    long c = strtol(e + 1, &e2, 10);
    if (e2 == e + 1 || *e2 != ':') continue;
    *line = (int)l;
    *col = (int)c;
    return (size_t)(p - s);
  }
  return 0;
}

/* Whether a line is a caret line: spaces, a gcc margin (digits, '|'), then ^ ~ and spaces. */
static bool is_caret_line(const char *s) {
  bool caret = false;
  for (const char *p = s; *p && *p != '\n'; p++) {
    if (*p == '^') caret = true;
    else if (!strchr(" ~|", *p) && !(*p >= '0' && *p <= '9')) return false;
  }
  return caret;
}

/* gcc's excerpt margin, "  NN | " */
static bool gcc_margin(const char *s) {
  while (*s == ' ') s++;
  if (!(*s >= '0' && *s <= '9')) return false;
  while (*s >= '0' && *s <= '9') s++;
  return s[0] == ' ' && s[1] == '|';
}

static void rename_steps(const char *line, buf *out) {
  /* ‘F__step’ (or 'F__step'): the user's F; main's step is goc_main */
  for (const char *p = line; *p;) {
    const char *m = strstr(p, "__step");
    if (!m) {
      buf_puts(out, p);
      return;
    }
    const char *after = m + 6, *q = after;
    while (q[0] == '\033' && q[1] == '[') {   /* -fdiagnostics-color */
      q += 2;
      while (*q && !(*q >= '@' && *q <= '~')) q++;
      if (*q) q++;
    }
    bool quoted = !strncmp(q, "\xe2\x80\x99", 3) || *q == '\'';
    const char *start = m;
    while (start > p && is_word(start[-1])) start--;
    if (quoted && start < m) {
      buf_putn(out, p, (size_t)(start - p));
      if (!(m - start == 8 && !strncmp(start, "goc_main", 8))) buf_putn(out, start, (size_t)(m - start));
      else buf_puts(out, "main");
      p = after;
    } else {
      buf_putn(out, p, (size_t)(after - p));
      p = after;
    }
  }
}

/* clang names an initialiser's target by GOC__INIT's __typeof__(x):
 * 'typeof (x)' (aka 'T') becomes 'T', as for the same C. */
static void strip_init_typeof(const char *line, buf *out) {
  for (const char *p = line; *p;) {
    const char *m = strstr(p, "'typeof (");
    const char *aka = m ? strstr(m, ")' (aka '") : NULL;
    const char *end = aka ? strstr(aka + 9, "')") : NULL;
    if (!end) {
      buf_puts(out, p);
      return;
    }
    buf_putn(out, p, (size_t)(m - p) + 1);
    buf_putn(out, aka + 9, (size_t)(end - aka - 9) + 1);
    p = end + 2;
  }
}

/* Whether gcc quotes with ‘ ’ here: a UTF-8 locale, as gcc's intl.c asks. */
static bool utf8_quotes(void) {
  static int known = -1;
  if (known < 0) {
    setlocale(LC_CTYPE, "");
    const char *cs = nl_langinfo(CODESET);
    known = cs && (!strcmp(cs, "UTF-8") || !strcmp(cs, "utf8"));
  }
  return known;
}

/* The stand-ins for -Wreturn-type (warnflags.c, goc_abi.h): a warning or
 * error for "call to 'goc__X' declared with attribute warning: WORDS
 * [-Wattribute-warning]" becomes the compiler's own for the user's
 * return: WORDS, with -Wreturn-type's option where the compiler names one,
 * and clang's name of the function (fn, NULL if unknown). */
typedef enum { STANDIN_NONE, STANDIN_FELL_OFF, STANDIN_RETURN_VALUE, STANDIN_RETURN_NO_VALUE } standin;
static const char *const standin_names[] = {"", "goc__fell_off_end", "goc__return_value_in_void",
                                            "goc__return_no_value"};

static standin standin_of(const char *line) {
  const char *call = strstr(line, "call to ");
  for (int k = STANDIN_FELL_OFF; call && k <= STANDIN_RETURN_NO_VALUE; k++)
    if (strstr(call, standin_names[k])) return (standin)k;
  return STANDIN_NONE;
}

static void standin_message(const char *line, standin k, const char *fn, buf *out) {
  const char *call = strstr(line, "call to ");
  const char *w = call ? strstr(call, ": ") : NULL;
  if (!w) {
    buf_puts(out, line);
    return;
  }
  w += 2;
  bool clang = !strncmp(w, "non-void function", 17) || !strncmp(w, "void function", 13);
  bool error = strstr(call, "goc__fell_off_end_error") != NULL;
  buf_putn(out, line, (size_t)(call - line));
  const char *opt = strstr(w, "-Wattribute-warning");
  const char *end = opt ? opt : w + strlen(w);
  if (opt) {   /* back to the bracket before it, colored or not */
    const char *br = opt;
    while (br > w && br[-1] != '[') br--;
    if (br > w && k != STANDIN_FELL_OFF && !clang && !warn_return_type_gcc())
      end = br - 1 > w && br[-2] == ' ' ? br - 2 : br - 1;
  }
  /* clang names the function: "void function 'g' should not..." */
  const char *fw = clang && fn && k != STANDIN_FELL_OFF ? strstr(w, "function ") : NULL;
  const char *rq = !clang ? strstr(w, "'return'") : NULL;
  if (rq && rq < end && utf8_quotes()) {   /* gcc quotes as its locale does */
    buf_putn(out, w, (size_t)(rq - w));
    buf_puts(out, "\xe2\x80\x98return\xe2\x80\x99");
    w = rq + 8;
  }
  if (fw && fw < end) {
    fw += 9;
    buf_putn(out, w, (size_t)(fw - w));
    buf_printf(out, "'%s' ", fn);
    buf_putn(out, fw, (size_t)(end - fw));
  } else {
    buf_putn(out, w, (size_t)(end - w));
  }
  if (opt && end == opt) {
    buf_puts(out, "-Wreturn-type");
    buf_puts(out, opt + strlen("-Wattribute-warning"));
  } else if (opt) {
    const char *close = strchr(opt, ']');
    if (close) buf_puts(out, close + 1);
  } else if (error && k == STANDIN_FELL_OFF) {
    buf_puts(out, clang ? " [-Werror,-Wreturn-type]" : " [-Werror=return-type]");
  } else if (clang) {
    buf_puts(out, " [-Wreturn-type]");
  }
}

/* The user's name of the step function that holds from (in pl), or NULL. */
static char *step_function_of(const pline *pl, const char *from) {
  static const char marker[] = "__step(goc_g *goc_cur, goc_frame *goc_frp) {";
  for (const char *p = from; p > pl->base; p--) {
    if (*p != '_' || strncmp(p, marker, sizeof marker - 1)) continue;
    const char *st = p;
    while (st > pl->base && is_word(st[-1])) st--;
    if (p - st == 8 && !strncmp(st, "goc_main", 8)) return xstrdup("main");
    return xstrndup(st, (size_t)(p - st));
  }
  return NULL;
}

/* The column of the first `return` on a line, and of what follows it
 * (gcc points at a returned value), or 0. */
static int return_column(const char *src, size_t len, bool value) {
  for (size_t i = 0; i + 6 <= len; i++) {
    if (strncmp(src + i, "return", 6) || (i && is_word(src[i - 1])) || (i + 6 < len && is_word(src[i + 6]))) continue;
    size_t j = i + 6;
    if (value) {
      while (j < len && (src[j] == ' ' || src[j] == '\t')) j++;
      if (j < len && src[j] != ';') return column_of_offset(src, j);
    }
    return column_of_offset(src, i);
  }
  return 0;
}

/* The column of a line's last '}' (the function's closing brace), or 0. */
static int closing_brace_column(const char *src, size_t len) {
  for (size_t i = len; i > 0; i--)
    if (src[i - 1] == '}') return column_of_offset(src, i - 1);
  return 0;
}

void relay_cc_diagnostics(const char *errpath, char **argv, const char *workdir) {
  size_t n = 0;
  char *errs = file_text(errpath, &n);
  if (!errs) return;
  if (!n) {
    free(errs);
    return;
  }
  lowered lw = {0};
  size_t wl = strlen(workdir);
  for (int i = 0; argv[i]; i++) {
    size_t al = strlen(argv[i]);
    if (al > 2 && !strcmp(argv[i] + al - 2, ".c") && !strncmp(argv[i], workdir, wl)) {
      char *d = file_text(argv[i], NULL);
      if (d) index_lowered(&lw, d);   /* kept: the index points into it */
    }
  }
  bool ends_in_newline = n && errs[n - 1] == '\n';
  buf out = {0};
  int fix_caret = 0;      /* lines to the caret line of the last diagnostic moved */
  int skip_note = 0;      /* lines left of a dropped note's excerpt */
  int new_col = 0;
  size_t new_len = 0, excerpt_len = 0;
  const char *excerpt = NULL;   /* the .goc line of the last diagnostic moved */
  for (char *p = errs; *p;) {
    char *nl = strchr(p, '\n');
    if (nl) *nl = 0;
    char *plain = plain_text(p);
    int line, col;
    size_t fl = parse_location(plain, &line, &col);
    bool done = false;
    if (skip_note && !fl) {
      /* the excerpt of goc's own macro, and its caret */
      skip_note--;
      free(plain);
      if (!nl) break;
      p = nl + 1;
      continue;
    }
    skip_note = 0;
    if (fl && strstr(plain + fl, "note: expanded from macro 'GOC__")) {
      /* clang's note that a message's token came from GOC__INIT & co.:
         the user wrote no macro */
      skip_note = 0;
      const char *ex = nl ? nl + 1 : NULL, *ex_end = ex ? strchr(ex, '\n') : NULL;
      if (ex_end) {   /* an excerpt is its line, then a caret line */
        char *caret = xstrndup(ex_end + 1, strcspn(ex_end + 1, "\n"));
        char *pc = plain_text(caret);
        if (is_caret_line(pc)) skip_note = 2;
        free(pc);
        free(caret);
      }
      fix_caret = 0;
      free(plain);
      if (!nl) break;
      p = nl + 1;
      continue;
    }
    if (fix_caret == 2 && !is_caret_line(plain) && excerpt) {
      /* clang shows the lowered line: the .goc line instead; gcc's
         colors a range at the lowered columns: none */
      fix_caret--;
      if (gcc_margin(plain)) buf_puts(&out, plain);
      else buf_putn(&out, excerpt, excerpt_len);
      done = true;
    } else if (fix_caret && --fix_caret == 0 && is_caret_line(plain)) {
      /* the caret under the .goc line's token */
      const char *bar = strchr(plain, '|');
      size_t margin = bar ? (size_t)(bar - plain) + 1 : 0;
      buf_putn(&out, plain, margin);
      if (bar) buf_putc(&out, ' ');   /* gcc's "NN | " */
      for (int c = 1; c < new_col; c++) buf_putc(&out, ' ');
      buf_putc(&out, '^');
      for (size_t c = 1; c < new_len; c++) buf_putc(&out, '~');
      done = true;
    } else if (fl && lw.n) {
      char *file = xstrndup(plain, fl);
      size_t srclen = 0;
      const char *src = src_line(file, line, &srclen);
      int mapped = 0;
      size_t tl = 0;
      /* several lowered lines stand for one .goc line (a local's type at
         the top, its statement): the one whose token is the name the
         message quotes, else the first whose token is on the .goc line */
      char *name = quoted_name(plain + fl);
      standin sk = standin_of(plain + fl);
      bool fell = sk != STANDIN_NONE;
      char *fn = NULL;
      if (fell && src) {
        bool gcc_value = sk == STANDIN_RETURN_VALUE && !strstr(plain + fl, "void function should");
        mapped = sk == STANDIN_FELL_OFF ? closing_brace_column(src, srclen) : return_column(src, srclen, gcc_value);
        tl = sk == STANDIN_FELL_OFF || gcc_value ? 1 : 6;
        for (int i = 0; i < lw.n && !fn; i++)
          if (lw.v[i].line == line && !strcmp(lw.v[i].file, file)) {
            const char *call = strstr(lw.v[i].text, standin_names[sk]);
            if (call && call < lw.v[i].text + lw.v[i].len) fn = step_function_of(&lw.v[i], call);
          }
      }
      /* an initialiser's line first (its type's typedef at the top of the
         step function is on the same .goc line) */
      for (int i = 0; src && i < lw.n && !mapped && !fell; i++)
        if (lw.v[i].line == line && !strcmp(lw.v[i].file, file))
          mapped = map_column(&lw.v[i], col, src, srclen, "GOC__INIT", &tl);
      bool initialiser = mapped != 0;
      for (int pass = name ? 0 : 1; pass < 2 && !mapped && !fell; pass++)
        for (int i = 0; src && i < lw.n && !mapped; i++)
          if (lw.v[i].line == line && !strcmp(lw.v[i].file, file))
            mapped = map_column(&lw.v[i], col, src, srclen, pass ? NULL : name, &tl);
      free(name);
      free(file);
      fix_caret = 0;
      if (mapped) {
        /* the location is one run of text in the colored line too */
        char from[64], to[64];
        snprintf(from, sizeof from, ":%d:%d:", line, col);
        snprintf(to, sizeof to, ":%d:%d:", line, mapped);
        char *at = strstr(p, from);
        if (at) {
          buf_putn(&out, p, (size_t)(at - p));
          buf tail = {0}, words = {0};
          if (fell) {
            standin_message(at + strlen(from), sk, fn, &words);
            rename_steps(buf_str(&words), &tail);
          } else if (initialiser) {
            strip_init_typeof(at + strlen(from), &words);
            rename_steps(buf_str(&words), &tail);
          } else {
            rename_steps(at + strlen(from), &tail);
          }
          buf_free(&words);
          buf_puts(&out, to);
          buf_puts(&out, buf_str(&tail));
          buf_free(&tail);
          done = true;
          fix_caret = 2;   /* the source line, then the caret */
          excerpt = src;
          excerpt_len = srclen;
          new_col = mapped;
          new_len = tl;
        }
      }
      free(fn);
    }
    if (!done) rename_steps(p, &out);
    buf_putc(&out, '\n');
    free(plain);
    if (!nl) break;
    p = nl + 1;
  }
  if (!ends_in_newline && out.len) out.len--;   /* as it came */
  fwrite(buf_str(&out), 1, out.len, stderr);
  buf_free(&out);
  free(errs);
  free(lw.v);
}
