/* typedefs.c — which typedef names stand for array types.
 *
 * A local declared `arr4 v;` with `typedef int arr4[4];` is an array: its
 * address escapes whenever it is used (it decays to a pointer), so in a
 * goroutine function it must live in the locals area like `int v[4];`.
 * The syntax tree of the preprocessed translation unit has every typedef
 * the file can use, so the answer is found there: a typedef is an array
 * when the declarator applied first to its name is an array declarator,
 * or when its declarator is the bare name and its type is itself an array
 * typedef.
 *
 * Invariant: one table per source, built on first use; scopes are ignored
 * (a local typedef and a file-scope one of one name are taken together,
 * and an array reading wins, which only ever costs a register). */
#include <stdlib.h>
#include <string.h>
#include "lower.h"

/* state: 0 ?, 1 no, 2 yes, 3 busy; a system header's typedef that
 * sysitems.c read has no nodes: its answer, or the name its bare
 * declarator's type is (alias) */
typedef struct tdef { char *name; TSNode decl; TSNode declarator; int state; const char *alias; } tdef;

typedef struct tdtable { const source *s; tdef *v; int n; } tdtable;
static tdtable *tables;
static int ntables;

static void collect(tdtable *t, TSNode n) {
  if (node_is(n, "type_definition")) {
    uint32_t c = ts_node_child_count(n);
    for (uint32_t i = 0; i < c; i++) {
      const char *f = child_field_name(n, i);
      if (!f || strcmp(f, "declarator")) continue;
      TSNode d = ts_node_child(n, i), nm = d;
      while (!ts_node_is_null(nm) && !node_is(nm, "type_identifier")) {
        nm = declarator_inner(nm);
      }
      if (ts_node_is_null(nm)) continue;
      t->v = xrealloc(t->v, sizeof(tdef) * (size_t)(t->n + 1));
      t->v[t->n++] = (tdef){node_text(t->s, nm), n, d, 0, NULL};
    }
    return;
  }
  kids ks;
  kids_named(n, &ks);
  for (uint32_t i = 0; i < ks.n; i++) collect(t, ks.at[i]);
  kids_free(&ks);
}

static tdtable *table_of(const source *s) {
  for (int i = 0; i < ntables; i++)
    if (tables[i].s == s) return &tables[i];
  tables = xrealloc(tables, sizeof(tdtable) * (size_t)(ntables + 1));
  tdtable *t = &tables[ntables++];
  *t = (tdtable){s, NULL, 0};
  collect(t, ts_tree_root_node(s->tree));
  static const TSNode none;
  for (int i = 0; i < s->nsystypedefs; i++) {
    const systypedef *d = &s->systypedefs[i];
    t->v = xrealloc(t->v, sizeof(tdef) * (size_t)(t->n + 1));
    t->v[t->n++] = (tdef){xstrdup(d->name), none, none, d->alias ? 0 : d->array ? 2 : 1, d->alias};
  }
  return t;
}

void typedefs_forget(const source *s) {
  for (int i = 0; i < ntables; i++)
    if (tables[i].s == s) {
      for (int k = 0; k < tables[i].n; k++) free(tables[i].v[k].name);
      free(tables[i].v);
      tables[i] = tables[--ntables];
      return;
    }
}

static bool is_array_name(tdtable *t, const char *name);

/* Whether declarator d of a declaration whose type node is `type` makes
 * the declared name an array. */
static bool declares_array(tdtable *t, TSNode type, TSNode d) {
  TSNode p = d;
  /* the declarator applied first to the name */
  TSNode nm = d;
  while (!ts_node_is_null(nm) && !node_is(nm, "type_identifier") && !node_is(nm, "identifier")) {
    nm = declarator_inner(nm);
  }
  if (ts_node_is_null(nm)) return false;
  p = node_parent(nm);
  while (node_is(p, "parenthesized_declarator") || node_is(p, "attributed_declarator")) p = node_parent(p);
  if (!ts_node_eq(nm, d)) return node_is(p, "array_declarator");
  /* the bare name: an array if its type is an array typedef */
  if (!node_is(type, "type_identifier")) return false;
  char *tn = node_text(t->s, type);
  bool r = is_array_name(t, tn);
  free(tn);
  return r;
}

static bool is_array_name(tdtable *t, const char *name) {
  bool any = false;
  for (int i = 0; i < t->n; i++) {
    tdef *e = &t->v[i];
    if (strcmp(e->name, name)) continue;
    if (e->state == 0) {
      e->state = 3;
      bool yes = e->alias ? is_array_name(t, e->alias) : declares_array(t, node_field(e->decl, "type"), e->declarator);
      e->state = yes ? 2 : 1;
    }
    if (e->state == 2) any = true;
  }
  return any;
}

TSNode chan_make_bare_name(TSNode chan_make_expr) {
  TSNode el = node_field(chan_make_expr, "element"), ty = node_field(el, "type"), none = {0};
  return ts_node_named_child_count(el) == 1 && node_is(ty, "type_identifier") ? ty : none;
}

bool name_may_be_type(const source *s, TSNode name) {
  char *t = node_text(s, name);
  /* reserved to the implementation: _Bool, __int128 are types with no typedef */
  bool r = t[0] == '_' && (t[1] == '_' || (t[1] >= 'A' && t[1] <= 'Z'));
  tdtable *tt = table_of(s);
  for (int i = 0; i < tt->n && !r; i++) r = !strcmp(tt->v[i].name, t);
  free(t);
  return r;
}

bool type_is_array_typedef(const source *s, TSNode type) {
  if (!node_is(type, "type_identifier")) return false;
  tdtable *t = table_of(s);
  char *name = node_text(s, type);
  bool r = is_array_name(t, name);
  free(name);
  return r;
}
