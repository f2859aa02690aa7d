/* rewrite.c — source text copied with the extensions that have a plain-C
 * spelling lowered in place: chan(T) types, chan_make(T, n), and (inside a
 * goroutine function) locals renamed to their slots.
 *
 * Invariant: only nodes without suspension points are rewritten here;
 * lower_expr.c handles the others before any text reaches this file. */
#include <string.h>
#include <stdlib.h>
#include "lower.h"

static void range(const source *s, fnctx *fx, rw_mode mode, TSNode n, uint32_t a, uint32_t b, buf *out,
                  int skip_storage);

/* const and volatile (not _Atomic, alignas): what a frame field that is
 * assigned must not carry at its top level. */
static bool is_const_qualifier(const source *s, TSNode k) {
  char *t = node_text(s, k);
  bool r = !strcmp(t, "const") || !strcmp(t, "volatile") || !strcmp(t, "__const") || !strcmp(t, "__volatile__");
  free(t);
  return r;
}

/* chan(T) is __typeof__(__typeof__(T) (*)[1]); chan<-(T) and <-chan(T)
 * put volatile and const on the element (goc.h's GOC_CHAN_SEND and
 * GOC_CHAN_RECV): a chan(T) converts to either, neither converts back. */
static void chan_type(const source *s, fnctx *fx, rw_mode mode, TSNode n, buf *out) {
  TSNode el = node_field(n, "element");
  TSNode dir = node_field(n, "direction");
  buf_puts(out, "__typeof__(");
  if (!ts_node_is_null(dir)) buf_puts(out, node_is(dir, "send_only") ? "volatile " : "const ");
  buf_puts(out, "__typeof__(");
  rewrite_node(s, fx, mode, el, out);
  buf_puts(out, ") (*)[1])");
}

/* x of a chan_make(x, n) that calls the user's function (lower.h; the
 * analysis mapped x to its slot when it is a local), or a null node. */
static TSNode chan_make_value(const source *s, const fnctx *fx, TSNode n) {
  TSNode x = chan_make_bare_name(n), none = {0};
  if (ts_node_is_null(x)) return none;
  return (fx && slot_of_ident(fx, x) >= 0) || !name_may_be_type(s, x) ? x : none;
}

static void rewrite_identifier(const source *s, fnctx *fx, rw_mode mode, TSNode n, buf *out);

static void chan_make(const source *s, fnctx *fx, rw_mode mode, TSNode n, buf *out) {
  TSNode el = node_field(n, "element");
  TSNode cap = node_field(n, "capacity");
  TSNode x = chan_make_value(s, fx, n);
  if (!ts_node_is_null(x)) {
    buf_puts(out, "chan_make(");
    rewrite_identifier(s, fx, mode, x, out);
    buf_puts(out, ", ");
    rewrite_node(s, fx, mode, cap, out);
    buf_puts(out, ")");
    return;
  }
  char *t = rewrite_str(s, fx, mode, el);
  buf_printf(out, "((__typeof__(__typeof__(%s) (*)[1]))goc_chan_make(sizeof(%s), _Alignof(%s), (__SIZE_TYPE__)(", t, t, t);
  rewrite_node(s, fx, mode, cap, out);
  buf_puts(out, ")))");
  free(t);
}

program *rewrite_program;

/* typeof(k) of a local or parameter whose own const the lowering drops
 * (analyse.c, top_const): C's type has that const. */
static bool typeof_of_const_local(const source *s, fnctx *fx, TSNode n) {
  char *kw = node_text(s, ts_node_child(n, 0));
  bool unqual = strstr(kw, "unqual") != NULL;
  free(kw);
  TSNode a = node_field(n, "argument");
  while (node_is(a, "parenthesized_expression") && ts_node_named_child_count(a) == 1) a = ts_node_named_child(a, 0);
  if (unqual || !node_is(a, "identifier")) return false;
  int k = slot_of_ident(fx, a);
  return k >= 0 && fx->slots[k].top_const;
}

void rewrite_node(const source *s, fnctx *fx, rw_mode mode, TSNode n, buf *out) {
  TSSymbol t = ts_node_symbol(n);
  if (sym_is(t, "channel_type")) { chan_type(s, fx, mode, n, out); return; }
  if (fx && sym_is(t, "typeof_specifier") && typeof_of_const_local(s, fx, n)) buf_puts(out, "const ");
  if (sym_is(t, "receive_expression")) {
    /* only reached where the operand is not evaluated (sizeof, typeof):
       the element type, without a direction's qualifier */
    buf_puts(out, "(GOC__ELEM(");
    rewrite_node(s, fx, mode, node_field(n, "channel"), out);
    buf_puts(out, "))");
    return;
  }
  if (sym_is(t, "go_statement") && !fx) { lower_go_plain(s, rewrite_program, n, out); return; }
  if (fx && mode == RW_EXPR && sym_is(t, "compound_literal_expression") && !in_opaque(fx, ts_node_start_byte(n))) {
    buf lit = {0}, ty = {0};
    range(s, fx, RW_EXPR, n, ts_node_start_byte(n), ts_node_end_byte(n), &lit, 0);
    range(s, fx, RW_TYPEOF, n, ts_node_start_byte(n), ts_node_end_byte(n), &ty, 0);
    uint32_t pos = fx->pos;
    fx->pos = ts_node_start_byte(n);
    char *w = compound_literal_in_frame(fx, buf_str(&lit), buf_str(&ty));
    fx->pos = pos;
    buf_puts(out, w);
    free(w);
    buf_free(&lit);
    buf_free(&ty);
    return;
  }
  if (sym_is(t, "chan_make_expression")) { chan_make(s, fx, mode, n, out); return; }
  /* a local's type named at the top (typedef goc_T<slot>): no cleanup, which
     belongs to the variable (gcc ignores it on a typedef, with a warning);
     nor a managed cleanup local's declaration (the lowering calls it) */
  if (fx && (mode == RW_TOP || fx->drop_cleanup) && sym_is(t, "attribute_specifier") && attribute_names_cleanup(s, n)) {
    char *kept = attribute_without_cleanup(s, n);
    if (kept) buf_puts(out, kept);
    free(kept);
    return;
  }
  if (fx && sym_is(t, "type_identifier")) {
    const char *rn = renamed_type(fx, n);
    if (rn) { buf_puts(out, rn); return; }
  }
  if (fx && sym_is(t, "identifier")) {
    rewrite_identifier(s, fx, mode, n, out);
    return;
  }
  range(s, fx, mode, n, ts_node_start_byte(n), ts_node_end_byte(n), out, 0);
}

/* A name as the lowering spells it: a local's slot, or as written. */
static void rewrite_identifier(const source *s, fnctx *fx, rw_mode mode, TSNode n, buf *out) {
  if (fx && fx->decl_name_as && ts_node_start_byte(n) == fx->decl_name_pos) {
    buf_puts(out, fx->decl_name_as);
    return;
  }
  int k = fx ? slot_of_ident(fx, n) : -1;
  if (k >= 0) {
    slot *sl = &fx->slots[k];
    if (mode == RW_TOP && declared_in_place(sl))
      buf_printf(out, "(*(goc_T%d *)0)", k);
    else if (mode == RW_EXPR && sl->top_const && !sl->is_register) {
      /* the lowering drops its const (a suspension reloads it): read
         through a const lvalue, so that &k is a pointer to const and an
         array decays to one, as in C (the writes C refuses are refused
         before: analyse.c); goc_abi.h says why not with clang */
      char *at = sl->in_L ? xasprintf("(goc_L->%s)", sl->fname) : xstrdup(sl->cname);
      buf_printf(out, "GOC__CONST_LVALUE(%s)", at);
      free(at);
    } else if (sl->in_L && mode == RW_EXPR)
      buf_printf(out, "(goc_L->%s)", sl->fname);
    else
      buf_puts(out, sl->cname);
    return;
  }
  /* the step function is F__step, a go block's F__goN__step: C's name of
     the function is F's (gcc's __FUNCTION__ and __PRETTY_FUNCTION__ are
     the same array in C) */
  if (fx && (node_text_is(s, n, "__func__") || node_text_is(s, n, "__FUNCTION__") ||
             node_text_is(s, n, "__PRETTY_FUNCTION__"))) {
    fx->names_func = true;
    buf_puts(out, "goc__func");
    return;
  }
  buf_putn(out, s->text + ts_node_start_byte(n), ts_node_end_byte(n) - ts_node_start_byte(n));
}

static void range(const source *s, fnctx *fx, rw_mode mode, TSNode n, uint32_t a, uint32_t b, buf *out,
                  int skip_storage) {
  uint32_t pos = a;
  /* the children from the tree's table (nodes.c): ts_node_child(n, i)
     walks from the first child */
  uint32_t c;
  const TSNode *known = nodes_children(s, n, &c);
  if (!known) c = ts_node_child_count(n);
  for (uint32_t i = 0; i < c && pos < b; i++) {
    TSNode k = known ? known[i] : ts_node_child(n, i);
    uint32_t ks = ts_node_start_byte(k), ke = ts_node_end_byte(k);
    if (ke <= pos || ks >= b) continue;
    if (ks > pos) buf_putn(out, s->text + pos, ks - pos);
    if (ks < pos) ks = pos;
    if ((skip_storage && (node_is(k, "storage_class_specifier") || node_is(k, "attribute_specifier"))) ||
        (skip_storage == 2 && node_is(k, "type_qualifier") && is_const_qualifier(s, k))) {
      pos = ke < b ? ke : b;
      continue;
    }
    if (ks == ts_node_start_byte(k) && ke <= b)
      rewrite_node(s, fx, mode, k, out);
    else
      range(s, fx, mode, k, ks, ke < b ? ke : b, out, skip_storage);
    pos = ke < b ? ke : b;
  }
  if (pos < b) buf_putn(out, s->text + pos, b - pos);
}

char *rewrite_str(const source *s, fnctx *fx, rw_mode mode, TSNode n) {
  buf b = {0};
  rewrite_node(s, fx, mode, n, &b);
  return buf_take(&b);
}

void emit_rewritten_range(const source *s, TSNode n, uint32_t a, uint32_t b, buf *out, const char *skip) {
  range(s, NULL, RW_EXPR, n, a, b, out, !skip ? 0 : !strcmp(skip, "storage") ? 1 : !strcmp(skip, "storage_const") ? 2 : 0);
}

char *typeof_text(const fnctx *fx, const char *e) {
  buf b = {0};
  for (const char *p = e; *p;) {
    if (!strncmp(p, "(goc_L->", 8)) {
      buf_putc(&b, '(');
      p += 8;
      size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
      const char *twin = NULL;
      for (int i = 0; fx && i < fx->nslots && !twin; i++) {
        const char *f = fx->slots[i].fname;
        if (f && strlen(f) == n && !strncmp(f, p, n)) twin = fx->slots[i].cname;
      }
      if (twin) {
        buf_puts(&b, twin);
        p += n;
      }
    } else {
      buf_putc(&b, *p++);
    }
  }
  return buf_take(&b);
}

void rewrite_range(const source *s, fnctx *fx, rw_mode mode, TSNode n, uint32_t a, uint32_t b, buf *out) {
  range(s, fx, mode, n, a, b, out, 0);
}

/* A compound literal in a goroutine function lives in the locals area, not
 * on the step function's C stack: a pointer to it may be used after a
 * suspension, when the C stack frame is gone. The expression stays an
 * lvalue of the literal's type (arrays still decay, sizeof still works). */
char *compound_literal_in_frame(fnctx *fx, const char *lit, const char *lit_typeof) {
  char *tt = typeof_text(fx, lit_typeof);
  int k = new_temp_typed(fx, tt, true);
  const char *nm = fx->slots[k].cname;
  char *r = xasprintf("(*({ __typeof__(goc_L->%s) *goc_cl = &goc_L->%s; __builtin_memcpy((void *)goc_cl, &%s, "
                      "sizeof *goc_cl); goc_cl; }))", nm, nm, lit);
  free(tt);
  return r;
}
