/* lower_file.c — one .goc file to C: plain C copied as written (channel
 * types lowered, go statements expanded), goroutine functions replaced by
 * their state machines, and the declarations they need placed before their
 * first use.
 *
 * Invariant: every top-level item is preceded by a #line directive naming
 * its .goc position, so diagnostics and debuggers see the user's file. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "lower.h"

typedef struct filectx {
  program *p;
  source *s;
  buf out;
  bool *frame_done;    /* per program function */
  bool *thunk_done;
} filectx;

static int fn_index(program *p, fninfo *fn) {
  for (int i = 0; i < p->nfns; i++)
    if (p->fns[i] == fn) return i;
  return -1;
}

static void emit_thunk(filectx *fc, fninfo *fn) {
  buf *o = &fc->out;
  buf_printf(o, "\nstruct %s__goframe { goc_frame goc_hdr; %s};\n", fn->name, fn->fields);
  buf_printf(o, "static int %s__gostep(goc_g *goc_cur, goc_frame *goc_frp) {\n"
                "  struct %s__goframe *goc_fr = (struct %s__goframe *)goc_frp;\n  (void)goc_cur; (void)goc_fr;\n  ",
             fn->name, fn->name, fn->name);
  if (!fn->returns_void) buf_puts(o, "goc_fr->goc_ret = ");
  buf_printf(o, "%s(", fn->name);
  for (int i = 0; i < fn->nparams; i++) buf_printf(o, "%sgoc_fr->%s", i ? ", " : "", fn->params[i]);
  buf_puts(o, ");\n  return GOC_DONE;\n}\n");
  /* plain C: no name of its own in traces */
  buf_printf(o, "static const goc_fninfo %s__gofi = { %s__gostep, ((void *)0), ((void *)0) };\n", fn->name, fn->name);
}

/* Whether identifier n is the function of a go statement's call (go f(x)). */
static bool is_go_callee(TSNode n) {
  TSNode call = node_parent(n);
  if (!node_is(call, "call_expression") || !ts_node_eq(node_field(call, "function"), n)) return false;
  TSNode go = node_parent(call);
  return node_is(go, "go_statement") && ts_node_eq(node_field(go, "call"), call);
}

/* The frame and thunk identifier n needs (in_go: it is started with go;
 * -1: find out, only if it matters). */
static void scan_identifier(filectx *fc, TSNode n, int in_go) {
  uint32_t a = ts_node_start_byte(n), len = ts_node_end_byte(n) - a;
  char small[128], *name = len < sizeof small ? small : xmalloc(len + 1);
  memcpy(name, fc->s->text + a, len);
  name[len] = 0;
  fninfo *fn = program_find_in(fc->p, name, fc->s);
  if (name != small) free(name);
  if (!fn || !(fn->src || fn->external)) return;
  int i = fn_index(fc->p, fn);
  if (fn->coloured && !fc->frame_done[i]) {
    fc->frame_done[i] = true;
    emit_frame_decl(fn, &fc->out);
  }
  if (!fn->coloured && !fc->thunk_done[i] && (in_go < 0 ? is_go_callee(n) : in_go)) {
    fc->thunk_done[i] = true;
    emit_thunk(fc, fn);
  }
}

/* Declarations an item needs: frames of goroutine functions it names, and
 * thunks of plain functions it starts with go. Each identifier in the
 * item, in the order of the text: the ones source_check_syntax recorded
 * (a go statement's callee comes first in its statement, so asking at the
 * callee whether it is one is the walk's order), else a walk. */
static void scan_needs(filectx *fc, TSNode n, bool in_go) {
  const source *s = fc->s;
  if (s->idents_done && !in_go) {
    uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n), lo = 0, hi = s->nidents;
    while (lo < hi) {
      uint32_t mid = lo + (hi - lo) / 2;
      if (ts_node_start_byte(s->idents[mid]) < a) lo = mid + 1;
      else hi = mid;
    }
    for (uint32_t i = lo; i < s->nidents && ts_node_start_byte(s->idents[i]) < b; i++)
      scan_identifier(fc, s->idents[i], -1);
    return;
  }
  TSSymbol t = ts_node_symbol(n);
  if (sym_is(t, "identifier")) {
    scan_identifier(fc, n, in_go);
    return;
  }
  if (sym_is(t, "go_statement")) {
    TSNode call = node_field(n, "call");
    if (node_is(call, "call_expression")) {
      TSNode f = node_field(call, "function");
      if (node_is(f, "identifier")) scan_needs(fc, f, true);
    }
  }
  kids ks;
  kids_named(n, &ks);
  for (uint32_t i = 0; i < ks.n; i++) scan_needs(fc, ks.at[i], false);
  kids_free(&ks);
}

static bool is_word(char c) { return isalnum((unsigned char)c) || c == '_' || c == '$'; }

static void line_directive(filectx *fc, TSNode n) {
  buf_putc(&fc->out, '\n');
  buf_put_node_line(&fc->out, n);
}

static void emit_container(filectx *fc, TSNode n);

static bool is_container(TSNode n) {
  TSSymbol t = ts_node_symbol(n);
  return sym_is(t, "preproc_if") || sym_is(t, "preproc_ifdef") || sym_is(t, "preproc_else") ||
         sym_is(t, "preproc_elif") || sym_is(t, "preproc_elifdef");
}

static void direct_go_blocks(TSNode n, TSNode **out, int *nout) {
  if (node_is(n, "go_statement") && !ts_node_is_null(node_field(n, "body"))) {
    *out = xrealloc(*out, sizeof(TSNode) * (size_t)(*nout + 1));
    (*out)[(*nout)++] = n;
    return;
  }
  kids ks;
  kids_named(n, &ks);
  for (uint32_t i = 0; i < ks.n; i++) direct_go_blocks(ks.at[i], out, nout);
  kids_free(&ks);
}

/* Lifts the go { } blocks of fn (innermost first) and emits them. */
static void emit_lifted(filectx *fc, fninfo *fn) {
  TSNode *blocks = NULL;
  int nb = 0;
  direct_go_blocks(node_field(fn->def, "body"), &blocks, &nb);
  if (!nb) return;
  fnctx fx = {0};
  fx.p = fc->p;
  fx.s = fc->s;
  fx.fn = fn;
  fx.quiet = true;
  analyse_function(&fx);
  if (!fn->lifted && !fn->coloured) {
    /* the blocks are emitted first and may call their plain spawner */
    line_directive(fc, fn->def);
    emit_rewritten_range(fc->s, fn->def, ts_node_start_byte(fn->def), ts_node_start_byte(node_field(fn->def, "body")),
                         &fc->out, NULL);
    buf_puts(&fc->out, ";\n");
  }
  for (int i = 0; i < nb; i++) {
    fninfo *l = program_lifted(fc->p, blocks[i]);
    if (!l) continue;
    compute_captures(&fx, l);
    emit_lifted(fc, l);
    if (l->capture_types) buf_puts(&fc->out, l->capture_types);
    emit_frame_decl(l, &fc->out);
    char *c = lower_function(fc->p, fc->s, l);
    buf_puts(&fc->out, c);
    free(c);
  }
  free(blocks);
  buf_free(&fx.temps);
  idmap_free(&fx.susp);
}

/* A declaration that only declares functions (prototypes): it needs no
 * frame yet, and a frame emitted here could name a type that is still
 * incomplete (enum e; int f(enum e); enum e { ... };). */
static bool only_prototypes(TSNode n) {
  if (!node_is(n, "declaration")) return false;
  uint32_t c = ts_node_named_child_count(n);
  bool any = false;
  for (uint32_t i = 0; i < c; i++) {
    TSNode k = ts_node_named_child(n, i);
    if (node_is(k, "init_declarator")) return false;
    if (node_is(k, "function_declarator") || !ts_node_is_null(function_declarator_of(k))) any = true;
  }
  return any;
}

/* Whether rewrite_node, outside a goroutine function, copies n as written:
 * what it lowers there (chan(T), chan_make, <-, go) spells chan, <- or the
 * word go. A byte scan costs less than its walk of every node. */
static bool plain_c(const source *s, TSNode n) {
  const char *t = s->text;
  for (uint32_t i = ts_node_start_byte(n), e = ts_node_end_byte(n); i < e; i++) {
    if (t[i] == '<' && i + 1 < e && t[i + 1] == '-') return false;
    if (t[i] == 'c' && i + 4 <= e && !memcmp(t + i, "chan", 4)) return false;
    if (t[i] == 'g' && i + 1 < e && t[i + 1] == 'o' && (i == 0 || !is_word(t[i - 1])) && (i + 2 >= e || !is_word(t[i + 2])))
      return false;
  }
  return true;
}

static void emit_item(filectx *fc, TSNode n) {
  if (is_container(n)) { emit_container(fc, n); return; }
  /* what -include brought: the compile's own -include brings it again */
  if (source_row_is_forced(fc->s, ts_node_start_point(n).row)) return;
  if (node_is(n, "comment")) return;
  if (!only_prototypes(n)) scan_needs(fc, n, false);
  if (node_is(n, "function_definition")) {
    TSNode fd = function_declarator_of(node_field(n, "declarator"));
    TSNode nm = declarator_name(node_field(fd, "declarator"));
    char *name = ts_node_is_null(nm) ? NULL : node_text(fc->s, nm);
    fninfo *fn = name ? program_find_in(fc->p, name, fc->s) : NULL;
    free(name);
    if (fn && fn->src == fc->s && ts_node_eq(fn->def, n)) emit_lifted(fc, fn);
    if (fn && fn->coloured && fn->src == fc->s && ts_node_eq(fn->def, n)) {
      char *c = lower_function(fc->p, fc->s, fn);
      buf_puts(&fc->out, c);
      free(c);
      return;
    }
  }
  line_directive(fc, n);
  if (plain_c(fc->s, n)) buf_putn(&fc->out, fc->s->text + ts_node_start_byte(n), ts_node_end_byte(n) - ts_node_start_byte(n));
  else rewrite_node(fc->s, NULL, RW_EXPR, n, &fc->out);
  buf_puts(&fc->out, "\n");
}

/* A system header's item that tree-sitter did not parse (sysitems.c), as
 * emit_item and emit_container write one: plain C, it needs no frame (no
 * identifier of it names a goroutine function) and is copied as written. */
static void emit_sysitem(filectx *fc, const sysitem *it, uint32_t *pos) {
  const source *s = fc->s;
  if (it->start > *pos) buf_putn(&fc->out, s->text + *pos, it->start - *pos);
  if (!it->named) {
    buf_putn(&fc->out, s->text + it->start, it->end - it->start);
  } else {
    if (!source_row_is_forced(s, it->row)) {
      buf_putc(&fc->out, '\n');
      buf_put_row_line(&fc->out, s, it->row);
      buf_putn(&fc->out, s->text + it->start, it->end - it->start);
      buf_puts(&fc->out, "\n");
    }
    buf_putc(&fc->out, '\n');
  }
  *pos = it->end;
}

static void emit_container(filectx *fc, TSNode n) {
  const source *s = fc->s;
  uint32_t pos = ts_node_start_byte(n);
  /* the root's children and the system items between them, in order */
  bool top = ts_node_eq(n, ts_tree_root_node(s->tree));
  uint32_t si = 0, nsi = top ? s->nsysitems : 0;
  if (nsi && s->sysitems[0].start < pos) pos = s->sysitems[0].start;
  /* a cursor: child i by index, and its field name, are linear in i */
  TSTreeCursor cur = ts_tree_cursor_new(n);
  for (bool more = ts_tree_cursor_goto_first_child(&cur); more; more = ts_tree_cursor_goto_next_sibling(&cur)) {
    TSNode k = ts_tree_cursor_current_node(&cur);
    uint32_t ks = ts_node_start_byte(k);
    while (si < nsi && s->sysitems[si].start < ks) emit_sysitem(fc, &s->sysitems[si++], &pos);
    if (ks > pos) buf_putn(&fc->out, s->text + pos, ks - pos);
    const char *f = ts_tree_cursor_current_field_name(&cur);
    if (f && (!strcmp(f, "condition") || !strcmp(f, "name"))) {
      buf_putn(&fc->out, s->text + ks, ts_node_end_byte(k) - ks);
    } else if (f && !strcmp(f, "alternative")) {
      emit_container(fc, k);
    } else if (ts_node_is_named(k)) {
      emit_item(fc, k);
      /* a directive after an item must start on its own line */
      buf_putc(&fc->out, '\n');
    } else {
      buf_putn(&fc->out, s->text + ks, ts_node_end_byte(k) - ks);
    }
    pos = ts_node_end_byte(k);
  }
  ts_tree_cursor_delete(&cur);
  while (si < nsi) emit_sysitem(fc, &s->sysitems[si++], &pos);
  if (pos < ts_node_end_byte(n)) buf_putn(&fc->out, s->text + pos, ts_node_end_byte(n) - pos);
}

/* goc.h's chan_close, chan_len, chan_cap and chan_free are function-like
 * macros in the lowered C; the front end preprocessed without them, so a
 * file that declares a function (or anything) of such a name at file
 * scope keeps its own: the macro goes, and calls are the user's. */
static void undef_user_chan_names(const source *s, buf *out) {
  static const char *const names[] = {"chan_close", "chan_len", "chan_cap", "chan_free"};
  bool declared[sizeof names / sizeof *names] = {false};
  TSNode root = ts_tree_root_node(s->tree);
  uint32_t c = ts_node_named_child_count(root);
  for (uint32_t i = 0; i < c; i++) {
    TSNode top = ts_node_named_child(root, i);
    if (!node_is(top, "declaration") && !node_is(top, "function_definition")) continue;
    uint32_t kc = ts_node_child_count(top);
    for (uint32_t j = 0; j < kc; j++) {
      const char *f = child_field_name(top, j);
      if (!f || strcmp(f, "declarator")) continue;
      TSNode d = ts_node_child(top, j);
      if (node_is(d, "init_declarator")) d = node_field(d, "declarator");
      TSNode nm = declarator_name(d);
      if (ts_node_is_null(nm)) continue;
      for (size_t k = 0; k < sizeof names / sizeof *names; k++)
        if (!declared[k] && node_text_is(s, nm, names[k])) declared[k] = true;
    }
  }
  for (size_t k = 0; k < sizeof names / sizeof *names; k++)
    if (declared[k]) buf_printf(out, "#undef %s\n", names[k]);
}

char *lower_source(program *p, source *s) {
  filectx fc = {0};
  fc.p = p;
  fc.s = s;
  rewrite_program = p;
  fc.frame_done = xcalloc((size_t)p->nfns + 1, sizeof(bool));
  fc.thunk_done = xcalloc((size_t)p->nfns + 1, sizeof(bool));
  /* The text is the preprocessed translation unit with goc's own headers
     left out: they come back here, with their macros, for the lowering.
     Every chan_make(T, n) is lowered already, so goc.h's macro of that
     name goes: what is left called chan_make is the user's own function
     (SPEC lets the new syntax's words name things where the syntax is not). */
  buf_printf(&fc.out,
             LOWERED_C_FIRST_WORDS "%s. Do not edit. */\n#define GOC_NO_CHAN_MACRO 1\n#include <goc_abi.h>\n"
             "#undef chan_make\n",
             s->path);
  undef_user_chan_names(s, &fc.out);
  emit_container(&fc, ts_tree_root_node(s->tree));
  free(fc.frame_done);
  free(fc.thunk_done);
  if (diag_count) {
    buf_free(&fc.out);
    return NULL;
  }
  return buf_take(&fc.out);
}
