/* csmith_mutate.c — turns a csmith program into a goc stress case, for
 * tests/csmith.sh.
 *
 *   csmith_mutate A|B SEED < prog.c > prog.goc
 *
 * A: `goc_yield();` at every function entry (main included), so every
 *    function is a goroutine function and every call a suspension point.
 * B: A, and also `(<-cs_zero, e)` around a random sample (seeded) of the
 *    subexpressions in rvalue positions inside function bodies: call
 *    arguments, operands of binary operators, array indexes, conditions,
 *    returned values. cs_zero is a buffered channel that a feeder goroutine
 *    keeps full of zeros, so each receive yields 0 (sometimes after a
 *    suspension) and the value and type of e are unchanged.
 *
 * Positions are found with the goc grammar on the raw text (csmith writes
 * plain C whose macros are calls). Never wrapped: anything in a constant
 * context (static initialisers, case labels, array sizes, enumerators,
 * sizeof/_Alignof operands), lvalues, string literals. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tree_sitter/api.h>

const TSLanguage *tree_sitter_goc(void);

typedef struct edit { uint32_t at; const char *text; int order; } edit;
static edit *edits;
static int nedits, capedits;
static uint64_t rng;
static const char *src;

static void add_edit(uint32_t at, const char *text, int order) {
  if (nedits == capedits) {
    capedits = capedits ? capedits * 2 : 1024;
    edits = realloc(edits, sizeof *edits * (size_t)capedits);
    if (!edits) abort();
  }
  edits[nedits++] = (edit){at, text, order};
}

static unsigned next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (unsigned)(rng >> 11);
}

static bool is(TSNode n, const char *t) { return !ts_node_is_null(n) && !strcmp(ts_node_type(n), t); }

static bool storage_static(TSNode decl) {
  uint32_t c = ts_node_named_child_count(decl);
  for (uint32_t i = 0; i < c; i++) {
    TSNode k = ts_node_named_child(decl, i);
    if (is(k, "storage_class_specifier") && !strncmp(src + ts_node_start_byte(k), "static", 6)) return true;
  }
  return false;
}

/* Whether n, an expression, sits where its value is used as an rvalue. */
static bool rvalue_position(TSNode n) {
  TSNode p = ts_node_parent(n);
  if (is(p, "argument_list")) return !is(ts_node_parent(p), "attribute_specifier");
  if (is(p, "binary_expression")) return true;
  if (is(p, "subscript_expression")) return ts_node_eq(n, ts_node_child_by_field_name(p, "index", 5));
  if (is(p, "return_statement")) return true;
  if (is(p, "parenthesized_expression")) {
    TSNode g = ts_node_parent(p);
    return is(g, "if_statement") || is(g, "while_statement") || is(g, "do_statement") || is(g, "switch_statement");
  }
  return false;
}

static bool wrappable(TSNode n) {
  static const char *kinds[] = {"identifier", "number_literal", "call_expression", "binary_expression",
                                "parenthesized_expression", "field_expression", "subscript_expression",
                                "cast_expression", "unary_expression", "char_literal", NULL};
  for (int i = 0; kinds[i]; i++)
    if (is(n, kinds[i])) return rvalue_position(n);
  return false;
}

static void walk(TSNode n, bool in_body, int rate) {
  const char *t = ts_node_type(n);
  if (!strcmp(t, "sizeof_expression") || !strcmp(t, "alignof_expression") || !strcmp(t, "case_statement") ||
      !strcmp(t, "enumerator") || !strcmp(t, "array_declarator") || !strcmp(t, "bitfield_clause") ||
      !strcmp(t, "string_literal") || !strcmp(t, "concatenated_string") || !strcmp(t, "preproc_def") ||
      !strcmp(t, "preproc_function_def"))
    return;
  if (!strcmp(t, "declaration") && storage_static(n)) return;
  if (in_body && wrappable(n) && (int)(next_rand() % 100) < rate) {
    /* a function name called directly stays a name */
    TSNode p = ts_node_parent(n);
    if (!(is(p, "call_expression") && ts_node_eq(n, ts_node_child_by_field_name(p, "function", 8)))) {
      add_edit(ts_node_start_byte(n), "(<-cs_zero, ", 1);
      add_edit(ts_node_end_byte(n), ")", 0);
    }
  }
  uint32_t c = ts_node_named_child_count(n);
  for (uint32_t i = 0; i < c; i++) walk(ts_node_named_child(n, i), in_body, rate);
}

static int by_pos(const void *a, const void *b) {
  const edit *x = a, *y = b;
  if (x->at != y->at) return x->at < y->at ? -1 : 1;
  return x->order - y->order;   /* closing parens before opening ones */
}

int main(int argc, char **argv) {
  if (argc != 3 || (strcmp(argv[1], "A") && strcmp(argv[1], "B"))) {
    fprintf(stderr, "usage: csmith_mutate A|B SEED < prog.c > prog.goc\n");
    return 2;
  }
  bool variant_b = !strcmp(argv[1], "B");
  rng = 0x9E3779B97F4A7C15ull ^ (uint64_t)strtoull(argv[2], NULL, 10);
  size_t cap = 1 << 20, len = 0;
  char *text = malloc(cap);
  size_t got;
  while (text && (got = fread(text + len, 1, cap - len - 1, stdin)) > 0) {
    len += got;
    if (len + 1 == cap) text = realloc(text, cap *= 2);
  }
  if (!text) return 1;
  text[len] = 0;
  src = text;
  TSParser *parser = ts_parser_new();
  ts_parser_set_language(parser, tree_sitter_goc());
  TSTree *tree = ts_parser_parse_string(parser, NULL, text, (uint32_t)len);
  TSNode root = ts_tree_root_node(tree);
  uint32_t c = ts_node_named_child_count(root);
  uint32_t first_fn = (uint32_t)len;
  for (uint32_t i = 0; i < c; i++) {
    TSNode n = ts_node_named_child(root, i);
    if (!is(n, "function_definition")) continue;
    TSNode body = ts_node_child_by_field_name(n, "body", 4);
    if (ts_node_is_null(body)) continue;
    if (ts_node_start_byte(n) < first_fn) first_fn = ts_node_start_byte(n);
    bool is_main = strstr(text + ts_node_start_byte(n), "main") &&
                   strstr(text + ts_node_start_byte(n), "main") < text + ts_node_start_byte(body);
    add_edit(ts_node_start_byte(body) + 1,
             is_main && variant_b ? " cs_zero = chan_make(int, 64); go cs_feed(); goc_yield();" : " goc_yield();", 2);
    if (variant_b) walk(body, true, 25);
  }
  qsort(edits, (size_t)nedits, sizeof *edits, by_pos);
  size_t pos = 0;
  for (int i = 0; i < nedits; i++) {
    if (variant_b && pos <= first_fn && edits[i].at > first_fn) {
      fwrite(text + pos, 1, first_fn - pos, stdout);
      fputs("static chan(int) cs_zero;\nstatic void cs_feed(void) { for (;;) cs_zero <- 0; }\n", stdout);
      pos = first_fn;
    }
    fwrite(text + pos, 1, edits[i].at - pos, stdout);
    fputs(edits[i].text, stdout);
    pos = edits[i].at;
  }
  fwrite(text + pos, 1, len - pos, stdout);
  ts_tree_delete(tree);
  ts_parser_delete(parser);
  free(text);
  free(edits);
  return 0;
}
