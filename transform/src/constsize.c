/* constsize.c — whether an array size in a goroutine function is an
 * integer constant expression, or makes the array a variable-length one.
 *
 * The locals of a goroutine function live in a frame laid out once, at the
 * function's top (lower_func.c's struct goc_locals), and its local types are
 * hoisted there: an array whose size is computed (`int x[n]`, `typedef int
 * c[i + 2]`, a struct member `int c[i + 2]`) would be sized there, before
 * the size's operands hold their values, and again at every resume. So such
 * a size is refused (SPEC: variable-length arrays in goroutine functions).
 *
 * The text is preprocessed, so a size is literals, operators, sizeof and
 * names: a name is constant when it is an enumerator, and is not when it is
 * a local, a parameter or a variable of the file. A name the system headers
 * declare is taken for an enumerator unless the file declares it too (no
 * system header declares a variable that a program sizes arrays by).
 *
 * Invariants: answers only; the sets of names are built once per source, on
 * the first size that holds a name. */
#include <stdlib.h>
#include <string.h>
#include "lower.h"

typedef struct names {
  const source *s;
  strmap enumerators;   /* every enumerator the tree defines, at any depth */
  strmap variables;     /* every file-scope variable */
} names;

static names *cache;
static int ncache;

/* m keeps k (or k is freed: a name already there) */
static void add_name(strmap *m, char *k) {
  if (strmap_find(m, k))
    free(k);
  else
    strmap_put(m, k);
}

static void collect(const source *s, TSNode n, bool top, names *nm) {
  TSSymbol t = ts_node_symbol(n);
  if (sym_is(t, "enumerator")) {
    add_name(&nm->enumerators, node_text(s, node_field(n, "name")));
  }
  if (top && sym_is(t, "declaration")) {
    uint32_t c = ts_node_child_count(n);
    for (uint32_t i = 0; i < c; i++) {
      const char *f = child_field_name(n, i);
      if (!f || strcmp(f, "declarator")) continue;
      TSNode d = ts_node_child(n, i);
      if (node_is(d, "init_declarator")) d = node_field(d, "declarator");
      TSNode fd = function_declarator_of(d);
      if (!ts_node_is_null(fd) && !node_is(node_field(fd, "declarator"), "parenthesized_declarator")) continue;
      TSNode name = declarator_name(d);
      if (ts_node_is_null(name)) continue;
      add_name(&nm->variables, node_text(s, name));
    }
  }
  /* enumerators can be defined anywhere a type can be written; only
     expressions and strings are skipped */
  if (sym_is(t, "string_literal") || sym_is(t, "comment") || sym_is(t, "number_literal")) return;
  uint32_t c = ts_node_named_child_count(n);
  for (uint32_t i = 0; i < c; i++) collect(s, ts_node_named_child(n, i), top && sym_is(t, "translation_unit"), nm);
}

static names *names_of(const source *s) {
  for (int i = 0; i < ncache; i++)
    if (cache[i].s == s) return &cache[i];
  cache = xrealloc(cache, sizeof(*cache) * (size_t)(ncache + 1));
  names *nm = &cache[ncache++];
  memset(nm, 0, sizeof(*nm));
  nm->s = s;
  collect(s, ts_tree_root_node(s->tree), true, nm);
  return nm;
}

static bool system_declares(const source *s, const char *name) {
  size_t len = strlen(name);
  for (uint32_t i = 0; i < s->nsysidents; i++)
    if (s->sysidents[i].len == len && !memcmp(s->text + s->sysidents[i].at, name, len)) return true;
  return false;
}

static bool name_is_constant(const fnctx *fx, TSNode id) {
  if (slot_of_ident(fx, id) >= 0) return false;
  names *nm = names_of(fx->s);
  char *t = node_text(fx->s, id);
  bool r = !strmap_find(&nm->variables, t) &&
           (strmap_find(&nm->enumerators, t) || system_declares(fx->s, t));
  free(t);
  return r;
}

bool size_is_constant(const fnctx *fx, TSNode e) {
  TSSymbol t = ts_node_symbol(e);
  if (sym_is(t, "number_literal") || sym_is(t, "char_literal") || sym_is(t, "true") || sym_is(t, "false") ||
      sym_is(t, "sizeof_expression") || sym_is(t, "alignof_expression") || sym_is(t, "offsetof_expression") ||
      sym_is(t, "comment"))
    return true;   /* the operand of sizeof is a VLA's only in a case goc refuses where it is declared */
  if (sym_is(t, "identifier")) return name_is_constant(fx, e);
  if (sym_is(t, "call_expression")) {
    /* __builtin_constant_p, __builtin_choose_expr and the like fold */
    TSNode f = node_field(e, "function");
    if (!node_is(f, "identifier")) return false;
    char *name = node_text(fx->s, f);
    bool builtin = !strncmp(name, "__builtin_", 10);
    free(name);
    return builtin;
  }
  if (sym_is(t, "cast_expression")) return size_is_constant(fx, node_field(e, "value"));
  if (!sym_is(t, "parenthesized_expression") && !sym_is(t, "binary_expression") && !sym_is(t, "unary_expression") &&
      !sym_is(t, "conditional_expression"))
    return false;
  uint32_t c = ts_node_named_child_count(e);
  for (uint32_t i = 0; i < c; i++)
    if (!size_is_constant(fx, ts_node_named_child(e, i))) return false;
  return true;
}

void constsize_forget(const source *s) {
  for (int i = 0; i < ncache; i++)
    if (cache[i].s == s) {
      for (uint32_t k = 0; k < cache[i].enumerators.cap; k++) free((char *)cache[i].enumerators.key[k]);
      for (uint32_t k = 0; k < cache[i].variables.cap; k++) free((char *)cache[i].variables.key[k]);
      strmap_free(&cache[i].enumerators);
      strmap_free(&cache[i].variables);
      cache[i] = cache[--ncache];
      return;
    }
}
