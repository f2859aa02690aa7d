/* lower_stmt.c — statements of a goroutine function: control flow around
 * suspension points, resume labels, spills and preemption checks.
 *
 * Invariants:
 *   - Resume point K is the label goc_R<K>; goc_resume[K] holds its
 *     address (index 0 is the entry).
 *   - At a suspension every slot that is visible there and not in the
 *     locals area is stored to goc_L before `return GOC_SUSPEND` and loaded
 *     back right after the label, so code after a resume point sees the
 *     values it had before. Locals are declared in their own blocks, so
 *     "visible" is C's scope: a back-edge check, written outside the loop
 *     body, leaves the body's own locals alone (each iteration's are new).
 *     A temp is spilled only until the residual that reads it has run: the
 *     temps of an if's, switch's or loop's condition are dead in its body.
 *   - Every loop body starts with a preemption check (a back-edge check that
 *     continue cannot skip); loops whose condition or increment suspends are
 *     rewritten as for (;;) with the condition inside. The exception, an
 *     innermost counted loop (counted.c), is split into chunks of at most
 *     a fixed number of iterations, with the check between chunks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lower.h"

void emit_line(fnctx *fx, TSNode n, buf *out) {
  fx->cur_line = node_line(n, &fx->cur_file);
  buf_putc(out, '\n');
  buf_put_node_line(out, n);
}

/* The frame's current line, for panic traces and dumps: set where a panic
 * may come from without a suspension (a goroutine call that panics inside,
 * a send on a closed channel, goc_panic, closing a channel), one store. */
void emit_frame_line(fnctx *fx, TSNode n, buf *out) {
  buf_printf(out, "goc_fr->goc_hdr.line = %d;\n", node_line(n, NULL));
  (void)fx;
}

/* Whether n calls a function that may panic: goc_panic, closing a channel,
 * and any function of the user's (plain C has no frame of its own in a
 * trace, so its caller's line is the one to show); not the compiler's
 * builtins or what the system headers declare (libc, libm), so a loop of
 * arithmetic calling sqrt stays as it was. */
static bool calls_panicking(const source *s, TSNode n) {
  if (node_is(n, "call_expression")) {
    TSNode f = node_field(n, "function");
    if (!node_is(f, "identifier")) return true;
    char *name = node_text(s, f);
    bool r = !strcmp(name, "goc_panic") || !strcmp(name, "goc_chan_close") || !strcmp(name, "goc_chan_free") ||
             (strncmp(name, "__builtin_", 10) && strncmp(name, "goc_", 4) && !declared_by_system_header(s, name));
    free(name);
    if (r) return true;
  }
  kids ks;
  kids_named(n, &ks);
  bool r = false;
  for (uint32_t i = 0; i < ks.n && !r; i++) r = calls_panicking(s, ks.at[i]);
  kids_free(&ks);
  return r;
}

static bool visible_at(const slot *sl, uint32_t pos) {
  if (sl->is_param) return true;
  return sl->decl_byte <= pos && pos < sl->scope_end;
}

/* One copy statement, `__builtin_memcpy((void *)&TO, (void *)&FROM, sizeof SIZE_OF); `. */
static void copy_stmt(buf *out, const char *to_base, const char *to, const char *from_base, const char *from,
                      const char *size_of) {
  /* pieces, not buf_printf: a long function writes this for every live
     local at every suspension, and vsnprintf was a tenth of the transform */
  buf_puts(out, "__builtin_memcpy((void *)&");
  buf_puts(out, to_base);
  buf_puts(out, to);
  buf_puts(out, ", (void *)&");
  buf_puts(out, from_base);
  buf_puts(out, from);
  buf_puts(out, ", sizeof ");
  buf_puts(out, size_of);
  buf_puts(out, "); ");
}

/* Copies, not assignments: a local may be an array through a typedef, a
 * struct with const members, or const itself (gcc folds the copy into a
 * move). A parameter spills into its own field of the frame, which is
 * there anyway (unqualified), not into a second copy in the locals area. */
static void spill_and_reload(slot *sl, buf *spill, buf *reload) {
  if (sl->is_param) {
    copy_stmt(spill, "goc_fr->", sl->name, "", sl->cname, sl->cname);
    copy_stmt(reload, "", sl->cname, "goc_fr->", sl->name, sl->cname);
    return;
  }
  sl->needs_L = true;
  copy_stmt(spill, "goc_L->", sl->fname, "", sl->cname, sl->cname);
  copy_stmt(reload, "", sl->cname, "goc_L->", sl->fname, sl->cname);
}

/* Whether slot k is named in n. */
static bool names_slot(const fnctx *fx, int k, TSNode n) {
  const slot *sl = &fx->slots[k];
  uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
  for (int i = 0; i < sl->nrefs; i++)
    if (sl->refs[i] >= a && sl->refs[i] < b) return true;
  return false;
}

/* The local that node n (an assignment's target) is, or -1. */
static int target_slot(const fnctx *fx, TSNode n) {
  while (node_is(n, "parenthesized_expression") && ts_node_named_child_count(n) == 1) n = ts_node_named_child(n, 0);
  return node_is(n, "identifier") ? slot_of_ident(fx, n) : -1;
}

/* The locals that the statement suspending at byte pos assigns with `=`
 * (or a receive's `v, ok =`) once it resumes, from a right side that does
 * not name them: what they held before is never read again, and keeping
 * it would copy a local that may not be set yet (int n; while ((n =
 * read(...)) > 0)), which gcc's -Wmaybe-uninitialized takes for a read of
 * the user's. At most max of them go to out; returns how many. */
static int assigned_after(const fnctx *fx, uint32_t pos, int *out, int max) {
  int n = 0;
  TSNode at = nodes_descendant_at(fx->s, node_field(fx->fn->def, "body"), pos);
  for (TSNode p = at; !ts_node_is_null(p) && n < max; p = node_parent(p)) {
    if (node_is(p, "compound_statement") || node_is(p, "function_definition") || node_is(p, "statement_expression"))
      break;
    if (node_is(p, "assignment_expression")) {
      TSNode op = node_field(p, "operator"), right = node_field(p, "right");
      if (ts_node_is_null(op) || ts_node_is_null(right) || ts_node_end_byte(op) - ts_node_start_byte(op) != 1) continue;
      if (pos < ts_node_start_byte(right) || pos >= ts_node_end_byte(right)) continue;
      int k = target_slot(fx, node_field(p, "left"));
      if (k >= 0 && !names_slot(fx, k, right)) out[n++] = k;
    } else if (node_is(p, "receive_assignment") || node_is(p, "receive_statement")) {
      TSNode v = node_field(p, "value"), ok = node_field(p, "ok"), ch = node_field(p, "channel");
      int kv = target_slot(fx, v), ko = ts_node_is_null(ok) ? -1 : target_slot(fx, ok);
      if (kv >= 0 && !names_slot(fx, kv, ch) && (ts_node_is_null(ok) || !names_slot(fx, kv, ok))) out[n++] = kv;
      if (ko >= 0 && n < max && !names_slot(fx, ko, ch) && !names_slot(fx, ko, v)) out[n++] = ko;
    }
  }
  return n;
}

/* ---- resume points routed through loop headers ----
 * A resume label inside a loop body that the prologue's goto * reached
 * would be a second entry of the loop (and of every loop around it), which
 * gcc no longer optimises as a loop nest. Instead each loop collects the
 * resume points of its body: a resume jumps to the outermost loop's entry
 * label (before the loop), with goc_rs = K; the loop's condition is
 * short-circuited by goc_rs (goc_rs || (cond): not evaluated on resume),
 * and the body begins with a dispatch, taken only while goc_rs is set,
 * that jumps to K's label (which clears goc_rs) or to the entry of the
 * inner loop that holds it. */
static void route_add(route *r, int k, char *to) {
  if (r->n == r->cap) {
    r->cap = r->cap ? 2 * r->cap : 8;
    r->ks = xrealloc(r->ks, sizeof(*r->ks) * (size_t)r->cap);
    r->to = xrealloc(r->to, sizeof(*r->to) * (size_t)r->cap);
  }
  r->ks[r->n] = k;
  r->to[r->n++] = to;
}

void route_push(fnctx *fx, route *r, uint32_t entry_pos) {
  memset(r, 0, sizeof(*r));
  r->entry_pos = entry_pos;
  r->up = fx->route;
  fx->route = r;
}

/* Pops r; when its body holds resume points, gives them to the enclosing
 * loop (or to the prologue's table) by the entry label goc_E<id>, which
 * it returns (0: nothing to route). */
int route_pop(fnctx *fx, route *r) {
  fx->route = r->up;
  if (!r->n) return 0;
  int id = ++fx->nlabels;
  fx->routed = true;
  for (int i = 0; i < r->n; i++) {
    int k = r->ks[i];
    if (r->up) {
      route_add(r->up, k, xasprintf("goc_E%d", id));
    } else {
      if (k >= fx->resume_to_cap) {
        int cap = fx->resume_to_cap ? fx->resume_to_cap : 16;
        while (cap <= k) cap *= 2;
        fx->resume_to = xrealloc(fx->resume_to, sizeof(*fx->resume_to) * (size_t)cap);
        memset(fx->resume_to + fx->resume_to_cap, 0, sizeof(*fx->resume_to) * (size_t)(cap - fx->resume_to_cap));
        fx->resume_to_cap = cap;
      }
      fx->resume_to[k] = xasprintf("goc_E%d", id);
    }
  }
  return id;
}

/* The entry label, right before the loop statement; the outermost loop's
 * is the prologue's target, which sets goc_rs. The locals visible there
 * are reloaded there, before the loop, rather than at the resume label
 * inside it: in the loop they keep the values the loop's header merges
 * (a bound stays invariant, a counter an induction variable). Each is
 * reloaded for every resume point routed there, also one that did not
 * spill it (where it is dead, or assigned before it is read): one path
 * on which every such local is set, which gcc's -Wmaybe-uninitialized
 * follows, and what is loaded there is never read. */
void route_entry(route *r, int id, buf *out) {
  if (!id) return;
  if (r->up)
    buf_printf(out, "if (0) { goc_E%d:; ", id);
  else
    buf_printf(out, "if (0) { goc_E%d:; goc_rs = goc_fr->goc_hdr.resume; if (!goc_rs) __builtin_unreachable(); ", id);
  buf_putn(out, buf_str(&r->rtext), r->rtext.len);
  buf_puts(out, "}\n");
}

/* The dispatch at the top of the loop body, and r's memory. */
void route_dispatch(route *r, int id, buf *out) {
  if (id) {
    buf_puts(out, "if (__builtin_expect(goc_rs != 0, 0)) switch (goc_rs) { ");
    for (int i = 0; i < r->n; i++) {
      bool last = i + 1 == r->n || strcmp(r->to[i], r->to[i + 1]);
      buf_printf(out, "case %d:%s", r->ks[i], last ? " goto " : " ");
      if (last) buf_printf(out, "%s; ", r->to[i]);
    }
    buf_puts(out, "default: __builtin_unreachable(); }\n");
  }
  for (int i = 0; i < r->n; i++) free(r->to[i]);
  buf_free(&r->rtext);
  free(r->ks);
  free(r->to);
  free(r->rslots);
  memset(r, 0, sizeof(*r));
}

/* A loop with no condition of its own, `for (;;) { body }`, whose body
 * (lowered under r) holds its test: r popped, its entry and dispatch
 * written around the body. */
void route_forever(fnctx *fx, route *r, const buf *body, buf *out) {
  int id = route_pop(fx, r);
  route_entry(r, id, out);
  buf_puts(out, "for (;;) {\n");
  route_dispatch(r, id, out);
  buf_putn(out, body->s ? body->s : "", body->len);
  buf_puts(out, "}\n");
}

/* The label of resume point k, written where fx->route is the one the
 * suspension noted it in. */
static void resume_label(const fnctx *fx, int k, buf *out) {
  buf_printf(out, "goc_R%d:; ", k);
  if (fx->route) buf_puts(out, "goc_rs = 0; ");
}

/* Resume point k's spill of slot `si` (-1 for sl: a temp, declared at
 * the top), and its reload: at the entry of the outermost loop around it
 * where the slot is visible (route_entry), once for all the resume points
 * routed there, or else at its own label (reload). */
static void spill_reload_at(fnctx *fx, slot *sl, int si, buf *spill, buf *reload) {
  route *dst = NULL;
  for (route *r = fx->route; r; r = r->up)
    if (si < 0 || sl->is_param || visible_at(sl, r->entry_pos)) dst = r;
  if (!dst) {
    spill_and_reload(sl, spill, reload);
    return;
  }
  buf tmp = {0};
  spill_and_reload(sl, spill, &tmp);
  int id = (int)(sl - fx->slots);
  bool have = false;
  for (int i = 0; i < dst->nrs && !have; i++) have = dst->rslots[i] == id;
  if (!have) {
    if (dst->nrs == dst->rscap) {
      dst->rscap = dst->rscap ? 2 * dst->rscap : 8;
      dst->rslots = xrealloc(dst->rslots, sizeof(*dst->rslots) * (size_t)dst->rscap);
    }
    dst->rslots[dst->nrs++] = id;
    buf_putn(&dst->rtext, buf_str(&tmp), tmp.len);
  }
  buf_free(&tmp);
}

/* The spill and the reload of a suspension at byte pos, where the locals
 * declared from byte `inner` on are out of scope; returns K. */
static int suspension(fnctx *fx, uint32_t pos, uint32_t inner, int line, buf *spill, buf *reload) {
  int k = ++fx->nresume;
  if (fx->route) route_add(fx->route, k, xasprintf("goc_R%d", k));
  int dead[8];
  int ndead = assigned_after(fx, pos, dead, 8);
  for (int i = 0; i < fx->nslots; i++) {
    slot *sl = &fx->slots[i];
    if (!ts_node_is_null(sl->cleanup) && !sl->cleanup_managed && !sl->cleanup_refused && !fx->quiet && visible_at(sl, pos) &&
        sl->decl_byte < inner) {
      /* C runs a cleanup whenever its scope is left, and a suspension
         leaves the step function */
      sl->cleanup_refused = true;
      diag_error(fx->s, sl->cleanup,
                 "local '%s' of goroutine function '%s' has the cleanup attribute and is in scope where the function "
                 "can block (line %d), where its cleanup would run at every suspension (end its scope before the "
                 "line, or declare it in a plain C function)", sl->name, fx->fn->name, line);
    }
    if (sl->is_temp || sl->is_static || sl->in_L || sl->is_shadow || sl->in_place) continue;
    if (!visible_at(sl, pos) || sl->decl_byte >= inner) continue;
    /* a suspension in its own initialiser: it holds no value to keep yet
       (and a copy of it would be a read of an uninitialised local, which
       gcc's -Wmaybe-uninitialized reports as the user's) */
    if (!sl->is_param && pos < sl->init_end) continue;
    bool assigned = false;
    for (int d = 0; d < ndead && !assigned; d++) assigned = dead[d] == i && !sl->is_param;
    if (assigned) continue;
    if (!slot_live_after(fx, i, fx->stmt_depth && fx->stmt_floor < pos ? fx->stmt_floor : pos)) continue;
    sl->nspills++;
    spill_reload_at(fx, sl, i, spill, reload);
  }
  for (int i = 0; i < fx->nlive; i++) {
    slot *sl = &fx->slots[fx->live[i]];
    if (sl->in_L) continue;
    spill_reload_at(fx, sl, -1, spill, reload);
  }
  (void)line;
  return k;
}

void emit_suspend(fnctx *fx, TSNode at, buf *out) {
  int line = node_line(at, NULL);
  buf spill = {0}, reload = {0};
  int k = suspension(fx, ts_node_start_byte(at), UINT32_MAX, line, &spill, &reload);
  buf_puts(out, "{ ");
  if (spill.len) buf_puts(out, "GOC__KEEP_BEGIN ");
  buf_putn(out, buf_str(&spill), spill.len);
  if (spill.len) buf_puts(out, "GOC__KEEP_END ");
  buf_printf(out, "goc_fr->goc_hdr.resume = %d; goc_fr->goc_hdr.line = %d; return GOC_SUSPEND; ", k, line);
  resume_label(fx, k, out);
  buf_putn(out, buf_str(&reload), reload.len);
  buf_puts(out, "}\n");
  buf_free(&spill);
  buf_free(&reload);
}

/* A back-edge check that resumes at the loop's preheader rather than inside
 * the loop, so the loop keeps a single entry (a natural loop the C compiler
 * optimises as such). The check runs after the body (and the increment),
 * where the loop's own condition is next: resuming before the loop and
 * evaluating the condition continues exactly there. Writes the check as a
 * statement expression for a for's increment clause to `check`, and the
 * resume block (to be placed right before the loop) to `resume`. */
static void backedge_check(fnctx *fx, TSNode loop, TSNode body, buf *check, buf *resume) {
  int line = node_line(loop, NULL);
  buf spill = {0}, reload = {0};
  /* the last byte of the body: inside the loop statement, so its own
     variables (a for initializer's) count as visible */
  int k = suspension(fx, ts_node_end_byte(body) - 1, ts_node_start_byte(body), line, &spill, &reload);
  buf_puts(check, "({ if (goc__preempt_requested(goc_cur)) { goc__preempt(goc_cur); ");
  if (spill.len) buf_puts(check, "GOC__KEEP_BEGIN ");
  buf_putn(check, buf_str(&spill), spill.len);
  if (spill.len) buf_puts(check, "GOC__KEEP_END ");
  buf_printf(check, "goc_fr->goc_hdr.resume = %d; goc_fr->goc_hdr.line = %d; return GOC_SUSPEND; } })", k, line);
  buf_puts(resume, "if (0) { ");
  resume_label(fx, k, resume);
  buf_putn(resume, buf_str(&reload), reload.len);
  buf_puts(resume, "}\n");
  buf_free(&spill);
  buf_free(&reload);
}

void emit_preempt_check(fnctx *fx, TSNode at, buf *out) {
  buf_puts(out, "if (goc__preempt_requested(goc_cur)) { goc__preempt(goc_cur); ");
  emit_suspend(fx, at, out);
  buf_puts(out, "}\n");
}

/* The C name through which code reads or writes a local. */
static char *slot_ref(fnctx *fx, int k) {
  slot *sl = &fx->slots[k];
  return sl->in_L ? xasprintf("(goc_L->%s)", sl->fname) : xstrdup(sl->cname);
}


/* Calls the cleanup of each managed cleanup local (analyse.c) that a jump
 * from byte `from` to byte `to` leaves the scope of, innermost (the last
 * declared) first, as C does; to == UINT32_MAX leaves them all (return). */
static void emit_cleanups(fnctx *fx, uint32_t from, uint32_t to, buf *out) {
  if (!fx->managed_cleanups) return;
  uint32_t below = UINT32_MAX;
  for (;;) {
    int next = -1;
    for (int i = 0; i < fx->nslots; i++) {
      const slot *sl = &fx->slots[i];
      if (!sl->cleanup_managed || !sl->cleanup_fn || !visible_at(sl, from) || visible_at(sl, to)) continue;
      if (sl->decl_byte < below && (next < 0 || sl->decl_byte > fx->slots[next].decl_byte)) next = i;
    }
    if (next < 0) return;
    char *ref = slot_ref(fx, next);
    buf_printf(out, "%s(&%s);\n", fx->slots[next].cleanup_fn, ref);
    free(ref);
    below = fx->slots[next].decl_byte;
  }
}

void emit_block_cleanups(fnctx *fx, TSNode block, buf *out) {
  emit_cleanups(fx, ts_node_end_byte(block) - 1, ts_node_end_byte(block), out);
}

/* The statement a break (or, with loops_only, a continue) at n leaves, or
 * a null node. */
static TSNode jump_target(TSNode n, bool loops_only) {
  for (TSNode p = node_parent(n); !ts_node_is_null(p); p = node_parent(p)) {
    TSSymbol t = ts_node_symbol(p);
    if (sym_is(t, "for_statement") || sym_is(t, "while_statement") || sym_is(t, "do_statement") ||
        sym_is(t, "for_range_statement"))
      return p;
    if (!loops_only && (sym_is(t, "switch_statement") || sym_is(t, "select_statement"))) return p;
    if (sym_is(t, "function_definition") || sym_is(t, "go_statement")) break;
  }
  return (TSNode){0};
}

/* The byte where label `name` of the function is defined, or UINT32_MAX. */
static uint32_t label_position(const source *s, TSNode n, const char *name) {
  if (node_is(n, "labeled_statement")) {
    char *l = node_text(s, node_field(n, "label"));
    bool hit = !strcmp(l, name);
    free(l);
    if (hit) return ts_node_start_byte(n);
  }
  if (node_is(n, "go_statement")) return UINT32_MAX;   /* another function's labels */
  kids ks;
  kids_named(n, &ks);
  uint32_t r = UINT32_MAX;
  for (uint32_t i = 0; i < ks.n && r == UINT32_MAX; i++) r = label_position(s, ks.at[i], name);
  kids_free(&ks);
  return r;
}

/* Before a break, continue or goto: the cleanups of the scopes it leaves. */
static void emit_jump_cleanups(fnctx *fx, TSNode n, buf *out) {
  if (!fx->managed_cleanups) return;
  uint32_t from = ts_node_start_byte(n), to;
  if (node_is(n, "goto_statement")) {
    TSNode label = node_field(n, "label");
    if (ts_node_is_null(label)) {
      for (int i = 0; i < fx->nslots; i++) {
        const slot *sl = &fx->slots[i];
        if (!sl->cleanup_managed || !visible_at(sl, from) || fx->quiet) continue;
        diag_error(fx->s, n,
                   "computed goto in the scope of local '%s', whose cleanup attribute goc calls at each exit of its "
                   "scope (in goroutine function '%s'); a computed goto's target is unknown", sl->name, fx->fn->name);
        return;
      }
      return;
    }
    char *name = node_text(fx->s, label);
    to = label_position(fx->s, node_field(fx->fn->def, "body"), name);
    free(name);
  } else {
    bool is_continue = node_is(n, "continue_statement");
    TSNode target = jump_target(n, is_continue);
    if (ts_node_is_null(target)) return;
    if (is_continue) {
      TSNode body = node_field(target, "body");
      to = ts_node_end_byte(ts_node_is_null(body) ? target : body);
    } else {
      to = ts_node_end_byte(target);
    }
  }
  emit_cleanups(fx, from, to, out);
}

/* Each local where the source declares it, then its initialiser, in order
 * (int a = 1, b = a + <-c;). */
static void lower_declaration(fnctx *fx, TSNode n, buf *out) {
  uint32_t c = ts_node_child_count(n);
  for (uint32_t i = 0; i < c; i++) {
    const char *f = child_field_name(n, i);
    if (!f || strcmp(f, "declarator")) continue;
    TSNode d = ts_node_child(n, i);
    TSNode target = node_is(d, "init_declarator") ? node_field(d, "declarator") : d;
    TSNode nm = declarator_name(target);
    int k = ts_node_is_null(nm) ? -1 : slot_of_ident(fx, nm);
    if (k < 0 || !declared_in_place(&fx->slots[k])) continue;
    if (fx->slots[k].in_L) {
      char *td = twin_decl(fx, k);
      buf_printf(out, "%s\n", td);
      free(td);
    } else if (fx->slots[k].decl) {
      buf_printf(out, "%s\n", fx->slots[k].decl);
    }
    if (!node_is(d, "init_declarator")) continue;
    TSNode value = node_field(d, "value");
    char *ref = slot_ref(fx, k);
    char *tref = typeof_text(fx, ref);
    bool is_array = !ts_node_is_null(name_array_declarator(target));
    if (node_is(value, "initializer_list") || (is_array && node_is(value, "string_literal")) ||
        (is_array && node_is(value, "concatenated_string"))) {
      char *v = lower_expr(fx, value, out);
      const char *lb = node_is(value, "initializer_list") ? "" : "{", *rb = node_is(value, "initializer_list") ? "" : "}";
      /* copied, not assigned: the type may be an array (a typedef's) or a
         struct with const members */
      buf_printf(out, "__builtin_memcpy((void *)&%s, (void *)&(__typeof__(%s))%s%s%s, sizeof(%s));\n", ref, tref, lb, v, rb, tref);
      free(v);
    } else {
      char *v = lower_expr(fx, value, out);
      /* initialised, then copied: the local may be a struct with const
         members or const itself */
      buf_printf(out, "GOC__INIT(%s, (%s));\n", ref, v);
      free(v);
    }
    free(ref);
    free(tref);
  }
}

static char *new_label(fnctx *fx) { return xasprintf("goc_C%d", ++fx->nlabels); }

static void lower_while(fnctx *fx, TSNode n, buf *out) {
  TSNode cond = node_field(n, "condition"), body = node_field(n, "body");
  loopctx lc = {NULL, fx->loops};
  fx->loops = &lc;
  route r;
  buf b = {0};
  if (!has_susp(fx, cond)) {
    char *c = rewrite_str(fx->s, fx, RW_EXPR, cond);
    buf check = {0}, resume = {0};
    if (!iteration_calls_goroutine(fx, n)) backedge_check(fx, n, body, &check, &resume);
    route_push(fx, &r, ts_node_start_byte(body));
    lower_stmt(fx, body, &b);
    int id = route_pop(fx, &r);
    buf_puts(out, buf_str(&resume));
    route_entry(&r, id, out);
    buf_printf(out, "for (; %s%s; %s) {\n", id ? "goc_rs || " : "", c, buf_str(&check));
    route_dispatch(&r, id, out);
    buf_puts(out, buf_str(&b));
    buf_puts(out, "}\n");
    buf_free(&check);
    buf_free(&resume);
    free(c);
  } else {
    route_push(fx, &r, ts_node_start_byte(body));
    if (!iteration_calls_goroutine(fx, n)) emit_preempt_check(fx, n, &b);
    int mark = fx->nlive;
    char *c = lower_expr(fx, cond, &b);
    buf_printf(&b, "if (!%s) break;\n", c);
    free(c);
    fx->nlive = mark;
    lower_stmt(fx, body, &b);
    route_forever(fx, &r, &b, out);
  }
  buf_free(&b);
  fx->loops = lc.up;
}

static void lower_do(fnctx *fx, TSNode n, buf *out) {
  TSNode cond = node_field(n, "condition"), body = node_field(n, "body");
  char *lbl = new_label(fx);
  loopctx lc = {lbl, fx->loops};
  fx->loops = &lc;
  route r;
  buf b = {0};
  route_push(fx, &r, ts_node_start_byte(body));
  if (!iteration_calls_goroutine(fx, n)) emit_preempt_check(fx, n, &b);
  lower_stmt(fx, body, &b);
  buf_printf(&b, "%s: __attribute__((unused));\n", lbl);
  int mark = fx->nlive;
  char *c = lower_expr(fx, cond, &b);
  fx->nlive = mark;
  buf_printf(&b, "if (!%s) break;\n", c);
  route_forever(fx, &r, &b, out);
  buf_free(&b);
  free(c);
  fx->loops = lc.up;
  free(lbl);
}

/* A counted loop strip-mined (counted.c; docs/lowering.md). When all its
 * iterations fit in a chunk (the common case of a short inner loop) it runs
 * them as one count, with no check: the loop around it checks. Otherwise
 * the outer loop evaluates the condition and carries the back-edge check,
 * once per chunk, and the resume point sits before it, off the short
 * loop's path (on it, what the loop starts from would be unknown to the C
 * compiler); it runs full chunks, of a constant count the C compiler can
 * unroll and vectorise as in the plain loop, and the rest as one count. A
 * counter that may have wrapped past the bound after the short loop's
 * count goes on in chunks. No inner loop has a check or a second exit. The
 * body is lowered once and written three times (counted.c keeps out what
 * cannot be: labels, statics). continue reaches the update, as it would;
 * break must leave every loop. */
static void lower_chunked_for(fnctx *fx, TSNode n, const counted *cl, const char *cond, const char *upd, TSNode body,
                              const char *resume, const char *check, buf *out) {
  int id = ++fx->nlabels;
  bool fast = !ts_node_is_null(fx->fast.node) && ts_node_eq(n, fx->fast.node) && out == fx->fast.out;
  size_t beg = out->len;
  char *v = rewrite_str(fx->s, fx, RW_EXPR, cl->var), *e = rewrite_str(fx->s, fx, RW_EXPR, cl->bound);
  char *args = xasprintf("%s, %s, %lluULL, %d, %d", cl->down ? e : v, cl->down ? v : e, cl->step, cl->chunk, cl->incl);
  char *brk = xasprintf("goc_B%d", id);
  const char *saved = fx->break_label;
  bool saved_used = fx->break_used;
  fx->break_label = brk;
  fx->break_used = false;
  buf b = {0};
  lower_stmt(fx, body, &b);
  buf_printf(out, "if (__builtin_expect(GOC__CHUNK_SHORT(%s, %s), 1)) {\n", args, cond);
  buf_printf(out, "for (unsigned long long goc_n%d = GOC__CHUNK_LEFT(%s); goc_n%d; goc_n%d--, %s) {\n%s}\n", id, args, id, id,
             upd, buf_str(&b));
  buf_printf(out, "if (GOC__CHUNK_WRAPS(%s, %s) && (%s)) goto goc_W%d;\n} else {\ngoc_W%d:;\n", v, args, cond, id, id);
  buf_printf(out, "%sfor (; %s; %s) {\nif (GOC__CHUNK_FITS(%s)) {\n", resume, cond, check, args);
  buf_printf(out, "for (unsigned long long goc_n%d = GOC__CHUNK_LEFT(%s); goc_n%d; goc_n%d--, %s) {\n%s}\n} else {\n", id, args,
             id, id, upd, buf_str(&b));
  buf_printf(out, "for (unsigned long long goc_n%d = GOC__CHUNK_FULL(%s); goc_n%d; goc_n%d--, %s) {\n%s}\n}\n}\n}\n", id, args,
             id, id, upd, buf_str(&b));
  if (fx->break_used) buf_printf(out, "%s:;\n", brk);
  if (fast && !fx->break_used) {
    /* the loop around runs it from the same start every time: its short
       count alone, where the test before that loop says it is short */
    char *st = rewrite_str(fx->s, fx, RW_EXPR, fx->fast.start);
    char *ty = ts_node_is_null(fx->fast.type) ? NULL : node_text(fx->s, fx->fast.type);
    char *v0 = ty ? xasprintf("((%s)(%s))", ty, st) : xasprintf("((__typeof__(%s))(%s))", v, st);
    const char *lo = cl->down ? e : v0, *hi = cl->down ? v0 : e;
    char *args0 = xasprintf("%s, %s, %lluULL, %d, %d", lo, hi, cl->step, cl->chunk, cl->incl);
    fx->fast.test = xasprintf("GOC__CHUNK_SHORT(%s, (%s) %s (%s)) && !GOC__CHUNK_WRAPS(%s, %s)", args0, lo,
                              cl->incl ? "<=" : "<", hi, v0, args0);
    fx->fast.loop = xasprintf("for (unsigned long long goc_n%d = GOC__CHUNK_LEFT(%s); goc_n%d; goc_n%d--, %s) {\n%s}\n",
                              id, args, id, id, upd, buf_str(&b));
    fx->fast.beg = beg;
    fx->fast.end = out->len;
    free(args0);
    free(v0);
    free(ty);
    free(st);
  }
  fx->break_label = saved;
  fx->break_used = saved_used;
  buf_free(&b);
  free(brk);
  free(args);
  free(v);
  free(e);
}

static void lower_for(fnctx *fx, TSNode n, buf *out) {
  TSNode init = node_field(n, "initializer"), cond = node_field(n, "condition");
  TSNode upd = node_field(n, "update"), body = node_field(n, "body");
  int mark = fx->nlive;
  buf_puts(out, "{\n");
  if (!ts_node_is_null(init)) {
    if (node_is(init, "declaration"))
      lower_declaration(fx, init, out);
    else
      lower_expr_discard(fx, init, out);
  }
  fx->nlive = mark;
  if (!has_susp(fx, cond) && !has_susp(fx, upd)) {
    loopctx lc = {NULL, fx->loops};
    fx->loops = &lc;
    char *c = ts_node_is_null(cond) ? xstrdup("") : rewrite_str(fx->s, fx, RW_EXPR, cond);
    char *u = ts_node_is_null(upd) ? xstrdup("") : rewrite_str(fx->s, fx, RW_EXPR, upd);
    /* the back-edge check follows the increment; it is positioned at the
       end of the body, where the initializer's variables are in scope */
    buf check = {0}, resume = {0};
    counted cl;
    route r;
    buf b = {0};
    /* no check: a short nest (and every loop in it), or a loop whose
       every iteration calls a goroutine function, whose entry checks
       (callcheck.c; the loops in its body keep theirs) */
    bool nest = fx->unchecked || bounded_nest(fx, n);
    if (nest || iteration_calls_goroutine(fx, n)) {
      if (nest) fx->unchecked++;
      route_push(fx, &r, ts_node_start_byte(body));
      lower_stmt(fx, body, &b);
      int id = route_pop(fx, &r);
      route_entry(&r, id, out);
      buf_printf(out, "for (; %s%s%s%s; %s) {\n", id && *c ? "goc_rs || (" : "", c, id && *c ? ")" : "", "", u);
      route_dispatch(&r, id, out);
      buf_puts(out, buf_str(&b));
      buf_puts(out, "}\n");
      if (nest) fx->unchecked--;
    } else if (backedge_check(fx, n, body, &check, &resume), counted_loop(fx, n, &cl))
      lower_chunked_for(fx, n, &cl, c, u, body, buf_str(&resume), buf_str(&check), out);
    else {
      /* an inner loop that starts the same every time: the loop is also
         written with that loop's short count alone, for when the test
         before it says that count is short (invariant_inner); that copy
         has no resume point, its check resumes before the loop below */
      __typeof__(fx->fast) saved_fast = fx->fast;
      memset(&fx->fast, 0, sizeof fx->fast);
      if (invariant_inner(fx, n, &fx->fast.node, &fx->fast.start, &fx->fast.type)) fx->fast.out = &b;
      route_push(fx, &r, ts_node_start_byte(body));
      lower_stmt(fx, body, &b);
      /* the inner loop's own resume point is the body's only one */
      if (fx->fast.loop && r.n == 1) {
        buf_printf(out, "if (__builtin_expect(%s, 1)) {\nfor (; %s; %s%s%s) {\n", fx->fast.test, c, u, *u ? ", " : "",
                   buf_str(&check));
        buf_putn(out, buf_str(&b), fx->fast.beg);
        buf_puts(out, fx->fast.loop);
        buf_putn(out, buf_str(&b) + fx->fast.end, b.len - fx->fast.end);
        buf_puts(out, "}\n} else {\n");
      } else {
        free(fx->fast.loop);
        fx->fast.loop = NULL;
      }
      int id = route_pop(fx, &r);
      buf_puts(out, buf_str(&resume));
      route_entry(&r, id, out);
      buf_printf(out, "for (; %s%s%s; %s%s%s) {\n", id && *c ? "goc_rs || (" : "", c, id && *c ? ")" : "", u, *u ? ", " : "",
                 buf_str(&check));
      route_dispatch(&r, id, out);
      buf_puts(out, buf_str(&b));
      buf_puts(out, "}\n");
      if (fx->fast.loop) buf_puts(out, "}\n");
      free(fx->fast.loop);
      free(fx->fast.test);
      fx->fast = saved_fast;
    }
    buf_free(&b);
    buf_free(&check);
    buf_free(&resume);
    free(c);
    free(u);
    fx->loops = lc.up;
  } else {
    char *lbl = new_label(fx);
    loopctx lc = {lbl, fx->loops};
    fx->loops = &lc;
    route r;
    buf b = {0};
    route_push(fx, &r, ts_node_start_byte(body));
    if (!iteration_calls_goroutine(fx, n)) emit_preempt_check(fx, body, &b);   /* inside the initializer's scope */
    if (!ts_node_is_null(cond)) {
      char *c = lower_expr(fx, cond, &b);
      buf_printf(&b, "if (!(%s)) break;\n", c);
      free(c);
      fx->nlive = mark;
    }
    lower_stmt(fx, body, &b);
    buf_printf(&b, "%s: __attribute__((unused));\n", lbl);
    if (!ts_node_is_null(upd)) {
      lower_expr_discard(fx, upd, &b);
      fx->nlive = mark;
    }
    int id = route_pop(fx, &r);
    route_entry(&r, id, out);
    buf_puts(out, "for (;;) {\n");
    route_dispatch(&r, id, out);
    buf_puts(out, buf_str(&b));
    buf_puts(out, "}\n");
    buf_free(&b);
    fx->loops = lc.up;
    free(lbl);
  }
  buf_puts(out, "}\n");
}

/* A stand-in call for one of the compiler's diagnostics (warnflags.c),
 * at node at's line, under the preprocessor test that says whether the
 * compile's flags want it ("0": not written). */
void emit_standin(fnctx *fx, const char *test, TSNode at, const char *call, buf *out) {
  if (!strcmp(test, "0")) return;
  buf_printf(out, "\n#if %s", test);
  emit_line(fx, at, out);
  buf_printf(out, "%s;\n#endif", call);
  emit_line(fx, at, out);
}

static void lower_return(fnctx *fx, TSNode n, buf *out) {
  TSNode e = ts_node_named_child_count(n) ? ts_node_named_child(n, 0) : (TSNode){0};
  if (!ts_node_is_null(e) && node_is(e, "comment")) e = (TSNode){0};
  buf_puts(out, "{\n");
  if (!ts_node_is_null(e) && fx->fn->lifted)
    diag_error(fx->s, n, "return with a value in a go { } block (the goroutine it starts has no result)");
  /* what C says of a return that does not match the function's type
     (warnflags.c), on the return's line */
  const char *wrong = NULL;
  if (!fx->fn->lifted && !fx->fn->is_main && fx->fn->returns_void != ts_node_is_null(e))
    wrong = fx->fn->returns_void ? "goc__return_value_in_void" : "goc__return_no_value";
  if (wrong && fx->fn->returns_void) {
    /* C lets a void expression be returned (gcc says so only under
       -pedantic) */
    char *ty = rewrite_str(fx->s, fx, RW_TYPEOF, e);
    char *call = xasprintf("__builtin_choose_expr(__builtin_types_compatible_p(__typeof__(%s), void), (void)0, %s())",
                           ty, wrong);
    emit_standin(fx, warn_wrong_return(), n, call, out);
    free(call);
    free(ty);
  } else if (wrong) {
    char *call = xasprintf("%s()", wrong);
    emit_standin(fx, warn_wrong_return(), n, call, out);
    free(call);
  }
  if (!ts_node_is_null(e)) {
    if (fx->fn->returns_void) {
      lower_expr_returned_in_void(fx, e, out);
    } else {
      char *v = lower_expr(fx, e, out);
      /* initialised, then copied: the result may be a struct with const
         members, which cannot be assigned */
      buf_printf(out, "GOC__INIT(goc_fr->goc_ret, (%s));\n", v);
      free(v);
    }
  }
  emit_cleanups(fx, ts_node_start_byte(n), UINT32_MAX, out);   /* after the value, as C */
  buf_puts(out, "return GOC_DONE;\n}\n");
}

static void lower_stmt_inner(fnctx *fx, TSNode n, buf *out);

void lower_stmt(fnctx *fx, TSNode n, buf *out) {
  if (ts_node_is_null(n)) return;
  bool outermost = fx->stmt_depth == 0 && !node_is(n, "compound_statement");
  if (outermost) fx->stmt_floor = ts_node_start_byte(n);
  if (outermost) fx->stmt_depth++;
  uint32_t pos = fx->pos;
  fx->pos = ts_node_start_byte(n);
  lower_stmt_inner(fx, n, out);
  fx->pos = pos;
  if (outermost) fx->stmt_depth--;
}

static void lower_stmt_inner(fnctx *fx, TSNode n, buf *out) {
  TSSymbol t = ts_node_symbol(n);
  int mark = fx->nlive;
  if (sym_is(t, "comment")) {
    /* the only comments left after preprocessing are the fall-through
       ones (preprocess.c), the user's word to gcc that the statement
       before a case label falls through: it keeps its place */
    char *c = node_text(fx->s, n);
    buf_printf(out, "%s\n", c);
    free(c);
    return;
  }
  /* a case label stays on the line before: a #line between it and a
     fall-through comment would hide the comment from gcc */
  if (!sym_is(t, "compound_statement") && !sym_is(t, "case_statement")) emit_line(fx, n, out);
  if (sym_is(t, "break_statement") || sym_is(t, "continue_statement") || sym_is(t, "goto_statement"))
    emit_jump_cleanups(fx, n, out);
  if (sym_is(t, "compound_statement")) {
    buf_puts(out, "{\n");
    kids ks;
    kids_named(n, &ks);
    for (uint32_t i = 0; i < ks.n; i++) lower_stmt(fx, ks.at[i], out);
    kids_free(&ks);
    emit_block_cleanups(fx, n, out);
    buf_puts(out, "}\n");
  } else if (sym_is(t, "declaration")) {
    if (calls_panicking(fx->s, n)) emit_frame_line(fx, n, out);
    lower_declaration(fx, n, out);
  } else if (sym_is(t, "type_definition") || sym_is(t, "struct_specifier") || sym_is(t, "union_specifier") ||
             sym_is(t, "enum_specifier")) {
    /* hoisted */
  } else if (sym_is(t, "expression_statement")) {
    if (ts_node_named_child_count(n) == 0) {
      buf_puts(out, ";\n");
    } else {
      TSNode e = ts_node_named_child(n, 0);
      if (calls_panicking(fx->s, e)) emit_frame_line(fx, n, out);
      if (has_susp(fx, e))
        lower_expr_discard(fx, e, out);
      else
        rewrite_node(fx->s, fx, RW_EXPR, n, out);
      buf_puts(out, "\n");
    }
  } else if (sym_is(t, "if_statement")) {
    char *c = lower_expr(fx, node_field(n, "condition"), out);
    buf_printf(out, "if %s {\n", c);
    free(c);
    fx->nlive = mark;   /* the condition's temps are read: not spilled in the branches */
    lower_stmt(fx, node_field(n, "consequence"), out);
    buf_puts(out, "}\n");
    TSNode alt = node_field(n, "alternative");
    if (!ts_node_is_null(alt)) {
      if (node_is(alt, "else_clause")) alt = ts_node_named_child(alt, 0);
      buf_puts(out, "else {\n");
      lower_stmt(fx, alt, out);
      buf_puts(out, "}\n");
    }
  } else if (sym_is(t, "while_statement")) {
    lower_while(fx, n, out);
  } else if (sym_is(t, "do_statement")) {
    lower_do(fx, n, out);
  } else if (sym_is(t, "for_statement")) {
    lower_for(fx, n, out);
  } else if (sym_is(t, "switch_statement")) {
    char *c = lower_expr(fx, node_field(n, "condition"), out);
    /* braces: the body may be any statement (switch (x) case 1: f();), and
       a lowered statement can be several */
    buf_printf(out, "switch %s {\n", c);
    free(c);
    const char *brk = fx->break_label;   /* break leaves the switch */
    fx->break_label = NULL;
    fx->nlive = mark;
    lower_stmt(fx, node_field(n, "body"), out);
    fx->break_label = brk;
    buf_puts(out, "}\n");
  } else if (sym_is(t, "case_statement")) {
    TSNode v = node_field(n, "value");
    if (ts_node_is_null(v)) {
      buf_puts(out, "default:;\n");
    } else {
      char *c = rewrite_str(fx->s, fx, RW_EXPR, v);
      TSNode hi = node_field(n, "high");   /* GNU case range: case a ... b: */
      char *h = ts_node_is_null(hi) ? NULL : rewrite_str(fx->s, fx, RW_EXPR, hi);
      buf_printf(out, "case %s%s%s:;\n", c, h ? " ... " : "", h ? h : "");
      free(c);
      free(h);
    }
    TSNode hi = node_field(n, "high");
    uint32_t c = ts_node_named_child_count(n);
    for (uint32_t i = 0; i < c; i++) {
      TSNode k = ts_node_named_child(n, i);
      if (!ts_node_is_null(v) && ts_node_eq(k, v)) continue;
      if (!ts_node_is_null(hi) && ts_node_eq(k, hi)) continue;
      lower_stmt(fx, k, out);
    }
  } else if (sym_is(t, "return_statement")) {
    if (calls_panicking(fx->s, n)) emit_frame_line(fx, n, out);
    lower_return(fx, n, out);
  } else if (sym_is(t, "continue_statement")) {
    if (fx->loops && fx->loops->cont_label)
      buf_printf(out, "goto %s;\n", fx->loops->cont_label);
    else
      buf_puts(out, "continue;\n");
  } else if (sym_is(t, "break_statement") && fx->break_label) {
    buf_printf(out, "goto %s;\n", fx->break_label);
    fx->break_used = true;
  } else if (sym_is(t, "labeled_statement")) {
    char *l = node_text(fx->s, node_field(n, "label"));
    buf_printf(out, "%s:;\n", l);
    free(l);
    kids ks;
    kids_named(n, &ks);
    for (uint32_t i = 1; i < ks.n; i++) lower_stmt(fx, ks.at[i], out);
    kids_free(&ks);
  } else if (sym_is(t, "send_statement")) {
    emit_frame_line(fx, n, out);   /* a send on a closed channel panics */
    lower_send_stmt(fx, n, out);
  } else if (sym_is(t, "receive_statement")) {
    lower_receive_stmt(fx, n, out);
  } else if (sym_is(t, "select_statement")) {
    lower_select(fx, n, out);
  } else if (sym_is(t, "for_range_statement")) {
    lower_for_range(fx, n, out);
  } else if (sym_is(t, "go_statement")) {
    lower_go(fx, n, out);
  } else {
    /* break, goto, asm, attributed statements: as written */
    rewrite_node(fx->s, fx, RW_EXPR, n, out);
    buf_puts(out, "\n");
  }
  fx->nlive = mark;
}
