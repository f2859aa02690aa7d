/* copylocks.c — go vet's copylocks, for go blocks: a go { } block captures
 * the variables it uses by value (SPEC), so a captured goc_mutex,
 * goc_rwmutex, goc_waitgroup, goc_once or goc_cond, or a struct, union or
 * array holding one, is a copy, and the goroutine would lock, wait on or
 * signal its own copy: `go { goc_waitgroup_wait(&wg); }` never returns. A
 * warning at the block's first use of such a variable, as Go programmers
 * know the mistake from vet (a Go closure shares the variable).
 *
 * Types are followed through typedefs and struct and union definitions of
 * the translation unit by name (the syntax tree, no type checker): a
 * member or variable that is a pointer holds no copy. */
#include <string.h>
#include "lower.h"

static const char *const lock_types[] = {"goc_mutex", "goc_rwmutex", "goc_waitgroup", "goc_once", "goc_cond"};

/* Whether the declarator d declares an object rather than a pointer or a
 * function (x, x[4], (x)). */
static bool declares_object(TSNode d) {
  while (!ts_node_is_null(d)) {
    if (node_is(d, "identifier") || node_is(d, "field_identifier") || node_is(d, "type_identifier")) return true;
    if (node_is(d, "init_declarator") || node_is(d, "array_declarator") || node_is(d, "parenthesized_declarator") ||
        node_is(d, "attributed_declarator")) {
      TSNode in = node_field(d, "declarator");
      d = ts_node_is_null(in) ? ts_node_named_child(d, 0) : in;
      continue;
    }
    return false;   /* pointer_declarator, function_declarator */
  }
  return false;
}

static bool holds_lock(const source *s, TSNode type, int depth, const char **which);

TSNode typedef_declarator(const source *s, TSNode td, const char *name) {
  uint32_t c = ts_node_child_count(td);
  for (uint32_t i = 0; i < c; i++) {
    const char *f = child_field_name(td, i);   /* repeated fields: ts_node_field_name_for_child errs */
    if (!f || strcmp(f, "declarator")) continue;
    TSNode d = ts_node_child(td, i);
    TSNode nm = node_is(d, "type_identifier") ? d : declarator_name(d);
    if (!ts_node_is_null(nm) && node_text_is(s, nm, name)) return d;
  }
  return (TSNode){0};
}

TSNode find_type_definition(const source *s, TSNode n, uint32_t before, bool in_bodies, const char *kind,
                            const char *name) {
  if (ts_node_start_byte(n) >= before) return (TSNode){0};
  if (!in_bodies && (node_is(n, "function_definition") || node_is(n, "compound_statement"))) return (TSNode){0};
  if (!kind && node_is(n, "type_definition") && !ts_node_is_null(typedef_declarator(s, n, name))) return n;
  if (kind && !strcmp(ts_node_type(n), kind) && !ts_node_is_null(node_field(n, "body")) &&
      node_text_is(s, node_field(n, "name"), name))
    return n;
  kids ks;
  kids_named(n, &ks);   /* the translation unit has thousands */
  TSNode r = {0};
  for (uint32_t i = 0; i < ks.n && ts_node_is_null(r); i++)
    r = find_type_definition(s, ks.at[i], before, in_bodies, kind, name);
  kids_free(&ks);
  return r;
}

/* At file scope: the definition a lock type's search follows. */
static TSNode file_scope_definition(const source *s, const char *kind, const char *name) {
  return find_type_definition(s, ts_tree_root_node(s->tree), UINT32_MAX, false, kind, name);
}

static bool body_holds_lock(const source *s, TSNode body, int depth, const char **which) {
  kids ks;
  kids_named(body, &ks);
  bool held = false;
  for (uint32_t i = 0; i < ks.n && !held; i++) {
    TSNode fd = ks.at[i];
    if (!node_is(fd, "field_declaration")) continue;
    TSNode type = node_field(fd, "type");
    bool object = false;
    uint32_t k = ts_node_child_count(fd);
    for (uint32_t j = 0; j < k; j++) {
      const char *f = child_field_name(fd, j);
      if (f && !strcmp(f, "declarator") && declares_object(ts_node_child(fd, j))) object = true;
    }
    /* an anonymous struct or union member has no declarator */
    held = (object || node_is(type, "struct_specifier") || node_is(type, "union_specifier")) &&
           holds_lock(s, type, depth + 1, which);
  }
  kids_free(&ks);
  return held;
}

static bool holds_lock(const source *s, TSNode type, int depth, const char **which) {
  if (ts_node_is_null(type) || depth > 8) return false;
  if (node_is(type, "type_identifier")) {
    char *t = node_text(s, type);
    for (size_t i = 0; i < sizeof lock_types / sizeof *lock_types; i++)
      if (!strcmp(t, lock_types[i])) {
        *which = lock_types[i];
        free(t);
        return true;
      }
    TSNode def = file_scope_definition(s, NULL, t);
    /* typedef goc_mutex *p_t; holds none */
    bool object = !ts_node_is_null(def) && declares_object(typedef_declarator(s, def, t));
    free(t);
    return object && holds_lock(s, node_field(def, "type"), depth + 1, which);
  }
  if (node_is(type, "struct_specifier") || node_is(type, "union_specifier")) {
    TSNode body = node_field(type, "body");
    if (ts_node_is_null(body)) {
      TSNode nm = node_field(type, "name");
      if (ts_node_is_null(nm)) return false;
      char *t = node_text(s, nm);
      TSNode def = file_scope_definition(s, ts_node_type(type), t);
      free(t);
      if (ts_node_is_null(def)) return false;
      body = node_field(def, "body");
    }
    return body_holds_lock(s, body, depth, which);
  }
  return false;
}

void warn_captured_locks(fnctx *fx, const int *caps, const TSNode *first_use, int ncaps) {
  for (int i = 0; i < ncaps; i++) {
    slot *sl = &fx->slots[caps[i]];
    if (ts_node_is_null(sl->decl_node) || !declares_object(sl->declarator)) continue;
    const char *which = NULL;
    TSNode type = node_field(sl->decl_node, "type");
    if (!holds_lock(fx->s, type, 0, &which)) continue;
    bool itself = node_is(type, "type_identifier") && node_text_is(fx->s, type, which) &&
                  node_is(sl->declarator, "identifier");
    diag_warning(fx->s, first_use[i],
                 "go block copies '%s', %s %s: a go block captures by value, so the goroutine would use its "
                 "own copy (capture a pointer to it)",
                 sl->name, itself ? "a" : "which holds a", which);
  }
}
