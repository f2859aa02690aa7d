/* analyse.c — pass 1 over a goroutine function: its locals and scopes.
 *
 * Resolves every identifier of the body to the local it names (or to
 * nothing: a global), marks the locals that must live in the locals area
 * (arrays, address-taken), and decides each local's C name: the source
 * name, declared in its own block (see lower.h for the few renames).
 *
 * Invariant: slots are created in source order; what is hoisted to the top
 * of the step function (local types, static locals, each local's type as
 * goc_T<slot>) is emitted in that order, so a type may refer to earlier
 * locals and local types. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lower.h"

/* ---- identifier -> slot map ---- */
static void map_put(fnctx *fx, uint32_t key, int val) {
  *idmap_put(&fx->slot_at, (uintptr_t)key + 1) = (uintptr_t)val;   /* 0 is no key */
}

int slot_of_ident(const fnctx *fx, TSNode ident) {
  const uintptr_t *v = idmap_find(&fx->slot_at, (uintptr_t)ts_node_start_byte(ident) + 1);
  return v ? (int)*v : -1;
}

const char *renamed_type(const fnctx *fx, TSNode n) {
  if (!fx) return NULL;
  uint32_t pos = ts_node_start_byte(n);
  for (int i = 0; i < fx->ntren; i++)
    if (fx->tren_pos[i] == pos) return fx->tren_to[i];
  return NULL;
}

/* Every type_identifier spelled `name` in [from, n's end). */
static void rename_type_uses(fnctx *fx, TSNode n, uint32_t from, const char *name, const char *to) {
  if (ts_node_end_byte(n) <= from) return;
  if (node_is(n, "type_identifier") && ts_node_start_byte(n) >= from) {
    char *t = node_text(fx->s, n);
    if (!strcmp(t, name)) {
      fx->tren_pos = xrealloc(fx->tren_pos, sizeof(uint32_t) * (size_t)(fx->ntren + 1));
      fx->tren_to = xrealloc(fx->tren_to, sizeof(char *) * (size_t)(fx->ntren + 1));
      fx->tren_pos[fx->ntren] = ts_node_start_byte(n);
      fx->tren_to[fx->ntren++] = xstrdup(to);
    }
    free(t);
    return;
  }
  kids ks;
  kids_named(n, &ks);
  for (uint32_t i = 0; i < ks.n; i++) rename_type_uses(fx, ks.at[i], from, name, to);
  kids_free(&ks);
}

bool in_opaque(const fnctx *fx, uint32_t pos) {
  for (int i = 0; i < fx->nopaque_span; i++)
    if (fx->opaque_span[i][0] <= pos && pos < fx->opaque_span[i][1]) return true;
  return false;
}

static int add_slot(fnctx *fx) {
  fx->slots = xrealloc(fx->slots, sizeof(slot) * (size_t)(fx->nslots + 1));
  memset(&fx->slots[fx->nslots], 0, sizeof(slot));
  return fx->nslots++;
}

/* ---- the walk ---- */
typedef struct hoist { TSNode decl; int slot; } hoist;   /* slot -1: verbatim */

typedef struct walk {
  fnctx *fx;
  int *vis;            /* visible slots, innermost last */
  int nvis, capvis;
  /* the names in vis: vis_at maps a name to 1 + the position of the
     innermost slot of that name (0: none visible), vis_prev[p] to the
     position of the one it hides (-1: none) */
  strmap vis_at;
  int *vis_prev;
  strmap frees;        /* fx->free_names, as a set */
  hoist *hoists;
  int nhoists;
  uint32_t scope_end;
  int in_go;           /* inside a go { } block: declarations are shadows */
  int opaque;          /* inside a statement expression without suspension */
} walk;

static void push_vis(walk *w, int k) {
  if (w->nvis == w->capvis) {
    w->capvis = w->capvis ? w->capvis * 2 : 32;
    w->vis = xrealloc(w->vis, sizeof(int) * (size_t)w->capvis);
    w->vis_prev = xrealloc(w->vis_prev, sizeof(int) * (size_t)w->capvis);
  }
  uintptr_t *at = strmap_put(&w->vis_at, w->fx->slots[k].name);
  w->vis_prev[w->nvis] = (int)*at - 1;
  *at = (uintptr_t)w->nvis + 1;
  w->vis[w->nvis++] = k;
}

/* The slots pushed since vis had mark of them go out of scope. */
static void pop_vis_to(walk *w, int mark) {
  while (w->nvis > mark) {
    int p = --w->nvis;
    *strmap_find(&w->vis_at, w->fx->slots[w->vis[p]].name) = (uintptr_t)(w->vis_prev[p] + 1);
  }
}

static void add_hoist(walk *w, TSNode decl, int slot) {
  if (w->in_go) return;
  w->hoists = xrealloc(w->hoists, sizeof(hoist) * (size_t)(w->nhoists + 1));
  w->hoists[w->nhoists].decl = decl;
  w->hoists[w->nhoists].slot = slot;
  w->nhoists++;
}

static void add_free(walk *w, const char *name) {
  fnctx *fx = w->fx;
  if (strmap_find(&w->frees, name)) return;
  fx->free_names = xrealloc(fx->free_names, sizeof(char *) * (size_t)(fx->nfree + 1));
  fx->free_names[fx->nfree++] = xstrdup(name);
  *strmap_put(&w->frees, fx->free_names[fx->nfree - 1]) = 1;
}

/* The innermost visible slot named name, or -1. */
static int resolve(walk *w, const char *name) {
  const uintptr_t *at = strmap_find(&w->vis_at, name);
  return at && *at ? w->vis[*at - 1] : -1;
}

/* Whether a local's declarator d in declaration (or parameter declaration)
 * decl makes the variable itself const: const int k, const int a[2],
 * int *const p. The lowering drops that const (var_decl: its initialiser
 * becomes a store, and it is reloaded after each suspension), so the
 * writes C refuses are refused here (refuse_const_write). */
/* Whether one of n's type qualifiers is const. */
static bool has_const_qualifier(const source *s, TSNode n) {
  uint32_t c = ts_node_child_count(n);
  for (uint32_t i = 0; i < c; i++) {
    TSNode k = ts_node_child(n, i);
    if (node_is(k, "type_qualifier") && qualifier_is_const(s, k)) return true;
  }
  return false;
}

static bool declares_const(const source *s, TSNode decl, TSNode d, bool is_param) {
  TSNode nm = declarator_name(d);
  if (ts_node_is_null(nm)) return false;
  for (TSNode x = nm; !ts_node_eq(x, d);) {
    x = node_parent(x);
    if (ts_node_is_null(x) || node_is(x, "function_declarator")) return false;
    if (node_is(x, "pointer_declarator")) return has_const_qualifier(s, x);   /* the innermost pointer's own */
    if (is_param && node_is(x, "array_declarator")) return false;   /* a pointer, to const elements */
  }
  return has_const_qualifier(s, decl);
}

/* A write to a const local (k = 1, k++, a[0] = 1, s.x = 1) at identifier
 * n, which C refuses: gcc's error, at the operator. */
static void refuse_const_write(walk *w, TSNode n, const slot *sl) {
  TSNode e = n, member = {0};
  bool location = false;
  for (;;) {
    TSNode up = node_parent(e);
    if (node_is(up, "parenthesized_expression")) { e = up; continue; }
    if (!sl->is_param && node_is(up, "subscript_expression") && ts_node_eq(node_field(up, "argument"), e) &&
        node_is(sl->declarator, "array_declarator")) {
      e = up; location = true; continue;
    }
    if (node_is(up, "field_expression") && ts_node_eq(node_field(up, "argument"), e) &&
        !node_is(sl->declarator, "pointer_declarator")) {
      TSNode op = node_field(up, "operator");
      char *o = node_text(w->fx->s, op);
      bool dot = !strcmp(o, ".");
      free(o);
      if (!dot) break;
      if (ts_node_is_null(member)) member = node_field(up, "field");
      e = up; continue;
    }
    break;
  }
  TSNode up = node_parent(e), op = {0};
  const char *what = NULL;
  if (node_is(up, "assignment_expression") && ts_node_eq(node_field(up, "left"), e)) {
    op = node_field(up, "operator");
    what = "assignment";
  } else if (node_is(up, "update_expression")) {
    op = node_field(up, "operator");
    char *o = node_text(w->fx->s, op);
    what = !strcmp(o, "++") ? "increment" : "decrement";
    free(o);
  }
  if (!what || ts_node_is_null(op)) return;
  if (!ts_node_is_null(member)) {
    char *m = node_text(w->fx->s, member);
    diag_error(w->fx->s, op, "%s of member '%s' in read-only object", what, m);
    free(m);
  } else if (location) {
    char *t = node_text(w->fx->s, e);
    diag_error(w->fx->s, op, "%s of read-only location '%s'", what, t);
    free(t);
  } else {
    diag_error(w->fx->s, op, "%s of read-only %s '%s'", what, sl->is_param ? "parameter" : "variable", sl->name);
  }
}

/* &r of a register local r (the lowering drops the storage class, and
 * the local may be spilled by a memcpy of its address): gcc's error. */
static void refuse_register_address(walk *w, TSNode n, const slot *sl) {
  TSNode e = n;
  while (node_is(node_parent(e), "parenthesized_expression")) e = node_parent(e);
  TSNode up = node_parent(e);
  if (!node_is(up, "pointer_expression")) return;
  char *o = node_text(w->fx->s, node_field(up, "operator"));
  bool addr = !strcmp(o, "&");
  free(o);
  if (addr) diag_error(w->fx->s, up, "address of register variable '%s' requested", sl->name);
}

/* A use of a variable (or function) by name: a local's reference, or a
 * name a go block captures. */
static void use_identifier(walk *w, TSNode n) {
  fnctx *fx = w->fx;
  char *name = node_text(fx->s, n);
  int k = resolve(w, name);
  if (k >= 0) {
    if (!fx->slots[k].is_shadow) {
      map_put(fx, ts_node_start_byte(n), k);
      slot *sl = &fx->slots[k];
      sl->refs = xrealloc(sl->refs, sizeof(uint32_t) * (size_t)(sl->nrefs + 1));
      sl->refs[sl->nrefs++] = ts_node_start_byte(n);
      if (sl->top_const && !fx->quiet && !w->in_go) refuse_const_write(w, n, sl);
      if (sl->is_register && !fx->quiet && !w->in_go) refuse_register_address(w, n, sl);
    }
  } else if (!w->in_go) {
    add_free(w, name);
  }
  free(name);
}

/* x of a chan_make(x, n) that calls the user's function (lower.h), or a
 * null node for the channel syntax. */
static TSNode chan_make_value(const source *s, TSNode n, walk *w) {
  TSNode x = chan_make_bare_name(n), none = {0};
  if (ts_node_is_null(x)) return none;
  char *name = node_text(s, x);
  bool local = resolve(w, name) >= 0;
  free(name);
  return local || !name_may_be_type(s, x) ? x : none;
}

static void walk_node(walk *w, TSNode n);

static bool declarator_has_array(TSNode d) {
  for (; !ts_node_is_null(d) && !node_is(d, "identifier"); d = node_field(d, "declarator")) {
    if (node_is(d, "array_declarator")) return true;
    if (node_is(d, "parenthesized_declarator")) {
      if (!ts_node_named_child_count(d)) return false;
      d = declarator_inner(d);
      if (node_is(d, "array_declarator")) return true;
    }
  }
  return false;
}

/* The asm label of declarator d in declaration decl (`register long rax
 * __asm__("rax") = n;`, or without the initialiser), or a null node. */
static TSNode asm_label_of(TSNode decl, TSNode d) {
  TSNode parent = node_parent(d);
  if (node_is(parent, "init_declarator")) return node_field(parent, "asm_label");
  TSNode next = ts_node_next_named_sibling(d);
  return node_is(next, "gnu_asm_expression") && ts_node_eq(node_parent(next), decl) ? next : (TSNode){0};
}

/* Past the word `cleanup` (or `__cleanup__`) in an attribute's text t, or
 * NULL. */
static const char *after_cleanup_word(const char *t) {
  for (const char *q = t; *q;) {
    if (!(isalnum((unsigned char)*q) || *q == '_')) { q++; continue; }
    const char *e = q;
    while (isalnum((unsigned char)*e) || *e == '_') e++;
    if ((e - q == 7 && !strncmp(q, "cleanup", 7)) || (e - q == 11 && !strncmp(q, "__cleanup__", 11))) return e;
    q = e;
  }
  return NULL;
}

/* An attribute specifier that names `cleanup` (or `__cleanup__`). */
bool attribute_names_cleanup(const source *s, TSNode attr) {
  char *t = node_text(s, attr);
  bool found = after_cleanup_word(t) != NULL;
  free(t);
  return found;
}

/* A cleanup attribute specifier's text without its cleanup(f), keeping the
 * attributes beside it (`__attribute__((unused, cleanup(f)))` keeps
 * `unused`), or NULL when nothing else is in it. */
char *attribute_without_cleanup(const source *s, TSNode attr) {
  char *t = node_text(s, attr);
  const char *e = after_cleanup_word(t);
  if (!e) return t;
  const char *w = e;
  while (w > t && (isalnum((unsigned char)w[-1]) || w[-1] == '_')) w--;
  const char *q = e;
  while (isspace((unsigned char)*q)) q++;
  if (*q == '(') {
    int depth = 0;
    for (; *q; q++) {
      if (*q == '(') depth++;
      else if (*q == ')' && --depth == 0) { q++; break; }
    }
    e = q;
  }
  /* a comma after it goes with it, else the one before */
  const char *a = w, *b = e;
  while (isspace((unsigned char)*b)) b++;
  if (*b == ',') b++;
  else {
    b = e;
    const char *c = a;
    while (c > t && isspace((unsigned char)c[-1])) c--;
    if (c > t && c[-1] == ',') a = c - 1;
  }
  buf r = {0};
  buf_putn(&r, t, (size_t)(a - t));
  buf_puts(&r, b);
  free(t);
  char *kept = buf_take(&r);
  /* empty: "__attribute__ ( ( ) )" */
  int parens = 0, words = 0;
  bool in_word = false;
  for (const char *p = kept; *p; p++) {
    bool wc = isalnum((unsigned char)*p) || *p == '_';
    if (wc && !in_word) words++;
    in_word = wc;
    parens += *p == '(';
  }
  if (words <= 1 && parens <= 2) {
    free(kept);
    return NULL;
  }
  return kept;
}

/* The attribute specifier naming cleanup in n's subtree, or a null node;
 * initialisers are not looked into. */
static TSNode cleanup_in(const source *s, TSNode n) {
  if (node_is(n, "attribute_specifier")) return attribute_names_cleanup(s, n) ? n : (TSNode){0};
  if (node_is(n, "initializer_list") || strstr(ts_node_type(n), "expression")) return (TSNode){0};
  uint32_t c = ts_node_named_child_count(n);
  for (uint32_t i = 0; i < c; i++) {
    TSNode r = cleanup_in(s, ts_node_named_child(n, i));
    if (!ts_node_is_null(r)) return r;
  }
  return (TSNode){0};
}

/* The cleanup attribute of declarator d: its own, or the declaration's
 * (before the first declarator, for all of them). */
static TSNode cleanup_of(const source *s, TSNode decl, TSNode d) {
  TSNode own = cleanup_in(s, d);
  if (!ts_node_is_null(own)) return own;
  TSNode first = node_field(decl, "declarator");
  uint32_t c = ts_node_named_child_count(decl);
  for (uint32_t i = 0; i < c; i++) {
    TSNode k = ts_node_named_child(decl, i);
    if (!ts_node_is_null(first) && ts_node_start_byte(k) >= ts_node_start_byte(first)) break;
    if (node_is(k, "attribute_specifier") && attribute_names_cleanup(s, k)) return k;
  }
  return (TSNode){0};
}

/* A variable-length array in declarator d (a variable's, or with `what` a
 * local type's: "type", "member"): refused, since the frame and the local
 * types are laid out at the function's top (constsize.c). A parameter's
 * array in a function declarator is a pointer, and is not looked at. */
static void refuse_variable_size(walk *w, TSNode d, const char *what) {
  fnctx *fx = w->fx;
  if (fx->quiet || w->in_go || w->opaque) return;
  TSNode nm = declarator_name(d);
  if (ts_node_is_null(nm))   /* a typedef's name */
    for (nm = d; !ts_node_is_null(nm) && !node_is(nm, "type_identifier");)
      nm = node_is(nm, "parenthesized_declarator") ? declarator_inner(nm) : node_field(nm, "declarator");
  for (TSNode x = d; !ts_node_is_null(x) && !ts_node_eq(x, nm);) {
    if (node_is(x, "function_declarator")) return;
    if (node_is(x, "array_declarator")) {
      TSNode size = node_field(x, "size");
      if (!ts_node_is_null(size) && !size_is_constant(fx, size)) {
        char *name = ts_node_is_null(nm) ? xstrdup("") : node_text(fx->s, nm);
        if (what)
          diag_error(fx->s, size,
                     "variable-length array %s '%s' in goroutine function '%s' (its frame and local types must have "
                     "a fixed size; use a fixed-size array or malloc)", what, name, fx->fn->name);
        else
          diag_error(fx->s, size,
                     "variable-length array '%s' in goroutine function '%s' (its frame must have a fixed size; "
                     "use a fixed-size array or malloc)", name, fx->fn->name);
        free(name);
        return;
      }
    }
    TSNode inner = node_field(x, "declarator");
    if (ts_node_is_null(inner) && ts_node_named_child_count(x)) inner = ts_node_named_child(x, 0);
    x = inner;
  }
}

/* The declarators of a local type definition, or of the members of a
 * local struct or union (each nested one is walked on its own). */
static void refuse_variable_size_type(walk *w, TSNode n) {
  uint32_t c = ts_node_child_count(n);
  if (node_is(n, "type_definition")) {
    for (uint32_t i = 0; i < c; i++) {
      const char *f = child_field_name(n, i);
      if (f && !strcmp(f, "declarator")) refuse_variable_size(w, ts_node_child(n, i), "type");
    }
    return;
  }
  TSNode list = node_field(n, "body");
  uint32_t lc = ts_node_is_null(list) ? 0 : ts_node_named_child_count(list);
  for (uint32_t i = 0; i < lc; i++) {
    TSNode fd = ts_node_named_child(list, i);
    if (!node_is(fd, "field_declaration")) continue;
    uint32_t fc = ts_node_child_count(fd);
    for (uint32_t j = 0; j < fc; j++) {
      const char *f = child_field_name(fd, j);
      if (f && !strcmp(f, "declarator")) refuse_variable_size(w, ts_node_child(fd, j), "member");
    }
  }
}

/* Declares the variable of declarator d (the name part of an
 * init_declarator or a plain declarator) in the current scope. */
static int declare(walk *w, TSNode decl, TSNode d, bool is_static) {
  fnctx *fx = w->fx;
  TSNode nm = declarator_name(d);
  if (ts_node_is_null(nm)) return -1;
  int k = add_slot(fx);
  slot *sl = &fx->slots[k];
  sl->name = node_text(fx->s, nm);
  sl->decl_node = decl;
  sl->declarator = d;
  sl->decl_byte = ts_node_end_byte(nm);
  sl->scope_end = w->scope_end;
  TSNode up = node_parent(d);
  sl->init_end = !ts_node_is_null(up) && node_is(up, "init_declarator") ? ts_node_end_byte(up) : sl->decl_byte;
  sl->is_static = is_static;
  sl->is_shadow = w->in_go > 0;
  sl->in_place = w->opaque > 0;
  /* arr4 v; with typedef int arr4[4] is an array too */
  bool bare = node_is(d, "identifier") || node_is(d, "attributed_declarator");
  bool typedef_array = bare && type_is_array_typedef(fx->s, node_field(decl, "type"));
  sl->in_L = !is_static && !sl->is_shadow && !sl->in_place && (declarator_has_array(d) || typedef_array);
  map_put(fx, ts_node_start_byte(nm), k);
  push_vis(w, k);
  sl->cleanup = is_static ? (TSNode){0} : cleanup_of(fx->s, decl, d);
  sl->top_const = !is_static && declares_const(fx->s, decl, d, false);
  sl->is_register = has_storage(fx->s, decl, "register");
  TSNode label = asm_label_of(decl, d);
  if (!ts_node_is_null(label) && !is_static && !fx->quiet)
    diag_error(fx->s, label,
               "explicit register variable '%s' in goroutine function '%s' (its value cannot stay in that register "
               "across a suspension; use it in a plain C function)", sl->name, fx->fn->name);
  /* array sizes and other expressions inside the declarator */
  for (TSNode x = d; !ts_node_is_null(x) && !ts_node_eq(x, nm);) {
    if (node_is(x, "array_declarator")) {
      TSNode size = node_field(x, "size");
      if (!ts_node_is_null(size)) walk_node(w, size);
    }
    TSNode inner = node_field(x, "declarator");
    if (ts_node_is_null(inner) && ts_node_named_child_count(x)) inner = ts_node_named_child(x, 0);
    x = inner;
  }
  if (!is_static) refuse_variable_size(w, d, NULL);
  return k;
}

static void walk_declaration(walk *w, TSNode n) {
  fnctx *fx = w->fx;
  bool is_static = has_storage(fx->s, n, "static") || has_storage(fx->s, n, "extern");
  /* the type part may hold expressions (typeof, array sizes in structs) */
  TSNode type = node_field(n, "type");
  if (!ts_node_is_null(type)) walk_node(w, type);
  bool any_var = false;
  uint32_t c = ts_node_child_count(n);
  for (uint32_t i = 0; i < c; i++) {
    const char *f = child_field_name(n, i);
    if (!f || strcmp(f, "declarator")) continue;
    TSNode d = ts_node_child(n, i);
    TSNode target = node_is(d, "init_declarator") ? node_field(d, "declarator") : d;
    TSNode fdcl = function_declarator_of(target);
    if (!ts_node_is_null(fdcl)) {
      /* int f(int) and int *f(int) declare functions; int (*fp)(int) and
         int (*fps[3])(int) declare variables (the parenthesised part) */
      TSNode inner = node_field(fdcl, "declarator");
      if (!node_is(inner, "parenthesized_declarator")) continue;
    }
    int k = declare(w, n, target, is_static);
    if (k >= 0 && !is_static && !w->opaque) { add_hoist(w, n, k); any_var = true; }
    if (k >= 0 && w->opaque) any_var = true;
    if (node_is(d, "init_declarator")) walk_node(w, node_field(d, "value"));
  }
  if (!any_var) add_hoist(w, n, -1);
}

static void mark_address_taken(walk *w, TSNode e) {
  for (;;) {
    if (node_is(e, "parenthesized_expression") && ts_node_named_child_count(e)) {
      e = ts_node_named_child(e, 0);
    } else if (node_is(e, "field_expression")) {
      TSNode op = node_field(e, "operator");
      char *t = node_text(w->fx->s, op);
      bool arrow = !strcmp(t, "->");
      free(t);
      if (arrow) return;
      e = node_field(e, "argument");
    } else if (node_is(e, "subscript_expression")) {
      e = node_field(e, "argument");
    } else {
      break;
    }
  }
  if (node_is(e, "identifier")) {
    int k = slot_of_ident(w->fx, e);
    if (k >= 0 && !w->fx->slots[k].is_static && !w->fx->slots[k].in_place && !w->in_go) w->fx->slots[k].in_L = true;
  }
}

static void walk_scoped(walk *w, TSNode n) {
  int mark = w->nvis;
  uint32_t saved = w->scope_end;
  w->scope_end = ts_node_end_byte(n);
  kids ks;
  kids_named(n, &ks);
  for (uint32_t i = 0; i < ks.n; i++) walk_node(w, ks.at[i]);
  kids_free(&ks);
  pop_vis_to(w, mark);
  w->scope_end = saved;
}

static void walk_node(walk *w, TSNode n) {
  if (ts_node_is_null(n)) return;
  fnctx *fx = w->fx;
  TSSymbol t = ts_node_symbol(n);
  if (sym_is(t, "for_statement") || sym_is(t, "while_statement") || sym_is(t, "do_statement") ||
      sym_is(t, "for_range_statement")) {
    fx->loops_span = xrealloc(fx->loops_span, sizeof(*fx->loops_span) * (size_t)(fx->nloops_span + 1));
    fx->loops_span[fx->nloops_span][0] = ts_node_start_byte(n);
    fx->loops_span[fx->nloops_span][1] = ts_node_end_byte(n);
    fx->nloops_span++;
  }
  if (sym_is(t, "goto_statement")) fx->has_goto = true;
  if (sym_is(t, "label_address_expression")) fx->label_values = true;
  if (sym_is(t, "compound_statement") && !w->opaque && node_is(node_parent(n), "parenthesized_expression") &&
      !has_susp(fx, n)) {
    /* ({ ... }) with no suspension (a macro's, typically: <stdatomic.h>,
       __auto_type temporaries) is copied as written: its locals live and
       die inside it, so they stay there under their own names. */
    fx->opaque_span = xrealloc(fx->opaque_span, sizeof(*fx->opaque_span) * (size_t)(fx->nopaque_span + 1));
    fx->opaque_span[fx->nopaque_span][0] = ts_node_start_byte(n);
    fx->opaque_span[fx->nopaque_span][1] = ts_node_end_byte(n);
    fx->nopaque_span++;
    w->opaque++;
    walk_scoped(w, n);
    w->opaque--;
    return;
  }
  if (sym_is(t, "compound_statement") || sym_is(t, "for_statement")) { walk_scoped(w, n); return; }
  if (sym_is(t, "declaration")) { walk_declaration(w, n); return; }
  if (sym_is(t, "type_definition") || sym_is(t, "struct_specifier") || sym_is(t, "union_specifier") ||
      sym_is(t, "enum_specifier")) {
    /* a definition on its own ("struct s { ... };") is hoisted whole */
    if (!w->opaque && (sym_is(t, "type_definition") || node_is(node_parent(n), "compound_statement")))
      add_hoist(w, n, -1);
    if (!sym_is(t, "enum_specifier")) refuse_variable_size_type(w, n);
    kids ks;
    kids_named(n, &ks);
    for (uint32_t i = 0; i < ks.n; i++) walk_node(w, ks.at[i]);
    kids_free(&ks);
    return;
  }
  if (sym_is(t, "for_range_statement") || sym_is(t, "select_case")) {
    int mark = w->nvis;
    uint32_t saved = w->scope_end;
    w->scope_end = ts_node_end_byte(n);
    TSNode decl_holder = n;
    if (sym_is(t, "select_case")) {
      TSNode op = node_field(n, "operation");
      decl_holder = node_is(op, "receive_declaration") ? op : (TSNode){0};
      if (!ts_node_is_null(op) && !node_is(op, "receive_declaration")) walk_node(w, op);
    }
    if (!ts_node_is_null(decl_holder)) {
      walk_node(w, node_field(decl_holder, "channel"));
      walk_node(w, node_field(decl_holder, "type"));
      int k = declare(w, decl_holder, node_field(decl_holder, "declarator"), false);
      if (k >= 0) add_hoist(w, decl_holder, k);
    }
    uint32_t c = ts_node_child_count(n);
    for (uint32_t i = 0; i < c; i++) {
      const char *f = child_field_name(n, i);
      if (f && (!strcmp(f, "body"))) walk_node(w, ts_node_child(n, i));
    }
    pop_vis_to(w, mark);
    w->scope_end = saved;
    return;
  }
  if (sym_is(t, "go_statement") && !ts_node_is_null(node_field(n, "body"))) {
    /* the block is its own function; here we only learn what it captures */
    w->in_go++;
    walk_node(w, node_field(n, "body"));
    w->in_go--;
    return;
  }
  if (sym_is(t, "identifier")) {
    use_identifier(w, n);
    return;
  }
  if (sym_is(t, "chan_make_expression")) {
    TSNode v = chan_make_value(fx->s, n, w);
    if (!ts_node_is_null(v)) {
      use_identifier(w, v);
      walk_node(w, node_field(n, "capacity"));
      return;
    }
  }
  if (sym_is(t, "pointer_expression")) {
    TSNode op = node_field(n, "operator");
    char *o = node_text(fx->s, op);
    walk_node(w, node_field(n, "argument"));
    if (!strcmp(o, "&")) mark_address_taken(w, node_field(n, "argument"));
    TSNode arg = node_field(n, "argument");
    while (node_is(arg, "parenthesized_expression") && ts_node_named_child_count(arg) == 1)
      arg = ts_node_named_child(arg, 0);
    if (!strcmp(o, "&") && node_is(arg, "receive_expression") && !fx->quiet && !w->in_go)
      diag_error(fx->s, n, "cannot take the address of a receive (<-c is a value, not a variable)");
    free(o);
    return;
  }
  if (sym_is(t, "call_expression")) {
    TSNode f = node_field(n, "function");
    if (node_is(f, "identifier")) {
      char *name = node_text(fx->s, f);
      bool quiet = fx->quiet || w->in_go;
      if (!quiet && (!strcmp(name, "alloca") || !strcmp(name, "__builtin_alloca")) && resolve(w, name) < 0)
        diag_error(fx->s, n, "alloca in goroutine function '%s' (its frame must have a fixed size; use malloc)",
                   fx->fn->name);
      if (!quiet && (!strcmp(name, "setjmp") || !strcmp(name, "longjmp") || !strcmp(name, "_setjmp") ||
           !strcmp(name, "sigsetjmp") || !strcmp(name, "siglongjmp")) && resolve(w, name) < 0)
        diag_error(fx->s, n, "%s in goroutine function '%s' (a jump cannot cross a suspended frame; return an "
                   "error code instead)", name, fx->fn->name);
      free(name);
    }
  }
  if (sym_is(t, "type_identifier")) {
    /* a local hoisted under a typedef's name would hide the type */
    char *name = node_text(fx->s, n);
    add_free(w, name);
    free(name);
    return;
  }
  if (sym_is(t, "field_identifier") || sym_is(t, "statement_identifier")) return;
  kids ks;
  kids_named(n, &ks);
  for (uint32_t i = 0; i < ks.n; i++) walk_node(w, ks.at[i]);
  kids_free(&ks);
}

static bool name_taken(fnctx *fx, const char *name, int upto) {
  for (int i = 0; i < fx->nfree; i++)
    if (!strcmp(fx->free_names[i], name)) return true;
  for (int i = 0; i < upto; i++)
    if (fx->slots[i].cname && !strcmp(fx->slots[i].cname, name)) return true;
  if (!strncmp(name, "goc_", 4)) return true;
  return false;
}

/* The hoisted declaration of a local variable: its type and declarator
 * without the initialiser (and without a top-level const, since the
 * initialiser becomes an assignment). */
static char *var_decl(fnctx *fx, slot *sl, rw_mode mode, buf *align);

/* A local as a field of a lifted block's frame: its declaration under its
 * source name. */
char *slot_field_decl(fnctx *fx, int k) {
  slot *sl = &fx->slots[k];
  char *saved = sl->cname;
  sl->cname = sl->name;
  fnctx plain = *fx;
  plain.slot_at = (idmap){0};    /* no renaming inside the type */
  plain.susp = (idmap){0};       /* its own memo: a copy's growth would free fx's */
  plain.at_file_scope = true;
  char *d = var_decl(&plain, sl, RW_DECL, NULL);
  idmap_free(&plain.susp);
  sl->cname = saved;
  return d;
}

/* One qualifier or attribute of a local's declaration, before or after its
 * type, as var_decl writes it: a storage class is dropped, and so is a
 * top-level const of a plain local (its initialiser becomes a store, and
 * the local is spilled and reloaded); alignas goes to align when given. */
static void emit_decl_qualifier(fnctx *fx, TSNode k, bool plain, rw_mode mode, buf *b, buf *align) {
  const source *s = fx->s;
  if (!node_is(k, "type_qualifier") && !node_is(k, "attribute_specifier")) return;
  if (node_is(k, "type_qualifier") && plain && qualifier_is_const(s, k)) return;   /* alignas, volatile, _Atomic stay */
  bool alignas = node_is(k, "type_qualifier") && ts_node_named_child_count(k) &&
                 node_is(ts_node_named_child(k, 0), "alignas_qualifier");
  buf *to = alignas && align ? align : b;
  rewrite_node(s, fx, mode, k, to);
  buf_putc(to, ' ');
}

/* With align, alignas qualifiers go there instead (a typedef cannot carry
 * them; the locals area's field does). */
static char *var_decl(fnctx *fx, slot *sl, rw_mode mode, buf *align) {
  const source *s = fx->s;
  TSNode decl = sl->decl_node;
  buf b = {0};
  TSNode type = node_field(decl, "type");
  /* A top-level const is dropped (the initialiser becomes an assignment and
   * the local is spilled and reloaded); a pointee's const is kept. */
  bool plain = node_is(sl->declarator, "identifier") || node_is(sl->declarator, "array_declarator");
  uint32_t c = ts_node_named_child_count(decl);
  uint32_t after_type = c;
  for (uint32_t i = 0; i < c; i++) {
    TSNode k = ts_node_named_child(decl, i);
    if (ts_node_eq(k, type)) {
      after_type = i + 1;
      break;
    }
    emit_decl_qualifier(fx, k, plain, mode, &b, align);
  }
  TSNode init = node_is(node_parent(sl->declarator), "init_declarator")
                    ? node_field(node_parent(sl->declarator), "value") : (TSNode){0};
  /* A struct/union/enum defined in this declaration is hoisted on its own
     (verbatim, once); here we name it. */
  TSNode body = node_field(type, "body");
  if (node_is(decl, "declaration") && !ts_node_is_null(body) && ts_node_is_null(node_field(type, "name"))) {
    /* struct { ... } x; is hoisted as one type for x, its twin at the top
       and any y declared with it: it is given a tag (a lifted block's
       frame names the tag compute_captures defines at file scope) */
    char *kw = xstrndup(ts_node_type(type), strcspn(ts_node_type(type), "_"));
    buf_printf(&b, "%s goc__anon%u", kw, ts_node_start_byte(type));
    free(kw);
  } else if (node_is(decl, "declaration") && !ts_node_is_null(body) && !ts_node_is_null(node_field(type, "name"))) {
    char *kw = xstrndup(ts_node_type(type), strcspn(ts_node_type(type), "_"));
    const char *rn = renamed_type(fx, node_field(type, "name"));
    char *nm = rn ? xstrdup(rn) : node_text(s, node_field(type, "name"));
    buf_printf(&b, "%s %s", kw, nm);
    free(kw);
    free(nm);
  } else if (!ts_node_is_null(init) && node_text_is(s, type, "__auto_type")) {
    /* __auto_type x = INIT: a typedef, and a declaration whose initialiser
       became a store, cannot say __auto_type; the type is INIT's after
       lvalue conversion, which a comma expression gives (?: would promote
       a char to int) */
    buf_puts(&b, "__typeof__(((void)0, ");
    rewrite_node(s, fx, mode, init, &b);
    buf_puts(&b, "))");
  } else {
    rewrite_node(s, fx, mode, type, &b);
  }
  /* qualifiers after the type (`double _Complex z`, `int const n`) */
  for (uint32_t i = after_type; i < c; i++) {
    TSNode k = ts_node_named_child(decl, i);
    if (node_is(k, "storage_class_specifier")) continue;   /* `int static x`: dropped */
    if (!node_is(k, "type_qualifier") && !node_is(k, "attribute_specifier")) break;
    buf_putc(&b, ' ');
    emit_decl_qualifier(fx, k, plain, mode, &b, align);
  }
  const char *name = fx->decl_name_as ? fx->decl_name_as : sl->cname;
  TSNode arr = name_array_declarator(sl->declarator);
  if (!ts_node_is_null(arr) && ts_node_is_null(node_field(arr, "size")) && !ts_node_is_null(init)) {
    /* T a[] = INIT: the size comes from the initialiser; name the complete
       type as that of the compound literal (T []){INIT}. */
    TSNode nm = declarator_name(sl->declarator);
    char *type = buf_take(&b);
    buf_printf(&b, "__typeof__((%s ", type);
    emit_rewritten_range(s, sl->declarator, ts_node_start_byte(sl->declarator), ts_node_start_byte(nm), &b, NULL);
    emit_rewritten_range(s, sl->declarator, ts_node_end_byte(nm), ts_node_end_byte(sl->declarator), &b, NULL);
    bool braced = node_is(init, "initializer_list");
    buf_printf(&b, ")%s", braced ? "" : "{");
    rewrite_node(s, fx, mode, init, &b);
    buf_printf(&b, "%s) %s;", braced ? "" : "}", name);
    free(type);
    return buf_take(&b);
  }
  buf_putc(&b, ' ');
  TSNode nm = declarator_name(sl->declarator);
  TSNode ptr = ts_node_is_null(nm) ? nm : node_parent(nm);
  while (node_is(ptr, "parenthesized_declarator")) ptr = node_parent(ptr);
  if (node_is(ptr, "pointer_declarator")) {
    /* int *const p: the pointer itself is const; drop that qualifier (and
       only that: int *volatile p, int *_Atomic p, int *restrict p keep theirs) */
    uint32_t pos = ts_node_start_byte(sl->declarator);
    uint32_t pc = ts_node_child_count(ptr);
    for (uint32_t i = 0; i < pc; i++) {
      TSNode k = ts_node_child(ptr, i);
      if (!node_is(k, "type_qualifier") || !qualifier_is_const(s, k)) continue;
      rewrite_range(s, fx, mode, sl->declarator, pos, ts_node_start_byte(k), &b);
      pos = ts_node_end_byte(k);
    }
    rewrite_range(s, fx, mode, sl->declarator, pos, ts_node_end_byte(sl->declarator), &b);
  } else {
    rewrite_node(s, fx, mode, sl->declarator, &b);
  }
  buf_puts(&b, ";");
  return buf_take(&b);
}

bool declared_in_place(const slot *sl) {
  return !sl->is_param && !sl->is_temp && !sl->is_static && !sl->in_place && !sl->is_shadow;
}

char *twin_decl(const fnctx *fx, int k) {
  const slot *sl = &fx->slots[k];
  char *type = sl->is_param ? xasprintf("__typeof__(((struct %s__frame *)0)->%s)", fx->fn->is_main ? "main" : fx->fn->name,
                                        sl->name)
                            : xasprintf("goc_T%d", k);
  /* static: gcc's location of it, DW_OP_addr, has room for the live
     storage's, which `goc debuginfo` writes there after linking
     (debuginfo.c); (void)&: gcc -O0 gives an unused one no location */
  /* one the code never names is a plain local, which gcc's
     -Wunused-variable judges as in C (a static one would be reported
     twice, the second time as defined but not used) */
  char *d = sl->nrefs ? xasprintf("typedef %s goc_in_L__%s; static goc_in_L__%s %s; (void)&%s;", type, sl->fname,
                                  sl->fname, sl->cname, sl->cname)
                      : xasprintf("typedef %s goc_in_L__%s; goc_in_L__%s %s;", type, sl->fname, sl->fname, sl->cname);
  free(type);
  return d;
}

static bool has_field_name(const slot *sl) { return !sl->is_static && !sl->in_place && !sl->is_shadow; }

/* n holds a loop or a goto: a back edge, where a preemption check suspends. */
static bool has_back_edge(TSNode n) {
  TSSymbol t = ts_node_symbol(n);
  if (sym_is(t, "for_statement") || sym_is(t, "while_statement") || sym_is(t, "do_statement") ||
      sym_is(t, "for_range_statement") || sym_is(t, "goto_statement"))
    return true;
  if (sym_is(t, "go_statement")) return false;   /* its body is another function */
  kids ks;
  kids_named(n, &ks);
  bool r = false;
  for (uint32_t i = 0; i < ks.n && !r; i++) r = has_back_edge(ks.at[i]);
  kids_free(&ks);
  return r;
}

/* Whether the function may suspend between bytes from and to: a channel
 * operation, a blocking call, or a back edge's check (a for's own check is
 * inside the scope of the variables its first clause declares). */
static bool may_suspend_within(fnctx *fx, TSNode n, uint32_t from, uint32_t to) {
  uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
  if (b <= from || a >= to) return false;
  if (a >= from && b <= to) return has_susp(fx, n) || has_back_edge(n);
  TSNode init = node_is(n, "for_statement") ? node_field(n, "initializer") : (TSNode){0};
  if (!ts_node_is_null(init) && ts_node_start_byte(init) <= from && from < ts_node_end_byte(init)) return true;
  kids ks;
  kids_named(n, &ks);
  bool r = false;
  for (uint32_t i = 0; i < ks.n && !r; i++) r = may_suspend_within(fx, ks.at[i], from, to);
  kids_free(&ks);
  return r;
}

/* The function f of a cleanup(f) attribute, or NULL when its argument is
 * not a plain name. */
static char *cleanup_function(const source *s, TSNode attr) {
  char *t = node_text(s, attr);
  char *r = NULL;
  const char *q = after_cleanup_word(t);
  while (q && isspace((unsigned char)*q)) q++;
  if (q && *q++ == '(') {
    while (isspace((unsigned char)*q)) q++;
    const char *e = q;
    while (isalnum((unsigned char)*e) || *e == '_') e++;
    const char *z = e;
    while (isspace((unsigned char)*z)) z++;
    if (e > q && !isdigit((unsigned char)*q) && *z == ')') r = xstrndup(q, (size_t)(e - q));
  }
  free(t);
  return r;
}

/* C runs a local's cleanup whenever its scope is left, and a goroutine
 * function leaves its step function at every suspension: a cleanup local
 * whose scope holds a suspension (or that lives in the frame, as an array
 * or an address-taken local) loses its attribute, and the lowering calls
 * f(&v) at each exit of its scope instead (lower_stmt.c, emit_cleanups).
 * Then all of the function's cleanup locals are managed so, so that an
 * exit runs them innermost first, as C does. */
static void manage_cleanups(fnctx *fx, TSNode body) {
  bool any = false;
  for (int i = 0; i < fx->nslots && !any; i++) {
    slot *sl = &fx->slots[i];
    if (ts_node_is_null(sl->cleanup) || sl->in_place || sl->is_shadow || sl->is_static) continue;
    any = sl->in_L || may_suspend_within(fx, body, sl->decl_byte, sl->scope_end);
  }
  if (!any) return;
  fx->managed_cleanups = true;
  for (int i = 0; i < fx->nslots; i++) {
    slot *sl = &fx->slots[i];
    if (ts_node_is_null(sl->cleanup) || sl->in_place || sl->is_shadow || sl->is_static) continue;
    sl->cleanup_managed = true;
    sl->cleanup_fn = cleanup_function(fx->s, sl->cleanup);
    TSNode up = node_parent(sl->decl_node);
    bool in_for_init = node_is(up, "for_statement") && ts_node_eq(node_field(up, "initializer"), sl->decl_node);
    if (fx->quiet || sl->cleanup_refused) continue;
    if (in_for_init) {
      sl->cleanup_refused = true;
      diag_error(fx->s, sl->cleanup,
                 "local '%s' of goroutine function '%s' has the cleanup attribute in a for loop's first clause, where "
                 "the function can block (declare it before the loop, or in its body)", sl->name, fx->fn->name);
    } else if (!sl->cleanup_fn) {
      sl->cleanup_refused = true;
      diag_error(fx->s, sl->cleanup, "cleanup argument of local '%s' is not a function name", sl->name);
    }
  }
}

/* A local of sl's name is declared inside sl's scope, and the function may
 * suspend in that inner scope: there, sl is out of C's reach under its own
 * name (its spill and reload could not name it). */
static bool shadowed(fnctx *fx, int i) {
  const slot *sl = &fx->slots[i];
  for (int j = 0; j < fx->nslots; j++) {
    const slot *in = &fx->slots[j];
    /* the positions first: most slots are declared outside sl's scope */
    if (j == i || in->decl_byte <= sl->decl_byte || in->decl_byte >= sl->scope_end) continue;
    if (!declared_in_place(in) || strcmp(in->name, sl->name)) continue;
    if (may_suspend_within(fx, node_field(fx->fn->def, "body"), in->decl_byte, in->scope_end)) return true;
  }
  return false;
}

/* The name a local type definition hoisted to the top declares as an
 * ordinary identifier (a typedef's), or NULL. */
static char *hoisted_typedef_name(const fnctx *fx, TSNode d) {
  if (!node_is(d, "type_definition")) return NULL;
  TSNode nm = declarator_name(node_field(d, "declarator"));
  return ts_node_is_null(nm) ? NULL : node_text(fx->s, nm);
}

/* C names: static locals are hoisted, so they keep today's rule (renamed
 * when another slot or a global the body uses has the name); locals
 * declared in place keep theirs unless shadowed across a suspension,
 * clashing at the function's outermost scope with what is hoisted there,
 * or spelt like the step function's own goc_ names. Then the field names:
 * unique in the locals area. */
static void name_slots(fnctx *fx, walk *w, uint32_t body_end) {
  int nparams = fx->fn->nparams;
  for (int i = nparams; i < fx->nslots; i++) {
    slot *sl = &fx->slots[i];
    if (sl->in_place) {
      sl->cname = xstrdup(sl->name);
    } else if (sl->is_static || sl->is_shadow) {
      bool taken = name_taken(fx, sl->name, i);
      for (int j = nparams; j < fx->nslots && !taken; j++)
        taken = j != i && !fx->slots[j].in_place && !strcmp(fx->slots[j].name, sl->name);
      sl->cname = taken ? xasprintf("%s__%d", sl->name, i) : xstrdup(sl->name);
    }
  }
  for (int i = 0; i < fx->nslots; i++) {
    slot *sl = &fx->slots[i];
    if (i < nparams) {
      if (shadowed(fx, i) && strncmp(sl->cname, "goc_", 4)) {
        free(sl->cname);
        sl->cname = xasprintf("%s__p%d", sl->name, i);
        free(sl->decl);
        const char *fname = fx->fn->is_main ? "main" : fx->fn->name;
        sl->decl = xasprintf("__typeof__(((struct %s__frame *)0)->%s) %s;", fname, sl->name, sl->cname);
      }
      continue;
    }
    if (!declared_in_place(sl)) continue;
    /* a local in L is reached through goc_L at every suspension, so it keeps
       its name when shadowed (a debugger finds it by that name) */
    bool clash = !strncmp(sl->name, "goc_", 4) || (shadowed(fx, i) && !sl->in_L);
    if (!clash && sl->scope_end == body_end) {
      for (int j = 0; j < fx->nslots && !clash; j++)
        clash = fx->slots[j].is_static && fx->slots[j].cname && !strcmp(fx->slots[j].cname, sl->name);
      for (int h = 0; h < w->nhoists && !clash; h++) {
        char *t = hoisted_typedef_name(fx, w->hoists[h].decl);
        const char *rn = t ? renamed_type(fx, declarator_name(node_field(w->hoists[h].decl, "declarator"))) : NULL;
        clash = t && !strcmp(rn ? rn : t, sl->name);
        free(t);
      }
    }
    sl->cname = clash ? xasprintf("%s__%d", sl->name, i) : xstrdup(sl->name);
  }
  /* a field name shared by another slot's field is renamed */
  strmap fields = {0};
  for (int i = 0; i < fx->nslots; i++)
    if (has_field_name(&fx->slots[i])) ++*strmap_put(&fields, fx->slots[i].cname);
  for (int i = 0; i < fx->nslots; i++) {
    slot *sl = &fx->slots[i];
    if (!has_field_name(sl)) continue;
    bool dup = *strmap_find(&fields, sl->cname) > 1;
    sl->fname = dup ? xasprintf("%s__%d", sl->cname, i) : xstrdup(sl->cname);
  }
  strmap_free(&fields);
}

/* Whether the function's parameter `name` is declared const itself. */
static bool param_is_const(fnctx *fx, const char *name) {
  if (fx->fn->lifted || !node_is(fx->fn->def, "function_definition")) return false;   /* a go block's captures */
  TSNode fd = function_declarator_of(node_field(fx->fn->def, "declarator"));
  if (ts_node_is_null(fd)) return false;
  TSNode params = node_field(fd, "parameters");
  uint32_t c = ts_node_named_child_count(params);
  for (uint32_t i = 0; i < c; i++) {
    TSNode pd = ts_node_named_child(params, i);
    TSNode d = node_is(pd, "parameter_declaration") ? node_field(pd, "declarator") : (TSNode){0};
    TSNode nm = ts_node_is_null(d) ? d : declarator_name(d);
    if (ts_node_is_null(nm)) continue;
    char *t = node_text(fx->s, nm);
    bool hit = !strcmp(t, name);
    free(t);
    if (hit) return declares_const(fx->s, pd, d, true);
  }
  return false;
}

void analyse_function(fnctx *fx) {
  walk w = {0};
  w.fx = fx;
  for (int i = 0; i < fx->nfree; i++) *strmap_put(&w.frees, fx->free_names[i]) = 1;
  TSNode body = node_field(fx->fn->def, "body");
  w.scope_end = ts_node_end_byte(body);
  /* parameters */
  for (int i = 0; i < fx->fn->nparams; i++) {
    int k = add_slot(fx);
    slot *sl = &fx->slots[k];
    sl->name = xstrdup(fx->fn->params[i]);
    /* goc_ names are the step function's own (goc_cur, goc_fr, goc_L) */
    sl->cname = strncmp(sl->name, "goc_", 4) ? xstrdup(sl->name) : xasprintf("%s__p%d", sl->name, i);
    sl->is_param = true;
    sl->decl_byte = ts_node_start_byte(body);
    sl->scope_end = ts_node_end_byte(body);
    const char *fname = fx->fn->is_main ? "main" : fx->fn->name;
    sl->decl = xasprintf("__typeof__(((struct %s__frame *)0)->%s) %s;", fname, sl->name, sl->cname);
    if (fx->fn->param_is_array && fx->fn->param_is_array[i]) sl->in_L = true;
    sl->top_const = param_is_const(fx, sl->name);
    push_vis(&w, k);
  }
  /* parameters may have their address taken too: map the parameter names
     by resolving identifiers in the body (done by the walk). */
  walk_scoped(&w, body);
  manage_cleanups(fx, body);
  /* Local types are hoisted to one scope: two of one name cannot be. */
  {
    char **seen = NULL;
    int nseen = 0;
    for (int i = 0; i < w.nhoists; i++) {
      TSNode d = w.hoists[i].decl;
      TSNode nmn = {0};
      if (node_is(d, "type_definition")) nmn = node_field(d, "declarator");
      else if (strstr(ts_node_type(d), "_specifier") && !ts_node_is_null(node_field(d, "body")))
        nmn = node_field(d, "name");
      else if (node_is(d, "declaration")) {
        TSNode ty = node_field(d, "type");
        if (!ts_node_is_null(node_field(ty, "body"))) nmn = node_field(ty, "name");
      }
      if (ts_node_is_null(nmn) || (i > 0 && ts_node_eq(w.hoists[i - 1].decl, d))) continue;
      char *nm = node_text(fx->s, nmn);
      bool dup = false;
      for (int k = 0; k < nseen; k++) dup |= !strcmp(seen[k], nm);
      if (dup) {
        /* hoisted into one scope, the second of the name gets a name of its
           own, from its definition to the end of its block */
        TSNode scope = node_parent(d);
        char *to = xasprintf("%s__goc%d", nm, i);
        rename_type_uses(fx, scope, ts_node_start_byte(d), nm, to);
        free(to);
      }
      seen = xrealloc(seen, sizeof(char *) * (size_t)(nseen + 1));
      seen[nseen++] = nm;
    }
    for (int k = 0; k < nseen; k++) free(seen[k]);
    free(seen);
  }
  name_slots(fx, &w, ts_node_end_byte(body));
  /* the hoisted declarations, in source order */
  buf decls = {0}, uses = {0};
  for (int i = 0; i < w.nhoists; i++) {
    hoist *h = &w.hoists[i];
    /* errors in a hoisted declaration point at the declaration */
    buf_put_node_line(&decls, h->decl);
    if (h->slot < 0) {
      rewrite_node(fx->s, fx, RW_TOP, h->decl, &decls);
      const char *ht = ts_node_type(h->decl);
      buf_puts(&decls, strstr(ht, "_specifier") ? ";\n" : "\n");
    } else {
      slot *sl = &fx->slots[h->slot];
      TSNode type = node_field(sl->decl_node, "type");
      /* a struct defined inside the declaration: hoist its definition once */
      bool anon = ts_node_is_null(node_field(type, "name"));
      if (node_is(sl->decl_node, "declaration") && !ts_node_is_null(node_field(type, "body")) &&
          (i == 0 || !ts_node_eq(w.hoists[i - 1].decl, h->decl))) {
        if (anon) {
          /* one definition for all its locals and their twins, under a tag of its own */
          char *kw = xstrndup(ts_node_type(type), strcspn(ts_node_type(type), "_"));
          buf_printf(&decls, "%s goc__anon%u ", kw, ts_node_start_byte(type));
          free(kw);
          rewrite_range(fx->s, fx, RW_TOP, type, ts_node_start_byte(node_field(type, "body")), ts_node_end_byte(type), &decls);
          buf_puts(&decls, ";\n");
        } else {
          rewrite_node(fx->s, fx, RW_TOP, type, &decls);
          buf_puts(&decls, ";\n");
        }
      }
      /* the local's type, for the top of the step function */
      char *tname = xasprintf("goc_T%d", h->slot);
      TSNode nm = declarator_name(sl->declarator);
      fx->decl_name_pos = ts_node_start_byte(nm);
      fx->decl_name_as = tname;
      buf align = {0};
      char *td = var_decl(fx, sl, RW_TOP, &align);
      fx->decl_name_as = NULL;
      buf_printf(&decls, "typedef %s\n", td);
      buf_printf(&uses, "%ssizeof(goc_T%d *)", uses.len ? " + " : "", h->slot);
      free(td);
      free(tname);
      sl->align = buf_take(&align);
      fx->drop_cleanup = sl->cleanup_managed;   /* called by the lowering instead */
      sl->decl = var_decl(fx, sl, RW_DECL, NULL);
      fx->drop_cleanup = false;
    }
  }
  /* Each goc_T named once, so that -Wunused-local-typedefs has nothing
   * to say about them (one marked unused would keep gcc from warning about
   * the variables of its type, the user's twins among them). */
  if (uses.len) buf_printf(&decls, "typedef __attribute__((unused)) char goc_Tuse[%s];\n", buf_str(&uses));
  buf_free(&uses);
  /* temps are declared after the hoisted locals, as they are created */
  fx->temps = decls;
  free(w.vis);
  free(w.vis_prev);
  strmap_free(&w.vis_at);
  strmap_free(&w.frees);
  free(w.hoists);
}

int new_temp_typed(fnctx *fx, const char *type_expr, bool in_L) {
  int k = add_slot(fx);
  slot *sl = &fx->slots[k];
  sl->is_temp = true;
  sl->in_L = in_L;
  sl->needs_L = in_L;
  sl->cname = xasprintf("goc_t%d", fx->ntemp++);
  sl->fname = xstrdup(sl->cname);
  char *top = top_type(fx, type_expr);
  sl->decl = xasprintf("__typeof__(%s) %s;", top, sl->cname);
  free(top);
  /* errors in the type (a receive from a non-channel) point at the site */
  if (fx->cur_line) buf_put_line(&fx->temps, fx->cur_line, fx->cur_file);
  buf_printf(&fx->temps, "%s\n", sl->decl);
  return k;
}

/* The local a name written at fx->pos means: the innermost declared there. */
static int local_named(const fnctx *fx, const char *name, size_t n) {
  int best = -1;
  for (int i = 0; i < fx->nslots; i++) {
    const slot *sl = &fx->slots[i];
    if (!declared_in_place(sl) || strlen(sl->cname) != n || strncmp(sl->cname, name, n)) continue;
    if (sl->decl_byte > fx->pos || fx->pos >= sl->scope_end) continue;
    if (best < 0 || sl->decl_byte > fx->slots[best].decl_byte) best = i;
  }
  return best;
}

/* type_expr is written where its locals are in scope; at the top it is
 * named through a statement expression that declares them again, by their
 * twins' types (types only: typeof does not evaluate it):
 *   *({ goc_T3 x; (__typeof__(x + 1) *)0; })
 * The pointer keeps what typeof would see of the operand itself (an array,
 * a qualifier). A name that is not a local there (a field, a global) is
 * left alone; re-declaring a local that the text names only as a field is
 * harmless. */
char *top_type(const fnctx *fx, const char *e) {
  static const char idch[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";
  buf decls = {0};
  int *seen = NULL, nseen = 0;
  for (const char *p = e; *p;) {
    if (*p == '"' || *p == '\'') {
      char q = *p++;
      while (*p && *p != q) p += (*p == '\\' && p[1]) ? 2 : 1;
      if (*p) p++;
    } else if (*p >= '0' && *p <= '9') {
      p += strspn(p, idch);   /* a number (1e5, 0x1fu) */
    } else if (strchr(idch, *p)) {
      size_t n = strspn(p, idch);
      int k = local_named(fx, p, n);
      bool dup = false;
      for (int i = 0; i < nseen && !dup; i++) dup = seen[i] == k;
      if (k >= 0 && !dup) {
        seen = xrealloc(seen, sizeof(int) * (size_t)(nseen + 1));
        seen[nseen++] = k;
        buf_printf(&decls, "__attribute__((unused)) goc_T%d %s; ", k, fx->slots[k].cname);
      }
      p += n;
    } else {
      p++;
    }
  }
  free(seen);
  if (!decls.len) {
    buf_free(&decls);
    return xstrdup(e);
  }
  char *r = xasprintf("*({ %s(__typeof__(%s) *)0; })", buf_str(&decls), e);
  buf_free(&decls);
  return r;
}

void live_push(fnctx *fx, int k) {
  if (fx->nlive == fx->live_cap) {
    fx->live_cap = fx->live_cap ? fx->live_cap * 2 : 16;
    fx->live = xrealloc(fx->live, sizeof(int) * (size_t)fx->live_cap);
  }
  fx->live[fx->nlive++] = k;
}

bool slot_live_after(const fnctx *fx, int k, uint32_t pos) {
  const slot *sl = &fx->slots[k];
  if (fx->has_goto || sl->cleanup_managed) return true;   /* a cleanup reads it at its scope's end */
  for (int i = 0; i < sl->nrefs; i++)
    if (sl->refs[i] > pos) return true;
  /* a loop around pos may read it again in a later iteration */
  for (int l = 0; l < fx->nloops_span; l++) {
    uint32_t a = fx->loops_span[l][0], b = fx->loops_span[l][1];
    if (pos < a || pos >= b) continue;
    for (int i = 0; i < sl->nrefs; i++)
      if (sl->refs[i] >= a && sl->refs[i] < b) return true;
  }
  return false;
}
