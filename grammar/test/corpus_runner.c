/*
 * corpus_runner: runs tree-sitter corpus files against the goc grammar
 * without the tree-sitter CLI, using the committed parser (src/) and the
 * system's libtree-sitter.
 *
 *   corpus_runner FILE.txt...         run every case of each corpus file
 *   corpus_runner --update FILE.txt... rewrite the expected trees with the
 *                                      parser's output (review the diff)
 *   corpus_runner --check-clean FILE  fail if FILE's tree has an ERROR or a
 *                                      MISSING node; print where the first is
 *   corpus_runner --print FILE        print FILE's tree, with field names
 *   corpus_runner --check-query FILE  fail if the query FILE (e.g.
 *                                      queries/highlights.scm) does not
 *                                      compile against the grammar
 *
 * The corpus format is tree-sitter's: a header line of `=`, the case name
 * (and attribute lines such as `:skip` and `:error`), a closing line of `=`,
 * the input, a line of at least three `-` (the longest such line when there
 * are several), and the expected S-expression. Header and divider lines may
 * carry a suffix, which must then match. As `tree-sitter test` does, lines
 * starting with `;` in the expected tree are comments, whitespace is not
 * significant, and field names are compared only when the expected tree
 * has some. `:error` cases pass when the tree has an error anywhere.
 *
 * Exit status: 0 when everything passed, 1 when a case failed or the file
 * was not clean, 2 on a usage or I/O error.
 */

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tree_sitter/api.h>

#include "tree_sitter_goc.h"

/* A growable string. */
typedef struct {
  char *data;
  size_t len, cap;
} Buf;

static void buf_reserve(Buf *b, size_t extra) {
  if (b->len + extra + 1 <= b->cap) return;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + extra + 1) cap *= 2;
  char *data = realloc(b->data, cap);
  if (!data) {
    fputs("corpus_runner: out of memory\n", stderr);
    exit(2);
  }
  b->data = data;
  b->cap = cap;
}

static void buf_append(Buf *b, const char *s, size_t n) {
  buf_reserve(b, n);
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

static void buf_puts(Buf *b, const char *s) { buf_append(b, s, strlen(s)); }

/* Reads a whole file; returns false (and says why) when it cannot. */
static bool read_file(const char *path, Buf *out) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    return false;
  }
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) buf_append(out, chunk, n);
  bool ok = !ferror(f);
  if (!ok) perror(path);
  fclose(f);
  if (!out->data) buf_append(out, "", 0);
  return ok;
}

static TSTree *parse(TSParser *parser, const char *text, size_t len) {
  return ts_parser_parse_string(parser, NULL, text, (uint32_t)len);
}

/* ---- S-expressions ---------------------------------------------------- */

/* Splits an S-expression into tokens `(`, `)` and atoms, written to `out`
 * separated by single spaces. Field labels (`name:`) are dropped when
 * `strip_fields` is set. */
static void sexp_normalize(const char *s, bool strip_fields, Buf *out) {
  out->len = 0;
  buf_append(out, "", 0);
  const char *p = s;
  while (*p) {
    if (isspace((unsigned char)*p)) {
      p++;
      continue;
    }
    const char *start = p;
    if (*p == '(' || *p == ')') {
      p++;
    } else if (*p == '"') {
      p++;
      while (*p && *p != '"') p += (*p == '\\' && p[1]) ? 2 : 1;
      if (*p) p++;
    } else {
      while (*p && !isspace((unsigned char)*p) && *p != '(' && *p != ')') p++;
    }
    size_t n = (size_t)(p - start);
    if (strip_fields && n > 1 && start[n - 1] == ':') continue;
    if (out->len) buf_append(out, " ", 1);
    buf_append(out, start, n);
  }
}

/* Whether an expected tree names fields (`name: (`), as tree-sitter test
 * decides whether to compare them. */
static bool sexp_has_fields(const char *s) {
  for (const char *p = s; *p; p++) {
    if (*p != ':' || p == s) continue;
    const char *q = p - 1;
    if (!(isalnum((unsigned char)*q) || *q == '_')) continue;
    const char *r = p + 1;
    while (*r == ' ' || *r == '\t' || *r == '\n' || *r == '\r') r++;
    if (*r == '(') return true;
  }
  return false;
}

/* Pretty-prints a normalized S-expression, one node a line, indented by
 * two spaces per level, as `tree-sitter test --update` writes them. */
static void sexp_pretty(const char *norm, Buf *out) {
  int depth = 0;
  bool line_start = true;
  const char *p = norm;
  while (*p) {
    if (*p == ' ') {
      p++;
      continue;
    }
    if (*p == '(') {
      if (!line_start) {
        buf_puts(out, "\n");
        for (int i = 0; i < depth; i++) buf_puts(out, "  ");
      }
      buf_puts(out, "(");
      depth++;
      line_start = false;
      p++;
      while (*p == ' ') p++;
      /* the node's name and anything up to the next paren stay on this
         line, e.g. `(MISSING ";")` */
      while (*p && *p != '(' && *p != ')') {
        const char *w = p;
        while (*p && *p != ' ' && *p != '(' && *p != ')') p++;
        buf_append(out, w, (size_t)(p - w));
        while (*p == ' ') p++;
        if (*p && *p != '(' && *p != ')') {
          /* a field label belongs to the next node: break before it */
          const char *q = p;
          while (*q && *q != ' ' && *q != '(' && *q != ')') q++;
          if (q > p && q[-1] == ':') break;
          buf_puts(out, " ");
        }
      }
    } else if (*p == ')') {
      buf_puts(out, ")");
      depth--;
      p++;
    } else {
      /* a field label: starts a new line, the node follows on it */
      const char *w = p;
      while (*p && *p != ' ' && *p != '(' && *p != ')') p++;
      buf_puts(out, "\n");
      for (int i = 0; i < depth; i++) buf_puts(out, "  ");
      buf_append(out, w, (size_t)(p - w));
      buf_puts(out, " ");
      line_start = true;
    }
  }
}

/* ---- corpus files ----------------------------------------------------- */

typedef struct {
  const char *start; /* first byte of the line */
  size_t len;        /* without the line terminator */
  size_t next;       /* offset of the following line */
} Line;

/* The suffix after a run of `c` at the start of a line, or NULL when the
 * line is not such a run of at least `min` characters. */
static const char *run_suffix(const Line *l, char c, size_t min, size_t *run, size_t *suffix_len) {
  size_t n = 0;
  while (n < l->len && l->start[n] == c) n++;
  if (n < min) return NULL;
  size_t end = l->len;
  if (end > n && l->start[end - 1] == '\r') end--;
  if (n < end && l->start[n] == c) return NULL;
  *run = n;
  *suffix_len = end - n;
  return l->start + n;
}

typedef struct {
  char *name;
  bool skip, error;
  size_t input_start, input_end;       /* byte range of the input */
  size_t expected_start, expected_end; /* byte range of the expected tree */
} Case;

typedef struct {
  Case *items;
  size_t len, cap;
} Cases;

static Line line_at(const Buf *text, size_t off) {
  Line l = {text->data + off, 0, off};
  const char *nl = memchr(l.start, '\n', text->len - off);
  l.len = nl ? (size_t)(nl - l.start) : text->len - off;
  l.next = off + l.len + (nl ? 1 : 0);
  return l;
}

/* Is there a test header at `off`? If so, fills name/attributes and returns
 * the offset just past it. */
static bool header_at(const Buf *text, size_t off, Case *c, size_t *after, Buf *suffix) {
  Line l = line_at(text, off);
  size_t run, slen;
  const char *s = run_suffix(&l, '=', 1, &run, &slen);
  if (!s || l.next >= text->len) return false;
  size_t pos = l.next;
  Buf name = {0};
  bool skip = false, error = false;
  size_t names = 0;
  for (;;) {
    if (pos >= text->len) {
      free(name.data);
      return false;
    }
    Line m = line_at(text, pos);
    size_t run2, slen2;
    const char *s2 = run_suffix(&m, '=', 3, &run2, &slen2);
    if (s2) {
      if (names == 0 || slen2 != slen || memcmp(s, s2, slen) != 0) {
        free(name.data);
        return false;
      }
      *after = m.next;
      break;
    }
    if (m.len > 0 && m.start[0] == '=') {
      free(name.data);
      return false;
    }
    size_t len = m.len;
    if (len && m.start[len - 1] == '\r') len--;
    if (len && m.start[0] == ':') {
      if (len == 5 && memcmp(m.start, ":skip", 5) == 0) skip = true;
      if (len == 6 && memcmp(m.start, ":error", 6) == 0) error = true;
      /* :platform(...) cases run only on that platform */
      if (len > 10 && memcmp(m.start, ":platform(", 10) == 0 &&
          !(len == 16 && memcmp(m.start + 10, "linux)", 6) == 0))
        skip = true;
    } else if (len) {
      if (name.len) buf_puts(&name, " ");
      buf_append(&name, m.start, len);
    }
    names++;
    pos = m.next;
  }
  c->name = name.data ? name.data : strdup("");
  c->skip = skip;
  c->error = error;
  suffix->len = 0;
  buf_append(suffix, s, slen);
  return true;
}

/* Splits a corpus file into cases. Returns false on a malformed file. */
static bool split_cases(const char *path, const Buf *text, Cases *cases) {
  size_t off = 0;
  Buf suffix = {0};
  Case cur;
  size_t after;
  /* find the first header */
  while (off < text->len && !header_at(text, off, &cur, &after, &suffix)) off = line_at(text, off).next;
  while (off < text->len) {
    /* the case body runs to the next header */
    size_t body = after, end = after, next_after = 0;
    Case next = {0};
    Buf next_suffix = {0};
    bool have_next = false;
    while (end < text->len) {
      if (header_at(text, end, &next, &next_after, &next_suffix)) {
        have_next = true;
        break;
      }
      end = line_at(text, end).next;
    }
    /* the divider: the longest dash line with the header's suffix */
    size_t best_run = 0, div_start = 0, div_end = 0;
    for (size_t p = body; p < end;) {
      Line l = line_at(text, p);
      size_t run, slen;
      const char *s = run_suffix(&l, '-', 3, &run, &slen);
      if (s && slen == suffix.len && memcmp(s, suffix.data, slen) == 0 && run > best_run) {
        best_run = run;
        div_start = p;
        div_end = l.next;
      }
      p = l.next;
    }
    if (!best_run) {
      fprintf(stderr, "%s: case \"%s\" has no --- divider\n", path, cur.name);
      free(cur.name);
      free(suffix.data);
      free(next_suffix.data);
      if (have_next) free(next.name);
      return false;
    }
    cur.input_start = body;
    cur.input_end = div_start;
    /* tree-sitter drops the line break that ends the input */
    if (cur.input_end > cur.input_start && text->data[cur.input_end - 1] == '\n') cur.input_end--;
    if (cur.input_end > cur.input_start && text->data[cur.input_end - 1] == '\r') cur.input_end--;
    cur.expected_start = div_end;
    cur.expected_end = end;
    if (cases->len == cases->cap) {
      cases->cap = cases->cap ? cases->cap * 2 : 16;
      cases->items = realloc(cases->items, cases->cap * sizeof *cases->items);
      if (!cases->items) exit(2);
    }
    cases->items[cases->len++] = cur;
    if (!have_next) break;
    cur = next;
    off = end;
    after = next_after;
    free(suffix.data);
    suffix = next_suffix;
  }
  free(suffix.data);
  return true;
}

/* Drops comment lines (`; ...`) from an expected tree. */
static void strip_comments(const char *s, size_t n, Buf *out) {
  out->len = 0;
  buf_append(out, "", 0);
  size_t i = 0;
  while (i < n) {
    size_t j = i;
    while (j < n && s[j] != '\n') j++;
    size_t k = i;
    while (k < j && isspace((unsigned char)s[k])) k++;
    if (!(k < j && s[k] == ';')) {
      buf_append(out, s + i, j - i);
      buf_puts(out, "\n");
    }
    i = j + 1;
  }
}

static int run_corpus(TSParser *parser, const char *path, bool update) {
  Buf text = {0};
  if (!read_file(path, &text)) return 2;
  Cases cases = {0};
  if (!split_cases(path, &text, &cases)) return 2;

  Buf expected = {0}, want = {0}, got = {0}, rewritten = {0};
  size_t copied = 0;
  int passed = 0, failed = 0, skipped = 0;
  for (size_t i = 0; i < cases.len; i++) {
    Case *c = &cases.items[i];
    if (c->skip) {
      printf("  skip  %s\n", c->name);
      skipped++;
      continue;
    }
    TSTree *tree = parse(parser, text.data + c->input_start, c->input_end - c->input_start);
    TSNode root = ts_tree_root_node(tree);
    bool ok;
    strip_comments(text.data + c->expected_start, c->expected_end - c->expected_start, &expected);
    bool fields = sexp_has_fields(expected.data);
    char *actual = ts_node_string(root);
    sexp_normalize(actual, !fields, &got);
    if (c->error) {
      ok = ts_node_has_error(root);
    } else {
      sexp_normalize(expected.data, false, &want);
      ok = strcmp(want.data, got.data) == 0;
    }
    if (ok) {
      passed++;
      printf("  ok    %s\n", c->name);
    } else {
      failed++;
      printf("  FAIL  %s\n", c->name);
      if (c->error) {
        printf("    expected an ERROR node, got:\n    %s\n", got.data);
      } else {
        size_t at = 0;
        while (want.data[at] && want.data[at] == got.data[at]) at++;
        size_t from = at > 60 ? at - 60 : 0;
        printf("    first difference at byte %zu:\n      expected: ...%.120s\n      actual:   ...%.120s\n",
               at, want.data + from, got.data + from);
        printf("    expected: %s\n    actual:   %s\n", want.data, got.data);
      }
      if (update && !c->error) {
        /* keep everything up to the expected tree, replace the tree */
        buf_append(&rewritten, text.data + copied, c->expected_start - copied);
        Buf pretty = {0};
        buf_puts(&rewritten, "\n");
        sexp_pretty(got.data, &pretty);
        buf_append(&rewritten, pretty.data, pretty.len);
        buf_puts(&rewritten, i + 1 < cases.len ? "\n\n" : "\n");
        free(pretty.data);
        copied = c->expected_end;
      }
    }
    free(actual);
    ts_tree_delete(tree);
  }
  printf("%s: %d passed, %d failed", path, passed, failed);
  if (skipped) printf(", %d skipped", skipped);
  printf("\n");

  if (update && copied) {
    buf_append(&rewritten, text.data + copied, text.len - copied);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(rewritten.data, 1, rewritten.len, f) != rewritten.len || fclose(f) != 0) {
      perror(path);
      return 2;
    }
    printf("%s: rewrote the expected trees of the failing cases\n", path);
  }

  for (size_t i = 0; i < cases.len; i++) free(cases.items[i].name);
  free(cases.items);
  free(text.data);
  free(expected.data);
  free(want.data);
  free(got.data);
  free(rewritten.data);
  return failed ? 1 : 0;
}

/* ---- single files ----------------------------------------------------- */

/* The first ERROR or MISSING node in document order, if any. */
static bool first_problem(TSNode node, TSNode *found) {
  if (ts_node_is_missing(node) || strcmp(ts_node_type(node), "ERROR") == 0) {
    *found = node;
    return true;
  }
  if (!ts_node_has_error(node)) return false;
  uint32_t n = ts_node_child_count(node);
  for (uint32_t i = 0; i < n; i++)
    if (first_problem(ts_node_child(node, i), found)) return true;
  return false;
}

static int check_clean(TSParser *parser, const char *path) {
  Buf text = {0};
  if (!read_file(path, &text)) return 2;
  TSTree *tree = parse(parser, text.data, text.len);
  TSNode root = ts_tree_root_node(tree);
  TSNode bad;
  int status = 0;
  if (first_problem(root, &bad)) {
    TSPoint at = ts_node_start_point(bad);
    if (ts_node_is_missing(bad))
      printf("%s:%u:%u: error: missing %s\n", path, at.row + 1, at.column + 1, ts_node_type(bad));
    else
      printf("%s:%u:%u: error: syntax error (ERROR node)\n", path, at.row + 1, at.column + 1);
    status = 1;
  } else {
    printf("%s: clean\n", path);
  }
  ts_tree_delete(tree);
  free(text.data);
  return status;
}

static int print_tree(TSParser *parser, const char *path) {
  Buf text = {0}, norm = {0}, pretty = {0};
  if (!read_file(path, &text)) return 2;
  TSTree *tree = parse(parser, text.data, text.len);
  char *s = ts_node_string(ts_tree_root_node(tree));
  sexp_normalize(s, false, &norm);
  sexp_pretty(norm.data, &pretty);
  printf("%s\n", pretty.data);
  free(s);
  ts_tree_delete(tree);
  free(text.data);
  free(norm.data);
  free(pretty.data);
  return 0;
}

static int check_query(const TSLanguage *lang, const char *path) {
  Buf text = {0};
  if (!read_file(path, &text)) return 2;
  uint32_t offset = 0;
  TSQueryError error = TSQueryErrorNone;
  TSQuery *query = ts_query_new(lang, text.data, (uint32_t)text.len, &offset, &error);
  int status = 0;
  if (!query) {
    static const char *const kinds[] = {"none", "syntax", "node type", "field", "capture", "structure", "language"};
    uint32_t line = 1, col = 1;
    for (uint32_t i = 0; i < offset && i < text.len; i++) {
      if (text.data[i] == '\n') {
        line++;
        col = 1;
      } else {
        col++;
      }
    }
    printf("%s:%u:%u: error: invalid query (%s error)\n", path, line, col,
           (unsigned)error < sizeof kinds / sizeof *kinds ? kinds[error] : "unknown");
    status = 1;
  } else {
    printf("%s: %u patterns\n", path, ts_query_pattern_count(query));
    ts_query_delete(query);
  }
  free(text.data);
  return status;
}

static int usage(void) {
  fputs("usage: corpus_runner [--update] CORPUS.txt...\n"
        "       corpus_runner --check-clean FILE\n"
        "       corpus_runner --print FILE\n"
        "       corpus_runner --check-query FILE\n",
        stderr);
  return 2;
}

int main(int argc, char **argv) {
  if (argc < 2) return usage();
  const TSLanguage *lang = tree_sitter_goc();
  if (ts_language_version(lang) > TREE_SITTER_LANGUAGE_VERSION ||
      ts_language_version(lang) < TREE_SITTER_MIN_COMPATIBLE_LANGUAGE_VERSION) {
    fprintf(stderr, "corpus_runner: parser ABI %u, libtree-sitter takes %d to %d\n",
            ts_language_version(lang), TREE_SITTER_MIN_COMPATIBLE_LANGUAGE_VERSION,
            TREE_SITTER_LANGUAGE_VERSION);
    return 2;
  }
  TSParser *parser = ts_parser_new();
  ts_parser_set_language(parser, lang);

  int status = 0;
  if (strcmp(argv[1], "--check-query") == 0) {
    if (argc != 3) return usage();
    status = check_query(lang, argv[2]);
  } else if (strcmp(argv[1], "--check-clean") == 0 || strcmp(argv[1], "--print") == 0) {
    if (argc != 3) return usage();
    status = argv[1][2] == 'c' ? check_clean(parser, argv[2]) : print_tree(parser, argv[2]);
  } else {
    bool update = strcmp(argv[1], "--update") == 0;
    int first = update ? 2 : 1;
    if (first >= argc) return usage();
    int passed_files = 0, failed_files = 0;
    for (int i = first; i < argc; i++) {
      int s = run_corpus(parser, argv[i], update);
      if (s > status) status = s;
      if (s) failed_files++; else passed_files++;
    }
    if (argc - first > 1) printf("files: %d passed, %d failed\n", passed_files, failed_files);
  }
  ts_parser_delete(parser);
  return status;
}
