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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "transform.h"

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
 * argument 'c' of type 'T'; struct f__frame is f's call. */
static char *user_words(const char *msg) {
  buf b = {0};
  for (const char *p = msg; *p;) {
    if (!strncmp(p, "initializing 'typeof (goc_", 26) || !strncmp(p, "'typeof (goc_", 13) ||
        !strncmp(p, "assigning to 'typeof (goc_", 26)) {
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

int check_lowered(const char *out_name, const char *text, char **flags, int nflags) {
  if (!check_out) check_out = stderr;
  CXIndex idx = clang_createIndex(0, 0);
  int nargs = 0;
  const char **args = xcalloc((size_t)nflags + 10, sizeof *args);
  char *inc = xasprintf("-I%s", goc_include_dir());
  args[nargs++] = "-xc";
  args[nargs++] = inc;
  args[nargs++] = "-ferror-limit=0";
  /* chan(int) passed where chan(long) is expected: an error, as goc cc and
     the CMake functions compile with the same flag */
  args[nargs++] = "-Werror=incompatible-pointer-types";
  for (int i = 0; i < nflags; i++) args[nargs++] = flags[i];
  struct CXUnsavedFile unsaved = {out_name, text, (unsigned long)strlen(text)};
  CXTranslationUnit tu = NULL;
  enum CXErrorCode ec = clang_parseTranslationUnit2(idx, out_name, args, nargs, &unsaved, 1,
                                                    CXTranslationUnit_KeepGoing, &tu);
  int errors = 0;
  if (ec != CXError_Success || !tu) {
    fprintf(check_out, "goc: warning: libclang could not check %s (error %d)\n", out_name, (int)ec);
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
      char *m = friendly(fname, line, clang_getCString(msg));
      unsigned c = clamp_column(fname, line, col);
      /* a column of generated code (a lowered statement is one line of
         goc_ code) says nothing about the .goc line: use its first token */
      {
        CXFile sf;
        unsigned sl = 0;
        clang_getExpansionLocation(loc, &sf, &sl, NULL, NULL);
        if (sl && output_line_is_generated(text, sl)) c = clamp_column(fname, line, 100000);
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
      fprintf(check_out, "%s:%u:%u: error: %s\n", fname, line, c, m);
      free(m);
      errors++;
      diag_count++;
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
done:
  clang_disposeIndex(idx);
  free(inc);
  free(args);
  return errors;
}
