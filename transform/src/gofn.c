/* gofn.c — goroutine functions through pointers.
 *
 * A goroutine function F gets a companion F__gofn whose type is F's with a
 * goc_gofn_tag first parameter (goc.h): GOC_GOFN(F) names it, so handler
 * tables hold typed pointers the C compiler keeps apart from plain function
 * pointers. A call `p(GOC_GO, args)` in goroutine code is a suspension point:
 * the lowered code passes a struct goc_gocall instead of GOC_GO, F__gofn
 * pushes F's frame and fills it, and the caller runs the frame with
 * goc__call; `go p(GOC_GO, args)` pushes it on a new G instead. Called with
 * GOC_GO itself (from plain C), F__gofn runs F through its C entry.
 *
 * Invariant: F__gofn's parameters are F's frame fields, in order, so the
 * frame it fills is exactly F's. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "lower.h"

bool is_gofn_call(const source *s, TSNode call) {
  if (!node_is(call, "call_expression")) return false;
  TSNode args = node_field(call, "arguments");
  if (ts_node_is_null(args) || !ts_node_named_child_count(args)) return false;
  TSNode a0 = ts_node_named_child(args, 0);
  /* the front end parses preprocessed text: GOC_GO is its expansion */
  char *t = node_text(s, a0);
  char *q = t;
  for (char *r = t; *r; r++)
    if (*r != ' ' && *r != '\t' && *r != '\n') *q++ = *r;
  *q = 0;
  bool r = !strcmp(t, "GOC_GO") || !strcmp(t, "((goc_gofn_tag)0)");
  free(t);
  return r;
}

/* F's frame fields ("A a; B b; R goc_ret; ") as a parameter list and a
 * declarator for F__gofn. */
static void gofn_header(fninfo *fn, buf *out) {
  buf params = {0};
  char *ret = NULL;
  char *fields = xstrdup(fn->fields);
  for (char *p = fields; *p;) {
    char *semi = strstr(p, "; ");
    if (!semi) break;
    *semi = 0;
    while (*p == ' ') p++;
    if (*p) {
      size_t n = strlen(p);
      /* the result field: "R goc_ret", or "int (*goc_ret)(int)" */
      const char *g = strstr(p, "goc_ret");
      bool is_ret = g && !(isalnum((unsigned char)g[7]) || g[7] == '_') && (g == p || !(isalnum((unsigned char)g[-1]) || g[-1] == '_'));
      (void)n;
      if (is_ret) ret = xstrdup(p);
      else buf_printf(&params, ", %s", p);
    }
    p = semi + 2;
  }
  char *decl = xasprintf("%s__gofn(goc_gofn_tag goc_m%s)", fn->name, buf_str(&params));
  if (ret) {
    char *at = strstr(ret, "goc_ret");
    buf_printf(out, "%.*s%s%s", (int)(at - ret), ret, decl, at + 7);
  } else {
    buf_printf(out, "void %s", decl);
  }
  free(decl);
  free(ret);
  free(fields);
  buf_free(&params);
}

void emit_gofn_decl(fninfo *fn, buf *out, bool definition) {
  if (fn->is_main || fn->lifted || fn->variadic) return;
  if (definition)   /* F by another name: a parameter may be named F too */
    buf_printf(out, "\n__attribute__((unused)) static __typeof__(%s) *const %s__entry = %s;", fn->name, fn->name,
               fn->name);
  buf_puts(out, fn->is_static ? "\n__attribute__((unused)) static " : "\n");
  gofn_header(fn, out);
  if (!definition) {
    buf_puts(out, ";\n");
    return;
  }
  buf_puts(out, " {\n  if (!goc_m) ");
  buf_printf(out, "%s%s__entry(", fn->returns_void ? "{ " : "return ", fn->name);
  for (int i = 0; i < fn->nparams; i++) buf_printf(out, "%s%s", i ? ", " : "", fn->params[i]);
  buf_printf(out, ");%s\n", fn->returns_void ? " return; }" : "");
  buf_printf(out, "  struct %s__frame *goc_f = (struct %s__frame *)goc__frame_push(goc_m->g, sizeof(struct %s__frame), "
                  "&%s__fi);\n", fn->name, fn->name, fn->name, fn->name);
  for (int i = 0; i < fn->nparams; i++) buf_printf(out, "  GOC__INIT(goc_f->%s, %s);\n", fn->params[i], fn->params[i]);
  buf_puts(out, "  goc_m->frame = &goc_f->goc_hdr;\n");
  if (fn->returns_void) {
    buf_puts(out, "  goc_m->ret = ((void *)0);\n}\n");
  } else {
    buf_puts(out, "  goc_m->ret = &goc_f->goc_ret;\n"
                  "  __typeof__(goc_f->goc_ret) goc_z;\n  __builtin_memset(&goc_z, 0, sizeof goc_z);\n  return goc_z;\n}\n");
  }
}

/* The callee expression and the arguments after GOC_GO, lowered in order. */
static char *gofn_args(fnctx *fx, const source *s, TSNode call, buf *out, buf *args, buf *targs) {
  TSNode f = node_field(call, "function");
  char *fe = fx ? lower_expr(fx, f, out) : rewrite_str(s, NULL, RW_EXPR, f);
  TSNode al = node_field(call, "arguments");
  uint32_t na = ts_node_named_child_count(al);
  for (uint32_t i = 1; i < na; i++) {
    TSNode a = ts_node_named_child(al, i);
    if (node_is(a, "comment")) continue;
    char *v = fx ? lower_expr(fx, a, out) : rewrite_str(s, NULL, RW_EXPR, a);
    char *tv = typeof_text(fx, v);
    buf_printf(args, ", %s", v);
    buf_printf(targs, ", %s", tv);
    free(v);
    free(tv);
  }
  return fe;
}

char *lower_gofn_call(fnctx *fx, TSNode call, buf *out, bool want) {
  buf args = {0}, targs = {0};
  char *fe = gofn_args(fx, fx->s, call, out, &args, &targs);
  int m = new_temp_typed(fx, "struct goc_gocall", true);
  const char *mn = fx->slots[m].cname;
  buf_printf(out, "goc_L->%s.g = goc_cur;\n(void)(%s)(&goc_L->%s%s);\n", mn, fe, mn, buf_str(&args));
  buf_printf(out, "if (goc__call(goc_cur, &goc_fr->goc_hdr, goc_L->%s.frame) != GOC_DONE) ", mn);
  emit_suspend(fx, call, out);
  char *res = NULL;
  if (want) {
    char *tfe = typeof_text(fx, fe);
    char *ty = xasprintf("(%s)(GOC_GO%s)", tfe, buf_str(&targs));
    int r = new_temp_typed(fx, ty, false);
    live_push(fx, r);
    res = xstrdup(fx->slots[r].cname);
    buf_printf(out, "%s = *(__typeof__(%s) *)goc_L->%s.ret;\n", res, res, mn);
    free(tfe);
    free(ty);
  }
  buf_printf(out, "goc__frame_pop(goc_cur, goc_L->%s.frame);\n", mn);
  free(fe);
  buf_free(&args);
  buf_free(&targs);
  return res ? res : xstrdup("((void)0)");
}

void lower_go_gofn(const source *s, fnctx *fx, TSNode n, TSNode call, buf *out) {
  buf args = {0}, targs = {0};
  buf_puts(out, "{\n");
  char *fe = gofn_args(fx, s, call, out, &args, &targs);
  buf_printf(out, "goc_g *goc_ng = goc__go_new();\nstruct goc_gocall goc_gm = { goc_ng, 0, 0 };\n"
                  "(void)(%s)(&goc_gm%s);\n", fe, buf_str(&args));
  emit_go_start(s, fx, n, "goc_ng", out);
  buf_puts(out, "}\n");
  free(fe);
  buf_free(&args);
  buf_free(&targs);
}
