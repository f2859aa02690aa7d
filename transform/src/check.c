/* check.c — the lowered C, checked by libclang before it is written.
 *
 * The output is parsed from memory with the same flags the final compile
 * gets. Every error is reported at its .goc position (libclang follows the
 * #line directives), so goc never hands the C compiler code that fails to
 * compile. Errors the lowering causes on purpose are renamed for the user:
 * the element type of a channel is written (*(CH))[0], so "indirection
 * requires pointer operand" there means the operand is not a channel, and
 * an incompatible assignment to the transfer slot is a send of the wrong
 * type.
 *
 * Invariant: a diagnostic is reported only if its presumed file is a .goc
 * file of this build (errors inside headers are the compiler's business
 * and show up there). */
#include <clang-c/Index.h>
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "transform.h"

/* libclang is loaded at the first check, not linked: loading libclang and
 * libLLVM (their relocations and static constructors) cost every goc
 * process 9-10 ms of CPU, a tenth of the transform of a small program, and
 * most processes never check. Each function is called through a pointer
 * of its own declared type. */
#define LIBCLANG_FUNCTIONS(X) \
  X(clang_createIndex) X(clang_disposeIndex) X(clang_parseTranslationUnit2) X(clang_disposeTranslationUnit) \
  X(clang_getNumDiagnostics) X(clang_getDiagnostic) X(clang_disposeDiagnostic) X(clang_getDiagnosticSeverity) \
  X(clang_getDiagnosticLocation) X(clang_getDiagnosticSpelling) X(clang_getDiagnosticNumRanges) \
  X(clang_getDiagnosticRange) X(clang_getPresumedLocation) X(clang_getExpansionLocation) \
  X(clang_getSpellingLocation) X(clang_getLocationForOffset) X(clang_getRangeStart) X(clang_getRangeEnd) \
  X(clang_getCString) X(clang_disposeString) X(clang_getTranslationUnitCursor) X(clang_visitChildren) \
  X(clang_getCursorKind) X(clang_getCursorLocation) X(clang_getCursorReferenced) \
  X(clang_getCursorSemanticParent) X(clang_getCursorSpelling) X(clang_File_isEqual)
#define X(f) static __typeof__(f) *lc_##f;
LIBCLANG_FUNCTIONS(X)
#undef X
#define clang_createIndex lc_clang_createIndex
#define clang_disposeIndex lc_clang_disposeIndex
#define clang_parseTranslationUnit2 lc_clang_parseTranslationUnit2
#define clang_disposeTranslationUnit lc_clang_disposeTranslationUnit
#define clang_getNumDiagnostics lc_clang_getNumDiagnostics
#define clang_getDiagnostic lc_clang_getDiagnostic
#define clang_disposeDiagnostic lc_clang_disposeDiagnostic
#define clang_getDiagnosticSeverity lc_clang_getDiagnosticSeverity
#define clang_getDiagnosticLocation lc_clang_getDiagnosticLocation
#define clang_getDiagnosticSpelling lc_clang_getDiagnosticSpelling
#define clang_getDiagnosticNumRanges lc_clang_getDiagnosticNumRanges
#define clang_getDiagnosticRange lc_clang_getDiagnosticRange
#define clang_getPresumedLocation lc_clang_getPresumedLocation
#define clang_getExpansionLocation lc_clang_getExpansionLocation
#define clang_getSpellingLocation lc_clang_getSpellingLocation
#define clang_getLocationForOffset lc_clang_getLocationForOffset
#define clang_getRangeStart lc_clang_getRangeStart
#define clang_getRangeEnd lc_clang_getRangeEnd
#define clang_getCString lc_clang_getCString
#define clang_disposeString lc_clang_disposeString
#define clang_getTranslationUnitCursor lc_clang_getTranslationUnitCursor
#define clang_visitChildren lc_clang_visitChildren
#define clang_getCursorKind lc_clang_getCursorKind
#define clang_getCursorLocation lc_clang_getCursorLocation
#define clang_getCursorReferenced lc_clang_getCursorReferenced
#define clang_getCursorSemanticParent lc_clang_getCursorSemanticParent
#define clang_getCursorSpelling lc_clang_getCursorSpelling
#define clang_File_isEqual lc_clang_File_isEqual

/* Loads libclang (GOC_LIBCLANG_PATH, the one the build found) once;
 * false, with why in *why, if it cannot. Its C++ allocation hooks come
 * with it: diag_oom_handlers looks them up again. */
static bool libclang_load(const char **why) {
  static int state;   /* 0 not tried, 1 loaded, 2 failed */
  static const char *failure;
  if (!state) {
    errno = 0;
    void *h = dlopen(GOC_LIBCLANG_PATH, RTLD_NOW | RTLD_GLOBAL);
    state = h ? 1 : 2;
    if (!h) {
      diag_if_oom();
      failure = dlerror();
    }
#define X(f) if (h && !(lc_##f = (__typeof__(lc_##f))dlsym(h, #f))) { state = 2; failure = "a function is missing"; }
    LIBCLANG_FUNCTIONS(X)
#undef X
    if (state == 1) diag_oom_handlers();
  }
  *why = failure ? failure : "cannot load libclang";
  return state == 1;
}

const program *check_program;
FILE *check_out;
int check_goc_errors;

static bool ends_with(const char *s, const char *suf) {
  size_t a = strlen(s), b = strlen(suf);
  return a >= b && !strcmp(s + a - b, suf);
}

/* The source line's operation, for friendlier messages. */
static const char *site_kind(const char *line) {
  if (strstr(line, "for") && strchr(line, ':') && !strstr(line, "case")) return "range over";
  const char *arrow = strstr(line, "<-");
  if (!arrow) return NULL;
  /* "x <- v" (send) vs "<-x" (receive): a send's arrow follows an operand */
  const char *p = arrow;
  while (p > line && (p[-1] == ' ' || p[-1] == '\t')) p--;
  if (p > line && (p[-1] == '=' || p[-1] == '(' || p[-1] == ',' || p[-1] == ':' || p[-1] == '!' ||
                   p[-1] == '-' || p[-1] == '+' || p[-1] == '&' || p[-1] == '|' || p[-1] == '?' || p[-1] == '*' ||
                   p[-1] == '<'))
    return "receive from";
  if (p == line || !strncmp(line, "case", 4) || strstr(line, "return")) return "receive from";
  return "send to";
}

static char *source_line(const char *path, unsigned line) {
  FILE *f = fopen(path, "r");
  if (!f) diag_if_oom();
  if (!f) return NULL;
  char buf[4096];
  unsigned n = 0;
  char *res = NULL;
  while (fgets(buf, sizeof buf, f))
    if (++n == line) { res = xstrdup(buf); break; }
  fclose(f);
  return res;
}

/* Channel types as the user wrote them: "typeof(typeof(T) (*)[1])" (or
 * with __typeof__) is chan(T); clang's "(aka '...')" after it is dropped. */
static char *chan_spelling(const char *msg) {
  buf b = {0};
  for (const char *p = msg; *p;) {
    const char *q = NULL;
    if (!strncmp(p, "typeof(typeof(", 14)) q = p + 14;
    else if (!strncmp(p, "__typeof__(__typeof__(", 22)) q = p + 22;
    if (q) {
      /* the element type runs to the matching ")" */
      int depth = 1;
      const char *e = q;
      while (*e && depth) { if (*e == '(') depth++; else if (*e == ')') depth--; e++; }
      if (!depth && !strncmp(e, " (*)[1])", 8)) {
        buf_printf(&b, "chan(%.*s)", (int)(e - 1 - q), q);
        p = e + 8;
        if (!strncmp(p, "' (aka '", 8)) {
          const char *end = strstr(p + 8, "')");
          if (end) { buf_putc(&b, '\''); p = end + 2; }
        }
        continue;
      }
    }
    buf_putc(&b, *p++);
  }
  return buf_take(&b);
}

/* Whether line n (1-based) of the output is the lowering's own code. */
static bool output_line_is_generated(const char *text, unsigned n) {
  const char *p = text;
  for (unsigned i = 1; i < n && p; i++) {
    p = strchr(p, '\n');
    if (p) p++;
  }
  if (!p) return false;
  const char *e = strchr(p, '\n');
  size_t len = e ? (size_t)(e - p) : strlen(p);
  for (size_t i = 0; i + 4 <= len; i++)
    if (!strncmp(p + i, "goc_", 4) && (i == 0 || !(isalnum((unsigned char)p[i - 1]) || p[i - 1] == '_'))) return true;
  return false;
}

/* The column of the user's token that a diagnostic in a generated line
 * points at: the line is one lowered statement, whose tokens are the
 * user's (in their order) among goc_ ones. The token at off (an
 * identifier, number or literal) is looked for in the .goc line: the k-th
 * occurrence in the generated line before off is taken as the k-th there.
 * 0 when the token is generated or not on the line. */
static bool is_word(char c) { return isalnum((unsigned char)c) || c == '_'; }

static unsigned punctuator_column(const char *path, unsigned line, const char *text, size_t off);

static unsigned token_column(const char *path, unsigned line, const char *text, size_t off) {
  size_t len = strlen(text);
  if (off >= len) return 0;
  if (!(is_word(text[off]) || text[off] == '"' || text[off] == '\'')) return punctuator_column(path, line, text, off);
  size_t e = off;
  if (text[off] == '"' || text[off] == '\'') {
    char q = text[off];
    for (e = off + 1; e < len && text[e] != q && text[e] != '\n'; e++)
      if (text[e] == '\\' && e + 1 < len) e++;
    if (e < len && text[e] == q) e++;
  } else {
    while (e < len && is_word(text[e])) e++;
  }
  size_t tl = e - off;
  if (tl >= 4 && !strncmp(text + off, "goc_", 4)) return 0;
  size_t ls = off;
  while (ls > 0 && text[ls - 1] != '\n') ls--;
  bool word = is_word(text[off]);
  int k = 0;
  for (size_t i = ls; i + tl <= off; i++)
    if (!strncmp(text + i, text + off, tl) && (!word || ((i == 0 || !is_word(text[i - 1])) && !is_word(text[i + tl])))) k++;
  char *src = source_line(path, line);
  if (!src) return 0;
  unsigned col = 0;
  int seen = 0;
  size_t n = strlen(src);
  for (size_t i = 0; i + tl <= n; i++) {
    if (strncmp(src + i, text + off, tl)) continue;
    if (word && ((i > 0 && is_word(src[i - 1])) || is_word(src[i + tl]))) continue;
    col = (unsigned)i + 1;   /* the last one, if there are fewer than k + 1 */
    if (seen++ == k) break;
  }
  free(src);
  return col;
}

/* A punctuator's column (clang points at the `.` of a bad member access):
 * the same punctuator right after the word that precedes it in the
 * generated line, at that word's k-th occurrence in the .goc line or a
 * later one (an earlier occurrence may be a declaration the lowering
 * moved). 0 when there is no such word. */
static unsigned punctuator_column(const char *path, unsigned line, const char *text, size_t off) {
  size_t ls = off;
  while (ls > 0 && text[ls - 1] != '\n') ls--;
  size_t we = off;
  while (we > ls && text[we - 1] == ' ') we--;
  /* a local in the frame is written (goc_L->NAME): the word is NAME */
  if (we > ls && text[we - 1] == ')') {
    size_t q = we - 1;
    while (q > ls && is_word(text[q - 1])) q--;
    if (q >= ls + 8 && !strncmp(text + q - 8, "(goc_L->", 8)) we--;
  }
  size_t ws = we;
  while (ws > ls && is_word(text[ws - 1])) ws--;
  if (ws == we || (we - ws >= 4 && !strncmp(text + ws, "goc_", 4))) return 0;
  size_t wl = we - ws, pl = 0;
  while (text[off + pl] && !is_word(text[off + pl]) && !isspace((unsigned char)text[off + pl]) && pl < 3) pl++;
  int k = 0;
  for (size_t i = ls; i + wl <= ws; i++)
    if (!strncmp(text + i, text + ws, wl) && (i == 0 || !is_word(text[i - 1])) && !is_word(text[i + wl])) k++;
  char *src = source_line(path, line);
  if (!src) return 0;
  unsigned col = 0;
  int seen = 0;
  for (size_t i = 0; src[i] && !col; i++) {
    if (strncmp(src + i, text + ws, wl) || (i > 0 && is_word(src[i - 1])) || is_word(src[i + wl])) continue;
    if (seen++ < k) continue;
    size_t j = i + wl;
    while (src[j] == ' ' || src[j] == '\t') j++;
    if (!strncmp(src + j, text + off, pl)) col = (unsigned)j + 1;
  }
  free(src);
  return col;
}

/* The output's columns are those of generated or preprocessed text: one
 * past the end of the .goc line becomes the line's first token. */
static unsigned clamp_column(const char *path, unsigned line, unsigned col) {
  char *src = source_line(path, line);
  if (!src) return col;
  size_t n = strcspn(src, "\r\n");
  unsigned first = 1;
  while (src[first - 1] == ' ' || src[first - 1] == '\t') first++;
  free(src);
  return col > n ? first : col;
}

/* The lowering's own names out of a message: 'typeof (goc_t3)' (aka 'int')
 * is 'int'; initializing 'typeof (goc_t4->c)' (aka 'T') is passing
 * argument 'c' of type 'T'; struct f__frame is f's call; the tag a local
 * of an anonymous struct type is given (struct goc__anon123) is gcc's
 * struct <anonymous>; the second local type of a name, T__goc4, is T. */
static char *user_words(const char *msg) {
  buf b = {0};
  for (const char *p = msg; *p;) {
    if (!strncmp(p, "goc__anon", 9) && isdigit((unsigned char)p[9])) {
      buf_puts(&b, "<anonymous>");
      for (p += 9; isdigit((unsigned char)*p); p++) {}
      continue;
    }
    if (!strncmp(p, "__goc", 5) && isdigit((unsigned char)p[5]) && p > msg &&
        (isalnum((unsigned char)p[-1]) || p[-1] == '_')) {
      const char *q = p + 5;
      while (isdigit((unsigned char)*q)) q++;
      if (!(isalnum((unsigned char)*q) || *q == '_')) { p = q; continue; }
    }
    if (!strncmp(p, "'goc_T", 6) && isdigit((unsigned char)p[6])) {
      /* a local's type as the lowering names it at the top: 'goc_T3'
         (aka 'int[3]') is 'int[3]', 'goc_T0 *' (aka 'long *') 'long *' */
      const char *q = p + 6;
      while (isdigit((unsigned char)*q)) q++;
      q = strchr(q, '\'');
      const char *te = q && !strncmp(q, "' (aka '", 8) ? strchr(q + 8, '\'') : NULL;
      if (te && te[1] == ')') {
        buf_printf(&b, "'%.*s'", (int)(te - q - 8), q + 8);
        p = te + 2;
        continue;
      }
    }
    /* a local declared by the lowering as typeof (NAME): its type, as C says it */
    if (!strncmp(p, "initializing 'typeof (", 22) || !strncmp(p, "'typeof (", 9) ||
        !strncmp(p, "assigning to 'typeof (", 22)) {
      bool init = p[0] == 'i', assign = p[0] == 'a';
      const char *q = strchr(p, '\'');
      const char *close = q ? strstr(q, ")'") : NULL;
      const char *aka = close ? close + 2 : NULL;
      if (aka && !strncmp(aka, " (aka '", 7)) {
        const char *t = aka + 7, *te = strchr(t, '\'');
        const char *arrow = strstr(q, "->");
        if (te) {
          int tl = (int)(te - t);
          char *ty = tl > 7 && !strncmp(te - 7, " (*)[1]", 7) ? xasprintf("chan(%.*s)", tl - 7, t)
                                                            : xasprintf("%.*s", tl, t);
          t = ty;
          te = ty + strlen(ty);
          /* a temp of goc's is no argument of the user's */
          if (arrow && arrow < close && !strncmp(arrow + 2, "goc_", 4)) arrow = NULL;
          if (init && arrow && arrow < close)
            buf_printf(&b, "passing argument '%.*s' of type '%.*s' from", (int)(close - arrow - 2), arrow + 2,
                       (int)(te - t), t);
          else if (init)
            buf_printf(&b, "initializing '%.*s'", (int)(te - t), t);
          else if (assign)
            buf_printf(&b, "assigning to '%.*s'", (int)(te - t), t);
          else
            buf_printf(&b, "'%.*s'", (int)(te - t), t);
          free(ty);
          p = strchr(aka + 7, '\'') + 2;   /* past "')" */
          if (init && arrow && arrow < close && !strncmp(p, " with", 5)) p += 5;
          continue;
        }
      }
    }
    buf_putc(&b, *p++);
  }
  return buf_take(&b);
}

static char *friendly(const char *path, unsigned line, const char *msg) {
  char *src = source_line(path, line);
  const char *kind = src ? site_kind(src) : NULL;
  char *res = NULL;
  static const char *builtins[] = {"chan_close(", "chan_len(", "chan_cap(", "chan_free(", NULL};
  for (int i = 0; src && builtins[i] && !res; i++)
    if (strstr(src, builtins[i]) && (strstr(msg, "subscripted value") || strstr(msg, "not a channel") ||
                                     strstr(msg, "indirection requires pointer")))
      res = xasprintf("%.*s of something that is not a channel", (int)strlen(builtins[i]) - 1, builtins[i]);
  if (res) {
    free(src);
    char *r = xstrdup(res);
    free(res);
    return r;
  }
  if (kind && (strstr(msg, "indirection requires pointer operand") ||
               strstr(msg, "subscripted value is not an array"))) {
    const char *q = strchr(msg, '\'');
    const char *q2 = q ? strchr(q + 1, '\'') : NULL;
    if (q && q2)
      res = xasprintf("%s non-channel (operand of type %.*s)", kind, (int)(q2 - q - 1), q + 1);
    else
      res = xasprintf("%s non-channel", kind);
  } else if (kind && !strcmp(kind, "send to") &&
             (strstr(msg, "incompatible type") || strstr(msg, "incompatible pointer"))) {
    res = xasprintf("cannot send: value does not convert to the channel's element type (%s)", msg);
  }
  free(src);
  char *r0 = chan_spelling(res ? res : msg);
  free(res);
  char *r = user_words(r0);
  free(r0);
  return r;
}

/* ---- directional channels ----
 * chan(T) is T (*)[1]; chan<-(T) and <-chan(T) put volatile and const on
 * the element (goc.h). A channel type clang prints, as the lowering spells
 * it (typeof(const typeof(int) (*)[1])) or canonically (const int (*)[1],
 * int *volatile (*)[1]), in the user's words; NULL if it is not one. */
static char *chan_words(const char *sugar, size_t sl, const char *aka, size_t al) {
  static const char *pre[] = {"typeof(", "__typeof__("};
  for (int i = 0; i < 2; i++) {
    size_t pl = strlen(pre[i]);
    if (sl < pl || strncmp(sugar, pre[i], pl)) continue;
    const char *p = sugar + pl, *e = sugar + sl;
    const char *dir = "chan";
    if (!strncmp(p, "const ", 6)) { dir = "<-chan"; p += 6; }
    else if (!strncmp(p, "volatile ", 9)) { dir = "chan<-"; p += 9; }
    size_t ql = strlen(pre[i]);
    if ((size_t)(e - p) > ql + 8 && !strncmp(p, pre[i], ql) && !strncmp(e - 8, " (*)[1])", 8)) {
      /* the element runs to the ")" that closes the inner typeof */
      const char *q = p + ql, *t = q;
      int depth = 1;
      while (t < e && depth) { if (*t == '(') depth++; else if (*t == ')') depth--; t++; }
      if (!depth && t == e - 8) return xasprintf("%s(%.*s)", dir, (int)(t - 1 - q), q);
    }
  }
  if (!aka || al < 8 || strncmp(aka + al - 7, " (*)[1]", 7)) return NULL;
  const char *p = aka, *e = aka + al - 7;
  const char *dir = "chan";
  if (!strncmp(p, "const ", 6)) { dir = "<-chan"; p += 6; }
  else if (!strncmp(p, "volatile ", 9)) { dir = "chan<-"; p += 9; }
  else if (e - p > 6 && !strncmp(e - 6, " const", 6)) { dir = "<-chan"; e -= 6; }
  else if (e - p > 5 && !strncmp(e - 5, "const", 5) && e[-6] == '*') { dir = "<-chan"; e -= 5; }
  else if (e - p > 9 && !strncmp(e - 9, " volatile", 9)) { dir = "chan<-"; e -= 9; }
  else if (e - p > 8 && !strncmp(e - 8, "volatile", 8) && e[-9] == '*') { dir = "chan<-"; e -= 8; }
  return xasprintf("%s(%.*s)", dir, (int)(e - p), p);
}

/* The quoted type at p ('...' and an optional " (aka '...')"), in the
 * user's words; *end is set past it. */
static char *quoted_chan_type(const char *p, const char **end) {
  if (*p != '\'') return NULL;
  const char *q = p + 1;
  /* the type may hold quotes of its own only in aka; find "'" followed by
     " (aka", " with", " from", " to", " discards" or the end */
  const char *e = q;
  while (*e && !(*e == '\'' && (e[1] == ' ' || e[1] == 0))) e++;
  if (!*e) return NULL;
  const char *aka = NULL;
  size_t al = 0;
  const char *after = e + 1;
  if (!strncmp(after, " (aka '", 7)) {
    aka = after + 7;
    const char *ae = strstr(aka, "')");
    if (!ae) return NULL;
    al = (size_t)(ae - aka);
    after = ae + 2;
  }
  if (end) *end = after;
  return chan_words(q, (size_t)(e - q), aka, al);
}

/* The operand text of a diagnostic's range in the output, in the user's
 * words (a frame field (goc_L->x) is x), or NULL. */
static char *range_text(CXDiagnostic d, const char *text) {
  if (clang_getDiagnosticNumRanges(d) == 0) return NULL;
  CXSourceRange r = clang_getDiagnosticRange(d, 0);
  unsigned a, b, sa, sb;
  CXFile fa, fb, xf;
  clang_getExpansionLocation(clang_getRangeStart(r), &xf, NULL, NULL, &a);
  clang_getExpansionLocation(clang_getRangeEnd(r), NULL, NULL, NULL, &b);
  /* an operand inside a macro's arguments (GOC__INIT(c, (r))): where it
     is spelled, if that is the output itself */
  clang_getSpellingLocation(clang_getRangeStart(r), &fa, NULL, NULL, &sa);
  clang_getSpellingLocation(clang_getRangeEnd(r), &fb, NULL, NULL, &sb);
  if (fa && fb && xf && clang_File_isEqual(fa, xf) && clang_File_isEqual(fb, xf) && sb > sa) {
    a = sa;
    b = sb;
  }
  if (b <= a || b > strlen(text) || b - a > 200) return NULL;
  buf o = {0};
  for (const char *p = text + a; p < text + b;) {
    if (!strncmp(p, "(goc_L->", 8)) {
      const char *q = p + 8;
      while (q < text + b && (isalnum((unsigned char)*q) || *q == '_')) q++;
      if (q < text + b && *q == ')') { buf_putn(&o, p + 8, (size_t)(q - p - 8)); p = q + 1; continue; }
    }
    buf_putc(&o, *p++);
  }
  char *t = buf_take(&o);
  if (!strncmp(t, "GOC__INIT(", 10)) {
    /* the lowering's store of an initialiser: its second argument */
    int depth = 0;
    char *c = NULL;
    for (char *q = t + 10; *q && !c; q++) {
      if (*q == '(') depth++;
      else if (*q == ')') depth--;
      else if (*q == ',' && !depth) c = q;
    }
    size_t tl = strlen(t);
    if (c && tl && t[tl - 1] == ')') {
      t[tl - 1] = 0;
      char *v = c + 1;
      while (*v == ' ') v++;
      memmove(t, v, strlen(v) + 1);
    }
  }
  size_t n = strlen(t);
  while (n >= 2 && t[0] == '(' && t[n - 1] == ')') {   /* GOC__INIT(c, (r)) */
    int depth = 0;
    bool outer = true;
    for (size_t i = 0; i < n - 1; i++) {
      if (t[i] == '(') depth++;
      else if (t[i] == ')' && --depth == 0) { outer = false; break; }
    }
    if (!outer) break;
    memmove(t, t + 1, n - 2);
    t[n - 2] = 0;
    n -= 2;
  }
  if (!*t || strstr(t, "goc_") || strchr(t, '\n')) { free(t); return NULL; }
  return t;
}

static const char *what_of(const char *e) {
  return strchr(e, '(') ? "value" : "variable";
}

/* A channel of the wrong direction given to an operation (the lowering's
 * GOC__RECV_CHAN/GOC__SEND_CHAN, or chan_close): Go's message, or NULL. */
static char *direction_misuse(const char *op, const char *operand, const char *msg) {
  const char *t = strstr(msg, "with an expression of type '");
  if (!t || !strstr(msg, "discards qualifiers")) return NULL;
  char *ty = quoted_chan_type(t + 27, NULL);
  if (!ty) return NULL;
  char *r;
  if (!strcmp(op, "receive"))
    r = xasprintf("invalid operation: cannot receive from send-only channel %s (%s of type %s)", operand,
                  what_of(operand), ty);
  else if (!strcmp(op, "range"))
    r = xasprintf("cannot range over %s (%s of type %s): receive from send-only channel", operand, what_of(operand), ty);
  else if (!strcmp(op, "close"))
    r = xasprintf("invalid operation: cannot close receive-only channel %s (%s of type %s)", operand,
                  what_of(operand), ty);
  else
    r = xasprintf("invalid operation: cannot send to receive-only channel %s (%s of type %s)", operand,
                  what_of(operand), ty);
  free(ty);
  return r;
}

/* A directional channel converted where C cannot (back to chan(T), or to
 * the other direction): Go's "cannot use" message, or NULL. */
static char *direction_conversion(const char *msg, const char *operand) {
  if (!strstr(msg, "discards qualifiers")) return NULL;
  const char *p, *end;
  char *to = NULL, *from = NULL;
  const char *ctx = NULL;
  if (!strncmp(msg, "initializing '", 14)) {
    to = quoted_chan_type(msg + 13, &end);
    p = to ? strstr(end, "with an expression of type '") : NULL;
    if (p) from = quoted_chan_type(p + 27, &end);
    /* the lowering stores a goroutine function's arguments in its frame:
       initializing 'typeof (goc_nf->c)' is passing argument c */
    ctx = !strncmp(msg, "initializing 'typeof (goc_", 26) && strstr(msg, "->") ? "argument" : "variable declaration";
  } else if (!strncmp(msg, "assigning to '", 14)) {
    to = quoted_chan_type(msg + 13, &end);
    if (to && !strncmp(end, " from '", 7)) from = quoted_chan_type(end + 6, &end);
    ctx = "assignment";
  } else if (!strncmp(msg, "passing '", 9)) {
    from = quoted_chan_type(msg + 8, &end);
    if (from && !strncmp(end, " to parameter of type '", 23)) to = quoted_chan_type(end + 22, &end);
    ctx = "argument";
  } else if (!strncmp(msg, "returning '", 11)) {
    from = quoted_chan_type(msg + 10, &end);
    if (from && !strncmp(end, " from a function with result type '", 35)) to = quoted_chan_type(end + 34, &end);
    ctx = "return statement";
  }
  char *r = NULL;
  if (to && from) {
    if (operand)
      r = xasprintf("cannot use %s (%s of type %s) as %s value in %s", operand, what_of(operand), from, to, ctx);
    else
      r = xasprintf("cannot use value of type %s as %s value in %s", from, to, ctx);
  }
  free(to);
  free(from);
  return r;
}

/* chan_close(X) on the source line: X, and its column. */
static char *close_operand(const char *path, unsigned line, unsigned *col) {
  char *src = source_line(path, line);
  char *r = NULL;
  size_t n = src ? strlen(src) : 0, i = 0;
  while (i + 11 <= n && strncmp(src + i, "chan_close(", 11)) i++;
  if (i + 11 <= n) {
    size_t a = i + 11, e = a;
    int depth = 1;
    while (e < n && depth) {
      if (src[e] == '(') depth++;
      else if (src[e] == ')') depth--;
      if (depth) e++;
    }
    while (a < e && (src[a] == ' ' || src[a] == '\t')) a++;
    while (e > a && (src[e - 1] == ' ' || src[e - 1] == '\t')) e--;
    if (e > a) {
      r = xasprintf("%.*s", (int)(e - a), src + a);
      *col = (unsigned)a + 1;
    }
  }
  free(src);
  return r;
}

/* The column of operand on the source line (its first occurrence after an
 * '=', a '(', a ',' or "return"), or 0. */
static unsigned operand_column(const char *path, unsigned line, const char *operand) {
  char *src = source_line(path, line);
  unsigned c = 0;
  size_t n = strlen(operand);
  for (char *q = src; q && *q && !c; q++) {
    if (strncmp(q, operand, n)) continue;
    if (q > src && (isalnum((unsigned char)q[-1]) || q[-1] == '_')) continue;
    if (isalnum((unsigned char)q[n]) || q[n] == '_') continue;
    char *b = q;
    while (b > src && (b[-1] == ' ' || b[-1] == '\t')) b--;
    if (b > src && (b[-1] == '=' || b[-1] == '(' || b[-1] == ',')) c = (unsigned)(q - src) + 1;
    else if (b - src >= 6 && !strncmp(b - 6, "return", 6)) c = (unsigned)(q - src) + 1;
  }
  free(src);
  return c;
}

/* ---- goroutine functions the lowering could not see ----
 * The lowered C never names a goroutine function's plain C entry: it calls
 * F__step. So a reference to F in it is F's address stored as a plain
 * function pointer, which would run F by blocking the whole thread: an
 * error. */
typedef struct refscan {
  const program *p;
  CXTranslationUnit tu;
  const char *out_name;
  int errors;
} refscan;

static void presumed(CXTranslationUnit tu, CXSourceLocation loc, const char *out_name, char **file, unsigned *line,
                     unsigned *col) {
  /* a macro expansion's location: where the macro was used */
  CXFile f;
  unsigned off;
  clang_getExpansionLocation(loc, &f, NULL, NULL, &off);
  CXSourceLocation e = f ? clang_getLocationForOffset(tu, f, off) : loc;
  CXString fn;
  clang_getPresumedLocation(e, &fn, line, col);
  *file = xstrdup(clang_getCString(fn) ? clang_getCString(fn) : out_name);
  clang_disposeString(fn);
}

static enum CXChildVisitResult visit_refs(CXCursor c, CXCursor parent, CXClientData data) {
  refscan *rs = data;
  (void)parent;
  if (clang_getCursorKind(c) == CXCursor_DeclRefExpr) {
    CXCursor d = clang_getCursorReferenced(c);
    if (clang_getCursorKind(d) == CXCursor_FunctionDecl) {
      CXString nm = clang_getCursorSpelling(d);
      const char *name = clang_getCString(nm);
      fninfo *fn = name ? program_find(rs->p, name) : NULL;
      /* F__gofn (generated) calls F's C entry when called with GOC_GO */
      CXCursor encl = clang_getCursorSemanticParent(c);
      CXString en = clang_getCursorSpelling(encl);
      const char *ename = clang_getCString(en);
      bool in_gofn = ename && (ends_with(ename, "__gofn") || ends_with(ename, "__entry"));
      if (fn && fn->coloured && !fn->lifted && !fn->is_main && !in_gofn) {
        CXSourceLocation loc = clang_getCursorLocation(c);
        char *file;
        unsigned line, col;
        presumed(rs->tu, loc, rs->out_name, &file, &line, &col);
        if (ends_with(file, ".goc")) {
          /* The text was preprocessed before it was lowered, so every call
             goc can lower was lowered: a reference left is a pointer. */
          int dl = 0, dc = 0;
          if (fn->src) node_pos(fn->def, &dl, &dc);
          if (fn->src)
            fprintf(stderr, "%s:%u:%u: error: goroutine function '%s' (defined at %s:%d) used as a plain function "
                            "pointer (through a plain pointer it would block the whole thread; call it directly, or "
                            "start it with go)\n", file, line, col, name, node_file(fn->def), dl);
          else
            fprintf(stderr, "%s:%u:%u: error: goroutine function '%s' used as a plain function pointer (through a "
                            "plain pointer it would block the whole thread; call it directly, or start it with go)\n",
                    file, line, col, name);
          rs->errors++;
          diag_count++;
        }
        free(file);
      }
      clang_disposeString(en);
      clang_disposeString(nm);
    }
  }
  return CXChildVisit_Recurse;
}

/* Diagnostics already printed by this check, one string per line. */
typedef struct seen_set {
  char **v;
  int n;
} seen_set;

/* Whether line was printed before; if not, remembers it (takes no copy). */
static bool already_reported(seen_set *s, char *line) {
  for (int i = 0; i < s->n; i++)
    if (!strcmp(s->v[i], line)) return true;
  s->v = xrealloc(s->v, sizeof *s->v * (size_t)(s->n + 1));
  s->v[s->n++] = line;
  return false;
}

int check_lowered(const char *out_name, const char *text, char **flags, int nflags) {
  if (!check_out) check_out = stderr;
  const char *why;
  if (!libclang_load(&why)) {
    fprintf(stderr, "goc: warning: libclang could not check %s (%s)\n", out_name, why);
    return 0;
  }
  seen_set seen = {0};
  /* libclang parses on a thread of its own unless told not to; goc has
     nothing else to do meanwhile, and a thread it cannot create (glibc
     says EAGAIN when the allocation of the thread's bookkeeping fails)
     is a fatal error in LLVM */
  bool nothreads = !getenv("LIBCLANG_NOTHREADS");
  if (nothreads && setenv("LIBCLANG_NOTHREADS", "1", 1)) diag_oom();
  CXIndex idx = clang_createIndex(0, 0);
  diag_llvm_fatal_handler();
  int nargs = 0;
  static const char *const c_warnings[] = {
      "-Wno-error=int-conversion", "-Wno-error=implicit-function-declaration", "-Wno-error=implicit-int",
      "-Wno-error=return-type"};
  const char **args = xcalloc((size_t)nflags + 10 + sizeof c_warnings / sizeof *c_warnings, sizeof *args);
  char *inc = xasprintf("-I%s", goc_include_dir());
  args[nargs++] = "-xc";
  args[nargs++] = inc;
  args[nargs++] = "-ferror-limit=0";
  /* chan(int) passed where chan(long) is expected: an error, as goc cc and
     the CMake functions compile with the same flag */
  args[nargs++] = "-Werror=incompatible-pointer-types";
  /* libclang's clang (19) refuses by default what C compilers warn about
     (gcc 12, clang 14): the compile decides those, and a check run after
     a failed compile must not report them as its cause; the user's own
     -Werror=… come after these. (An incompatible function pointer stays
     an error: gcc counts it among -Wincompatible-pointer-types, which
     lowered C is compiled with, and a goroutine function's pointer is
     kept apart from a plain one's that way.) */
  for (size_t i = 0; i < sizeof c_warnings / sizeof *c_warnings; i++) args[nargs++] = c_warnings[i];
  for (int i = 0; i < nflags; i++) args[nargs++] = flags[i];
  struct CXUnsavedFile unsaved = {out_name, text, (unsigned long)strlen(text)};
  CXTranslationUnit tu = NULL;
  enum CXErrorCode ec = clang_parseTranslationUnit2(idx, out_name, args, nargs, &unsaved, 1,
                                                    CXTranslationUnit_KeepGoing, &tu);
  if (nothreads) unsetenv("LIBCLANG_NOTHREADS");   /* not the compiler's, nor the program's */
  int errors = 0;
  if (ec != CXError_Success || !tu) {
    /* not to check_out, which is printed only with errors */
    fprintf(stderr, "goc: warning: libclang could not check %s (error %d)\n", out_name, (int)ec);
    goto done;
  }
  unsigned n = clang_getNumDiagnostics(tu);
  for (unsigned i = 0; i < n; i++) {
    CXDiagnostic d = clang_getDiagnostic(tu, i);
    enum CXDiagnosticSeverity sev = clang_getDiagnosticSeverity(d);
    if (sev < CXDiagnostic_Error) { clang_disposeDiagnostic(d); continue; }
    CXSourceLocation loc = clang_getDiagnosticLocation(d);
    CXString file;
    unsigned line, col;
    clang_getPresumedLocation(loc, &file, &line, &col);
    const char *fname = clang_getCString(file);
    CXString msg = clang_getDiagnosticSpelling(d);
    if (fname && ends_with(fname, ".goc")) {
      const char *raw = clang_getCString(msg);
      /* a channel operation on a channel of the wrong direction */
      CXFile xf;
      unsigned xoff = 0;
      clang_getExpansionLocation(loc, &xf, NULL, NULL, &xoff);
      char *dm = NULL;
      unsigned dline = line, dcol = 0;
      if (xoff < strlen(text) && (!strncmp(text + xoff, "GOC__RECV_CHAN(", 15) ||
                                  !strncmp(text + xoff, "GOC__SEND_CHAN(", 15))) {
        long id = strtol(text + xoff + 15, NULL, 10);
        if (id >= 0 && id < ndirchecks) {
          dircheck *dc = &dirchecks[id];
          dm = direction_misuse(dc->op, dc->text, raw);
          if (dm && ends_with(fname, dc->file)) {
            int ol, oc;
            node_pos(dc->operand, &ol, &oc);
            dline = (unsigned)ol;
            dcol = (unsigned)oc;
          }
        }
      }
      if (!dm && strstr(raw, "discards qualifiers")) {
        char *src = source_line(fname, line);
        bool has_close = src && strstr(src, "chan_close(");
        free(src);
        unsigned cc = 0;
        char *opnd = has_close ? close_operand(fname, line, &cc) : NULL;
        if (opnd && strstr(raw, "initializing 'volatile typeof (__builtin_choose_expr(")) {
          dm = direction_misuse("close", opnd, raw);
          if (dm) dcol = cc;
        }
        free(opnd);
        if (!dm) {
          char *e = range_text(d, text);
          dm = direction_conversion(raw, e);
          if (dm && e) dcol = operand_column(fname, line, e);
          free(e);
        }
      }
      if (dm) {
        unsigned c = dcol ? dcol : clamp_column(fname, line, 100000);
        char key[64];
        snprintf(key, sizeof key, "%u:%u", dline, c);
        /* the same operation may be checked more than once (a macro's
           operand expanded twice): one diagnostic */
        static char *last;
        char *whole = xasprintf("%s:%s: error: %s\n", fname, key, dm);
        if (!last || strcmp(last, whole)) {
          fputs(whole, check_out);
          errors++;
          diag_count++;
          free(last);
          last = whole;
        } else {
          free(whole);
        }
        free(dm);
        clang_disposeString(msg);
        clang_disposeString(file);
        clang_disposeDiagnostic(d);
        continue;
      }
      char *m = friendly(fname, line, raw);
      unsigned c = clamp_column(fname, line, col);
      /* a column of generated code (a lowered statement is one line of
         goc_ code) says nothing about the .goc line: the user's token it
         points at, else the line's first token. Nor does a column of
         preprocessed text, whose spaces are collapsed and macros expanded,
         or of a statement the lowering re-indented: the token's, where the
         line has it */
      {
        CXFile sf;
        unsigned sl = 0, so = 0;
        clang_getExpansionLocation(loc, &sf, &sl, NULL, &so);
        /* a macro's argument (GOC__INIT(x, EXPR)) is spelt in the text */
        CXFile spf;
        unsigned spo = 0;
        clang_getSpellingLocation(loc, &spf, NULL, NULL, &spo);
        if (spf && sf && clang_File_isEqual(spf, sf)) so = spo;
        unsigned tc = sl ? token_column(fname, line, text, so) : 0;
        if (tc) c = tc;
        else if (sl && output_line_is_generated(text, sl)) c = clamp_column(fname, line, 100000);
      }
      if (!strncmp(m, "chan_", 5) && strstr(m, " of something that is not a channel")) {
        /* at the builtin's name */
        char *src = source_line(fname, line);
        char *at = NULL;
        size_t nl = strcspn(m, " ");
        for (char *q = src; q && *q; q++)
          if (!strncmp(q, m, nl) && q[nl] == '(') { at = q; break; }
        if (at && src) c = (unsigned)(at - src) + 1;
        free(src);
      }
      /* one undeclared name in a lowered statement is reported once per
         use in the generated code: the user sees each line once */
      char *whole = xasprintf("%s:%u:%u: error: %s\n", fname, line, c, m);
      free(m);
      if (already_reported(&seen, whole)) {
        free(whole);
      } else {   /* kept in seen, freed at the end */
        fputs(whole, check_out);
        errors++;
        diag_count++;
      }
    } else if (sev == CXDiagnostic_Fatal) {
      fprintf(check_out, "%s:%u:%u: error: %s\n", fname ? fname : out_name, line, col, clang_getCString(msg));
      errors++;
      diag_count++;
    }
    clang_disposeString(msg);
    clang_disposeString(file);
    clang_disposeDiagnostic(d);
  }
  if (check_program) {
    /* goc's own rule, which no C compiler checks: these always stand */
    refscan rs = {check_program, tu, out_name, 0};
    clang_visitChildren(clang_getTranslationUnitCursor(tu), visit_refs, &rs);
    check_goc_errors += rs.errors;
  }
  clang_disposeTranslationUnit(tu);
  for (int i = 0; i < seen.n; i++) free(seen.v[i]);
  free(seen.v);
done:
  clang_disposeIndex(idx);
  free(inc);
  free(args);
  return errors;
}

/* Whether the lowered text may name a goroutine function as a plain
 * pointer, the one error of check_lowered that no C compiler reports:
 * only if the translation unit names one (a function the check would look
 * for) somewhere other than in a declarator or as the callee of a call,
 * both of which the lowering rewrites or keeps as C. When it does not, a
 * compile that succeeds needs no check: libclang then runs only to explain
 * a compile that failed. */
/* Whether identifier n names such a function other than where the lowering
 * rewrites or keeps it. */
static bool names_goroutine_fn(const program *p, const source *s, TSNode n) {
  uint32_t a = ts_node_start_byte(n), len = ts_node_end_byte(n) - a;
  char name[256];
  if (len >= sizeof name) return false;
  memcpy(name, s->text + a, len);
  name[len] = 0;
  fninfo *fn = program_find(p, name);
  if (!fn || !fn->coloured || fn->lifted || fn->is_main) return false;
  TSNode up = node_parent(n);
  bool declarator = node_is(up, "function_declarator") && ts_node_eq(node_field(up, "declarator"), n);
  bool callee = node_is(up, "call_expression") && ts_node_eq(node_field(up, "function"), n);
  return !declarator && !callee;
}

bool check_needs_refscan(const program *p, const source *s) {
  /* the identifiers source_check_syntax's walk recorded: a walk of the
     whole tree again costs as much as a tenth of the transform */
  if (s->idents_done) {
    for (uint32_t i = 0; i < s->nidents; i++)
      if (names_goroutine_fn(p, s, s->idents[i])) return true;
    return false;
  }
  TSTreeCursor cur = ts_tree_cursor_new(ts_tree_root_node(s->tree));
  bool found = false;
  for (bool more = true; more && !found;) {
    TSNode n = ts_tree_cursor_current_node(&cur);
    if (node_is(n, "identifier")) found = names_goroutine_fn(p, s, n);
    if (ts_tree_cursor_goto_first_child(&cur)) continue;
    while (!ts_tree_cursor_goto_next_sibling(&cur))
      if (!ts_tree_cursor_goto_parent(&cur)) { more = false; break; }
  }
  ts_tree_cursor_delete(&cur);
  return found;
}
