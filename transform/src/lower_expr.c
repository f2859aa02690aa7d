/* lower_expr.c — expressions with suspension points, to sequenced form.
 *
 * lower_expr writes the statements that must run first (receives, calls
 * to goroutine functions, blocking runtime calls, and the branches of
 * && || ?: that contain them) to `out`, and returns the residual C
 * expression that yields the value afterwards.
 *
 * Invariants:
 *   - C's evaluation rules are kept: the right operand of && and || and the
 *     unchosen arm of ?: never run; the left operand of a comma runs
 *     first; other operands are unsequenced in C, so hoisting one before
 *     its siblings is a valid order.
 *   - A residual refers only to slots and C constants, so it stays valid
 *     after later suspensions of the same statement (temps are spilled). */
#include <stdlib.h>
#include <string.h>
#include "lower.h"

static bool is_local_call_name(fnctx *fx, TSNode f) { return slot_of_ident(fx, f) >= 0; }

fninfo *called_goroutine(fnctx *fx, TSNode call) {
  TSNode f = node_field(call, "function");
  if (!node_is(f, "identifier") || is_local_call_name(fx, f)) return NULL;
  char *name = node_text(fx->s, f);
  fninfo *fn = program_find_in(fx->p, name, fx->s);
  free(name);
  return fn && fn->coloured ? fn : NULL;
}

int called_blocking(fnctx *fx, TSNode call) {
  TSNode f = node_field(call, "function");
  if (!node_is(f, "identifier") || is_local_call_name(fx, f)) return -1;
  char *name = node_text(fx->s, f);
  int k = program_blocking_index(fx->p, name);
  free(name);
  return k;
}

static bool has_susp_uncached(fnctx *fx, TSNode n);

bool has_susp(fnctx *fx, TSNode n) {
  if (ts_node_is_null(n)) return false;
  const uintptr_t *known = idmap_find(&fx->susp, (uintptr_t)n.id);
  if (known) return *known;
  bool r = has_susp_uncached(fx, n);
  *idmap_put(&fx->susp, (uintptr_t)n.id) = r;   /* after: the walk may grow the table */
  return r;
}

static bool has_susp_uncached(fnctx *fx, TSNode n) {
  TSSymbol t = ts_node_symbol(n);
  if (sym_is(t, "receive_expression") || sym_is(t, "send_statement") || sym_is(t, "receive_statement") ||
      sym_is(t, "select_statement") || sym_is(t, "for_range_statement"))
    return true;
  if (sym_is(t, "sizeof_expression") || sym_is(t, "alignof_expression") ||
      sym_is(t, "types_compatible_expression") || sym_is(t, "typeof_specifier") ||
      sym_is(t, "go_statement"))
    return false;
  if (sym_is(t, "call_expression") &&
      (called_goroutine(fx, n) || called_blocking(fx, n) >= 0 || is_gofn_call(fx->s, n)))
    return true;
  /* _Generic's controlling expression is not evaluated (like sizeof's) */
  uint32_t first = sym_is(t, "generic_expression") ? 1 : 0;
  kids ks;
  kids_named(n, &ks);
  bool r = false;
  for (uint32_t i = first; i < ks.n && !r; i++) r = has_susp(fx, ks.at[i]);
  kids_free(&ks);
  return r;
}

static char *lower_gocall(fnctx *fx, TSNode call, fninfo *fn, buf *out, bool want) {
  const char *fname = fn->is_main ? "main" : fn->name;
  char *ftype = xasprintf("struct %s__frame *", fname);
  int cf = new_temp_typed(fx, ftype, false);
  live_push(fx, cf);
  const char *cfn = fx->slots[cf].cname;
  emit_frame_line(fx, call, out);   /* the caller's line while the callee runs */
  buf_printf(out, "%s = (%s)goc__frame_push(goc_cur, sizeof(struct %s__frame), &%s__fi);\n", cfn, ftype, fname,
             fname);
  TSNode args = node_field(call, "arguments");
  uint32_t na = ts_node_named_child_count(args);
  int ai = 0;
  for (uint32_t i = 0; i < na; i++) {
    TSNode a = ts_node_named_child(args, i);
    if (node_is(a, "comment")) continue;
    char *v = lower_expr(fx, a, out);
    if (ai < fn->nparams)
      buf_printf(out, "GOC__INIT(%s->%s, (%s));\n", cfn, fn->params[ai], v);
    free(v);
    ai++;
  }
  /* a variadic one is refused at its definition already */
  if (ai != fn->nparams && !fn->variadic)
    diag_error(fx->s, call, "call to goroutine function '%s' with %d argument%s, expected %d", fn->name, ai,
               ai == 1 ? "" : "s", fn->nparams);
  buf_printf(out, "if (goc__call(goc_cur, &goc_fr->goc_hdr, &%s->goc_hdr) != GOC_DONE) ", cfn);
  emit_suspend(fx, call, out);
  char *res = NULL;
  if (want && !fn->returns_void) {
    char *rt = xasprintf("((struct %s__frame *)0)->goc_ret", fname);
    int r = new_temp_typed(fx, rt, false);
    free(rt);
    live_push(fx, r);
    buf_printf(out, "__builtin_memcpy((void *)&%s, (void *)&%s->goc_ret, sizeof %s);\n", fx->slots[r].cname, cfn, fx->slots[r].cname);
    res = xstrdup(fx->slots[r].cname);
  }
  buf_printf(out, "goc__frame_pop(goc_cur, &%s->goc_hdr);\n", cfn);
  free(ftype);
  return res ? res : xstrdup("((void)0)");
}

/* A runtime call whose function argument may be a goroutine function named
 * directly: goc_t_run(t, name, F) and goc_once_do(o, F). Such an F is
 * passed as its pointer companion F__gofn to the _go twin (goc.h). */
static const struct {
  const char *callee, *twin;
  uint32_t arg;
} gofn_twins[] = {{"goc_t_run", "goc_t_run_go", 2}, {"goc_once_do", "goc_once_do_go", 1}};

/* F__gofn for the call's function argument, and the twin in *twin; or NULL. */
static char *twin_gofn(fnctx *fx, TSNode call, const char *callee, const char **twin, uint32_t *argi) {
  for (size_t t = 0; t < sizeof gofn_twins / sizeof gofn_twins[0]; t++) {
    if (strcmp(callee, gofn_twins[t].callee)) continue;
    TSNode args = node_field(call, "arguments");
    uint32_t na = ts_node_named_child_count(args), k = 0;
    for (uint32_t i = 0; i < na; i++) {
      TSNode a = ts_node_named_child(args, i);
      if (node_is(a, "comment")) continue;
      if (k++ != gofn_twins[t].arg) continue;
      if (!node_is(a, "identifier")) return NULL;
      char *name = node_text(fx->s, a);
      fninfo *fn = program_find_in(fx->p, name, fx->s);
      char *r = fn && fn->coloured && !fn->variadic && !fn->lifted ? xasprintf("%s__gofn", name) : NULL;
      free(name);
      *twin = gofn_twins[t].twin;
      *argi = gofn_twins[t].arg;
      return r;
    }
  }
  return NULL;
}

static char *lower_blocking(fnctx *fx, TSNode call, int bi, buf *out) {
  TSNode args = node_field(call, "arguments");
  uint32_t na = ts_node_named_child_count(args);
  buf argl = {0};
  const char *name = fx->p->blocking[bi], *twin = NULL;
  uint32_t gofn_arg = 0;
  char *gofn = twin_gofn(fx, call, name, &twin, &gofn_arg);
  if (gofn) name = twin;
  uint32_t k = 0;
  for (uint32_t i = 0; i < na; i++) {
    TSNode a = ts_node_named_child(args, i);
    if (node_is(a, "comment")) continue;
    char *v = gofn && k == gofn_arg ? xstrdup(gofn) : lower_expr(fx, a, out);
    k++;
    char *tv = typeof_text(fx, v);
    char *ty = xasprintf("((void)0, (%s))", tv);
    int k = new_temp_typed(fx, ty, false);
    live_push(fx, k);
    buf_printf(out, "GOC__INIT(%s, (%s));\n", fx->slots[k].cname, v);
    buf_printf(&argl, ", %s", fx->slots[k].cname);
    free(v);
    free(tv);
    free(ty);
  }
  char *res = NULL;
  free(gofn);
  if (!fx->p->blocking_void[bi]) {
    int r = new_temp_typed(fx, fx->p->blocking_ret[bi], false);
    live_push(fx, r);
    res = xstrdup(fx->slots[r].cname);
    buf_printf(out, "while (!%s__async(goc_cur, &%s%s)) ", name, res, buf_str(&argl));
  } else {
    buf_printf(out, "while (!%s__async(goc_cur%s)) ", name, buf_str(&argl));
  }
  emit_suspend(fx, call, out);
  buf_free(&argl);
  return res ? res : xstrdup("((void)0)");
}

static char *lower_logical(fnctx *fx, TSNode n, bool is_and, buf *out) {
  char *l = lower_expr(fx, node_field(n, "left"), out);
  int t = new_temp_typed(fx, "int", false);
  const char *tn = fx->slots[t].cname;
  buf sub = {0};
  char *r = lower_expr(fx, node_field(n, "right"), &sub);
  live_push(fx, t);   /* set after the right operand: nothing to keep before */
  if (is_and)
    buf_cat(out, "if (", l, ") {\n", buf_str(&sub), tn, " = !!(", r, ");\n} else ", tn, " = 0;\n", NULL);
  else
    buf_cat(out, "if (", l, ") ", tn, " = 1; else {\n", buf_str(&sub), tn, " = !!(", r, ");\n}\n", NULL);
  buf_free(&sub);
  free(l);
  free(r);
  return xstrdup(tn);
}

static char *lower_conditional(fnctx *fx, TSNode n, buf *out, bool want) {
  char *c = lower_expr(fx, node_field(n, "condition"), out);
  TSNode cons = node_field(n, "consequence");
  if (ts_node_is_null(cons)) {
    /* GNU a ?: b: a is evaluated once and is the value when non-zero */
    buf s2 = {0};
    char *y = lower_expr(fx, node_field(n, "alternative"), &s2);
    char *tc = typeof_text(fx, c), *ty = typeof_text(fx, y);
    char *te = xasprintf("1 ? (%s) : (%s)", tc, ty);
    int t = new_temp_typed(fx, te, false);
    live_push(fx, t);
    const char *tn = fx->slots[t].cname;
    buf_cat(out, tn, " = ", c, ";\nif (!", tn, ") {\n", buf_str(&s2), tn, " = ", y, ";\n}\n", NULL);
    buf_free(&s2);
    free(tc); free(ty); free(te); free(y); free(c);
    return xstrdup(tn);
  }
  buf s1 = {0}, s2 = {0};
  char *x = lower_expr(fx, cons, &s1);
  char *y = lower_expr(fx, node_field(n, "alternative"), &s2);
  char *res;
  if (want) {
    char *tx = typeof_text(fx, x), *ty = typeof_text(fx, y);
    char *te = xasprintf("1 ? (%s) : (%s)", tx, ty);
    int t = new_temp_typed(fx, te, false);
    live_push(fx, t);
    const char *tn = fx->slots[t].cname;
    buf_cat(out, "if (", c, ") {\n", buf_str(&s1), tn, " = ", x, ";\n} else {\n", buf_str(&s2), tn, " = ", y, ";\n}\n",
            NULL);
    res = xstrdup(tn);
    free(tx);
    free(ty);
    free(te);
  } else {
    buf_cat(out, "if (", c, ") {\n", buf_str(&s1), "(void)(", x, ");\n} else {\n", buf_str(&s2), "(void)(", y, ");\n}\n",
            NULL);
    res = xstrdup("((void)0)");
  }
  buf_free(&s1);
  buf_free(&s2);
  free(c);
  free(x);
  free(y);
  return res;
}

static char *lower_generic(fnctx *fx, TSNode n, buf *out) {
  buf r = {0};
  uint32_t pos = ts_node_start_byte(n);
  uint32_t c = ts_node_child_count(n);
  for (uint32_t i = 0; i < c; i++) {
    TSNode k = ts_node_child(n, i);
    uint32_t ks = ts_node_start_byte(k);
    if (ks > pos) buf_putn(&r, fx->s->text + pos, ks - pos);
    if (ts_node_is_named(k) && has_susp(fx, k)) {
      char *v = lower_expr(fx, k, out);
      buf_puts(&r, v);
      free(v);
    } else {
      rewrite_node(fx->s, fx, RW_EXPR, k, &r);
    }
    pos = ts_node_end_byte(k);
  }
  return buf_take(&r);
}

/* ({ s1; ...; e; }) with a suspension inside: its statements run as
 * pre-statements in a block of their own (its locals are declared there)
 * and the value of its last expression statement lands in a temp.
 * A resume label can then sit among them, which a jump into a statement
 * expression would not allow. */
static char *lower_statement_expression(fnctx *fx, TSNode n, buf *out, bool want) {
  TSNode block = ts_node_named_child(n, 0);
  uint32_t c = ts_node_named_child_count(block);
  int last = -1;
  for (uint32_t i = 0; i < c; i++)
    if (!node_is(ts_node_named_child(block, i), "comment")) last = (int)i;
  buf_puts(out, "{\n");
  char *res = NULL;
  for (uint32_t i = 0; i < c; i++) {
    TSNode k = ts_node_named_child(block, i);
    if ((int)i == last && node_is(k, "expression_statement") && ts_node_named_child_count(k) && want) {
      char *v = lower_expr(fx, ts_node_named_child(k, 0), out);
      char *tv = typeof_text(fx, v);
      char *ty = xasprintf("((void)0, (%s))", tv);
      uint32_t pos = fx->pos;
      fx->pos = ts_node_start_byte(k);   /* the block's locals are in scope */
      int t = new_temp_typed(fx, ty, false);
      fx->pos = pos;
      live_push(fx, t);
      buf_printf(out, "GOC__INIT(%s, (%s));\n", fx->slots[t].cname, v);
      res = xstrdup(fx->slots[t].cname);
      free(v); free(tv); free(ty);
    } else {
      int mark = fx->nlive;
      lower_stmt(fx, k, out);
      fx->nlive = mark;
    }
  }
  emit_block_cleanups(fx, block, out);   /* after the value is taken, as C */
  buf_puts(out, "}\n");
  return res ? res : xstrdup("((void)0)");
}

static char *lower_at(fnctx *fx, TSNode n, buf *out, bool want);

/* fx->pos is n's while n is lowered: the temps it makes name its locals. */
static char *lower(fnctx *fx, TSNode n, buf *out, bool want) {
  uint32_t pos = fx->pos;
  if (!ts_node_is_null(n)) fx->pos = ts_node_start_byte(n);
  char *r = lower_at(fx, n, out, want);
  fx->pos = pos;
  return r;
}

static char *lower_at(fnctx *fx, TSNode n, buf *out, bool want) {
  if (!has_susp(fx, n)) return rewrite_str(fx->s, fx, RW_EXPR, n);
  TSSymbol t = ts_node_symbol(n);
  if (sym_is(t, "parenthesized_expression") && ts_node_named_child_count(n) == 1 &&
      node_is(ts_node_named_child(n, 0), "compound_statement"))
    return lower_statement_expression(fx, n, out, want);   /* GNU ({ ... }) */
  if (sym_is(t, "parenthesized_expression") && ts_node_named_child_count(n) == 1) {
    char *v = lower(fx, ts_node_named_child(n, 0), out, want);
    char *r = xasprintf("(%s)", v);
    free(v);
    return r;
  }
  if (sym_is(t, "receive_expression")) return lower_receive(fx, n, out, want);
  if (sym_is(t, "call_expression")) {
    if (is_gofn_call(fx->s, n)) return lower_gofn_call(fx, n, out, want);
    fninfo *fn = called_goroutine(fx, n);
    if (fn) return lower_gocall(fx, n, fn, out, want);
    int bi = called_blocking(fx, n);
    if (bi >= 0) return lower_blocking(fx, n, bi, out);
  }
  if (sym_is(t, "binary_expression")) {
    char *op = node_text(fx->s, node_field(n, "operator"));
    bool and = !strcmp(op, "&&"), or = !strcmp(op, "||");
    free(op);
    if ((and || or) && has_susp(fx, node_field(n, "right"))) return lower_logical(fx, n, and, out);
  }
  if (sym_is(t, "conditional_expression") &&
      (has_susp(fx, node_field(n, "consequence")) || has_susp(fx, node_field(n, "alternative")) ||
       ts_node_is_null(node_field(n, "consequence"))))
    return lower_conditional(fx, n, out, want);
  if (sym_is(t, "generic_expression")) {
    diag_error(fx->s, n, "a channel operation or blocking call in a _Generic association is not supported (only "
               "the selected association may run; compute it before the _Generic)");
    return xstrdup("0");
  }
  if (sym_is(t, "comma_expression")) {
    lower_expr_discard(fx, node_field(n, "left"), out);
    return lower(fx, node_field(n, "right"), out, want);
  }
  if (sym_is(t, "compound_literal_expression")) {
    char *lit = lower_generic(fx, n, out);
    char *w = compound_literal_in_frame(fx, lit, lit);
    free(lit);
    return w;
  }
  return lower_generic(fx, n, out);
}

char *lower_expr(fnctx *fx, TSNode n, buf *out) { return lower(fx, n, out, true); }

/* `return E;` in a void function: E's side effects, with no warning of
 * its own (the return's is the one C gives: lower_return). */
void lower_expr_returned_in_void(fnctx *fx, TSNode n, buf *out) {
  char *v = lower(fx, n, out, false);
  if (strcmp(v, "((void)0)")) buf_printf(out, "(void)(%s);\n", v);
  free(v);
}

void lower_expr_discard(fnctx *fx, TSNode n, buf *out) {
  TSNode inner = n;
  while (node_is(inner, "parenthesized_expression") && ts_node_named_child_count(inner) == 1)
    inner = ts_node_named_child(inner, 0);
  char *v = lower(fx, inner, out, false);
  /* a value nobody reads: only its side effects (the pre-statements) count */
  if (strcmp(v, "((void)0)") && !node_is(inner, "receive_expression")) {
    /* a temporary of the lowering (a blocking call's result) is not the
       user's expression: discarding it must not draw "statement with no
       effect"; the user's own expressions keep gcc's warnings */
    bool temp = !strncmp(v, "goc_", 4) && v[strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")] == 0;
    buf_printf(out, temp ? "(void)%s;\n" : "%s;\n", v);
  }
  free(v);
}
