/* lower_go.c — go f(args): evaluate the arguments in the spawning
 * goroutine, straight into the first frame of a new G, then start it.
 *
 * A goroutine function's own frame is that first frame. A plain C function
 * defined in a .goc file runs through a small thunk frame (F__goframe,
 * F__gostep, emitted once per file by lower_file.c). */
#include <stdlib.h>
#include <string.h>
#include "lower.h"

fninfo *called_goroutine(fnctx *fx, TSNode call);

static void put_path(const source *s, buf *out) {
  buf_putc(out, '"');
  for (const char *p = s->path; *p; p++) {
    if (*p == '"' || *p == '\\') buf_putc(out, '\\');
    buf_putc(out, *p);
  }
  buf_putc(out, '"');
}

/* The function a go statement starts, or NULL after a diagnostic. */
static fninfo *go_target(const source *s, program *p, fnctx *fx, TSNode n, TSNode *call_out) {
  TSNode call = node_field(n, "call");
  *call_out = call;
  if (!node_is(call, "call_expression")) {
    diag_error(s, ts_node_is_null(call) ? n : call,
               "go requires a function call (write go f(args); or go { ... })");
    return NULL;
  }
  TSNode f = node_field(call, "function");
  if (!node_is(f, "identifier") || (fx && slot_of_ident(fx, f) >= 0)) {
    diag_error(s, f, "go through a function pointer is not supported yet (call a named function defined in a "
               ".goc file)");
    return NULL;
  }
  char *name = node_text(s, f);
  fninfo *fn = program_find(p, name);
  if (!fn || !fn->src) {
    diag_error(s, f, "go on '%s', which is not defined in a .goc file of this build, is not supported yet "
               "(wrap the call in a function defined in a .goc file)", name);
    free(name);
    return NULL;
  }
  free(name);
  if (fn->variadic) {
    diag_error(s, f, "go on variadic function '%s' is not supported (wrap the call in a function)", fn->name);
    return NULL;
  }
  return fn;
}

static void go_common(const source *s, program *p, fnctx *fx, TSNode n, buf *out) {
  TSNode call;
  fninfo *fn = go_target(s, p, fx, n, &call);
  if (!fn) return;
  const char *fname = fn->is_main ? "main" : fn->name;
  char *ftype = fn->coloured ? xasprintf("struct %s__frame", fname) : xasprintf("struct %s__goframe", fname);
  char *step = fn->coloured ? xasprintf("%s__step", fn->is_main ? "goc_main" : fname) : xasprintf("%s__gostep", fname);
  TSNode args = node_field(call, "arguments");
  uint32_t na = ts_node_named_child_count(args);
  const char *ng, *nf;
  char *ngbuf = NULL, *nfbuf = NULL;
  bool temps = fx && has_susp(fx, args);
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
    buf_printf(out, "{\ngoc_g *%s; %s *%s;\n", ng, ftype, nf);
  }
  buf_printf(out, "%s = goc__go_new();\n%s = (%s *)goc__frame_push(%s, sizeof(%s), %s);\n", ng, nf, ftype, ng, ftype,
             step);
  int ai = 0;
  for (uint32_t i = 0; i < na; i++) {
    TSNode a = ts_node_named_child(args, i);
    if (node_is(a, "comment")) continue;
    char *v = fx ? lower_expr(fx, a, out) : rewrite_str(s, NULL, RW_EXPR, a);
    if (ai < fn->nparams) buf_printf(out, "%s->%s = %s;\n", nf, fn->params[ai], v);
    free(v);
    ai++;
  }
  if (ai != fn->nparams)
    diag_error(s, call, "go %s with %d argument%s, expected %d", fn->name, ai, ai == 1 ? "" : "s", fn->nparams);
  int line, col;
  node_pos(n, &line, &col);
  buf_printf(out, "goc__go_start(%s, ", ng);
  put_path(s, out);
  buf_printf(out, ", %d);\n}\n", line);
  free(ftype);
  free(step);
  free(ngbuf);
  free(nfbuf);
}

void lower_go(fnctx *fx, TSNode n, buf *out) { go_common(fx->s, fx->p, fx, n, out); }
void lower_go_plain(const source *s, program *p, TSNode n, buf *out) { go_common(s, p, NULL, n, out); }
