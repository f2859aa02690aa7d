/* program.c — every function of the .goc files built together, and their
 * colouring: a function is a goroutine function if it contains a channel
 * operation, a select, a range over a channel or a call to a blocking
 * runtime function (marked GOC_BLOCKING in goc.h), or if it calls another
 * goroutine function. Fixpoint over the call graph, by name.
 *
 * Invariants:
 *   - fns holds one entry per function name; a definition wins over a
 *     declaration-only entry.
 *   - A name that a function declares as a local never counts as a call to
 *     the global function of that name inside that function.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lower.h"

fninfo *program_find(const program *p, const char *name) { return program_find_in(p, name, NULL); }

static uint32_t name_hash(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

/* Appends fn (its name set) and indexes it by name, so that every lookup
 * is constant time however many functions the translation unit holds. */
void program_push(program *p, fninfo *fn) {
  if (p->nfns == p->capfns) {
    p->capfns = p->capfns ? p->capfns * 2 : 256;
    p->fns = xrealloc(p->fns, sizeof(fninfo *) * (size_t)p->capfns);
    p->hash_next = xrealloc(p->hash_next, sizeof(int) * (size_t)p->capfns);
  }
  if ((p->nfns + 1) * 2 > p->hash_cap) {
    p->hash_cap = p->hash_cap ? p->hash_cap * 2 : 512;
    free(p->hash_head);
    p->hash_head = xmalloc(sizeof(int) * (size_t)p->hash_cap);
    for (int i = 0; i < p->hash_cap; i++) p->hash_head[i] = -1;
    /* rechain in index order (a chain lists earlier functions first) */
    for (int i = p->nfns - 1; i >= 0; i--) {
      uint32_t b = name_hash(p->fns[i]->name) & (uint32_t)(p->hash_cap - 1);
      p->hash_next[i] = p->hash_head[b];
      p->hash_head[b] = i;
    }
  }
  int i = p->nfns++;
  p->fns[i] = fn;
  /* append at the chain's end: lookups see functions in index order */
  uint32_t b = name_hash(fn->name) & (uint32_t)(p->hash_cap - 1);
  p->hash_next[i] = -1;
  if (p->hash_head[b] < 0) {
    p->hash_head[b] = i;
  } else {
    int k = p->hash_head[b];
    while (p->hash_next[k] >= 0) k = p->hash_next[k];
    p->hash_next[k] = i;
  }
}

/* The function `name` as seen from file `from`: a static function of that
 * file first, then one with external linkage (static functions of other
 * files are invisible). from == NULL: any. */
fninfo *program_find_in(const program *p, const char *name, const source *from) {
  fninfo *ext = NULL;
  if (!p->hash_cap) return NULL;
  for (int i = p->hash_head[name_hash(name) & (uint32_t)(p->hash_cap - 1)]; i >= 0; i = p->hash_next[i]) {
    fninfo *fn = p->fns[i];
    if (strcmp(fn->name, name)) continue;
    if (!from) return fn;
    if (fn->is_static && fn->src == from) return fn;
    if (!fn->is_static && !ext) ext = fn;
  }
  return ext;
}

bool program_any_coloured(const program *p, const char *name) {
  if (!p->hash_cap) return false;
  for (int i = p->hash_head[name_hash(name) & (uint32_t)(p->hash_cap - 1)]; i >= 0; i = p->hash_next[i])
    if (p->fns[i]->coloured && !strcmp(p->fns[i]->name, name)) return true;
  return false;
}

int program_blocking_index(const program *p, const char *name) {
  for (int i = 0; i < p->nblocking; i++)
    if (strcmp(p->blocking[i], name) == 0) return i;
  return -1;
}

/* goc.h marks blocking functions with GOC_BLOCKING at the start of the
 * declaration line: "GOC_BLOCKING <ret type> <name>(". */
void program_load_blocking(program *p, const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) diag_if_oom();
  if (!f) diag_fatal("cannot read the runtime header %s", path);
  char line[1024];
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "GOC_BLOCKING ", 13) != 0) continue;
    char *paren = strchr(line, '(');
    if (!paren) continue;
    char *e = paren;
    while (e > line && isspace((unsigned char)e[-1])) e--;
    char *b = e;
    while (b > line && (isalnum((unsigned char)b[-1]) || b[-1] == '_')) b--;
    char *name = xstrndup(b, (size_t)(e - b));
    char *rt = xstrndup(line + 13, (size_t)(b - (line + 13)));
    size_t n = strlen(rt);
    while (n && isspace((unsigned char)rt[n - 1])) rt[--n] = 0;
    p->blocking = xrealloc(p->blocking, sizeof(char *) * (size_t)(p->nblocking + 1));
    p->blocking_ret = xrealloc(p->blocking_ret, sizeof(char *) * (size_t)(p->nblocking + 1));
    p->blocking_void = xrealloc(p->blocking_void, sizeof(bool) * (size_t)(p->nblocking + 1));
    p->blocking[p->nblocking] = name;
    p->blocking_ret[p->nblocking] = rt;
    p->blocking_void[p->nblocking] = strcmp(rt, "void") == 0;
    p->nblocking++;
  }
  fclose(f);
}

TSNode declarator_inner(TSNode d) {
  TSNode inner = node_field(d, "declarator");
  uint32_t c = ts_node_named_child_count(d);
  if (!ts_node_is_null(inner) || !c) return inner;
  /* no field: a parenthesized declarator's is its last named child (after
     any call modifier and attributes), an attributed one's its first */
  return ts_node_named_child(d, node_is(d, "parenthesized_declarator") ? c - 1 : 0);
}

/* The identifier a (possibly pointer/array/function) declarator declares. */
TSNode declarator_name(TSNode d) {
  while (!ts_node_is_null(d) && !node_is(d, "identifier") && !node_is(d, "field_identifier")) {
    TSNode inner = node_field(d, "declarator");
    if (ts_node_is_null(inner)) {
      if (node_is(d, "parenthesized_declarator"))
        inner = declarator_inner(d);
      else
        return inner;
    }
    d = inner;
  }
  return d;
}

/* The array declarator applied first to the declared name (so the object
 * is an array: a[3], *a[3], (*a[3])(int)), or a null node (p, *p, (*p)[3]). */
TSNode name_array_declarator(TSNode d) {
  TSNode nm = declarator_name(d);
  if (ts_node_is_null(nm)) return nm;
  TSNode p = node_parent(nm);
  while (node_is(p, "parenthesized_declarator")) p = node_parent(p);
  return node_is(p, "array_declarator") ? p : (TSNode){0};
}

/* The function declarator applied to the declared name itself, or a null
 * node: in int (*f(int))(char) that is f(int) (f returns a function
 * pointer); int (*fp)(int) declares no function. */
TSNode function_declarator_of(TSNode d) {
  TSNode nm = declarator_name(d);
  if (ts_node_is_null(nm)) return nm;
  TSNode p = node_parent(nm);
  while (node_is(p, "parenthesized_declarator") || node_is(p, "attributed_declarator")) p = node_parent(p);
  return node_is(p, "function_declarator") ? p : (TSNode){0};
}

bool has_storage(const source *s, TSNode decl, const char *word) {
  uint32_t c = ts_node_named_child_count(decl);
  for (uint32_t i = 0; i < c; i++) {
    TSNode k = ts_node_named_child(decl, i);
    if (node_is(k, "storage_class_specifier")) {
      char *t = node_text(s, k);
      bool m = strcmp(t, word) == 0;
      free(t);
      if (m) return true;
    }
  }
  return false;
}

/* [a, e) of declaration pd as a field that is assigned: without the
 * declared object's own const (const int x, char *const p, register);
 * a pointee's const stays. */
bool qualifier_is_const(const source *s, TSNode q) {
  char *t = node_text(s, q);
  bool r = !strcmp(t, "const") || !strcmp(t, "__const") || !strcmp(t, "__const__");
  free(t);
  return r;
}

static void emit_field_decl(const source *s, TSNode pd, uint32_t a, uint32_t e, buf *out) {
  TSNode d = node_field(pd, "declarator");
  TSNode name = declarator_name(d);
  TSNode p = ts_node_is_null(name) ? name : node_parent(name);
  while (node_is(p, "parenthesized_declarator") || node_is(p, "attributed_declarator")) p = node_parent(p);
  if (!node_is(p, "pointer_declarator")) {
    /* const int x: the specifiers' const is the object's */
    emit_rewritten_range(s, pd, a, e, out, ts_node_eq(name, d) ? "storage_const" : "storage");
    return;
  }
  /* char *const p: the innermost pointer's own const (its volatile,
     _Atomic and restrict stay) */
  uint32_t pos = a;
  uint32_t pc = ts_node_child_count(p);
  for (uint32_t i = 0; i < pc; i++) {
    TSNode k = ts_node_child(p, i);
    if (!node_is(k, "type_qualifier") || !qualifier_is_const(s, k)) continue;
    emit_rewritten_range(s, pd, pos, ts_node_start_byte(k), out, "storage");
    pos = ts_node_end_byte(k);
  }
  emit_rewritten_range(s, pd, pos, e, out, "storage");
}

/* Writes a parameter declaration as a frame field: arrays and functions
 * decay to pointers as they do in a parameter list. */
static void param_field(const source *s, TSNode pd, buf *out, char **name_out) {
  TSNode d = node_field(pd, "declarator");
  TSNode name = declarator_name(d);
  *name_out = ts_node_is_null(name) ? NULL : node_text(s, name);
  uint32_t a = ts_node_start_byte(pd), e = ts_node_end_byte(pd);
  TSNode decay = {0};
  bool have_decay = false;
  if (!ts_node_is_null(name)) {
    TSNode par = node_parent(name);
    if (node_is(par, "array_declarator") || node_is(par, "function_declarator")) {
      decay = par;
      have_decay = true;
    }
  }
  /* copy [a, e) with channel types lowered and the decaying declarator
     rewritten to (*name)<rest> */
  if (have_decay) {
    buf tmp = {0};
    emit_rewritten_range(s, pd, a, ts_node_start_byte(decay), &tmp, NULL);
    buf_printf(&tmp, "(*%s)", *name_out);
    if (node_is(decay, "function_declarator")) {
      TSNode params = node_field(decay, "parameters");
      emit_rewritten_range(s, pd, ts_node_start_byte(params), e, &tmp, NULL);
    } else {
      /* drop the first [..] */
      const char *t = s->text;
      uint32_t k = ts_node_end_byte(name);
      while (k < e && t[k] != ']') k++;
      emit_rewritten_range(s, pd, k + 1, e, &tmp, NULL);
    }
    buf_puts(out, buf_str(&tmp));
    buf_free(&tmp);
  } else if (!ts_node_is_null(name) && ts_node_eq(name, d)) {
    /* T x: the parameter's adjusted type, whatever T names (an array or
       function typedef decays, a const goes): the type of the rvalue
       ((void)0, *(T *)0) */
    /* ... which has lost the parameter's volatile and _Atomic too: those
       stay (they are the object's, and no caller's store needs them gone) */
    uint32_t c = ts_node_child_count(pd);
    for (uint32_t i = 0; i < c; i++) {
      TSNode k = ts_node_child(pd, i);
      if (!node_is(k, "type_qualifier") || qualifier_is_const(s, k)) continue;
      char *q = node_text(s, k);
      if (!strcmp(q, "volatile") || !strcmp(q, "__volatile__") || !strcmp(q, "_Atomic")) buf_printf(out, "%s ", q);
      free(q);
    }
    buf_puts(out, "__typeof__(((void)0, *(");
    emit_rewritten_range(s, pd, a, ts_node_start_byte(d), out, "storage");
    buf_printf(out, " *)0)) %s", *name_out);
  } else {
    emit_field_decl(s, pd, a, e, out);
  }
  buf_puts(out, "; ");
}

/* A K&R parameter as a frame field, from the declaration list between the
 * declarator and the body (an undeclared one is an int, as in C89). */
static char *knr_param_field(const source *s, TSNode def, const char *name) {
  uint32_t c = ts_node_named_child_count(def);
  for (uint32_t i = 0; i < c; i++) {
    TSNode decl = ts_node_named_child(def, i);
    if (!node_is(decl, "declaration")) continue;
    uint32_t dc = ts_node_child_count(decl);
    TSNode first = {0};
    for (uint32_t j = 0; j < dc; j++) {
      const char *f = child_field_name(decl, j);
      if (!f || strcmp(f, "declarator")) continue;
      TSNode d = ts_node_child(decl, j);
      if (ts_node_is_null(first)) first = d;
      TSNode nm = declarator_name(d);
      if (ts_node_is_null(nm)) continue;
      char *t = node_text(s, nm);
      bool match = !strcmp(t, name);
      free(t);
      if (!match) continue;
      buf b = {0};
      emit_rewritten_range(s, decl, ts_node_start_byte(decl), ts_node_start_byte(first), &b,
                           ts_node_eq(nm, d) ? "storage_const" : "storage");
      TSNode p = node_parent(nm);
      if (node_is(p, "array_declarator")) {   /* decays: char *b[] is char *(*b) */
        buf_putc(&b, ' ');
        emit_rewritten_range(s, d, ts_node_start_byte(d), ts_node_start_byte(nm), &b, NULL);
        buf_printf(&b, "(*%s)", name);
        const char *txt = s->text;
        uint32_t k = ts_node_end_byte(nm), e = ts_node_end_byte(d);
        while (k < e && txt[k] != ']') k++;
        emit_rewritten_range(s, d, k + 1, e, &b, NULL);
      } else {
        emit_rewritten_range(s, d, ts_node_start_byte(d), ts_node_end_byte(d), &b, NULL);
      }
      buf_puts(&b, "; ");
      return buf_take(&b);
    }
  }
  return xasprintf("int %s; ", name);
}

/* `int f(c) { ... }`: with no declaration of c between the declarator and
 * the body the grammar reads c as an unnamed parameter of type c; where no
 * typedef of that name exists it is C89's implicit-int K&R parameter. */
static bool knr_implicit_int(const source *s, TSNode pd) {
  if (!node_is(pd, "parameter_declaration") || ts_node_named_child_count(pd) != 1) return false;
  TSNode t = node_field(pd, "type");
  return node_is(t, "type_identifier") && !name_may_be_type(s, t);
}

static void describe_function(fninfo *fn, const source *s, TSNode def) {
  TSNode decl = node_field(def, "declarator");
  TSNode fd = function_declarator_of(decl);
  TSNode params = node_field(fd, "parameters");
  buf fields = {0};
  fn->nparams = 0;
  uint32_t c = ts_node_named_child_count(params);
  for (uint32_t i = 0; i < c; i++) {
    TSNode pd = ts_node_named_child(params, i);
    if (node_is(pd, "variadic_parameter")) { fn->variadic = true; continue; }
    if (node_is(pd, "identifier") || knr_implicit_int(s, pd)) {   /* K&R: int f(a, b) int a; char *b; { */
      char *name = node_text(s, node_is(pd, "identifier") ? pd : node_field(pd, "type"));
      char *one = knr_param_field(s, def, name);
      buf_puts(&fields, one);
      fn->params = xrealloc(fn->params, sizeof(char *) * (size_t)(fn->nparams + 1));
      fn->param_decls = xrealloc(fn->param_decls, sizeof(char *) * (size_t)(fn->nparams + 1));
      fn->param_decls[fn->nparams] = one;
      fn->params[fn->nparams++] = name;
      continue;
    }
    if (!node_is(pd, "parameter_declaration")) continue;
    TSNode d = node_field(pd, "declarator");
    if (ts_node_is_null(d)) continue;   /* (void) */
    char *name = NULL;
    buf one = {0};
    param_field(s, pd, &one, &name);
    if (!name) { buf_free(&one); continue; }
    buf_puts(&fields, buf_str(&one));
    fn->params = xrealloc(fn->params, sizeof(char *) * (size_t)(fn->nparams + 1));
    fn->param_decls = xrealloc(fn->param_decls, sizeof(char *) * (size_t)(fn->nparams + 1));
    fn->param_decls[fn->nparams] = buf_take(&one);
    fn->params[fn->nparams++] = name;
  }
  /* The return type: the declarator with the function part replaced. */
  TSNode type = node_field(def, "type");
  char *tt = node_text(s, type);
  bool is_void = strcmp(tt, "void") == 0 && ts_node_eq(decl, fd);
  free(tt);
  fn->returns_void = is_void && !fn->is_main;
  if (fn->is_main) {
    fn->ret_decl = xstrdup("int goc_ret");
  } else if (!is_void) {
    buf r = {0};
    /* the frame's result field is assigned: no const at its top level */
    /* (const char *f() keeps its pointee's const) */
    const char *skip = ts_node_eq(decl, fd) ? "storage_const" : "storage";
    emit_rewritten_range(s, def, ts_node_start_byte(def), ts_node_start_byte(type), &r, skip);
    emit_rewritten_range(s, def, ts_node_start_byte(type), ts_node_start_byte(decl), &r, skip);
    /* int *const f(): the result's own const goes (the pointer's qualifiers) */
    TSNode own = node_parent(fd);
    while (node_is(own, "parenthesized_declarator")) own = node_parent(own);
    uint32_t pos = ts_node_start_byte(decl);
    if (node_is(own, "pointer_declarator")) {
      uint32_t pc = ts_node_child_count(own);
      for (uint32_t i = 0; i < pc; i++) {
        TSNode k = ts_node_child(own, i);
        if (!node_is(k, "type_qualifier") || ts_node_start_byte(k) < pos) continue;
        emit_rewritten_range(s, def, pos, ts_node_start_byte(k), &r, NULL);
        pos = ts_node_end_byte(k);
      }
    }
    emit_rewritten_range(s, def, pos, ts_node_start_byte(fd), &r, NULL);
    buf_puts(&r, "goc_ret");
    emit_rewritten_range(s, def, ts_node_end_byte(fd), ts_node_end_byte(decl), &r, NULL);
    fn->ret_decl = buf_take(&r);
  }
  if (fn->ret_decl) buf_printf(&fields, "%s; ", fn->ret_decl);
  fn->fields = buf_take(&fields);
}

static void add_function(program *p, source *s, TSNode def) {
  TSNode decl = node_field(def, "declarator");
  TSNode fd = function_declarator_of(decl);
  if (ts_node_is_null(fd)) return;
  TSNode nm = declarator_name(node_field(fd, "declarator"));
  if (ts_node_is_null(nm)) return;
  char *name = node_text(s, nm);
  bool is_static = has_storage(s, def, "static");
  fninfo *fn = is_static ? NULL : program_find_in(p, name, s);
  if (fn && fn->is_static) fn = NULL;   /* another file's static namesake */
  if (is_static) {
    fninfo *own = program_find_in(p, name, s);
    if (own && own->is_static && own->src == s) fn = own;
  }
  if (fn && fn->src) { free(name); return; }   /* first definition wins */
  if (fn && fn->external) { free(name); return; }   /* another target's: its index says it all */
  if (!fn) {
    fn = xcalloc(1, sizeof *fn);
    fn->name = name;
    program_push(p, fn);
  } else {
    free(name);
  }
  fn->src = s;
  fn->def = def;
  fn->is_static = has_storage(s, def, "static");
  fn->is_main = strcmp(fn->name, "main") == 0 && !fn->is_static;
  describe_function(fn, s, def);
}

void for_each_top_level(TSNode root, void (*f)(TSNode n, void *arg), void *arg) {
  /* a cursor: ts_node_named_child(root, i) is linear in i */
  TSTreeCursor cur = ts_tree_cursor_new(root);
  for (bool more = ts_tree_cursor_goto_first_child(&cur); more; more = ts_tree_cursor_goto_next_sibling(&cur)) {
    TSNode n = ts_tree_cursor_current_node(&cur);
    if (!ts_node_is_named(n)) continue;
    TSSymbol t = ts_node_symbol(n);
    if (sym_is(t, "preproc_if") || sym_is(t, "preproc_ifdef") || sym_is(t, "preproc_else") ||
        sym_is(t, "preproc_elif") || sym_is(t, "preproc_elifdef") || sym_is(t, "linkage_specification") ||
        sym_is(t, "declaration_list"))
      for_each_top_level(n, f, arg);
    else
      f(n, arg);
  }
  ts_tree_cursor_delete(&cur);
}

fninfo *program_lifted(const program *p, TSNode go_stmt) {
  for (int i = 0; i < p->nfns; i++)
    if (p->fns[i]->lifted && ts_node_eq(p->fns[i]->def, go_stmt)) return p->fns[i];
  return NULL;
}

/* Every go { } block becomes a goroutine function of its own, named after
 * its spawner and position; its parameters (the captured variables) are
 * found when the spawner is lowered. */
static void add_lifted(program *p, source *s, fninfo *spawner, TSNode n) {
  if (node_is(n, "go_statement") && !ts_node_is_null(node_field(n, "body"))) {
    fninfo *fn = xcalloc(1, sizeof *fn);
    /* named by position in the text: two blocks from one macro use differ */
    fn->name = xasprintf("%s__go%u", spawner->name, ts_node_start_byte(n));
    fn->src = s;
    fn->def = n;
    fn->is_static = true;
    fn->coloured = true;
    fn->returns_void = true;
    fn->lifted = true;
    fn->spawner = spawner;
    fn->fields = xstrdup("");
    program_push(p, fn);
    add_lifted(p, s, fn, node_field(n, "body"));
    return;
  }
  kids ks;
  kids_named(n, &ks);
  for (uint32_t i = 0; i < ks.n; i++) add_lifted(p, s, spawner, ks.at[i]);
  kids_free(&ks);
}

struct add_ctx { program *p; source *s; };
static void add_one(TSNode n, void *arg) {
  struct add_ctx *c = arg;
  if (!node_is(n, "function_definition")) return;
  add_function(c->p, c->s, n);
  TSNode fd = function_declarator_of(node_field(n, "declarator"));
  TSNode nm = declarator_name(node_field(fd, "declarator"));
  if (ts_node_is_null(nm)) return;
  char *name = node_text(c->s, nm);
  fninfo *fn = program_find_in(c->p, name, c->s);
  free(name);
  if (fn && fn->src == c->s && ts_node_eq(fn->def, n)) add_lifted(c->p, c->s, fn, node_field(n, "body"));
}

void program_add_source(program *p, source *s) {
  struct add_ctx c = {p, s};
  for_each_top_level(ts_tree_root_node(s->tree), add_one, &c);
}

/* ---- colouring ---- */
typedef struct scan {
  program *p;
  const source *s;
  char **locals;
  int nlocals;
  bool blocks;          /* seeds: contains a blocking construct */
  char **callees;
  int ncallees;
} scan;

static void collect_locals(scan *sc, TSNode n) {
  if (node_is(n, "declaration") || node_is(n, "parameter_declaration")) {
    kids ds;
    kids_named(n, &ds);
    for (uint32_t i = 0; i < ds.n; i++) {
      TSNode d = ds.at[i];
      TSSymbol t = ts_node_symbol(d);
      if (!sym_is(t, "identifier") && !sym_is(t, "init_declarator") && !sym_is(t, "pointer_declarator") &&
          !sym_is(t, "array_declarator") && !sym_is(t, "parenthesized_declarator"))
        continue;
      TSNode nm = declarator_name(d);
      if (ts_node_is_null(nm)) continue;
      sc->locals = xrealloc(sc->locals, sizeof(char *) * (size_t)(sc->nlocals + 1));
      sc->locals[sc->nlocals++] = node_text(sc->s, nm);
    }
    kids_free(&ds);
  }
  kids ks;
  kids_named(n, &ks);
  for (uint32_t i = 0; i < ks.n; i++) collect_locals(sc, ks.at[i]);
  kids_free(&ks);
}

static bool is_local_name(const scan *sc, const char *name) {
  for (int i = 0; i < sc->nlocals; i++)
    if (strcmp(sc->locals[i], name) == 0) return true;
  return false;
}

static void scan_body(scan *sc, TSNode n, bool skip_call) {
  TSSymbol t = ts_node_symbol(n);
  if (sym_is(t, "receive_expression") || sym_is(t, "send_statement") || sym_is(t, "receive_statement") ||
      sym_is(t, "select_statement") || sym_is(t, "for_range_statement"))
    sc->blocks = true;
  if (sym_is(t, "go_statement")) {
    TSNode body = node_field(n, "body");
    if (!ts_node_is_null(body)) return;   /* a lifted block is its own function */
    TSNode call = node_field(n, "call");
    if (!ts_node_is_null(call)) scan_body(sc, call, true);
    /* go through a pointer or on a library function runs a thunk that
       this function's step provides: the spawner becomes a state machine */
    TSNode f = node_field(call, "function");
    bool named = false;
    if (node_is(f, "identifier")) {
      char *name = node_text(sc->s, f);
      fninfo *fn = is_local_name(sc, name) ? NULL : program_find_in(sc->p, name, sc->s);
      named = fn && (fn->src || fn->external) && !fn->variadic;
      free(name);
    }
    if (node_is(call, "call_expression") && !named) sc->blocks = true;
    return;
  }
  if (sym_is(t, "call_expression") && !skip_call && is_gofn_call(sc->s, n)) sc->blocks = true;
  if (sym_is(t, "call_expression") && !skip_call) {
    TSNode f = node_field(n, "function");
    if (node_is(f, "identifier")) {
      char *name = node_text(sc->s, f);
      if (!is_local_name(sc, name)) {
        if (program_blocking_index(sc->p, name) >= 0) sc->blocks = true;
        sc->callees = xrealloc(sc->callees, sizeof(char *) * (size_t)(sc->ncallees + 1));
        sc->callees[sc->ncallees++] = name;
      } else {
        free(name);
      }
    }
  }
  kids ks;
  kids_named(n, &ks);
  for (uint32_t i = 0; i < ks.n; i++) scan_body(sc, ks.at[i], false);
  kids_free(&ks);
}

void program_colour(program *p) {
  scan *scans = xcalloc((size_t)p->nfns, sizeof *scans);
  for (int i = 0; i < p->nfns; i++) {
    fninfo *fn = p->fns[i];
    if (!fn->src || fn->lifted) continue;
    scan *sc = &scans[i];
    sc->p = p;
    sc->s = fn->src;
    collect_locals(sc, fn->def);
    scan_body(sc, node_field(fn->def, "body"), false);
    fn->coloured = sc->blocks;   /* main too: one that never blocks is plain C */
  }
  for (bool changed = true; changed;) {
    changed = false;
    for (int i = 0; i < p->nfns; i++) {
      fninfo *fn = p->fns[i];
      if (fn->coloured || !fn->src) continue;
      for (int k = 0; k < scans[i].ncallees; k++) {
        fninfo *callee = program_find_in(p, scans[i].callees[k], fn->src);
        if (callee && callee->coloured) {
          fn->coloured = true;
          changed = true;
          break;
        }
      }
    }
  }
  for (int i = 0; i < p->nfns; i++) {
    for (int k = 0; k < scans[i].nlocals; k++) free(scans[i].locals[k]);
    for (int k = 0; k < scans[i].ncallees; k++) free(scans[i].callees[k]);
    free(scans[i].locals);
    free(scans[i].callees);
  }
  free(scans);
}

/* ---- indexes: the goroutine functions a target defines ----
 * One line per function with external linkage:
 *   name \t returns_void \t param,names \t frame fields (C)
 * Dependent targets read them so their calls go to the step function. */
static void put_escaped(FILE *f, const char *s) {
  for (; *s; s++) {
    if (*s == '\n') fputs("\\n", f);
    else if (*s == '\t') fputs("\\t", f);
    else if (*s == '\\') fputs("\\\\", f);
    else fputc(*s, f);
  }
}

int program_write_index(const program *p, const char *path) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f) diag_oom();
  fputs("# goc index 1\n", f);
  for (int i = 0; i < p->nfns; i++) {
    fninfo *fn = p->fns[i];
    if (!fn->src || !fn->coloured || fn->is_static || fn->is_main || fn->lifted) continue;
    fprintf(f, "%s\t%d\t", fn->name, fn->returns_void ? 1 : 0);
    for (int k = 0; k < fn->nparams; k++) fprintf(f, "%s%s", k ? "," : "", fn->params[k]);
    fputc('\t', f);
    put_escaped(f, fn->fields);
    fputc('\n', f);
  }
  if (fclose(f) || !text) diag_oom();   /* a memory stream fails only for want of memory (text: its final copy) */
  int rc = driver_write_file(path, text);
  free(text);
  return rc;
}

static char *unescape(const char *s) {
  buf b = {0};
  for (; *s; s++) {
    if (*s == '\\' && s[1]) {
      s++;
      buf_putc(&b, *s == 'n' ? '\n' : *s == 't' ? '\t' : *s);
    } else {
      buf_putc(&b, *s);
    }
  }
  return buf_take(&b);
}

int program_read_index(program *p, const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) {
    diag_if_oom();
    fprintf(stderr, "goc: error: cannot read index %s\n", path);
    return 1;
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  errno = 0;
  while ((n = getline(&line, &cap, f)) > 0) {
    if (line[0] == '#' || line[0] == '\n') continue;
    if (line[n - 1] == '\n') line[n - 1] = 0;
    char *cols[4] = {0};
    char *q = line;
    for (int c = 0; c < 4 && q; c++) {
      cols[c] = q;
      q = strchr(q, '\t');
      if (q) *q++ = 0;
    }
    if (!cols[3]) continue;
    if (program_find(p, cols[0])) continue;
    fninfo *fn = xcalloc(1, sizeof *fn);
    fn->name = xstrdup(cols[0]);
    fn->returns_void = cols[1][0] == '1';
    fn->coloured = true;
    fn->external = true;
    fn->fields = unescape(cols[3]);
    char *pp = cols[2];
    while (pp && *pp) {
      char *comma = strchr(pp, ',');
      if (comma) *comma = 0;
      fn->params = xrealloc(fn->params, sizeof(char *) * (size_t)(fn->nparams + 1));
      fn->params[fn->nparams++] = xstrdup(pp);
      pp = comma ? comma + 1 : NULL;
    }
    program_push(p, fn);
  }
  diag_if_oom();   /* getline failed to grow its line */
  free(line);
  fclose(f);
  return 0;
}
