/* counted.c — which loops the lowering strip-mines: innermost counted
 * loops, which then get one preemption check per chunk of iterations
 * instead of one per iteration (lower_for; docs/lowering.md). A check
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
 *     checks (well under the monitor's 10 ms slice). */
#include <stdlib.h>
#include <string.h>
#include "lower.h"

#define CHUNK_MAX 1024
#define CHUNK_MIN 16          /* below: not worth a second loop; keep the check */
#define CHUNK_BUDGET 32768    /* body nodes x iterations per chunk */

static TSNode unparen(TSNode n) {
  while (node_is(n, "parenthesized_expression") && ts_node_named_child_count(n) == 1)
    n = ts_node_named_child(n, 0);
  return n;
}

static bool text_is(const source *s, TSNode n, const char *want) {
  if (ts_node_is_null(n)) return false;
  char *t = node_text(s, n);
  bool r = !strcmp(t, want);
  free(t);
  return r;
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
    if (!ts_node_is_null(nm) && text_is(fx->s, nm, sl->name)) {
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
    if (node_is(q, "type_qualifier") && !text_is(s, q, "const") && !text_is(s, q, "restrict")) return true;
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
    return ts_node_is_null(base) || text_is(fx->s, base, "int") || text_is(fx->s, base, "char");
  }
  if (!node_is(type, "primitive_type")) return false;
  static const char *const not_int[] = {"float", "double", "void", "bool", "_Bool", "_Float16", "__float128", NULL};
  for (int i = 0; not_int[i]; i++)
    if (text_is(fx->s, type, not_int[i])) return false;
  return true;
}

/* e has no side effect and reads only constants and plain locals; their
 * slots are added to *reads. */
static bool pure_bound(fnctx *fx, TSNode e, int **reads, int *nreads) {
  if (ts_node_is_null(e)) return false;
  const char *t = ts_node_type(e);
  if (!strcmp(t, "number_literal") || !strcmp(t, "char_literal") || !strcmp(t, "sizeof_expression") ||
      !strcmp(t, "comment"))
    return true;
  if (!strcmp(t, "identifier")) {
    int k = plain_local(fx, e);
    if (k < 0) return false;
    *reads = xrealloc(*reads, sizeof(int) * (size_t)(*nreads + 1));
    (*reads)[(*nreads)++] = k;
    return true;
  }
  if (!strcmp(t, "cast_expression")) return pure_bound(fx, node_field(e, "value"), reads, nreads);
  if (strcmp(t, "parenthesized_expression") && strcmp(t, "binary_expression") && strcmp(t, "unary_expression") &&
      strcmp(t, "conditional_expression"))
    return false;
  uint32_t c = ts_node_named_child_count(e);
  for (uint32_t i = 0; i < c; i++)
    if (!pure_bound(fx, ts_node_named_child(e, i), reads, nreads)) return false;
  return true;
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

typedef struct scan {
  fnctx *fx;
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

static void scan_node(scan *sc, TSNode n) {
  if (ts_node_is_null(n) || sc->bad) return;
  const char *t = ts_node_type(n);
  sc->nodes++;
  if (!strcmp(t, "for_statement") || !strcmp(t, "while_statement") || !strcmp(t, "do_statement") ||
      !strcmp(t, "for_range_statement") || !strcmp(t, "goto_statement") || !strcmp(t, "labeled_statement") ||
      !strcmp(t, "gnu_asm_expression") || !strcmp(t, "go_statement") || !strcmp(t, "send_statement") ||
      !strcmp(t, "receive_statement") || !strcmp(t, "receive_expression") || !strcmp(t, "select_statement") ||
      (!strcmp(t, "case_statement") && sc->switches == 0) ||
      /* a break the lowering cannot redirect out of the chunk loop */
      (!strcmp(t, "break_statement") && sc->switches == 0 && sc->raw > 0)) {
    sc->bad = true;
    return;
  }
  if (!strcmp(t, "call_expression")) {
    TSNode f = node_field(n, "function");
    char *name = node_is(f, "identifier") ? node_text(sc->fx->s, f) : NULL;
    bool ok = name && slot_of_ident(sc->fx, f) < 0 && (short_builtin(sc->fx, name) || declared_by_libm(sc->fx->s, name));
    free(name);
    if (!ok) {
      sc->bad = true;
      return;
    }
  }
  if (!strcmp(t, "assignment_expression")) note_write(sc, node_field(n, "left"));
  if (!strcmp(t, "update_expression")) note_write(sc, node_field(n, "argument"));
  bool sw = !strcmp(t, "switch_statement");
  bool raw = !strcmp(t, "attributed_statement") ||
             (!strcmp(t, "compound_statement") && node_is(ts_node_parent(n), "parenthesized_expression"));
  sc->switches += sw;
  sc->raw += raw;
  uint32_t c = ts_node_named_child_count(n);
  for (uint32_t i = 0; i < c; i++) scan_node(sc, ts_node_named_child(n, i));
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
  } else if (node_is(u, "assignment_expression") && (text_is(fx->s, op, "+=") || text_is(fx->s, op, "-="))) {
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
  bool down = text_is(fx->s, op, "--") || text_is(fx->s, op, "-=");
  return down ? -mag : mag;
}

bool counted_loop(fnctx *fx, TSNode loop, counted *out) {
  TSNode cond = unparen(node_field(loop, "condition")), upd = node_field(loop, "update");
  TSNode body = node_field(loop, "body");
  if (!node_is(cond, "binary_expression") || ts_node_is_null(upd) || ts_node_is_null(body)) return false;
  TSNode op = node_field(cond, "operator");
  bool lt = text_is(fx->s, op, "<") || text_is(fx->s, op, "<="), gt = text_is(fx->s, op, ">") || text_is(fx->s, op, ">=");
  if (!lt && !gt) return false;
  bool incl = text_is(fx->s, op, "<=") || text_is(fx->s, op, ">=");
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
  if (!step || !integer_typed(fx, k)) return false;
  bool down = step < 0;
  if (down == lt) return false;   /* stepping away from the bound */
  int *reads = NULL, nreads = 0;
  bool ok = pure_bound(fx, bound, &reads, &nreads);
  scan sc = {fx, NULL, 0, 0, 0, 0, false};
  if (ok) {
    scan_node(&sc, body);
    ok = !sc.bad && !written(&sc, k);
    scan_node(&sc, upd);   /* the update writes the counter, and only it */
    for (int i = 0; ok && i < nreads; i++) ok = !written(&sc, reads[i]);
  }
  int chunk = CHUNK_MAX;
  while (chunk >= CHUNK_MIN && (long)chunk * sc.nodes > CHUNK_BUDGET) chunk /= 2;
  free(reads);
  free(sc.written);
  if (!ok || chunk < CHUNK_MIN) return false;
  *out = (counted){var, bound, down, incl, (unsigned long long)(down ? -step : step), chunk};
  return true;
}
