/* callcheck.c — loops whose every iteration calls a goroutine function,
 * which need no preemption check of their own.
 *
 * Every goroutine function checks for preemption at its entry (lower_func.c
 * writes the check before the body, unconditionally), so a loop that runs
 * such a call on every path from its header to its back-edge already
 * passes a check once per iteration: the loop's own back-edge check would
 * be a second one, with its own resume point, spill and reload of every
 * live local (in a long function, most of the lowered code).
 *
 * Invariants:
 *   - Conservative and syntactic: a call counts only where C evaluates it
 *     whenever the enclosing statement runs: not under the right operand of
 *     && or ||, an arm of ?: (unless both arms have one), sizeof, typeof,
 *     _Generic, a go statement, or any construct not listed below.
 *   - The body's statements are read in order; the first that surely calls
 *     decides. Before it, no statement may hold `continue` or `goto` (the
 *     back-edge could be reached without the call), and the body has no
 *     label at all (a jump from outside could land after the call).
 *   - Only direct calls of goroutine functions of this program count
 *     (called_goroutine): a blocking runtime call may return at once
 *     without a check, and a call through a pointer may reach a plain
 *     function. */
#include <stdlib.h>
#include <string.h>
#include "lower.h"

static bool is_jump(TSSymbol t) { return sym_is(t, "continue_statement") || sym_is(t, "goto_statement"); }
static bool is_label(TSSymbol t) { return sym_is(t, "labeled_statement") || sym_is(t, "case_statement"); }

static bool has_kind(TSNode n, bool (*kind)(TSSymbol)) {
  if (kind(ts_node_symbol(n))) return true;
  kids ks;
  kids_named(n, &ks);
  bool r = false;
  for (uint32_t i = 0; i < ks.n && !r; i++) r = has_kind(ks.at[i], kind);
  kids_free(&ks);
  return r;
}

/* Constructs that evaluate each of their operands whenever they run. */
static bool evaluates_every_operand(TSSymbol t) {
  return sym_is(t, "call_expression") || sym_is(t, "argument_list") || sym_is(t, "binary_expression") ||
         sym_is(t, "assignment_expression") || sym_is(t, "comma_expression") ||
         sym_is(t, "parenthesized_expression") || sym_is(t, "unary_expression") ||
         sym_is(t, "pointer_expression") || sym_is(t, "update_expression") || sym_is(t, "subscript_expression") ||
         sym_is(t, "field_expression") || sym_is(t, "cast_expression") || sym_is(t, "init_declarator") ||
         sym_is(t, "expression_statement") || sym_is(t, "declaration") || sym_is(t, "return_statement");
}

static bool is_logical(const source *s, TSNode bin) {
  TSNode op = node_field(bin, "operator");
  return node_text_is(s, op, "&&") || node_text_is(s, op, "||");
}

/* Evaluating expression e surely calls a goroutine function. */
static bool surely_calls(fnctx *fx, TSNode e) {
  if (ts_node_is_null(e)) return false;
  TSSymbol t = ts_node_symbol(e);
  if (sym_is(t, "call_expression") && called_goroutine(fx, e)) return true;
  if (sym_is(t, "binary_expression") && is_logical(fx->s, e)) return surely_calls(fx, node_field(e, "left"));
  if (sym_is(t, "conditional_expression"))
    return surely_calls(fx, node_field(e, "condition")) ||
           (surely_calls(fx, node_field(e, "consequence")) && surely_calls(fx, node_field(e, "alternative")));
  if (!evaluates_every_operand(t)) return false;
  kids ks;
  kids_named(e, &ks);
  bool r = false;
  for (uint32_t i = 0; i < ks.n && !r; i++) r = surely_calls(fx, ks.at[i]);
  kids_free(&ks);
  return r;
}

/* Running statement st surely calls a goroutine function, unless it jumps
 * away first (caught by the caller's scan). */
static bool stmt_surely_calls(fnctx *fx, TSNode st) {
  if (ts_node_is_null(st)) return false;
  if (node_is(st, "compound_statement")) {
    kids ks;
    kids_named(st, &ks);
    bool r = false;
    for (uint32_t i = 0; i < ks.n; i++) {
      if (stmt_surely_calls(fx, ks.at[i])) {
        r = true;
        break;
      }
      if (has_kind(ks.at[i], is_jump)) break;
    }
    kids_free(&ks);
    return r;
  }
  if (node_is(st, "if_statement")) {
    TSNode alt = node_field(st, "alternative");
    if (!ts_node_is_null(alt) && node_is(alt, "else_clause")) alt = ts_node_named_child(alt, 0);
    TSNode cons = node_field(st, "consequence");
    return surely_calls(fx, node_field(st, "condition")) ||
           (!ts_node_is_null(alt) && !has_kind(cons, is_jump) && !has_kind(alt, is_jump) &&
            stmt_surely_calls(fx, cons) && stmt_surely_calls(fx, alt));
  }
  return surely_calls(fx, st);
}

bool iteration_calls_goroutine(fnctx *fx, TSNode loop) {
  TSNode body = node_field(loop, "body");
  if (ts_node_is_null(body) || has_kind(body, is_label)) return false;
  /* a for's condition and increment run on every way round */
  if (node_is(loop, "for_statement") &&
      (surely_calls(fx, node_field(loop, "condition")) || surely_calls(fx, node_field(loop, "update"))))
    return true;
  if ((node_is(loop, "while_statement") || node_is(loop, "do_statement")) &&
      surely_calls(fx, node_field(loop, "condition")))
    return true;
  return stmt_surely_calls(fx, body);
}
