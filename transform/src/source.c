/* source.c — a .goc file: its text and its syntax tree (tree-sitter, the
 * goc grammar), plus small helpers over nodes. */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include "transform.h"

const TSLanguage *tree_sitter_goc(void);

/* Every live source, so that a node finds the map of its own text. */
static source **live;
static int nlive;

static void register_source(source *s) {
  live = xrealloc(live, sizeof *live * (size_t)(nlive + 1));
  live[nlive++] = s;
}

const source *source_of(TSNode n) {
  for (int i = nlive - 1; i >= 0; i--)
    if (live[i]->tree == n.tree) return live[i];
  return NULL;
}

/* 1 + the index of answer in s->answers, where it is kept. */
static uintptr_t keep_answer(source *s, TSNode answer) {
  if (s->nanswers == s->answers_cap) {
    s->answers_cap = s->answers_cap ? 2 * s->answers_cap : 4096;
    s->answers = xrealloc(s->answers, sizeof *s->answers * s->answers_cap);
  }
  s->answers[s->nanswers++] = answer;
  return s->nanswers;
}

TSNode node_parent(TSNode n) {
  source *s = (source *)source_of(n);
  if (!s) return ts_node_parent(n);
  /* (libtree-sitter 0.20's ts_node_parent can miss the parent of an empty
     node, which only a tree with errors has: those it answers itself) */
  TSNode up;
  if (ts_node_end_byte(n) > ts_node_start_byte(n) && nodes_parent(s, n, &up)) return up;
  const uintptr_t *known = idmap_find(&s->parent_at, (uintptr_t)n.id);
  if (known) return s->answers[*known - 1];
  uintptr_t i = keep_answer(s, ts_node_parent(n));
  *idmap_put(&s->parent_at, (uintptr_t)n.id) = i;
  return s->answers[i - 1];
}

source *source_new(const char *path, const char *text, size_t len) {
  source *s = xcalloc(1, sizeof *s);
  s->path = xstrdup(path);
  s->len = (uint32_t)len;
  s->text = xstrndup(text, len);
  s->parser = ts_parser_new();
  ts_parser_set_language(s->parser, tree_sitter_goc());
  register_source(s);
  return s;
}

source *source_from_text(const char *path, const char *text, size_t len) {
  source *s = source_new(path, text, len);
  s->tree = ts_parser_parse_string(s->parser, NULL, s->text, s->len);
  return s;
}

/* An input that is a directory opens fine and reads nothing: refuse it. */
bool input_is_readable_file(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    fprintf(stderr, "goc: error: %s: %s\n", path, strerror(errno));
    diag_count++;
    return false;
  }
  if (S_ISDIR(st.st_mode)) {
    fprintf(stderr, "goc: error: %s: Is a directory\n", path);
    diag_count++;
    return false;
  }
  return true;
}

/* The whole of a file (NUL-terminated, "" when empty; *len its length if
 * len), or NULL when it cannot be opened: no diagnostic. */
char *file_text(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    diag_if_oom();
    return NULL;
  }
  buf b = {0};
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) buf_putn(&b, chunk, n);
  fclose(f);
  if (!b.s) buf_puts(&b, "");
  if (len) *len = b.len;
  return buf_take(&b);
}

/* The whole of an input file (NUL-terminated), or NULL after a diagnostic. */
char *read_input(const char *path, size_t *len) {
  if (!input_is_readable_file(path)) return NULL;
  FILE *f = fopen(path, "rb");
  if (!f) {
    diag_if_oom();
    fprintf(stderr, "goc: error: %s: %s\n", path, strerror(errno));
    diag_count++;
    return NULL;
  }
  buf b = {0};
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) buf_putn(&b, chunk, n);
  bool bad = ferror(f);
  fclose(f);
  if (bad) {
    fprintf(stderr, "goc: error: %s: cannot read\n", path);
    diag_count++;
    buf_free(&b);
    return NULL;
  }
  if (!b.s) buf_puts(&b, "");
  *len = b.len;
  return buf_take(&b);
}

source *source_load(const char *path) {
  size_t n;
  char *text = read_input(path, &n);
  if (!text) return NULL;
  source *s = source_from_text(path, text, n);
  free(text);
  return s;
}

void source_free(source *s) {
  if (!s) return;
  for (int i = 0; i < nlive; i++)
    if (live[i] == s) { live[i] = live[--nlive]; break; }
  srcmap_free(s->map);
  for (int i = 0; i < s->nsysfuncs; i++) free(s->sysfuncs[i].name);
  free(s->sysfuncs);
  idmap_free(&s->parent_at);
  idmap_free(&s->field_at);
  kids_forget(&s->kids_at);
  free(s->answers);
  free(s->idents);
  nodes_free(s);
  source_forget_system_items(s);
  if (s->tree) ts_tree_delete(s->tree);
  ts_parser_delete(s->parser);
  free(s->text);
  free(s->path);
  free(s);
}

char *node_text(const source *s, TSNode n) {
  uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
  return xstrndup(s->text + a, b - a);
}
bool node_text_is(const source *s, TSNode n, const char *text) {
  if (ts_node_is_null(n)) return false;
  uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
  return strlen(text) == b - a && !memcmp(s->text + a, text, b - a);
}
void symname_lookup(symname *c, const char *type) {
  const TSLanguage *lang = tree_sitter_goc();
  uint32_t len = (uint32_t)strlen(type);
  c->named = ts_language_symbol_for_name(lang, type, len, true);
  c->anon = ts_language_symbol_for_name(lang, type, len, false);
  c->ready = true;
}
void fieldname_lookup(fieldname *c, const char *field) {
  c->id = ts_language_field_id_for_name(tree_sitter_goc(), field, (uint32_t)strlen(field));
  c->ready = true;
}

TSNode node_field_id(TSNode n, TSFieldId f) {
  /* libtree-sitter 0.20 crashes on a null node; absent parts of broken
     input reach here as null nodes */
  if (ts_node_is_null(n)) return n;
  source *s = (source *)source_of(n);
  /* ts_node_child_by_field_id walks the children from the first, and the
     lowering asks one node for its parts again and again */
  if (!s || f >= 256) return ts_node_child_by_field_id(n, f);
  uintptr_t key = (uintptr_t)n.id << 8 | f;   /* ids are pointers: below 2^56 */
  const uintptr_t *known = idmap_find(&s->field_at, key);
  if (known) return s->answers[*known - 1];
  uintptr_t i = keep_answer(s, ts_node_child_by_field_id(n, f));
  *idmap_put(&s->field_at, key) = i;
  return s->answers[i - 1];
}
void node_pos(TSNode n, int *line, int *col) {
  TSPoint p = ts_node_start_point(n);
  const source *s = source_of(n);
  const char *file;
  if (s) {
    source_position(s, p.row, p.column, &file, line, col);
  } else {
    *line = (int)p.row + 1;
    *col = (int)p.column + 1;
  }
}

int node_line(TSNode n, const char **file) {
  const source *s = source_of(n);
  TSPoint p = ts_node_start_point(n);
  if (!s) { if (file) *file = ""; return (int)p.row + 1; }
  const char *f;
  int line, col;
  source_line_of(s, p.row, &f, &line);
  if (file) *file = f;
  (void)col;
  return line;
}

/* gcc keeps a #line directive's system-header state, so entering a system
 * header takes a flagged line marker and leaving one a plain marker. */
static bool last_sysp;
static void put_line(buf *b, int line, const char *file, bool sysp) {
  if (b->len && b->s[b->len - 1] != '\n') buf_putc(b, '\n');
  if (sysp || last_sysp) {
    buf_printf(b, "# %d ", line);
    buf_put_cstr(b, file);
    buf_puts(b, sysp ? " 3\n" : "\n");
  } else {
    buf_put_line(b, line, file);
  }
  last_sysp = sysp;
}
void buf_put_node_line(buf *b, TSNode n) {
  const char *file;
  int line = node_line(n, &file);
  put_line(b, line, file, node_in_system_header(n));
}
void buf_put_row_line(buf *b, const source *s, uint32_t row) {
  const char *file;
  int line;
  source_line_of(s, row, &file, &line);
  put_line(b, line, file, source_row_is_system(s, row));
}

const char *node_file(TSNode n) {
  const source *s = source_of(n);
  if (!s) return "";
  const char *file;
  int line;
  source_line_of(s, ts_node_start_point(n).row, &file, &line);
  return file;
}

bool node_in_system_header(TSNode n) {
  const source *s = source_of(n);
  return s && source_row_is_system(s, ts_node_start_point(n).row);
}

static TSNode find_token(const source *s, TSNode n, const char *text) {
  uint32_t c = ts_node_child_count(n);
  if (!c) {
    char *t = node_text(s, n);
    bool m = !strcmp(t, text);
    free(t);
    return m ? n : (TSNode){0};
  }
  for (uint32_t i = 0; i < c; i++) {
    TSNode r = find_token(s, ts_node_child(n, i), text);
    if (!ts_node_is_null(r)) return r;
  }
  return (TSNode){0};
}

/* Reports the first syntax error only: after it, tree-sitter's recovery
 * makes later positions unreliable. */
static int check(const source *s, TSNode n, int found) {
  if (found >= 1) return found;
  if (ts_node_is_missing(n)) {
    char *t = xstrdup(ts_node_type(n));
    diag_error(s, n, "syntax error: missing '%s'", t);
    free(t);
    return found + 1;
  }
  if (node_is(n, "ERROR")) {
    /* Name the first token the parser could not place. */
    TSNode first = ts_node_child_count(n) ? ts_node_child(n, 0) : n;
    while (ts_node_child_count(first)) first = ts_node_child(first, 0);
    /* select { case <not a communication>: } fails as a whole block; point
       at the case instead */
    TSNode prev = ts_node_prev_sibling(n);
    char *pt = ts_node_is_null(prev) ? NULL : node_text(s, prev);
    bool after_select = pt && !strcmp(pt + (strlen(pt) >= 6 ? strlen(pt) - 6 : 0), "select");
    free(pt);
    if (after_select) {
      TSNode k = find_token(s, n, "case");
      if (!ts_node_is_null(k)) {
        diag_error(s, k, "syntax error: a select case must be a receive (case v = <-c:), a send (case c <- v:) "
                   "or default");
        return found + 1;
      }
    }
    char *t = node_text(s, first);
    if (strlen(t) > 30) t[30] = 0;
    diag_error(s, n, "syntax error: unexpected '%s'", t);
    free(t);
    return found + 1;
  }
  if (!ts_node_has_error(n)) return found;
  uint32_t c = ts_node_child_count(n);
  for (uint32_t i = 0; i < c; i++) found = check(s, ts_node_child(n, i), found);
  return found;
}
/* The transformer walks trees recursively: nesting deeper than this (in
 * parentheses, blocks, expressions) is refused with a clear error instead
 * of exhausting the C stack. Compilers stop at a few hundred levels too. */
enum { MAX_NESTING = 1000 };

/* chan_make(T) without a capacity (Go's make(chan T)) parses as a call of a
 * function chan_make whose argument is a type, which C's compiler then
 * refuses in its own words about macros; say what to write instead. Only
 * an argument that begins with a type keyword is certainly a type (a
 * typedef name is not told from a variable here, and is left to the
 * compiler). */
static int chan_make_without_capacity(const source *s, TSNode call) {
  TSNode f = node_field(call, "function"), args = node_field(call, "arguments");
  if (!node_is(f, "identifier") || !node_text_is(s, f, "chan_make") || ts_node_is_null(args) ||
      ts_node_named_child_count(args) != 1)
    return 0;
  static const char *const kw[] = {"int", "char", "short", "long", "unsigned", "signed", "float", "double",
                                   "_Bool", "bool", "void", "struct", "union", "enum", "const", "volatile",
                                   "chan", "_Complex"};
  TSNode a = ts_node_named_child(args, 0);
  char *t = node_text(s, a);
  size_t n = strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789");
  bool type = false;
  for (size_t i = 0; i < sizeof kw / sizeof *kw && !type; i++) type = strlen(kw[i]) == n && !strncmp(t, kw[i], n);
  if (type)
    diag_error(s, call, "chan_make(%s) needs a capacity: chan_make(%s, 0) makes an unbuffered channel "
               "(Go's make(chan %s))", t, t, t);
  free(t);
  return type;
}

/* Returns 1 if nesting is too deep; counts chan_make(T) calls in *capless;
 * records the identifiers (s->idents). */
static int check_depth(source *s, int *capless) {
  TSTreeCursor cur = ts_tree_cursor_new(ts_tree_root_node(s->tree));
  TSSymbol call = ts_language_symbol_for_name(ts_tree_language(s->tree), "call_expression",
                                              (uint32_t)strlen("call_expression"), true);
  int depth = 0, errors = 0;
  s->nidents = 0;
  s->idents_done = false;
  nodetab *nt = nodes_begin(s->len / 2);
  uint32_t up[MAX_NESTING + 2];     /* the slot of the node at each depth */
  uint32_t left[MAX_NESTING + 2];   /* its siblings still to visit */
  uint32_t idx[MAX_NESTING + 2];    /* its place among them */
  bool complete = true;             /* every child ts_node_child_count promised was there */
  for (;;) {
    if (depth > MAX_NESTING) {
      diag_error(s, ts_tree_cursor_current_node(&cur), "nesting too deep (more than %d levels of parentheses, blocks "
                 "or expressions)", MAX_NESTING);
      errors = 1;
      break;
    }
    TSNode here = ts_tree_cursor_current_node(&cur);
    /* the cursor moves only where a node is (a step that fails costs
       as much as one that does): ts_node_child_count is the number of
       children the cursor visits */
    uint32_t kc = ts_node_child_count(here);
    up[depth] = depth ? nodes_child(nt, up[depth - 1], idx[depth], here, kc) : nodes_root(nt, here, kc);
    TSSymbol sym = ts_node_symbol(here);
    if (sym == call) *capless += chan_make_without_capacity(s, here);
    if (sym_is(sym, "identifier")) {
      if (s->nidents == s->idents_cap) {
        s->idents_cap = s->idents_cap ? 2 * s->idents_cap : 4096;
        s->idents = xrealloc(s->idents, sizeof *s->idents * s->idents_cap);
      }
      s->idents[s->nidents++] = here;
    }
    if (kc && ts_tree_cursor_goto_first_child(&cur)) {
      left[++depth] = kc - 1;
      idx[depth] = 0;
      continue;
    }
    complete &= !kc;
    for (;;) {
      if (!depth) goto done;
      if (left[depth]) {
        if (ts_tree_cursor_goto_next_sibling(&cur)) {
          left[depth]--;
          idx[depth]++;
          break;
        }
        complete = false;
      }
      ts_tree_cursor_goto_parent(&cur);
      depth--;
    }
  }
done:
  ts_tree_cursor_delete(&cur);
  s->idents_done = !errors;
  if (errors || !complete) nodes_abandon(nt);
  else nodes_finish(s, nt);
  return errors;
}

int source_check_syntax(source *s) {
  int capless = 0;
  int d = check_depth(s, &capless);
  if (d) return d;
  return check(s, ts_tree_root_node(s->tree), 0) + capless;
}

/* The field name of child i of n, or NULL. (libtree-sitter 0.20's
 * ts_node_field_name_for_child misreports repeated fields; a cursor does
 * not.) */
const char *child_field_name(TSNode n, uint32_t i) {
  TSFieldId f;
  if (nodes_child_field(source_of(n), n, i, &f)) return f ? ts_language_field_name_for_id(ts_tree_language(n.tree), f) : NULL;
  TSTreeCursor c = ts_tree_cursor_new(n);
  const char *name = NULL;
  if (ts_tree_cursor_goto_first_child(&c)) {
    for (uint32_t k = 0; k < i; k++)
      if (!ts_tree_cursor_goto_next_sibling(&c)) goto done;
    name = ts_tree_cursor_current_field_name(&c);
  }
done:
  ts_tree_cursor_delete(&c);
  return name;
}
