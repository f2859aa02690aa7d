/* counted.c — which loops the lowering strip-mines: innermost counted
 * loops, which then get one preemption check per chunk of iterations
 * instead of one per iteration (lower_for; docs/lowering.md); and which
 * nests of counted loops with constant bounds run with no check at all. A check
 * inside such a loop is what keeps the C compiler from optimising it: the
 * check's atomic load may, for all gcc knows, change memory, so loads stay
 * in the loop, and the loop gets a second exit. The chunk's inner loop has
 * neither.
 *
 * A loop qualifies when it is written
 *     for (init; v OP e; v STEP) body
 * with OP one of < <= > >= (either operand may be v), STEP one of ++ --
 * += N -= N (N an integer literal) going towards e, and
 *   - v is a local or parameter of integer type (its declaration says so;
 *     a typedef name is taken on trust, and GOC__CHUNK falls back to chunks
 *     of one iteration if it is not an integer), neither volatile nor
 *     static, whose address is never taken;
 *   - e reads only constants and such locals, with no side effect;
 *   - neither v nor e's locals are assigned in the body;
 *   - the body has no loop, no call but libm's and a few builtins (each
 *     short and loop-free), no goto, label or case label of an enclosing
 *     switch, no asm, no go statement, no channel operation.
 *
 * Invariants:
 *   - Recognition is syntactic and conservative: a loop it does not
 *     recognise keeps its check at every back-edge, so every loop still
 *     has a check at least once per chunk.
 *   - Inside a chunk the condition is not evaluated: it is pure and reads
 *     nothing the body can change, so it holds for every iteration that
 *     GOC__CHUNK (goc_abi.h) counts, and it is evaluated again, as
 *     written, before every chunk.
 *   - A chunk is a power of two of at most CHUNK_MAX iterations, and at
 *     most CHUNK_BUDGET syntax nodes of body over all its iterations: the
 *     body is straight-line code, so this bounds the time between two
 *     checks (well under the monitor's 10 ms slice).
 *   - A nest with no check (bounded_nest) is a counted loop whose counter
 *     starts and ends within [0, RANGE_MAX] by constants and the counters
 *     of the nest's loops around it, whose body qualifies as above except
 *     that it may hold such loops, and whose whole run, all iterations of
 *     all its loops, is at most NEST_BUDGET syntax nodes: the same bound
 *     as a chunk's, so the check of the loop around it (or of the
 *     function's entry) comes as soon as a chunk's would. */
#include <stdlib.h>
#include <string.h>
#include "lower.h"

#define CHUNK_MAX 1024
#define CHUNK_MIN 16          /* below: not worth a second loop; keep the check */
#define CHUNK_BUDGET 32768    /* body nodes x iterations per chunk */
#define NEST_BUDGET CHUNK_BUDGET   /* and for a whole nest with no check */

static TSNode unparen(TSNode n) {
  while (node_is(n, "parenthesized_expression") && ts_node_named_child_count(n) == 1)
    n = ts_node_named_child(n, 0);
  return n;
}

/* The declaration (or parameter declaration) of slot k; null for a
 * parameter not found. */
static TSNode decl_of(fnctx *fx, int k, TSNode *declarator) {
  slot *sl = &fx->slots[k];
  if (!sl->is_param) {
    *declarator = sl->declarator;
    return sl->decl_node;
  }
  *declarator = (TSNode){0};
  /* a go { } block's parameters are its captures, declared elsewhere */
  if (fx->fn->lifted || ts_node_is_null(fx->fn->def)) return (TSNode){0};
  TSNode fd = function_declarator_of(node_field(fx->fn->def, "declarator"));
  TSNode params = node_field(fd, "parameters");
  if (ts_node_is_null(params)) return (TSNode){0};
  uint32_t c = ts_node_named_child_count(params);
  for (uint32_t i = 0; i < c; i++) {
    TSNode p = ts_node_named_child(params, i);
    if (!node_is(p, "parameter_declaration")) continue;
    TSNode d = node_field(p, "declarator");
    TSNode nm = ts_node_is_null(d) ? d : declarator_name(d);
    if (!ts_node_is_null(nm) && node_text_is(fx->s, nm, sl->name)) {
      *declarator = d;
      return p;
    }
  }
  return (TSNode){0};
}

static bool has_qualifier(const source *s, TSNode n) {
  if (ts_node_is_null(n)) return false;
  uint32_t c = ts_node_named_child_count(n);
  for (uint32_t i = 0; i < c; i++) {
    TSNode q = ts_node_named_child(n, i);
    if (node_is(q, "type_qualifier") && !node_text_is(s, q, "const") && !node_text_is(s, q, "restrict")) return true;
  }
  return false;
}

/* A local the loop may read without its value changing behind the
 * lowering's back: a register (no address taken), not volatile or atomic,
 * not static (a pointer saved elsewhere may reach it). */
static int plain_local(fnctx *fx, TSNode id) {
  if (!node_is(id, "identifier")) return -1;
  int k = slot_of_ident(fx, id);
  if (k < 0) return -1;
  slot *sl = &fx->slots[k];
  if (sl->in_L || sl->is_static || sl->is_temp || sl->in_place || sl->is_shadow) return -1;
  TSNode d;
  TSNode decl = decl_of(fx, k, &d);
  if (ts_node_is_null(decl) || !node_is(d, "identifier")) return -1;
  if (has_qualifier(fx->s, decl)) return -1;
  TSNode type = node_field(decl, "type");
  if (has_qualifier(fx->s, type)) return -1;
  return k;
}

/* Whether slot k's declared type is an integer type (a typedef name is
 * accepted: GOC__CHUNK checks it again in C). */
static bool integer_typed(fnctx *fx, int k) {
  TSNode d;
  TSNode type = node_field(decl_of(fx, k, &d), "type");
  if (node_is(type, "type_identifier")) return true;
  if (node_is(type, "sized_type_specifier")) {
    TSNode base = node_field(type, "type");
    return ts_node_is_null(base) || node_text_is(fx->s, base, "int") || node_text_is(fx->s, base, "char");
  }
  if (!node_is(type, "primitive_type")) return false;
  static const char *const not_int[] = {"float", "double", "void", "bool", "_Bool", "_Float16", "__float128", NULL};
  for (int i = 0; not_int[i]; i++)
    if (node_text_is(fx->s, type, not_int[i])) return false;
  return true;
}

/* e has no side effect and reads only constants and plain locals; their
 * slots are added to *reads. */
static bool pure_bound(fnctx *fx, TSNode e, int **reads, int *nreads) {
  if (ts_node_is_null(e)) return false;
  TSSymbol t = ts_node_symbol(e);
  if (sym_is(t, "number_literal") || sym_is(t, "char_literal") || sym_is(t, "sizeof_expression") ||
      sym_is(t, "comment"))
    return true;
  if (sym_is(t, "identifier")) {
    int k = plain_local(fx, e);
    if (k < 0) return false;
    *reads = xrealloc(*reads, sizeof(int) * (size_t)(*nreads + 1));
    (*reads)[(*nreads)++] = k;
    return true;
  }
  if (sym_is(t, "cast_expression")) return pure_bound(fx, node_field(e, "value"), reads, nreads);
  if (!sym_is(t, "parenthesized_expression") && !sym_is(t, "binary_expression") && !sym_is(t, "unary_expression") &&
      !sym_is(t, "conditional_expression"))
    return false;
  kids ks;
  kids_named(e, &ks);
  bool r = true;
  for (uint32_t i = 0; i < ks.n && r; i++) r = pure_bound(fx, ks.at[i], reads, nreads);
  kids_free(&ks);
  return r;
}

/* Builtins that are one instruction or a short sequence with no loop. */
static bool short_builtin(fnctx *fx, const char *name) {
  if (!strncmp(name, "__atomic_", 9) || !strncmp(name, "__sync_", 7)) return true;
  if (strncmp(name, "__builtin_", 10)) return false;
  const char *b = name + 10;
  static const char *const ok[] = {"expect", "assume_aligned", "constant_p", "unreachable", "prefetch", "popcount",
                                   "clz", "ctz", "clrsb", "ffs", "parity", "bswap", "add_overflow", "sub_overflow",
                                   "mul_overflow", "is", "signbit", "fpclassify", "inf", "huge_val", "nan",
                                   "classify_type", "types_compatible_p", "choose_expr", "offsetof", NULL};
  for (int i = 0; ok[i]; i++)
    if (!strncmp(b, ok[i], strlen(ok[i]))) return true;
  return declared_by_libm(fx->s, b);   /* __builtin_sqrt and its kin */
}

typedef struct range { long long lo, hi; } range;
typedef struct env { int slot; range r; const struct env *up; } env;   /* counters of the loops around */

typedef struct scan {
  fnctx *fx;
  const env *nest;  /* non-NULL: counted for loops with a bound are allowed (their work is added) */
  int *written;     /* slots assigned or incremented */
  int nwritten;
  int switches;     /* switch statements around the node, inside the body */
  int raw;          /* statement expressions and attributed statements
                       around it: the lowering copies them as written */
  int nodes;
  bool bad;
} scan;

static void note_write(scan *sc, TSNode target) {
  target = unparen(target);
  if (!node_is(target, "identifier")) return;
  int k = slot_of_ident(sc->fx, target);
  if (k < 0) return;
  sc->written = xrealloc(sc->written, sizeof(int) * (size_t)(sc->nwritten + 1));
  sc->written[sc->nwritten++] = k;
}

static long long nest_work(fnctx *fx, TSNode loop, const env *en);

static void scan_node(scan *sc, TSNode n) {
  if (ts_node_is_null(n) || sc->bad) return;
  TSSymbol t = ts_node_symbol(n);
  sc->nodes++;
  if (sym_is(t, "for_statement") && sc->nest) {
    long long w = nest_work(sc->fx, n, sc->nest);
    if (w < 0) sc->bad = true;
    else sc->nodes += (int)w;
    return;
  }
  if (sym_is(t, "for_statement") || sym_is(t, "while_statement") || sym_is(t, "do_statement") ||
      sym_is(t, "for_range_statement") || sym_is(t, "goto_statement") || sym_is(t, "labeled_statement") ||
      sym_is(t, "gnu_asm_expression") || sym_is(t, "go_statement") || sym_is(t, "send_statement") ||
      sym_is(t, "receive_statement") || sym_is(t, "receive_expression") || sym_is(t, "select_statement") ||
      (sym_is(t, "case_statement") && sc->switches == 0) ||
      /* a break the lowering cannot redirect out of the chunk loop */
      (sym_is(t, "break_statement") && sc->switches == 0 && sc->raw > 0)) {
    sc->bad = true;
    return;
  }
  /* the chunked loop writes its body twice: a static would be two objects */
  if (sym_is(t, "declaration") && has_storage(sc->fx->s, n, "static")) {   /* _Thread_local too, in a block */
    sc->bad = true;
    return;
  }
  if (sym_is(t, "call_expression")) {
    TSNode f = node_field(n, "function");
    char *name = node_is(f, "identifier") ? node_text(sc->fx->s, f) : NULL;
    bool ok = name && slot_of_ident(sc->fx, f) < 0 && (short_builtin(sc->fx, name) || declared_by_libm(sc->fx->s, name));
    free(name);
    if (!ok) {
      sc->bad = true;
      return;
    }
  }
  if (sym_is(t, "assignment_expression")) note_write(sc, node_field(n, "left"));
  if (sym_is(t, "update_expression")) note_write(sc, node_field(n, "argument"));
  bool sw = sym_is(t, "switch_statement");
  bool raw = sym_is(t, "attributed_statement") ||
             (sym_is(t, "compound_statement") && node_is(node_parent(n), "parenthesized_expression"));
  sc->switches += sw;
  sc->raw += raw;
  kids ks;
  kids_named(n, &ks);
  for (uint32_t i = 0; i < ks.n; i++) scan_node(sc, ks.at[i]);
  kids_free(&ks);
  sc->switches -= sw;
  sc->raw -= raw;
}

static bool written(const scan *sc, int k) {
  for (int i = 0; i < sc->nwritten; i++)
    if (sc->written[i] == k) return true;
  return false;
}

/* The step of update u on the counter k (negative: down); 0 if u is not
 * an increment of k by a literal. */
static long long step_of(fnctx *fx, TSNode u, int k) {
  u = unparen(u);
  TSNode target, op = node_field(u, "operator");
  long long mag = 1;
  if (node_is(u, "update_expression")) {
    target = node_field(u, "argument");
  } else if (node_is(u, "assignment_expression") && (node_text_is(fx->s, op, "+=") || node_text_is(fx->s, op, "-="))) {
    target = node_field(u, "left");
    TSNode r = unparen(node_field(u, "right"));
    if (!node_is(r, "number_literal")) return 0;
    char *txt = node_text(fx->s, r), *end;
    unsigned long long v = strtoull(txt, &end, 0);
    bool ok = end != txt && strspn(end, "uUlL") == strlen(end) && v >= 1 && v <= (1ull << 32);
    free(txt);
    if (!ok) return 0;
    mag = (long long)v;
  } else {
    return 0;
  }
  target = unparen(target);
  if (!node_is(target, "identifier") || slot_of_ident(fx, target) != k) return 0;
  bool down = node_text_is(fx->s, op, "--") || node_text_is(fx->s, op, "-=");
  return down ? -mag : mag;
}

/* The shape `for (init; v OP e; v STEP)`: the counter's slot, or -1. */
static int shape_of(fnctx *fx, TSNode loop, counted *out) {
  TSNode cond = unparen(node_field(loop, "condition")), upd = node_field(loop, "update");
  TSNode body = node_field(loop, "body");
  if (!node_is(cond, "binary_expression") || ts_node_is_null(upd) || ts_node_is_null(body)) return -1;
  TSNode op = node_field(cond, "operator");
  bool lt = node_text_is(fx->s, op, "<") || node_text_is(fx->s, op, "<="), gt = node_text_is(fx->s, op, ">") || node_text_is(fx->s, op, ">=");
  if (!lt && !gt) return -1;
  bool incl = node_text_is(fx->s, op, "<=") || node_text_is(fx->s, op, ">=");
  TSNode l = unparen(node_field(cond, "left")), r = unparen(node_field(cond, "right"));
  /* the counter: the operand the update steps */
  TSNode var = l, bound = r;
  int k = plain_local(fx, l);
  long long step = k >= 0 ? step_of(fx, upd, k) : 0;
  if (!step) {
    var = r, bound = l;
    k = plain_local(fx, r);
    step = k >= 0 ? step_of(fx, upd, k) : 0;
    lt = !lt;   /* e > v is v < e */
  }
  if (!step || !integer_typed(fx, k)) return -1;
  bool down = step < 0;
  if (down == lt) return -1;   /* stepping away from the bound */
  *out = (counted){var, bound, down, incl, (unsigned long long)(down ? -step : step), 0};
  return k;
}

/* Scans the body and the update of a loop of counter k whose bound reads
 * the slots `reads`: sc->bad unless they qualify. */
static void scan_loop(scan *sc, TSNode loop, int k, const int *reads, int nreads) {
  scan_node(sc, node_field(loop, "body"));
  if (sc->bad || written(sc, k)) {
    sc->bad = true;
    return;
  }
  scan_node(sc, node_field(loop, "update"));   /* the update writes the counter, and only it */
  for (int i = 0; i < nreads && !sc->bad; i++) sc->bad = written(sc, reads[i]);
}

bool counted_loop(fnctx *fx, TSNode loop, counted *out) {
  int k = shape_of(fx, loop, out);
  if (k < 0) return false;
  int *reads = NULL, nreads = 0;
  bool ok = pure_bound(fx, out->bound, &reads, &nreads);
  scan sc = {fx, NULL, NULL, 0, 0, 0, 0, false};
  if (ok) {
    scan_loop(&sc, loop, k, reads, nreads);
    ok = !sc.bad;
  }
  int chunk = CHUNK_MAX;
  while (chunk >= CHUNK_MIN && (long)chunk * sc.nodes > CHUNK_BUDGET) chunk /= 2;
  free(reads);
  free(sc.written);
  if (!ok || chunk < CHUNK_MIN) return false;
  out->chunk = chunk;
  return true;
}

/* ---- loop nests with a constant bound ----------------------------------
 * Counters of at least 32 bits whose start and bound are integer literals,
 * or sums, differences and products of literals and the counters of the
 * loops around, all within [0, RANGE_MAX]: their values then never wrap
 * and compare as in arithmetic, so the trip count has a bound. */
#define RANGE_MAX (1LL << 30)
#define STEP_MAX (1LL << 20)

static bool wide_counter(fnctx *fx, int k) {
  TSNode d;
  TSNode type = node_field(decl_of(fx, k, &d), "type");
  if (!node_is(type, "primitive_type") && !node_is(type, "sized_type_specifier")) return false;
  char *t = node_text(fx->s, type);
  static const char *const narrow[] = {"char", "short", "bool", "float", "double", "int8", "int16", NULL};
  bool ok = true;
  for (int i = 0; narrow[i] && ok; i++) ok = !strstr(t, narrow[i]);
  free(t);
  return ok && integer_typed(fx, k);
}

static bool range_of(fnctx *fx, TSNode e, const env *en, range *r) {
  e = unparen(e);
  if (node_is(e, "number_literal")) {
    char *txt = node_text(fx->s, e), *end;
    unsigned long long v = strtoull(txt, &end, 0);
    bool ok = end != txt && strspn(end, "uUlL") == strlen(end) && v <= (unsigned long long)RANGE_MAX;
    free(txt);
    *r = (range){(long long)v, (long long)v};
    return ok;
  }
  if (node_is(e, "identifier")) {
    int k = slot_of_ident(fx, e);
    for (; en; en = en->up)
      if (k >= 0 && en->slot == k) {
        *r = en->r;
        return true;
      }
    return false;
  }
  if (!node_is(e, "binary_expression")) return false;
  range a, b;
  if (!range_of(fx, node_field(e, "left"), en, &a) || !range_of(fx, node_field(e, "right"), en, &b)) return false;
  TSNode op = node_field(e, "operator");
  if (node_text_is(fx->s, op, "+")) *r = (range){a.lo + b.lo, a.hi + b.hi};
  else if (node_text_is(fx->s, op, "-")) *r = (range){a.lo - b.hi, a.hi - b.lo};
  else if (node_text_is(fx->s, op, "*") && a.hi <= RANGE_MAX && b.hi <= RANGE_MAX) *r = (range){a.lo * b.lo, a.hi * b.hi};
  else return false;   /* operands are in [0, RANGE_MAX]: lo * lo is the least product */
  return r->lo >= 0 && r->hi <= RANGE_MAX;
}

/* The counter's start: the initializer's value for it. */
static TSNode start_of(fnctx *fx, TSNode loop, int k) {
  TSNode init = node_field(loop, "initializer");
  if (node_is(init, "declaration")) {
    uint32_t c = ts_node_child_count(init);
    for (uint32_t i = 0; i < c; i++) {
      const char *f = child_field_name(init, i);
      TSNode d = ts_node_child(init, i);
      if (!f || strcmp(f, "declarator") || !node_is(d, "init_declarator")) continue;
      TSNode nm = declarator_name(node_field(d, "declarator"));
      if (!ts_node_is_null(nm) && slot_of_ident(fx, nm) == k) return node_field(d, "value");
    }
    return (TSNode){0};
  }
  init = unparen(init);
  TSNode op = node_field(init, "operator");
  if (!node_is(init, "assignment_expression") || !node_text_is(fx->s, op, "=")) return (TSNode){0};
  TSNode l = unparen(node_field(init, "left"));
  return node_is(l, "identifier") && slot_of_ident(fx, l) == k ? node_field(init, "right") : (TSNode){0};
}

/* Syntax nodes run by the whole of a counted loop with a constant bound,
 * over all its iterations (nested ones included), or -1. */
static long long nest_work(fnctx *fx, TSNode loop, const env *en) {
  counted cl;
  int k = shape_of(fx, loop, &cl);
  if (k < 0 || !wide_counter(fx, k)) return -1;
  TSNode start = start_of(fx, loop, k);
  range x, e;
  if (ts_node_is_null(start) || !range_of(fx, start, en, &x) || !range_of(fx, cl.bound, en, &e)) return -1;
  long long s = (long long)cl.step, span = cl.down ? x.hi - e.lo : e.hi - x.lo;
  /* the last step stays within [0, RANGE_MAX + s] (an unsigned counter
     counting down past 0 would wrap, and the condition might hold again) */
  if (s > STEP_MAX || (cl.down && e.lo + !cl.incl - s < 0)) return -1;
  long long trips = span < 0 ? 0 : cl.incl ? span / s + 1 : (span + s - 1) / s;
  range inside = cl.down ? (range){e.lo + !cl.incl, x.hi} : (range){x.lo, e.hi - !cl.incl};
  env here = {k, inside, en};
  scan sc = {fx, &here, NULL, 0, 0, 0, 0, false};
  scan_loop(&sc, loop, k, NULL, 0);
  /* the start and the bound read only the counters of the loops around;
     each loop checks that none of them is written inside it */
  for (const env *u = en; u && !sc.bad; u = u->up) sc.bad = written(&sc, u->slot);
  free(sc.written);
  scan cs = {fx, NULL, NULL, 0, 0, 0, 0, false};
  scan_node(&cs, node_field(loop, "condition"));
  free(cs.written);
  if (sc.bad || cs.bad || trips > NEST_BUDGET) return -1;
  long long w = trips * (sc.nodes + cs.nodes + 1);
  return w > NEST_BUDGET ? -1 : w;
}

bool bounded_nest(fnctx *fx, TSNode loop) { return nest_work(fx, loop, NULL) >= 0; }

/* ---- a loop around a counted loop that starts the same every time -------
 * A loop whose body is, or runs at its top level, a strip-mined loop (the
 * only loop in it) that starts from the same counter value against the same
 * bound in every iteration: whether that loop's iterations fit in one
 * chunk is then known before the outer loop runs, and lower_for writes
 * the outer loop twice, a copy for when they do (the inner loop is only
 * its short count, and the copy has no resume point) and the loop as
 * ever. The start and the bound read only constants and plain locals
 * visible before the outer loop that nothing in it assigns; the body has
 * no label, goto, case label, asm, static, go statement or channel
 * operation (it is written twice), and the inner loop's counter is
 * declared in its own first clause with a basic type, or before the outer
 * loop. */
typedef struct outer_scan {
  fnctx *fx;
  TSNode inner;
  int *written;
  int nwritten;
  bool bad;
} outer_scan;

static void outer_node(outer_scan *os, TSNode n) {
  if (ts_node_is_null(n) || os->bad) return;
  TSSymbol t = ts_node_symbol(n);
  if (ts_node_eq(n, os->inner)) {
    /* its body is vetted by counted_loop; only what it writes counts here */
  } else if (sym_is(t, "for_statement") || sym_is(t, "while_statement") || sym_is(t, "do_statement") ||
             sym_is(t, "for_range_statement") || sym_is(t, "goto_statement") || sym_is(t, "labeled_statement") ||
             sym_is(t, "case_statement") || sym_is(t, "gnu_asm_expression") || sym_is(t, "go_statement") ||
             sym_is(t, "send_statement") || sym_is(t, "receive_statement") || sym_is(t, "receive_expression") ||
             sym_is(t, "select_statement") ||
             (sym_is(t, "declaration") && has_storage(os->fx->s, n, "static"))) {
    os->bad = true;
    return;
  }
  TSNode target = {0};
  if (sym_is(t, "assignment_expression")) target = node_field(n, "left");
  if (sym_is(t, "update_expression")) target = node_field(n, "argument");
  if (!ts_node_is_null(target)) {
    target = unparen(target);
    int k = node_is(target, "identifier") ? slot_of_ident(os->fx, target) : -1;
    if (k >= 0) {
      os->written = xrealloc(os->written, sizeof(int) * (size_t)(os->nwritten + 1));
      os->written[os->nwritten++] = k;
    }
  }
  kids ks;
  kids_named(n, &ks);
  for (uint32_t i = 0; i < ks.n; i++) outer_node(os, ks.at[i]);
  kids_free(&ks);
}

/* Slot k holds the same value everywhere in loop: visible before it and
 * not assigned in it. */
static bool invariant_in(const outer_scan *os, TSNode loop, int k) {
  const slot *sl = &os->fx->slots[k];
  if (!sl->is_param && !(sl->decl_byte < ts_node_start_byte(loop) && ts_node_end_byte(loop) <= sl->scope_end))
    return false;
  for (int i = 0; i < os->nwritten; i++)
    if (os->written[i] == k) return false;
  return true;
}

bool invariant_inner(fnctx *fx, TSNode loop, TSNode *inner, TSNode *start, TSNode *type) {
  TSNode body = node_field(loop, "body");
  TSNode s = node_is(body, "for_statement") ? body : (TSNode){0};
  if (ts_node_is_null(s) && !node_is(body, "compound_statement")) return false;
  uint32_t c = ts_node_is_null(s) ? ts_node_named_child_count(body) : 0;
  for (uint32_t i = 0; i < c; i++) {
    TSNode k = ts_node_named_child(body, i);
    if (!node_is(k, "for_statement")) continue;
    if (!ts_node_is_null(s)) return false;
    s = k;
  }
  counted cl;
  if (ts_node_is_null(s) || !counted_loop(fx, s, &cl) || bounded_nest(fx, s)) return false;
  int kv = slot_of_ident(fx, cl.var);
  TSNode init = node_field(s, "initializer"), st = {0}, ty = {0};
  if (node_is(init, "declaration")) {
    st = start_of(fx, s, kv);
  } else if (node_is(unparen(init), "assignment_expression")) {   /* k = e */
    TSNode a = unparen(init), l = unparen(node_field(a, "left"));
    if (node_text_is(fx->s, node_field(a, "operator"), "=") && node_is(l, "identifier") && slot_of_ident(fx, l) == kv)
      st = node_field(a, "right");
  }
  if (ts_node_is_null(st)) return false;
  if (node_is(init, "declaration")) {
    ty = node_field(init, "type");
    int decls = 0;
    uint32_t n = ts_node_child_count(init);
    for (uint32_t i = 0; i < n; i++) {
      const char *f = child_field_name(init, i);
      decls += f && !strcmp(f, "declarator");
    }
    if (decls != 1 || (!node_is(ty, "primitive_type") && !node_is(ty, "sized_type_specifier"))) return false;
  }
  outer_scan os = {fx, s, NULL, 0, false};
  outer_node(&os, body);
  outer_node(&os, node_field(loop, "condition"));
  outer_node(&os, node_field(loop, "update"));
  int *reads = NULL, nreads = 0;
  bool ok = !os.bad && pure_bound(fx, st, &reads, &nreads) && pure_bound(fx, cl.bound, &reads, &nreads);
  for (int i = 0; i < nreads && ok; i++) ok = reads[i] != kv && invariant_in(&os, loop, reads[i]);
  /* a counter declared before the loop: its type is named there */
  if (ok && ts_node_is_null(ty)) ok = invariant_in(&(outer_scan){fx, s, NULL, 0, false}, loop, kv);
  free(reads);
  free(os.written);
  if (!ok) return false;
  *inner = s;
  *start = st;
  *type = ty;
  return true;
}
