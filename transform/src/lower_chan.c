/* lower_chan.c — send, receive, select and range over a channel.
 *
 * A channel operation first tries to complete at once (the runtime's fast
 * path touches no frame); only when it returns 0 does the step spill and
 * suspend. Values cross the channel through fields of the locals area
 * (goc_L->goc_tN), because a waker copies into or out of them after the
 * step has returned.
 *
 * Invariant: the channel operand is evaluated exactly once, before the
 * value of a send (Go's order). */
#include <stdlib.h>
#include <string.h>
#include "lower.h"

/* The channel operand as C, checked to be a channel where the transformer
 * can see the declaration. */
static char *chan_operand(fnctx *fx, TSNode ch, buf *out, const char *what) {
  if (node_is(ch, "identifier")) {
    int k = slot_of_ident(fx, ch);
    if (k >= 0 && !fx->slots[k].is_temp && !fx->slots[k].is_param) {
      slot *sl = &fx->slots[k];
      TSNode type = node_field(sl->decl_node, "type");
      if (!ts_node_is_null(type) && !node_is(type, "channel_type") && !node_is(type, "type_identifier") &&
          !node_is(type, "typeof_specifier") && !node_is(type, "macro_type_specifier") &&
          node_is(sl->declarator, "identifier")) {
        char *tt = node_text(fx->s, type);
        diag_error(fx->s, ch, "%s non-channel '%s' (type %s)", what, sl->name, tt);
        free(tt);
      }
    }
  } else if (node_is(ch, "number_literal") || node_is(ch, "string_literal") || node_is(ch, "char_literal")) {
    diag_error(fx->s, ch, "%s non-channel (a literal)", what);
  }
  return lower_expr(fx, ch, out);
}

dircheck *dirchecks;
int ndirchecks;

int dircheck_add(TSNode operand, const char *op) {
  static int cap;
  if (ndirchecks == cap) {
    cap = cap ? 2 * cap : 64;
    dirchecks = xrealloc(dirchecks, (size_t)cap * sizeof *dirchecks);
  }
  dircheck *d = &dirchecks[ndirchecks];
  d->operand = operand;
  d->file = node_file(operand);
  d->text = node_text(source_of(operand), operand);
  d->op = op;
  return ndirchecks++;
}

/* The channel ch (C text) as the runtime's goc_chan *, checked to have a
 * direction that allows op on it. */
static char *dir_chan(TSNode operand, const char *ch, const char *op) {
  int id = dircheck_add(operand, op);
  return xasprintf("GOC__%s_CHAN(%d, %s)", !strcmp(op, "send") ? "SEND" : "RECV", id, ch);
}

/* The transfer slot has the element type without a direction's qualifier. */
static int xfer_slot(fnctx *fx, const char *chan_c) {
  char *tc = typeof_text(fx, chan_c);
  char *ty = xasprintf("GOC__ELEM(%s)", tc);
  int k = new_temp_typed(fx, ty, true);
  free(tc);
  free(ty);
  return k;
}

/* <-goc_after(d) written as the operand itself: the channel is a
 * temporary no other code can name, so the lowering frees it once the
 * receive or select is over (a pending timer is stopped with it), and the
 * idiom runs in constant memory, as in Go. */
static bool is_temporary_after(fnctx *fx, TSNode ch) {
  while (node_is(ch, "parenthesized_expression") && ts_node_named_child_count(ch) == 1) ch = ts_node_named_child(ch, 0);
  if (!node_is(ch, "call_expression")) return false;
  TSNode f = node_field(ch, "function");
  if (!node_is(f, "identifier") || slot_of_ident(fx, f) >= 0) return false;
  char *name = node_text(fx->s, f);
  bool r = !strcmp(name, "goc_after");
  free(name);
  return r;
}

/* Evaluates channel expression ch once into a frame temporary (it is
 * freed after the operation); takes ch, returns the temporary. */
static char *hold_in_frame(fnctx *fx, char *ch, buf *out) {
  char *tc = typeof_text(fx, ch);
  char *ty = xasprintf("((void)0, (%s))", tc);
  int tmp = new_temp_typed(fx, ty, true);
  buf_printf(out, "goc_L->%s = %s;\n", fx->slots[tmp].cname, ch);
  free(ch);
  free(tc);
  free(ty);
  return xasprintf("(goc_L->%s)", fx->slots[tmp].cname);
}

enum { RECV_FIN_AFTER = 8 };

/* A receive whose value nobody reads (!want) discards it in the runtime:
 * no transfer slot in the locals area. */
char *lower_receive(fnctx *fx, TSNode recv, buf *out, bool want) {
  char *ch = chan_operand(fx, node_field(recv, "channel"), out, "receive from");
  bool temporary = is_temporary_after(fx, node_field(recv, "channel"));
  if (temporary) ch = hold_in_frame(fx, ch, out);
  char *dst = xstrdup("((void *)0)");
  if (want) {
    int x = xfer_slot(fx, ch);   /* may grow fx->slots */
    free(dst);
    dst = xasprintf("&goc_L->%s", fx->slots[x].cname);
  }
  char *gc = dir_chan(node_field(recv, "channel"), ch, "receive");
  buf_printf(out, "if (!goc__chan_recv(goc_cur, %s, %s, ((void *)0))) ", gc, dst);
  free(gc);
  /* Past the first RECV_FIN_AFTER of a function, a receive's
     goc__chan_recv_resume is the resume dispatch's (lower_func.c, goc_rf):
     one call in the function instead of one on every receive's resume
     path, a block and a call less for the C compiler at each (csmith's
     variant B, cc1 instructions: seed 4 -6.6%, seed 1 -4.5%), at the price
     of a byte test on every resume of the function. */
  if (++fx->nrecv_expr <= RECV_FIN_AFTER) {
    buf_puts(out, "{ ");
    emit_suspend(fx, recv, out);
    buf_puts(out, "goc__chan_recv_resume(goc_cur, ((void *)0)); }\n");
  } else {
    emit_suspend(fx, recv, out);
    int k = fx->nresume;
    if (k >= fx->recv_fin_cap) {
      int cap = fx->recv_fin_cap ? fx->recv_fin_cap : 64;
      while (cap <= k) cap *= 2;
      fx->recv_fin = xrealloc(fx->recv_fin, (size_t)cap);
      memset(fx->recv_fin + fx->recv_fin_cap, 0, (size_t)(cap - fx->recv_fin_cap));
      fx->recv_fin_cap = cap;
    }
    fx->recv_fin[k] = 1;
  }
  if (temporary) buf_printf(out, "goc_chan_free((goc_chan *)%s);\n", ch);
  free(ch);
  char *r = want ? xasprintf("(%s)", dst + 1) : xstrdup("((void)0)");
  free(dst);
  return r;
}

void lower_send_stmt(fnctx *fx, TSNode n, buf *out) {
  char *ch = chan_operand(fx, node_field(n, "channel"), out, "send to");
  int cht = -1;
  TSNode value = node_field(n, "value");
  if (has_susp(fx, value) || !node_is(node_field(n, "channel"), "identifier")) {
    /* the channel is evaluated before the value, as in Go (chf() <- valf()),
       and kept across the value's suspensions */
    char *tc = typeof_text(fx, ch);
    char *ty = xasprintf("((void)0, (%s))", tc);
    cht = new_temp_typed(fx, ty, false);
    live_push(fx, cht);
    buf_printf(out, "%s = %s;\n", fx->slots[cht].cname, ch);
    free(tc);
    free(ty);
    free(ch);
    ch = xstrdup(fx->slots[cht].cname);
  }
  char *v = lower_expr(fx, value, out);
  int x = xfer_slot(fx, ch);
  const char *xn = fx->slots[x].cname;
  buf_printf(out, "goc_L->%s = %s;\n", xn, v);
  char *gc = dir_chan(node_field(n, "channel"), ch, "send");
  buf_printf(out, "if (!goc__chan_send(goc_cur, %s, &goc_L->%s)) { ", gc, xn);
  free(gc);
  emit_suspend(fx, n, out);
  buf_puts(out, "goc__chan_send_resume(goc_cur); }\n");
  free(ch);
  free(v);
}

void lower_receive_stmt(fnctx *fx, TSNode n, buf *out) {
  char *ch = chan_operand(fx, node_field(n, "channel"), out, "receive from");
  bool temporary = is_temporary_after(fx, node_field(n, "channel"));
  if (temporary) ch = hold_in_frame(fx, ch, out);   /* v, ok = <-goc_after(d); */
  int x = xfer_slot(fx, ch);
  int ok = new_temp_typed(fx, "_Bool", true);
  const char *xn = fx->slots[x].cname, *okn = fx->slots[ok].cname;
  char *gc = dir_chan(node_field(n, "channel"), ch, "receive");
  buf_printf(out, "if (!goc__chan_recv(goc_cur, %s, &goc_L->%s, &goc_L->%s)) { ", gc, xn, okn);
  free(gc);
  emit_suspend(fx, n, out);
  buf_printf(out, "goc__chan_recv_resume(goc_cur, &goc_L->%s); }\n", okn);
  if (temporary) buf_printf(out, "goc_chan_free((goc_chan *)%s);\n", ch);
  char *v = lower_expr(fx, node_field(n, "value"), out);
  char *o = lower_expr(fx, node_field(n, "ok"), out);
  buf_printf(out, "%s = goc_L->%s;\n%s = goc_L->%s;\n", v, xn, o, okn);
  free(v);
  free(o);
  free(ch);
}

void lower_for_range(fnctx *fx, TSNode n, buf *out) {
  char *ch = chan_operand(fx, node_field(n, "channel"), out, "range over");
  char *tc = typeof_text(fx, ch);
  char *ty = xasprintf("((void)0, (%s))", tc);
  int rc = new_temp_typed(fx, ty, false);
  free(tc);
  free(ty);
  live_push(fx, rc);
  const char *rcn = fx->slots[rc].cname;
  buf_printf(out, "%s = %s;\n", rcn, ch);
  int x = xfer_slot(fx, rcn);
  int ok = new_temp_typed(fx, "_Bool", true);
  const char *xn = fx->slots[x].cname, *okn = fx->slots[ok].cname;
  TSNode nm = declarator_name(node_field(n, "declarator"));
  int v = slot_of_ident(fx, nm);
  loopctx lc = {NULL, fx->loops};
  fx->loops = &lc;
  route r;
  buf body = {0};
  route_push(fx, &r, ts_node_start_byte(n));
  emit_preempt_check(fx, n, &body);
  char *gc = dir_chan(node_field(n, "channel"), rcn, "range");   /* receivable */
  buf_printf(&body, "if (!goc__chan_recv(goc_cur, %s, &goc_L->%s, &goc_L->%s)) { ", gc, xn, okn);
  free(gc);
  emit_suspend(fx, n, &body);
  buf_printf(&body, "goc__chan_recv_resume(goc_cur, &goc_L->%s); }\n", okn);
  buf_printf(&body, "if (!goc_L->%s) break;\n", okn);
  if (v >= 0) {
    slot *sl = &fx->slots[v];
    /* in the loop's block, as the body's locals; one in the locals area
       by its twin (lower_declaration), which is not left unused */
    if (sl->in_L) {
      char *td = twin_decl(fx, v);
      buf_printf(&body, "%s\ngoc_L->%s = goc_L->%s;\n", td, sl->fname, xn);
      free(td);
    } else {
      if (sl->decl) buf_printf(&body, "%s\n", sl->decl);
      buf_printf(&body, "%s = goc_L->%s;\n", sl->cname, xn);
    }
  }
  lower_stmt(fx, node_field(n, "body"), &body);
  route_forever(fx, &r, &body, out);
  buf_free(&body);
  fx->loops = lc.up;
  free(ch);
}

/* ---- select ---- */
typedef struct scase {
  TSNode node, op;
  bool is_default, is_send;
  int index;           /* position in the runtime's case array */
  int xfer;            /* slot */
  char *chan_text;     /* a one-case select's channel, as a goc_chan * */
  char *send_value;    /* a one-case select's send value, if read at the try-op */
  bool stable;         /* a one-case select's channel and value: neither can change the other */
} scase;

void lower_select(fnctx *fx, TSNode n, buf *out) {
  uint32_t c = ts_node_named_child_count(n);
  scase *cs = xcalloc(c + 1, sizeof *cs);
  int ncases = 0, nall = 0;
  bool has_default = false;
  for (uint32_t i = 0; i < c; i++) {
    TSNode k = ts_node_named_child(n, i);
    if (!node_is(k, "select_case")) continue;
    scase *sc = &cs[nall++];
    sc->node = k;
    sc->op = node_field(k, "operation");
    if (ts_node_is_null(sc->op)) {
      if (has_default) diag_error(fx->s, k, "multiple defaults in select");
      sc->is_default = true;
      has_default = true;
      sc->index = -1;
    } else {
      sc->is_send = node_is(sc->op, "send_clause");
      sc->index = ncases++;
    }
  }
  /* one case and a default: a non-blocking operation, as Go compiles it
     (selectnbrecv/selectnbsend): no case array, no select machinery */
  bool nonblocking = ncases == 1 && has_default;
  int sel = -1;
  if (ncases && !nonblocking) {
    char *ty = xasprintf("goc_select_case[%d]", ncases);
    sel = new_temp_typed(fx, ty, true);
    free(ty);
  }
  int chosen = new_temp_typed(fx, "int", true);
  int rok = new_temp_typed(fx, "_Bool", true);
  const char *seln = sel >= 0 ? fx->slots[sel].cname : NULL;
  const char *chn = fx->slots[chosen].cname, *rokn = fx->slots[rok].cname;
  /* evaluate every channel operand and send value, in source order */
  for (int i = 0; i < nall; i++) {
    scase *sc = &cs[i];
    if (sc->is_default) continue;
    emit_line(fx, sc->op, out);   /* errors in a case point at the case */
    TSNode chnode = node_field(sc->op, "channel");
    char *ch = chan_operand(fx, chnode, out, sc->is_send ? "send to" : "receive from");
    sc->xfer = xfer_slot(fx, ch);
    const char *xn = fx->slots[sc->xfer].cname;
    char *gc = dir_chan(chnode, ch, sc->is_send ? "send" : "receive");
    if (nonblocking) {
      /* held as the runtime's channel for the try-op below */
      sc->chan_text = xasprintf("((goc_chan *)%s)", gc);
      /* Go evaluates the channel before the value: hold it unless neither
         can change the other (a named channel, and a named or literal
         value) */
      TSNode val = sc->is_send ? node_field(sc->op, "value") : chnode;
      bool stable = node_is(chnode, "identifier") &&
                    (node_is(val, "identifier") || node_is(val, "number_literal") || node_is(val, "char_literal"));
      sc->stable = stable;
      if (!stable) {
        int h = new_temp_typed(fx, "goc_chan *", true);
        buf_printf(out, "goc_L->%s = %s;\n", fx->slots[h].cname, sc->chan_text);
        free(sc->chan_text);
        sc->chan_text = xasprintf("goc_L->%s", fx->slots[h].cname);
      }
    } else {
      buf_printf(out, "goc_L->%s[%d].chan = %s;\n", seln, sc->index, gc);
      buf_printf(out, "goc_L->%s[%d].elem = &goc_L->%s;\n", seln, sc->index, xn);
      buf_printf(out, "goc_L->%s[%d].dir = %s;\n", seln, sc->index, sc->is_send ? "GOC_SELECT_SEND" : "GOC_SELECT_RECV");
    }
    free(gc);
    if (sc->is_send) {
      char *v = lower_expr(fx, node_field(sc->op, "value"), out);
      if (nonblocking && sc->stable) {   /* read at the try-op, in the same order */
        sc->send_value = v;
      } else {
        buf_printf(out, "goc_L->%s = %s;\n", xn, v);
        free(v);
      }
    }
    free(ch);
  }
  /* a send value read at the try-op: its conversion's diagnostics at the
     case, as the store's were */
  TSNode line_at = n;
  for (int i = 0; i < nall; i++)
    if (cs[i].send_value) line_at = cs[i].op;
  emit_line(fx, line_at, out);
  scase *one = NULL;
  char *try_op = NULL;   /* nonblocking: the switch's own expression */
  if (nonblocking) {
    for (int i = 0; i < nall; i++)
      if (!cs[i].is_default) one = &cs[i];
    const char *xn = fx->slots[one->xfer].cname;
    /* A try-op never parks, so what it reads and writes may live on the C
       stack: a stable value is copied only on the path that sends, and a
       received value no case reads is not stored at all, where stores to
       goc_L each time round a polling loop were not removable. */
    if (one->is_send && one->send_value)
      try_op = xasprintf("GOC__TRYSEND_VALUE(%s, __typeof__(goc_L->%s), %s) ? 0 : -1", one->chan_text, xn,
                         one->send_value);
    else if (one->is_send)
      try_op = xasprintf("goc__chan_trysend_inline(%s, &goc_L->%s) ? 0 : -1", one->chan_text, xn);
    else if (node_is(one->op, "receive_assignment") || node_is(one->op, "receive_declaration"))
      try_op = xasprintf("goc__chan_tryrecv_inline(%s, &goc_L->%s, &goc_L->%s) ? 0 : -1", one->chan_text, xn, rokn);
    else
      try_op = xasprintf("goc__chan_tryrecv_inline(%s, ((void *)0), ((void *)0)) ? 0 : -1", one->chan_text);
    if (!one->is_send && is_temporary_after(fx, node_field(one->op, "channel"))) {
      /* the channel is freed before the case runs: keep the answer */
      buf_printf(out, "goc_L->%s = %s;\n", chn, try_op);
      free(try_op);
      try_op = NULL;
    }
  } else {
    buf_printf(out, "if (!goc__select(goc_cur, %s%s, %d, %d, &goc_L->%s, &goc_L->%s)) { ", seln ? "goc_L->" : "",
               seln ? seln : "((void *)0)", ncases, has_default ? 1 : 0, chn, rokn);
    emit_suspend(fx, n, out);
    buf_printf(out, "goc__select_resume(goc_cur, &goc_L->%s, &goc_L->%s); }\n", chn, rokn);
  }
  for (int i = 0; i < nall; i++)
    if (!cs[i].is_default && !cs[i].is_send && is_temporary_after(fx, node_field(cs[i].op, "channel"))) {
      if (nonblocking) buf_printf(out, "goc_chan_free(%s);\n", cs[i].chan_text);
      else buf_printf(out, "goc_chan_free(goc_L->%s[%d].chan);\n", seln, cs[i].index);
    }
  if (try_op) buf_printf(out, "switch (%s) {\n", try_op);
  else buf_printf(out, "switch (goc_L->%s) {\n", chn);
  free(try_op);
  for (int i = 0; i < nall; i++) {
    scase *sc = &cs[i];
    buf_printf(out, "case %d: {\n", sc->index);
    if (!sc->is_default && !sc->is_send) {
      const char *xn = fx->slots[sc->xfer].cname;
      emit_line(fx, sc->op, out);   /* the value's conversion is the case's */
      if (node_is(sc->op, "receive_assignment")) {
        char *v = lower_expr(fx, node_field(sc->op, "value"), out);
        buf_printf(out, "%s = goc_L->%s;\n", v, xn);
        free(v);
        TSNode okn = node_field(sc->op, "ok");
        if (!ts_node_is_null(okn)) {
          char *o = lower_expr(fx, okn, out);
          buf_printf(out, "%s = goc_L->%s;\n", o, rokn);
          free(o);
        }
      } else if (node_is(sc->op, "receive_declaration")) {
        TSNode nm = declarator_name(node_field(sc->op, "declarator"));
        int v = slot_of_ident(fx, nm);
        if (v >= 0) {
          slot *sl = &fx->slots[v];
          if (sl->decl) buf_printf(out, "%s\n", sl->decl);   /* in the case's block */
          buf_printf(out, "%s%s = goc_L->%s;\n", sl->in_L ? "goc_L->" : "", sl->in_L ? sl->fname : sl->cname, xn);
        }
      }
    }
    uint32_t kc = ts_node_child_count(sc->node);
    for (uint32_t j = 0; j < kc; j++) {
      const char *f = child_field_name(sc->node, j);
      if (f && !strcmp(f, "body")) lower_stmt(fx, ts_node_child(sc->node, j), out);
    }
    buf_puts(out, "} break;\n");
  }
  buf_puts(out, "}\n");
  for (int i = 0; i < nall; i++) {
    free(cs[i].chan_text);
    free(cs[i].send_value);
  }
  free(cs);
}
