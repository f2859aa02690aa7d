/* preprocess.c — the front end: a .goc file becomes the translation unit
 * the C compiler sees, and positions in it map back to the user's files.
 *
 *   1. premark: in the raw text, every `<-` the user wrote (outside
 *      comments, literals, #if and #include lines) becomes `@@`, two
 *      characters that no C token uses. It survives the preprocessor as
 *      written, inside macro bodies too, and a `<-` that only macro
 *      expansion creates (`x<NEG` with `#define NEG -1`) is never taken
 *      for one. A comment that says "fall through" becomes a token that
 *      step 3 turns back into the comment.
 *   2. $CC -E with the compile's own flags, goc_abi.h included first, the
 *      text in a file of its own behind a line marker that names the .goc file (so
 *      __FILE__, #line and diagnostics name it).
 *   3. postprocess: `@@` back to `<-` (in a string literal too, where #x
 *      put it, unless the .goc text has an `@@` of its own); any other `<-` in the .goc file or a
 *      system header split into `< -`; fall-through comments back;
 *      digraphs spelled as the tokens they
 *      are; line markers removed into a line map (a forward jump within one
 *      file becomes blank lines instead, so the text's rows stay in step);
 *      goc's own headers blanked (the output includes them itself).
 *
 * Invariants:
 *   - The text given to tree-sitter has no directives left but #pragma
 *     (and _Pragma's expansion); every row maps to (file, line).
 *   - Columns: a row of the .goc file maps token by token onto the raw
 *     line (the preprocessor collapses spaces and expands macros); a token
 *     that came from a macro maps to the macro's use.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "transform.h"

/* ---- 1. premark ---- */

static bool is_ident_char(char c) { return isalnum((unsigned char)c) || c == '_' || c == '$'; }

/* Copies a literal or comment starting at t[i]; returns the index after it. */
static size_t skip_literal(const char *t, size_t n, size_t i) {
  if (t[i] == '/' && i + 1 < n && t[i + 1] == '*') {
    const char *e = strstr(t + i + 2, "*/");
    return e ? (size_t)(e - t) + 2 : n;
  }
  if (t[i] == '/' && i + 1 < n && t[i + 1] == '/') {
    size_t k = i + 2;
    while (k < n && t[k] != '\n') {
      if (t[k] == '\\' && k + 1 < n && t[k + 1] == '\n') k++;
      k++;
    }
    return k;
  }
  char q = t[i];   /* ' or " */
  size_t k = i + 1;
  while (k < n && t[k] != q && t[k] != '\n') {
    if (t[k] == '\\' && k + 1 < n) k++;
    k++;
  }
  return k < n && t[k] == q ? k + 1 : k;
}

static bool starts_literal(const char *t, size_t n, size_t i) {
  if (t[i] == '"' || t[i] == '\'') return true;
  return t[i] == '/' && i + 1 < n && (t[i + 1] == '*' || t[i + 1] == '/');
}

/* The directive named at t[i] (just after '#' and blanks). */
static bool directive_is(const char *t, size_t n, size_t i, const char *name) {
  size_t l = strlen(name);
  return i + l <= n && !strncmp(t + i, name, l) && (i + l == n || !is_ident_char(t[i + l]));
}

/* Fall-through comments. gcc's -Wimplicit-fallthrough (in -Wextra) takes
 * a comment before a case label that says "fall through" as the author's
 * word that the statement before it falls through; $CC -E drops comments,
 * so the lowered C would warn (fail, under -Werror) where the .c did not.
 * premark replaces each comment that may be one (outside directives) with
 * FT_MARK and the comment's number, blanked to the comment's length with its
 * newlines kept; postprocess writes the comment back where the token comes
 * out, as a block comment with the user's words, so gcc judges it at its
 * own -Wimplicit-fallthrough level (any but 1, where every comment counts). */
#define FT_MARK "__gocF"
static char **ft_comments;   /* each as a block comment, by number */
static int nft_comments;

/* gcc's level-2 pattern, `falls?[ \t-]*thr(u|ough)` in any case: what the
 * stricter levels 3 and 4 accept matches it too. */
static bool may_say_fall_through(const char *c, size_t n) {
  for (size_t i = 0; i + 4 <= n; i++) {
    if (strncasecmp(c + i, "fall", 4)) continue;
    size_t k = i + 4;
    if (k < n && (c[k] == 's' || c[k] == 'S')) k++;
    while (k < n && (c[k] == ' ' || c[k] == '\t' || c[k] == '-')) k++;
    if (k + 3 <= n && !strncasecmp(c + k, "thr", 3)) return true;
  }
  return false;
}

/* The comment t[i..e) into o: its mark, if it may say "fall through" and
 * the mark fits. */
static void mark_fall_through(char *o, const char *t, size_t i, size_t e) {
  bool line = t[i + 1] == '/';
  size_t a = i + 2, b = line ? e : e - 2;
  if (b < a || !may_say_fall_through(t + a, b - a)) return;
  char mark[32];
  int ml = snprintf(mark, sizeof mark, FT_MARK "%d", nft_comments);
  if ((size_t)ml > e - i) return;
  buf c = {0};
  buf_puts(&c, "/*");
  for (size_t k = a; k < b; k++) {
    char ch = t[k] == '\n' || t[k] == '\r' || t[k] == '\\' ? ' ' : t[k];
    if (line && ch == '/' && k > a && t[k - 1] == '*') buf_putc(&c, ' ');   /* no early close */
    buf_putc(&c, ch);
  }
  buf_puts(&c, "*/");
  ft_comments = xrealloc(ft_comments, sizeof(char *) * (size_t)(nft_comments + 1));
  ft_comments[nft_comments++] = buf_take(&c);
  for (size_t k = i; k < e; k++)
    if (o[k] != '\n') o[k] = ' ';
  memcpy(o + i, mark, (size_t)ml);
}

char *premark(const char *t, size_t n, bool fall_through) {
  char *o = xmalloc(n + 1);
  memcpy(o, t, n);
  o[n] = 0;
  bool line_start = true;
  bool verbatim = false;   /* in an #if, #elif or #include line */
  bool directive = false;  /* in any directive line */
  for (size_t i = 0; i < n;) {
    char c = t[i];
    if (c == '\n') {
      /* a directive ends at a newline not preceded by a backslash */
      if (!(i > 0 && t[i - 1] == '\\')) verbatim = directive = false;
      line_start = true;
      i++;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') { i++; continue; }
    if (starts_literal(t, n, i)) {
      /* a header name after #include is verbatim anyway; a ' in a number
         separator does not occur in C17 */
      size_t e = skip_literal(t, n, i);
      if (fall_through && !directive && t[i] == '/') mark_fall_through(o, t, i, e);
      i = e;
      line_start = false;
      continue;
    }
    if (line_start && c == '#') {
      directive = true;
      size_t k = i + 1;
      while (k < n && (t[k] == ' ' || t[k] == '\t')) k++;
      verbatim = directive_is(t, n, k, "if") || directive_is(t, n, k, "elif") ||
                 directive_is(t, n, k, "include") || directive_is(t, n, k, "include_next") ||
                 directive_is(t, n, k, "import") || directive_is(t, n, k, "line") || directive_is(t, n, k, "error") ||
                 directive_is(t, n, k, "warning");
      line_start = false;
      i = k;
      continue;
    }
    line_start = false;
    if (is_ident_char(c)) {
      while (i < n && is_ident_char(t[i])) i++;
      continue;
    }
    if (c == '<' && i + 1 < n) {
      char d = t[i + 1];
      if (d == '<') { i += (i + 2 < n && t[i + 2] == '=') ? 3 : 2; continue; }
      if (d == '-' && !verbatim) { o[i] = '@'; o[i + 1] = '@'; i += 2; continue; }
      i += (d == '=' || d == ':' || d == '%') ? 2 : 1;
      continue;
    }
    i++;
  }
  return o;
}

/* ---- 2. the preprocessor ---- */

/* Flags that change what the preprocessor produces (everything but output,
 * dependency, debug and linker options: -g3, and -dD and its kin, would
 * keep every #define in the output, which the compile then sees twice). */
static bool drop_flag(const char *f, bool *takes_arg) {
  *takes_arg = false;
  if (!strcmp(f, "-MF") || !strcmp(f, "-MT") || !strcmp(f, "-MQ") || !strcmp(f, "-o") || !strcmp(f, "-L") ||
      !strcmp(f, "-l")) {
    *takes_arg = true;
    return true;
  }
  if (!strncmp(f, "-g", 2) || (f[0] == '-' && f[1] == 'd' && f[2] >= 'A' && f[2] <= 'Z')) return true;
  return !strncmp(f, "-M", 2) || !strcmp(f, "-c") || !strcmp(f, "-E") || !strcmp(f, "-S") ||
         !strncmp(f, "-Wl,", 4) || !strncmp(f, "-l", 2) || !strncmp(f, "-L", 2) || !strcmp(f, "-shared") ||
         !strcmp(f, "-static") || !strcmp(f, "-rdynamic");
}

/* ---- 3. postprocess ---- */

/* forced: the rows of a file the command line included (-include) and of
 * what it included; the compile of the output includes it again itself */
typedef struct lmap { uint32_t row; int file; int line; bool sysp; bool forced; } lmap;

struct srcmap {
  char **files;
  int nfiles;
  lmap *map;
  int nmap, capmap;
  int main_file;
  /* the .goc file's raw text, for columns */
  char *raw;
  uint32_t *raw_line_start;   /* per raw line (0-based) */
  int nraw_lines;
  /* where each row of the preprocessed text starts: a column lookup must
     not scan the text from its start (that made positions quadratic) */
  uint32_t *row_start;
  uint32_t nrows;
};

static int file_id(srcmap *m, const char *name, size_t len) {
  for (int i = 0; i < m->nfiles; i++)
    if (strlen(m->files[i]) == len && !strncmp(m->files[i], name, len)) return i;
  m->files = xrealloc(m->files, sizeof(char *) * (size_t)(m->nfiles + 1));
  m->files[m->nfiles] = xstrndup(name, len);
  return m->nfiles++;
}

static void map_add(srcmap *m, uint32_t row, int file, int line, bool sysp, bool forced) {
  if (m->nmap && m->map[m->nmap - 1].row == row) m->nmap--;
  if (m->nmap == m->capmap) {
    m->capmap = m->capmap ? m->capmap * 2 : 256;
    m->map = xrealloc(m->map, sizeof(lmap) * (size_t)m->capmap);
  }
  m->map[m->nmap++] = (lmap){row, file, line, sysp, forced};
}

static const lmap *map_find(const srcmap *m, uint32_t row) {
  int lo = 0, hi = m->nmap - 1;
  if (hi < 0) return NULL;
  while (lo < hi) {
    int mid = (lo + hi + 1) / 2;
    if (m->map[mid].row <= row) lo = mid; else hi = mid - 1;
  }
  return &m->map[lo];
}

/* A line marker "# N "file" flags"; returns false if the line is not one. */
static bool parse_marker(const char *l, const char *end, int *line, const char **name, size_t *nlen, int *flags) {
  if (l >= end || *l != '#') return false;
  l++;
  while (l < end && *l == ' ') l++;
  if (l < end && !strncmp(l, "line", 4)) { l += 4; while (l < end && *l == ' ') l++; }
  if (l >= end || !isdigit((unsigned char)*l)) return false;
  *line = 0;
  while (l < end && isdigit((unsigned char)*l)) *line = *line * 10 + (*l++ - '0');
  while (l < end && *l == ' ') l++;
  *name = NULL;
  *flags = 0;
  if (l < end && *l == '"') {
    const char *q = ++l;
    while (q < end && *q != '"') { if (*q == '\\' && q + 1 < end) q++; q++; }
    *name = l;
    *nlen = (size_t)(q - l);
    l = q < end ? q + 1 : q;
    while (l < end) {
      if (isdigit((unsigned char)*l)) *flags |= 1 << (*l - '0');
      l++;
    }
  }
  return true;
}

static bool is_goc_header(const char *name, size_t len) {
  const char *dir = goc_include_dir();
  size_t dl = strlen(dir);
  if (len <= dl || strncmp(name, dir, dl) || name[dl] != '/') return false;
  return (len - dl - 1 == 5 && !strncmp(name + dl + 1, "goc.h", 5)) ||
         (len - dl - 1 == 9 && !strncmp(name + dl + 1, "goc_abi.h", 9));
}

/* The number of a fall-through comment's mark, or -1. */
static int fall_through_number(const char *id, size_t n) {
  size_t ml = sizeof FT_MARK - 1;
  if (n <= ml || strncmp(id, FT_MARK, ml)) return -1;
  int v = 0;
  for (size_t i = ml; i < n; i++) {
    if (!isdigit((unsigned char)id[i]) || v > nft_comments) return -1;
    v = v * 10 + (id[i] - '0');
  }
  return v < nft_comments ? v : -1;
}

/* Rewrites one text row in place (same length): `@@` to `<-`, digraphs to
 * their tokens, a stray `<-` split when split_arrows. */
static void fix_row(char *r, size_t n, bool split_arrows, bool literal_marks, buf *out) {
  for (size_t i = 0; i < n;) {
    char c = r[i];
    if (c == '"' || c == '\'') {
      size_t k = i + 1;
      while (k < n && r[k] != c) { if (r[k] == '\\' && k + 1 < n) k++; k++; }
      size_t end = k < n ? k + 1 : k;
      /* #x of an argument holding <- stringifies the mark */
      for (size_t j = i; j < end; j++) {
        if (literal_marks && r[j] == '@' && j + 1 < end && r[j + 1] == '@') { buf_puts(out, "<-"); j++; }
        else buf_putc(out, r[j]);
      }
      i = end;
      continue;
    }
    if (is_ident_char(c)) {
      size_t k = i;
      while (k < n && is_ident_char(r[k])) k++;
      int ft = fall_through_number(r + i, k - i);
      if (ft >= 0) buf_puts(out, ft_comments[ft]);
      else buf_putn(out, r + i, k - i);
      i = k;
      continue;
    }
    char d = i + 1 < n ? r[i + 1] : 0;
    if (c == '@' && d == '@') { buf_puts(out, "<-"); i += 2; continue; }
    if (c == '<' && d == '<') { buf_putn(out, r + i, 2); i += 2; continue; }
    if (c == '<' && d == '-' && split_arrows) { buf_puts(out, "< -"); i += 2; continue; }
    if (c == '<' && d == ':') { buf_puts(out, "[ "); i += 2; continue; }
    if (c == ':' && d == '>') { buf_puts(out, "] "); i += 2; continue; }
    if (c == '<' && d == '%') { buf_puts(out, "{ "); i += 2; continue; }
    if (c == '%' && d == '>') { buf_puts(out, "} "); i += 2; continue; }
    buf_putc(out, c);
    i++;
  }
}

static void raw_lines(srcmap *m, const char *raw, size_t n) {
  m->raw = xstrndup(raw, n);
  int cap = 1024;
  m->raw_line_start = xmalloc(sizeof(uint32_t) * (size_t)cap);
  m->nraw_lines = 0;
  m->raw_line_start[m->nraw_lines++] = 0;
  for (size_t i = 0; i < n; i++)
    if (raw[i] == '\n') {
      if (m->nraw_lines == cap) m->raw_line_start = xrealloc(m->raw_line_start, sizeof(uint32_t) * (size_t)(cap *= 2));
      m->raw_line_start[m->nraw_lines++] = (uint32_t)i + 1;
    }
}

/* raw_has_marks: the .goc text (or a premarked header's) holds @@ itself
 * (in a literal: premark leaves literals alone), so an @@ in a literal may
 * be the user's. headers_marked: user headers were premarked too. */
static char *postprocess(srcmap *m, const char *pp, size_t n, const char *path, bool raw_has_marks,
                         bool headers_marked, size_t *outlen) {
  buf out = {0};
  uint32_t row = 0;
  int cur_file = file_id(m, path, strlen(path)), cur_line = 1;
  bool cur_sysp = false, cur_goc = false, cur_forced = false;
  m->main_file = cur_file;
  map_add(m, 0, cur_file, 1, false, false);
  /* files entered from <command-line>: -include (goc_abi.h first) */
  bool at_cmdline = false;
  int forced_depth = 0;
  for (size_t i = 0; i < n;) {
    const char *l = pp + i;
    const char *e = memchr(l, '\n', n - i);
    size_t len = e ? (size_t)(e - l) : n - i;
    int line, flags;
    const char *name;
    size_t nlen;
    if (parse_marker(l, l + len, &line, &name, &nlen, &flags)) {
      int f = name ? file_id(m, name, nlen) : cur_file;
      bool sysp = (flags & (1 << 3)) != 0;
      /* gcc enters -include files from <command-line>, clang from
         <built-in> after its <command line> */
      bool pseudo = name && nlen > 2 && name[0] == '<' && !(nlen == 7 && !strncmp(name, "<stdin>", 7));
      if (pseudo) {
        at_cmdline = true;
        forced_depth = 0;
      } else if (flags & (1 << 1)) {   /* entering a file */
        if (at_cmdline || forced_depth) forced_depth++;
        at_cmdline = false;
      } else if (flags & (1 << 2)) {   /* back in the includer */
        if (forced_depth) forced_depth--;
      } else {
        at_cmdline = false;
      }
      bool forced = forced_depth > 0;
      if (f == cur_file && sysp == cur_sysp && forced == cur_forced && line >= cur_line && line - cur_line <= 64) {
        for (; cur_line < line; cur_line++, row++) buf_putc(&out, '\n');
      } else {
        buf_putc(&out, '\n');
        row++;
        cur_file = f;
        cur_line = line;
        cur_sysp = sysp;
        cur_forced = forced;
        cur_goc = name && is_goc_header(name, nlen);
        map_add(m, row, f, line, sysp, forced);
      }
    } else if (cur_goc) {
      buf_putc(&out, '\n');
      row++;
      cur_line++;
    } else {
      /* every `<-` the user wrote is marked by now (in user headers too,
         which hold none unless they were premarked: header_overlay.c);
         an -include'd file's are not */
      bool marked_here = cur_file == m->main_file || (headers_marked && !cur_sysp);
      fix_row((char *)l, len, !cur_forced, marked_here && !cur_forced && !raw_has_marks, &out);
      buf_putc(&out, '\n');
      row++;
      cur_line++;
    }
    i += len + 1;
  }
  *outlen = out.len;
  if (!out.s) buf_puts(&out, "");
  return buf_take(&out);
}

/* ---- the whole front end ---- */

/* The user headers (not system, not goc's, not pseudo files) a first
 * preprocessing read, each once. */
static char **user_headers(const char *pp, size_t n, const char *path, const char *input, int *count) {
  char **v = NULL;
  int k = 0;
  for (size_t i = 0; i < n;) {
    const char *l = pp + i;
    const char *e = memchr(l, '\n', n - i);
    size_t len = e ? (size_t)(e - l) : n - i;
    i += len + 1;
    int line, flags;
    const char *name;
    size_t nlen;
    if (!parse_marker(l, l + len, &line, &name, &nlen, &flags) || !name || (flags & (1 << 3))) continue;
    if (!nlen || name[0] == '<' || memchr(name, '\\', nlen) || is_goc_header(name, nlen)) continue;
    if (strlen(path) == nlen && !strncmp(path, name, nlen)) continue;
    if (strlen(input) == nlen && !strncmp(input, name, nlen)) continue;
    bool dup = false;
    for (int j = 0; j < k && !dup; j++) dup = strlen(v[j]) == nlen && !strncmp(v[j], name, nlen);
    if (dup) continue;
    v = xrealloc(v, sizeof(char *) * (size_t)(k + 1));
    v[k++] = xstrndup(name, nlen);
  }
  *count = k;
  return v;
}

/* $CC -E's command line: from the input file, or from the overlay's copy
 * of the .goc with each -iquote/-I directory's overlay twin ahead of it. */
static char **pp_command(char **flags, int nflags, const char *dir, const char *inc, const overlay *o,
                         const char *input, char ***owned, int *nowned) {
  char **argv = xcalloc((size_t)nflags * 2 + 20, sizeof *argv);
  int na = 0;
  *owned = xcalloc((size_t)nflags + 4, sizeof **owned);
  *nowned = 0;
  argv[na++] = (char *)c_compiler();
  argv[na++] = "-E";
  argv[na++] = "-x";
  argv[na++] = "c";
  argv[na++] = "-iquote";
  argv[na++] = (char *)dir;
  argv[na++] = "-DGOC_NO_CHAN_MACRO";
  argv[na++] = "-DGOC__FRONT_END";
  argv[na++] = "-I";
  argv[na++] = (char *)goc_include_dir();
  argv[na++] = "-include";
  argv[na++] = (char *)inc;
  for (int i = 0; i < nflags; i++) {
    bool arg;
    if (drop_flag(flags[i], &arg)) { if (arg) i++; continue; }
    if (o && (!strncmp(flags[i], "-I", 2) || !strncmp(flags[i], "-iquote", 7))) {
      size_t pl = flags[i][1] == 'I' ? 2 : 7;
      bool sep = !flags[i][pl] && i + 1 < nflags;
      const char *d = sep ? flags[i + 1] : flags[i] + pl;
      if (*d) {
        argv[na++] = pl == 2 ? "-I" : "-iquote";
        argv[na++] = (*owned)[(*nowned)++] = overlay_twin(o, d);
      }
    }
    argv[na++] = flags[i];
  }
  argv[na++] = o ? (char *)overlay_input(o) : (char *)input;
  argv[na] = NULL;
  return argv;
}

static char *run_pp(char **flags, int nflags, const char *dir, const char *inc, const overlay *o,
                    const char *input, size_t *pplen) {
  char **owned;
  int nowned;
  char **argv = pp_command(flags, nflags, dir, inc, o, input, &owned, &nowned);
  char *pp = run_with_stdin(argv, "", 0, pplen, false);
  for (int i = 0; i < nowned; i++) free(owned[i]);
  free(owned);
  free(argv);
  return pp;
}

/* write_input's file and directory, gone. */
static void remove_input(const char *path, const char *dir) {
  unlink(path);
  rmdir(dir);
  diag_cleanup_input(NULL);
}

/* The premarked text as a file alone in a new directory. The preprocessor
 * looks for a quoted include in the including file's directory first, and
 * for stdin that is the working directory, ahead of every -iquote: a .goc
 * beside its own "tree.h", compiled from a directory that has another
 * (git's reftable/tree.c, built from git's top directory), got the other.
 * Here that first look finds nothing, and -iquote DIR, the .goc's own
 * directory, comes next, as for a .c file. NULL if it cannot be written. */
static char *write_input(const buf *text, char **dir) {
  const char *base = getenv("TMPDIR");
  *dir = xasprintf("%s/goc-input-XXXXXX", base && *base ? base : "/tmp");
  if (!mkdtemp(*dir)) {
    fprintf(stderr, "goc: error: cannot create a temporary directory: %s\n", strerror(errno));
    free(*dir);
    *dir = NULL;
    return NULL;
  }
  diag_cleanup_input(*dir);
  char *path = xasprintf("%s/input.c", *dir);
  FILE *f = fopen(path, "wb");
  bool ok = f && fwrite(text->s, 1, text->len, f) == text->len;
  if (f && fclose(f)) ok = false;
  if (!ok) {
    fprintf(stderr, "goc: error: cannot write %s: %s\n", path, strerror(errno));
    remove_input(path, *dir);
    free(path);
    free(*dir);
    *dir = NULL;
    return NULL;
  }
  return path;
}

/* -D__BASE_FILE__="path": $CC -E reads a copy, or the overlay's, but
 * the user's __BASE_FILE__ names the .goc as the command line gave it. */
static char *base_file_flag(const char *path) {
  buf b = {0};
  buf_puts(&b, "-D__BASE_FILE__=\"");
  for (const char *p = path; *p; p++) {
    if (*p == '"' || *p == '\\') buf_putc(&b, '\\');
    buf_putc(&b, *p);
  }
  buf_putc(&b, '"');
  return b.s;
}

source *source_preprocess(const char *path, char **flags, int nflags) {
  char **uflags = flags;
  flags = xcalloc((size_t)nflags + 4, sizeof *flags);
  memcpy(flags, uflags, sizeof *flags * (size_t)nflags);
  char *base_flag = base_file_flag(path);
  flags[nflags++] = "-Wno-builtin-macro-redefined";   /* for the next two */
  flags[nflags++] = "-U__BASE_FILE__";
  flags[nflags++] = base_flag;
  buf raw = {0};
  raw.s = read_input(path, &raw.len);
  if (!raw.s) return NULL;
  raw.cap = raw.len + 1;
  char *marked = premark(raw.s, raw.len, true);
  buf input = {0};
  buf_puts(&input, "#line 1 ");   /* not `# 1`, which -pedantic-errors refuses */
  buf_put_cstr(&input, path);
  buf_putc(&input, '\n');
  buf_putn(&input, marked, raw.len);
  free(marked);

  char *dir = xstrdup(path);
  char *slash = strrchr(dir, '/');
  if (slash) *slash = 0; else strcpy(dir, ".");
  char *inc = xasprintf("%s/goc_abi.h", goc_include_dir());
  size_t pplen = 0;
  char *input_dir = NULL;
  char *input_path = write_input(&input, &input_dir);
  char *pp = input_path ? run_pp(flags, nflags, dir, inc, NULL, input_path, &pplen) : NULL;
  bool header_marks = false, headers_marked = false;
  if (pp) {
    int nh;
    char **hs = user_headers(pp, pplen, path, input_path, &nh);
    int before = diag_count;
    overlay *o = overlay_make(path, input.s, input.len, hs, nh, &header_marks);
    for (int i = 0; i < nh; i++) free(hs[i]);
    free(hs);
    headers_marked = o != NULL;
    if (o || diag_count != before) {
      free(pp);
      pp = o ? run_pp(flags, nflags, dir, inc, o, NULL, &pplen) : NULL;
      overlay_free(o);
    }
  }
  if (input_path) remove_input(input_path, input_dir);
  free(input_path);
  free(input_dir);
  buf_free(&input);
  free(inc);
  free(dir);
  free(base_flag);
  free(flags);
  if (!pp) {
    diag_count++;
    buf_free(&raw);
    return NULL;
  }
  srcmap *m = xcalloc(1, sizeof *m);
  size_t tlen;
  bool raw_has_marks = false;
  for (size_t i = 0; i + 1 < raw.len && !raw_has_marks; i++) raw_has_marks = raw.s[i] == '@' && raw.s[i + 1] == '@';
  raw_has_marks |= header_marks;
  char *text = postprocess(m, pp, pplen, path, raw_has_marks, headers_marked, &tlen);
  free(pp);
  raw_lines(m, raw.s, raw.len);
  buf_free(&raw);
  source *s = source_new(path, text, tlen);
  free(text);
  m->nrows = 1;
  for (uint32_t i = 0; i < s->len; i++) m->nrows += s->text[i] == '\n';
  m->row_start = xcalloc(m->nrows, sizeof *m->row_start);
  for (uint32_t i = 0, r = 1; i < s->len; i++)
    if (s->text[i] == '\n') m->row_start[r++] = i + 1;
  s->map = m;
  source_parse(s);
  return s;
}

/* ---- positions ---- */

/* Tokens of one line, for aligning a preprocessed row with its raw line. */
typedef struct tok { uint32_t col; uint32_t len; const char *p; } tok;

static int tokenize(const char *l, size_t n, tok *v, int max, bool raw, bool *in_comment) {
  int k = 0;
  size_t i = 0;
  while (i < n && k < max) {
    if (raw && *in_comment) {
      const char *e = NULL;
      for (size_t j = i; j + 1 < n; j++) if (l[j] == '*' && l[j + 1] == '/') { e = l + j; break; }
      if (!e) return k;
      i = (size_t)(e - l) + 2;
      *in_comment = false;
      continue;
    }
    char c = l[i];
    if (isspace((unsigned char)c)) { i++; continue; }
    if (raw && c == '/' && i + 1 < n && l[i + 1] == '/') return k;
    /* a preprocessed row holds a comment only where a fall-through comment came back */
    if (c == '/' && i + 1 < n && l[i + 1] == '*') { *in_comment = true; i += 2; continue; }
    size_t s = i;
    if (is_ident_char(c) || (c == '.' && i + 1 < n && isdigit((unsigned char)l[i + 1]))) {
      while (i < n && (is_ident_char(l[i]) || l[i] == '.' ||
                       ((l[i] == '+' || l[i] == '-') && i > s && strchr("eEpP", l[i - 1]) &&
                        isdigit((unsigned char)l[s]))))
        i++;
    } else if (c == '"' || c == '\'') {
      i++;
      while (i < n && l[i] != c) { if (l[i] == '\\') i++; i++; }
      if (i < n) i++;
    } else {
      static const char *ops[] = {"<<=", ">>=", "...", "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=",
                                  "&&", "||", "*=", "/=", "%=", "+=", "-=", "&=", "^=", "|=", "##", "<-", NULL};
      size_t len = 1;
      for (int o = 0; ops[o]; o++) {
        size_t ol = strlen(ops[o]);
        if (i + ol <= n && !strncmp(l + i, ops[o], ol)) { len = ol; break; }
      }
      i += len;
    }
    v[k++] = (tok){(uint32_t)s, (uint32_t)(i - s), l + s};
  }
  return k;
}

static bool raw_starts_in_comment(const srcmap *m, int line0) {
  /* whether raw line line0 (0-based) starts inside a block comment: scan
     from the start (only for diagnostics, so cost does not matter) */
  bool in = false;
  const char *t = m->raw;
  size_t end = m->raw_line_start[line0];
  for (size_t i = 0; i < end; i++) {
    if (in) { if (t[i] == '*' && t[i + 1] == '/') { in = false; i++; } continue; }
    if (t[i] == '"' || t[i] == '\'') {
      char q = t[i];
      for (i++; i < end && t[i] != q && t[i] != '\n'; i++) if (t[i] == '\\') i++;
      continue;
    }
    if (t[i] == '/' && t[i + 1] == '/') { while (i < end && t[i] != '\n') i++; continue; }
    if (t[i] == '/' && t[i + 1] == '*') { in = true; i++; }
  }
  return in;
}

/* The raw column (0-based) of preprocessed column col on a row whose
 * source line is raw line line0 of the .goc file. */
static uint32_t raw_column(const source *s, const srcmap *m, uint32_t row, uint32_t col, int line0) {
  if (line0 < 0 || line0 >= m->nraw_lines) return col;
  /* the preprocessed row's text */
  const char *t = s->text;
  if (row >= m->nrows) return col;
  uint32_t a = m->row_start[row];
  uint32_t b = a;
  while (b < s->len && t[b] != '\n') b++;
  uint32_t ra = m->raw_line_start[line0];
  uint32_t rb = line0 + 1 < m->nraw_lines ? m->raw_line_start[line0 + 1] - 1 : (uint32_t)strlen(m->raw);
  enum { MAXT = 4096 };
  static tok pt[MAXT], rt[MAXT];
  bool inc = false;
  int np = tokenize(t + a, b - a, pt, MAXT, false, &inc);
  inc = raw_starts_in_comment(m, line0);
  int nr = tokenize(m->raw + ra, rb - ra, rt, MAXT, true, &inc);
  if (!nr) return col;
  int j = 0;
  uint32_t mapped = rt[0].col;
  for (int k = 0; k < np; k++) {
    int found = -1;
    for (int q = j; q < nr && q < j + 64; q++)
      if (rt[q].len == pt[k].len && !strncmp(rt[q].p, pt[k].p, pt[k].len)) { found = q; break; }
    uint32_t here;
    if (found >= 0) { here = rt[found].col; j = found + 1; }
    else here = j < nr ? rt[j].col : mapped;
    if (pt[k].col <= col && col < pt[k].col + pt[k].len)
      return here + (found >= 0 ? col - pt[k].col : 0);
    if (pt[k].col > col) return mapped;
    mapped = here;
  }
  return mapped;
}

void source_position(const source *s, uint32_t row, uint32_t col, const char **file, int *line, int *column) {
  const srcmap *m = s->map;
  if (!m) {
    *file = s->path;
    *line = (int)row + 1;
    *column = (int)col + 1;
    return;
  }
  const lmap *e = map_find(m, row);
  *file = m->files[e->file];
  *line = e->line + (int)(row - e->row);
  *column = (int)col + 1;
  if (e->file == m->main_file) *column = (int)raw_column(s, m, row, col, *line - 1) + 1;
}

void source_line_of(const source *s, uint32_t row, const char **file, int *line) {
  const srcmap *m = s->map;
  if (!m) { *file = s->path; *line = (int)row + 1; return; }
  const lmap *e = map_find(m, row);
  *file = m->files[e->file];
  *line = e->line + (int)(row - e->row);
}

bool source_row_is_forced(const source *s, uint32_t row) {
  if (!s->map) return false;
  return map_find(s->map, row)->forced;
}

bool source_row_is_system(const source *s, uint32_t row) {
  if (!s->map) return false;
  return map_find(s->map, row)->sysp;
}

int source_system_runs(const source *s, uint32_t **runs) {
  const srcmap *m = s->map;
  *runs = xmalloc(sizeof **runs * (size_t)(2 * (m ? m->nmap : 0) + 2));
  int n = 0;
  for (int i = 0; m && i < m->nmap; i++) {
    if (!m->map[i].sysp) continue;
    uint32_t end = i + 1 < m->nmap ? m->map[i + 1].row : m->nrows;
    if (n && (*runs)[2 * n - 1] == m->map[i].row) (*runs)[2 * n - 1] = end;
    else (*runs)[2 * n] = m->map[i].row, (*runs)[2 * n + 1] = end, n++;
  }
  return n;
}

uint32_t source_row_start(const source *s, uint32_t row) {
  return row < s->map->nrows ? s->map->row_start[row] : s->len;
}

uint32_t source_row_of_byte(const source *s, uint32_t at) {
  const srcmap *m = s->map;
  uint32_t lo = 0, hi = m->nrows - 1;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo + 1) / 2;
    if (m->row_start[mid] <= at) lo = mid; else hi = mid - 1;
  }
  return lo;
}

/* Every file the translation unit read (for make-style dependencies). */
int source_files(const source *s, const char ***files) {
  if (!s->map) { *files = (const char **)&s->path; return 1; }
  *files = (const char **)s->map->files;
  return s->map->nfiles;
}

void srcmap_free(srcmap *m) {
  if (!m) return;
  for (int i = 0; i < m->nfiles; i++) free(m->files[i]);
  free(m->files);
  free(m->map);
  free(m->raw);
  free(m->raw_line_start);
  free(m->row_start);
  free(m);
}
