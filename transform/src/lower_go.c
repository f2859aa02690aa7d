/* lower_go.c — go f(args): evaluate the arguments in the spawning
 * goroutine, straight into the first frame of a new G, then start it.
 *
 * A goroutine function's own frame is that first frame. A plain C function
 * defined in a .goc file runs through a small thunk frame (F__goframe,
 * F__gostep, emitted once per file by lower_file.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lower.h"

fninfo *called_goroutine(fnctx *fx, TSNode call);


static bool declarator_is_array(TSNode d) { return !ts_node_is_null(name_array_declarator(d)); }

static void find_captures(fnctx *fx, TSNode n, int **caps, TSNode **first_use, int *ncaps) {
  if (node_is(n, "identifier")) {
    int k = slot_of_ident(fx, n);
    if (k < 0 || fx->slots[k].is_temp || fx->slots[k].is_shadow) return;
    for (int i = 0; i < *ncaps; i++)
      if ((*caps)[i] == k) return;
    *caps = xrealloc(*caps, sizeof(int) * (size_t)(*ncaps + 1));
    *first_use = xrealloc(*first_use, sizeof(TSNode) * (size_t)(*ncaps + 1));
    (*first_use)[*ncaps] = n;
    (*caps)[(*ncaps)++] = k;
    return;
  }
  kids ks;
  kids_named(n, &ks);
  for (uint32_t i = 0; i < ks.n; i++) find_captures(fx, ks.at[i], caps, first_use, ncaps);
  kids_free(&ks);
}

/* A captured local declared with an anonymous struct or union
 * (`struct { int a; } x, y;`) is a field of the lifted block's frame, at
 * file scope, where the spawner's type is not: the tag the spawner's step
 * function gives it (var_decl's goc__anonN) is defined again there, once,
 * so that x and y keep one type in the block. The spawner's own
 * definition, in its step function, shadows it: the two are copied with
 * memcpy, and have the same layout. */
static void define_anonymous_type(fnctx *fx, slot *sl, buf *types) {
  if (sl->is_param || !node_is(sl->decl_node, "declaration")) return;
  TSNode type = node_field(sl->decl_node, "type");
  TSNode body = node_field(type, "body");
  if (ts_node_is_null(body) || !ts_node_is_null(node_field(type, "name"))) return;
  char *kw = xstrndup(ts_node_type(type), strcspn(ts_node_type(type), "_"));
  char *tag = xasprintf("%s goc__anon%u ", kw, ts_node_start_byte(type));
  free(kw);
  if (!types->len || !strstr(buf_str(types), tag)) {
    buf_puts(types, tag);
    emit_rewritten_range(fx->s, type, ts_node_start_byte(body), ts_node_end_byte(body), types, NULL);
    buf_puts(types, ";\n");
  }
  free(tag);
}

/* Whether the top-level item of a block that holds def (a type's
 * definition) is one emit_enclosing_types defines again in the lifted
 * block's step function: an item of a compound statement that encloses
 * the block. */
static bool defined_again_in_block(TSNode def, TSNode block) {
  TSNode item = def;
  if (node_is(node_parent(item), "declaration")) item = node_parent(item);
  TSNode scope = node_parent(item);
  if (!node_is(scope, "compound_statement")) return false;
  return ts_node_start_byte(scope) <= ts_node_start_byte(block) && ts_node_end_byte(block) <= ts_node_end_byte(scope);
}

/* A capture whose type is one of the spawner's own (a local struct, union
 * or enum tag, or typedef): the lifted block's frame cannot be defined at
 * file scope, where that type is not; it is defined in each function that
 * names it instead (lifted->frame_in_functions), after the types, which
 * the block's step function defines again (emit_enclosing_types). Refused
 * where that does not hold: a type renamed in the spawner (a second local
 * type of its name), or one defined outside the block's enclosing blocks
 * (in a for clause). */
static bool capture_of_local_type(fnctx *fx, slot *sl, TSNode use, fninfo *lifted) {
  TSNode block = lifted->def;
  TSNode type = node_field(sl->decl_node, "type");
  TSNode body = node_field(fx->fn->def, "body");
  if (ts_node_is_null(type) || ts_node_is_null(body)) return true;
  bool is_typedef = node_is(type, "type_identifier");
  TSNode nm = is_typedef ? type : node_field(type, "name");
  if (ts_node_is_null(nm)) return true;   /* an anonymous one: define_anonymous_type */
  char *name = node_text(fx->s, nm);
  char kw[8];
  snprintf(kw, sizeof kw, "%.*s", (int)strcspn(ts_node_type(type), "_"), ts_node_type(type));
  TSNode def = !is_typedef && !ts_node_is_null(node_field(type, "body"))
                   ? type
                   : find_type_definition(fx->s, body, ts_node_start_byte(block), true,
                                          is_typedef ? NULL : ts_node_type(type), name);
  bool ok = true;
  if (!ts_node_is_null(def)) {
    if (!renamed_type(fx, nm) && defined_again_in_block(def, block)) {
      lifted->frame_in_functions = true;
    } else {
      bool renamed = renamed_type(fx, nm) != NULL;
      diag_error(fx->s, use, "go block captures '%s', whose type %s%s%s is %s '%s'%s", sl->name, is_typedef ? "" : kw,
                 is_typedef ? "" : " ", name,
                 renamed ? "a second local type of its name in" : "declared in a for clause of",
                 fx->fn->is_main ? "main" : fx->fn->name,
                 renamed ? " (rename one of the two)" : " (declare it before the loop)");
      ok = false;
    }
  }
  free(name);
  return ok;
}

/* The variables a go { } block uses from its spawner (fx, analysed) become
 * the parameters of the lifted function, captured by value. */
void compute_captures(fnctx *fx, fninfo *lifted) {
  int *caps = NULL, ncaps = 0;
  TSNode *first_use = NULL;
  find_captures(fx, node_field(lifted->def, "body"), &caps, &first_use, &ncaps);
  warn_captured_locks(fx, caps, first_use, ncaps);
  for (int i = 0; i < ncaps; i++)
    if (!fx->slots[caps[i]].is_param) capture_of_local_type(fx, &fx->slots[caps[i]], first_use[i], lifted);
  free(first_use);
  buf fields = {0}, types = {0};
  lifted->params = xcalloc((size_t)ncaps + 1, sizeof(char *));
  lifted->param_decls = xcalloc((size_t)ncaps + 1, sizeof(char *));
  lifted->param_is_array = xcalloc((size_t)ncaps + 1, sizeof(bool));
  lifted->capture_slots = caps;
  lifted->nparams = ncaps;
  for (int i = 0; i < ncaps; i++) {
    slot *sl = &fx->slots[caps[i]];
    lifted->params[i] = xstrdup(sl->name);
    if (sl->is_param) {
      fninfo *sp = fx->fn;
      int pi = caps[i];   /* parameters are the first slots, in order */
      lifted->param_decls[i] = xstrdup(sp->param_decls[pi]);
      lifted->param_is_array[i] = sp->param_is_array && sp->param_is_array[pi];
      /* a capture of the enclosing block's capture may be of a type of the
         function around both */
      if (sp->frame_in_functions) lifted->frame_in_functions = true;
      buf_puts(&fields, lifted->param_decls[i]);
      continue;
    }
    define_anonymous_type(fx, sl, &types);
    char *d = slot_field_decl(fx, caps[i]);
    lifted->param_is_array[i] = declarator_is_array(sl->declarator);
    lifted->param_decls[i] = xasprintf("%s ", d);
    buf_printf(&fields, "%s ", d);
    free(d);
  }
  free(lifted->fields);
  lifted->fields = buf_take(&fields);
  lifted->capture_types = types.len ? buf_take(&types) : NULL;
  buf_free(&types);
  lifted->captures_done = true;
}

/* goc__go_start(ng, site) for the go statement n: the site is a static
 * record of the function n is in (a plain C function's too: fx is NULL
 * there) and n's .goc line. */
void emit_go_start(const source *s, fnctx *fx, TSNode n, const char *ng, buf *out) {
  char *fname = NULL;
  if (fx) {
    fname = xstrdup(fx->fn->name);
  } else {
    TSNode def = n;
    while (!ts_node_is_null(def) && !node_is(def, "function_definition")) def = node_parent(def);
    TSNode id = ts_node_is_null(def) ? def : declarator_name(node_field(def, "declarator"));
    if (!ts_node_is_null(id)) fname = node_text(s, id);
  }
  const char *file;
  int line = node_line(n, &file);
  buf_puts(out, "goc__go_start(");
  buf_puts(out, ng);
  buf_puts(out, ", __extension__({ static const goc_site goc_site = { ");
  if (fname) buf_put_cstr(out, fname);
  else buf_puts(out, "((void *)0)");
  buf_puts(out, ", ");
  buf_put_cstr(out, file);
  buf_printf(out, ", %d }; &goc_site; }));\n", line);
  free(fname);
}

/* The function a go statement starts, or NULL after a diagnostic. */
static fninfo *go_target(const source *s, program *p, fnctx *fx, TSNode n, TSNode *call_out) {
  TSNode call = node_field(n, "call");
  *call_out = call;
  if (!ts_node_is_null(node_field(n, "body"))) {
    fninfo *fn = program_lifted(p, n);
    if (!fn || !fn->captures_done) {
      diag_error(s, n, "internal error: go block was not lifted");
      return NULL;
    }
    return fn;
  }
  if (!node_is(call, "call_expression")) {
    diag_error(s, ts_node_is_null(call) ? n : call,
               "expression in go must be function call (write go f(args); or go { ... })");
    return NULL;
  }
  TSNode f = node_field(call, "function");
  if (!node_is(f, "identifier") || (fx && slot_of_ident(fx, f) >= 0)) return NULL;   /* a thunk */
  char *name = node_text(s, f);
  fninfo *fn = program_find_in(p, name, s);
  free(name);
  if (!fn || !(fn->src || (fn->external && fn->coloured))) return NULL;   /* a library function: a thunk */
  if (fn->variadic) return NULL;
  return fn;
}

/* go E(args) where E is not a function defined in a .goc file (a function
 * pointer, a library function, a variadic function): the new G's first
 * frame is a thunk frame declared inside this step function, where the
 * types of E and the arguments can be named with __typeof__; this step
 * function runs it when entered with resume index GOC_THUNK_BASE + K. */
static void go_thunk(fnctx *fx, TSNode n, TSNode call, buf *out) {
  int k = fx->nthunks++;
  TSNode f = node_field(call, "function");
  TSNode args = node_field(call, "arguments");
  int a = new_temp_typed(fx, "goc_g *", false);
  live_push(fx, a);
  char *pt = xasprintf("struct goc_thunk%d *", k);
  int b = new_temp_typed(fx, pt, false);
  free(pt);
  live_push(fx, b);
  const char *ng = fx->slots[a].cname, *nf = fx->slots[b].cname;
  buf fields = {0}, callargs = {0}, fill = {0};
  char *fe = lower_expr(fx, f, out);
  char *tfe = typeof_text(fx, fe);
  char *ft = xasprintf("((void)0, (%s))", tfe);
  char *top = top_type(fx, ft);   /* the thunk's struct is declared at the top */
  buf_printf(&fields, "__typeof__(%s) fn; ", top);
  free(ft);
  free(top);
  buf_printf(&fill, "%s->fn = %s;\n", nf, fe);
  uint32_t na = ts_node_named_child_count(args);
  int ai = 0;
  for (uint32_t i = 0; i < na; i++) {
    TSNode arg = ts_node_named_child(args, i);
    if (node_is(arg, "comment")) continue;
    char *v = lower_expr(fx, arg, out);
    char *tv = typeof_text(fx, v);
    char *at = xasprintf("((void)0, (%s))", tv);
    char *atop = top_type(fx, at);
    buf_printf(&fields, "__typeof__(%s) a%d; ", atop, ai);
    free(at);
    free(atop);
    buf_printf(&fill, "%s->a%d = %s;\n", nf, ai, v);
    buf_printf(&callargs, "%sgoc_t->a%d", ai ? ", " : "", ai);
    free(v);
    free(tv);
    ai++;
  }
  buf_printf(&fx->thunk_structs, "struct goc_thunk%d { goc_frame goc_hdr; %s};\n", k, buf_str(&fields));
  buf_printf(&fx->thunk_dispatch,
             "case GOC_THUNK_BASE + %d: { struct goc_thunk%d *goc_t = (struct goc_thunk%d *)goc_frp; "
             "goc_t->fn(%s); return GOC_DONE; }\n", k, k, k, buf_str(&callargs));
  const char *fname = fx->fn->is_main ? "main" : fx->fn->name;
  buf_printf(out, "%s = goc__go_new();\n%s = (struct goc_thunk%d *)goc__frame_push(%s, sizeof(struct goc_thunk%d), "
                  "&%s__fi);\n%s->goc_hdr.resume = GOC_THUNK_BASE + %d;\n%s",
             ng, nf, k, ng, k, fname, nf, k, buf_str(&fill));
  emit_go_start(fx->s, fx, n, ng, out);
  buf_free(&fields);
  buf_free(&callargs);
  buf_free(&fill);
  free(fe);
  free(tfe);
}

static void go_common(const source *s, program *p, fnctx *fx, TSNode n, buf *out) {
  if (is_gofn_call(s, node_field(n, "call"))) {
    lower_go_gofn(s, fx, n, node_field(n, "call"), out);
    return;
  }
  TSNode call;
  fninfo *fn = go_target(s, p, fx, n, &call);
  if (!fn) {
    if (diag_count || !node_is(call, "call_expression")) return;
    if (!fx) {
      diag_error(s, n, "internal error: go through a pointer outside a goroutine function");
      return;
    }
    go_thunk(fx, n, call, out);
    return;
  }
  const char *fname = fn->is_main ? "main" : fn->name;
  char *ftype = fn->coloured ? xasprintf("struct %s__frame", fname) : xasprintf("struct %s__goframe", fname);
  char *step = fn->coloured ? xasprintf("&%s__fi", fname) : xasprintf("&%s__gofi", fname);
  TSNode args = fn->lifted ? (TSNode){0} : node_field(call, "arguments");
  uint32_t na = fn->lifted ? 0 : ts_node_named_child_count(args);
  const char *ng, *nf;
  char *ngbuf = NULL, *nfbuf = NULL;
  bool temps = fx && !fn->lifted && has_susp(fx, args);
  if (temps) {
    int a = new_temp_typed(fx, "goc_g *", false);
    live_push(fx, a);
    char *pt = xasprintf("%s *", ftype);
    int b = new_temp_typed(fx, pt, false);
    free(pt);
    live_push(fx, b);
    ng = fx->slots[a].cname;
    nf = fx->slots[b].cname;
    buf_puts(out, "{\n");
  } else {
    ngbuf = xstrdup("goc_ng");
    nfbuf = xstrdup("goc_nf");
    ng = ngbuf;
    nf = nfbuf;
    buf_puts(out, "{\n");
    if (fn->frame_in_functions) emit_frame_def(fn, out);
    buf_printf(out, "goc_g *%s; %s *%s;\n", ng, ftype, nf);
  }
  /* a goroutine function's G is sized to its first frame (F__first) */
  if (fn->coloured) buf_printf(out, "%s = goc__go_new_sized(%s__first());\n", ng, fname);
  else buf_printf(out, "%s = goc__go_new();\n", ng);
  buf_printf(out, "%s = (%s *)goc__frame_push(%s, sizeof(%s), %s);\n", nf, ftype, ng, ftype, step);
  int ai = 0;
  if (fn->lifted) {
    for (int i = 0; i < fn->nparams; i++) {
      char *ref = fx ? (fx->slots[fn->capture_slots[i]].in_L
                           ? xasprintf("(goc_L->%s)", fx->slots[fn->capture_slots[i]].fname)
                           : xstrdup(fx->slots[fn->capture_slots[i]].cname))
                     : xstrdup(fn->params[i]);
      buf_printf(out, "__builtin_memcpy((void *)&%s->%s, (void *)&%s, sizeof %s->%s);\n", nf, fn->params[i], ref, nf, fn->params[i]);
      free(ref);
    }
    ai = fn->nparams;
  }
  for (uint32_t i = 0; i < na && !fn->lifted; i++) {
    TSNode a = ts_node_named_child(args, i);
    if (node_is(a, "comment")) continue;
    char *v = fx ? lower_expr(fx, a, out) : rewrite_str(s, NULL, RW_EXPR, a);
    if (ai < fn->nparams) buf_printf(out, "GOC__INIT(%s->%s, (%s));\n", nf, fn->params[ai], v);
    free(v);
    ai++;
  }
  /* a variadic one is refused at its definition already */
  if (ai != fn->nparams && !fn->variadic)
    diag_error(s, call, "go %s with %d argument%s, expected %d", fn->name, ai, ai == 1 ? "" : "s", fn->nparams);
  if (!temps) buf_printf(out, "(void)%s;\n", nf);
  emit_go_start(s, fx, n, ng, out);
  buf_puts(out, "}\n");
  free(ftype);
  free(step);
  free(ngbuf);
  free(nfbuf);
}

/* A typedef the block uses moved into the block's own function with it;
 * here it still counts as used (-Wunused-local-typedefs). */
static void use_enclosing_typedefs(const source *s, TSNode n, buf *out) {
  if (ts_node_is_null(node_field(n, "body"))) return;
  uint32_t at = ts_node_start_byte(n);
  for (TSNode p = node_parent(n); !ts_node_is_null(p) && !node_is(p, "function_definition"); p = node_parent(p)) {
    if (!node_is(p, "compound_statement")) continue;
    uint32_t c = ts_node_named_child_count(p);
    for (uint32_t k = 0; k < c; k++) {
      TSNode td = ts_node_named_child(p, k);
      if (ts_node_end_byte(td) > at) break;
      if (!node_is(td, "type_definition")) continue;
      uint32_t dc = ts_node_child_count(td);
      for (uint32_t j = 0; j < dc; j++) {
        const char *f = child_field_name(td, j);
        if (!f || strcmp(f, "declarator")) continue;
        TSNode nm = ts_node_child(td, j);
        while (!ts_node_is_null(nm) && !node_is(nm, "type_identifier")) {
          nm = declarator_inner(nm);
        }
        if (ts_node_is_null(nm)) continue;
        char *name = node_text(s, nm);
        buf_printf(out, "(void)(%s *)0;\n", name);
        free(name);
      }
    }
  }
}

void lower_go(fnctx *fx, TSNode n, buf *out) {
  use_enclosing_typedefs(fx->s, n, out);
  go_common(fx->s, fx->p, fx, n, out);
}
void lower_go_plain(const source *s, program *p, TSNode n, buf *out) {
  use_enclosing_typedefs(s, n, out);
  go_common(s, p, NULL, n, out);
}
