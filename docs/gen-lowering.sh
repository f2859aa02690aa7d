#!/usr/bin/env bash
# Regenerates docs/lowering.md from the real output of goc transform.
# Usage: docs/gen-lowering.sh [path/to/goc]   (default build/transform/goc)
set -eu
cd "$(dirname "$0")/.."
goc=${1:-build/transform/goc}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
strip() { grep -v '^#line\|^#pragma\|^#if defined\|^#elif defined\|^#endif\|^$' "$1"; }
# (a lowered statement is one line under its #line; clang-format makes it readable)
step() { strip "$1" | sed -n "/^static int $2(goc_g \*goc_cur, goc_frame \*goc_frp) {/,/^}\$/p" |
         clang-format --style='{BasedOnStyle: LLVM, ColumnLimit: 100}' | sed '/__first(void) {$/,/^}$/d'; }
"$goc" transform fixtures/run/doc_select_loop.goc -o "$tmp/a.c"
"$goc" transform fixtures/run/doc_short_circuit.goc -o "$tmp/b.c"
{
cat <<'EOF'
# The lowering, on worked examples

`goc transform` turns every function of a `.goc` file that can block (a
*goroutine function*) into a **frame struct** and a **step function**; all
other functions are copied unchanged (with `chan(T)` spelled as plain C).
This page shows the real output for two fixtures,
[`fixtures/run/doc_select_loop.goc`](../fixtures/run/doc_select_loop.goc)
and [`fixtures/run/doc_short_circuit.goc`](../fixtures/run/doc_short_circuit.goc);
`docs/gen-lowering.sh` regenerates it. The excerpts drop the `#line`
directives (which map every statement back to its `.goc` line for compiler
errors and gdb) and the pragmas around generated code (F__first, the
entries) that silence the warnings about how it is written; the step
function leaves the unused, uninitialised and fall-through warnings on for
the user's code, and marks its own declarations and labels unused.

## The shape

```
struct F__frame { goc_frame hdr; <parameters>; <ret>; };     /* pushed by the caller */
int F__step(goc_g *goc_cur, goc_frame *goc_frp) {
  <parameters; local types and each local's type as goc_T<N>; temps>
  struct goc_locals { <what must survive a suspension> } *goc_L;
  static void *const goc_resume[] = { &&goc_entry, &&goc_R1, ... };
  static const unsigned char goc_rf[] = { 0, 0, 1, ... };   /* past 8 receives */
  if (goc_fr->hdr.resume) { goc_L = locals; <finish a goc_rf receive>; goto *goc_resume[resume]; }
goc_entry:
  goc_L = arena push; load parameters; preemption check;
  <body, each local declared where the source declares it>
}
__SIZE_TYPE__ F__first(void) {   /* what `go F(...)` sizes the new G by */
  <the same declarations>  struct goc_locals { ... };
  return GOC__FIRST_BYTES(struct F__frame, struct goc_locals);
}
```

- **Locals stay C locals**, declared in their own blocks under their own
  names: C lets a `goto` (here the computed `goto *goc_resume[...]`) jump
  into a block past declarations that are not variable-length arrays, so a
  resume label may sit anywhere, inside a user's block, `switch` or loop,
  and two sibling loops' `int i` stay two `i`s (gdb's `print i` shows the
  one in scope). Initialisers become stores in place (`GOC__INIT`). What
  the top of the step function must name (the fields of `goc_L`, the
  temps) names a local's type through a typedef `goc_T<N>` hoisted there
  with the local types, and a temp whose type mentions locals re-declares
  them in a statement expression that is never evaluated
  (`__typeof__(*({ goc_T3 x; (__typeof__(x + 1) *)0; }))`). A local is
  renamed `name__N` only where an inner local of its name shadows it (a
  suspension in the inner scope must still reach it) or where it would
  clash with something hoisted (static locals, local types). They are
  copied to `goc_L` only at a suspension and back right after its label
  (`__builtin_memcpy` of the local, which gcc folds into a move; a copy,
  not an assignment, so structs with const members and typedef'd arrays
  work); a parameter is copied to its own field of the frame instead,
  which the caller filled and nobody else reads, so it takes no second
  place in `goc_L`. Arrays (also through a typedef), locals whose address is taken,
  and, in a function with hundreds of spills, locals spilled at many
  suspension points live in `goc_L` all the time. Locals of a statement
  expression with no suspension stay where they are declared.
- **Resume points are indexes** into a static table of label addresses
  (computed `goto`), so a frame holds a small integer.
- **A function's many receives share one finish.** A receive that
  suspended calls `goc__chan_recv_resume` once it resumes (it checks and
  clears the G's wait; it reads and writes only the G). The first 8
  receives in expressions of a function (`RECV_FIN_AFTER`,
  `transform/src/lower_chan.c`) call it on their own resume paths, after
  their labels; for every later one the function's `goc_rf` table holds a
  1 at its resume index and the dispatch calls it before its jump:
  `if (goc_rf[resume]) goc__chan_recv_resume(goc_cur, ((void *)0));`. Each
  such receive's resume path is then its label and reloads, a block and a
  call less for the C compiler (csmith's variant B has hundreds of
  receives in a function; bench/NOTES.md has the compile-time figures),
  for a byte test on every resume of the function, which a function of a
  few receives (every one of bench/goc/) does not pay.
- **Fast paths do not touch the frame.** `goc__chan_recv` returns 1 when it
  completed at once (buffered data, a parked sender, a closed channel); only
  a 0 leads to the spill and `return GOC_SUSPEND`. The runtime commits the
  park only after the whole step chain has returned (see
  `runtime/include/goc_abi.h`).
- **Calls between goroutine functions** push the callee's frame in the G's
  LIFO arena and run its step directly (`goc__call`); only if the callee
  suspends does the caller spill and suspend too. Deep call chains fall
  back to the scheduler's loop, so recursion is bounded by memory, not by
  the C stack.
- **Preemption checks** (`goc__preempt_requested`: one relaxed load and a
  branch predicted not taken) sit at function entry and at every loop
  back-edge. A back-edge check is written into the loop's increment clause
  (`for (; cond; upd, ({ if (...) { spill; return GOC_SUSPEND; } }))`) and
  its resume point sits *before* the loop (`if (0) { goc_R2:; reload }`):
  resuming re-evaluates the condition, which is what would have run next,
  and the loop keeps a single entry, so the C compiler still optimises it
  as a loop (a matrix-multiply kernel costs ~5% more than plain C this way,
  against ~90% with the resume label inside the loop body).
- **Innermost counted loops are strip-mined** (`transform/src/counted.c`):
  a check inside an arithmetic loop still costs, because gcc must assume
  the check's atomic load can change memory (loads of the body stay in the
  loop) and the loop has a second exit. A loop written
  `for (init; v OP e; v STEP)` (OP `<` `<=` `>` `>=`, STEP `++` `--`
  `+= N` `-= N` towards `e`), whose counter is an integer local with no
  address taken, whose bound reads only constants and such locals, and
  whose body has no loop, no call but libm's and a few builtins, no goto,
  label, asm, `go` or channel operation, and assigns neither the counter
  nor the bound's locals, becomes

  ```c
  if (0) { goc_R4:; reload }
  for (; k < n; ({ check })) {      /* the condition as written, once a chunk */
    for (unsigned long long goc_n1 = GOC__CHUNK(k, n, 1ULL, 1024, 0); goc_n1; goc_n1--, k++) {
      s += ma[i][k] * mb[k][j];      /* break: goto past both loops */
    }
  }
  ```

  The inner loop is the plain C loop with a count the compiler can see: no
  check and one exit. `GOC__CHUNK` (`goc_abi.h`) is the number of
  iterations for which the condition still holds, computed in the
  comparison's own type as an unsigned difference, at most the chunk and at
  least 1 (1 whenever the comparison is not between integers, a floating
  bound for instance), so the condition is not needed inside a chunk and
  the loop runs exactly the iterations C would; a counter that wraps
  (`unsigned char` against an `int` bound) only moves further from the
  bound. A chunk is a power of two, at most 1024 iterations and at most
  32768 syntax nodes of body over all of them (a body of straight-line
  code), so a chunk ends well within the monitor's 10 ms time slice and a
  spinning loop is still preempted. A nest of such loops whose bounds are
  constants (and the counters of the loops around them), such as n-body's
  `for (i = 0; i < 5; i++) for (j = i + 1; j < 5; j++)`, has no check at
  all when its whole run is within the same budget: the loop around it
  checks as often as a chunk would. Every other loop (`while (1) x++;`, a
  bound the body changes, a condition that calls) keeps its check at every
  back-edge, and the enclosing loops keep theirs.
- **The frame's line** (`goc_fr->goc_hdr.line`, what traces and dumps
  print) is set at entry, at every suspension, and before a statement that
  can panic without suspending: a call into another goroutine function, a
  send, a call of the user's plain C (which has no frame of its own) or of
  `goc_panic`/`chan_close`; calls of what the system headers declare (libc,
  libm) and of builtins set nothing, so an arithmetic loop calling `sqrt`
  is unchanged.
- **Values cross channels through `goc_L`** (`goc_t3` below): a waker copies
  into the receiver's slot after the step has returned, so the slot cannot
  be on the C stack. A receive whose value is discarded (`<-done;`) passes
  no slot: the runtime drops the value.
- **A frame** is a 40-byte header (`goc_frame`: the step function, the
  parent frame, the locals' address, the resume index, the line, and the
  function's static name-and-file record) followed by the arguments and
  the result; the locals the step pushes at entry follow it in the arena.
- **A new goroutine's memory is sized by its function.** The frame struct is
  declared at file scope, but the locals' struct only inside the step
  function (its types may name the function's own types and locals), so
  `F__first` repeats the step's declarations to name it and returns what a
  first frame and its locals take in the arena, a constant once inlined.
  `go F(...)` passes it to `goc__go_new_sized`, and the runtime makes the G
  with a first chunk of that much plus a blocked channel operation's 48
  bytes (`runtime/src/proc.h`): idle_1m's waiter, blocked on a receive,
  costs 192 bytes in all (a 96-byte G, its 48-byte frame, the sudog).
  With a static local (whose initialiser may name the step's labels),
  `F__first` returns a default instead.

## Example 1: select inside a loop

```c
EOF
sed -n '/^int main/,$p' fixtures/run/doc_select_loop.goc
cat <<'EOF'
```

becomes (the step function of `main`; `count` is lowered the same way):

```c
EOF
step "$tmp/a.c" goc_main__step
cat <<'EOF'
```

The `select` evaluates its channel operands into a case array in `goc_L`,
calls `goc__select` (which polls the cases in random order and, if none is
ready, enqueues one waiter per case), and continues in a C `switch` on the
chosen index. A `break` inside a case leaves that `switch`, which is Go's
"break leaves the select"; `return` inside a case is an ordinary return.
The scoped case variable `int v` is declared in its case's block, like
any other local in its own.

## Example 2: receives inside `&&` and `?:`

```c
EOF
sed -n '/^static int pick/,/^}/p' fixtures/run/doc_short_circuit.goc
cat <<'EOF'
```

becomes:

```c
EOF
step "$tmp/b.c" pick__step
cat <<'EOF'
```

The expression is put in sequenced form: `flag && <-a > 0` becomes an `if`
that receives only when `flag` is true, with the truth value in a temp; the
conditional becomes an `if`/`else`, each arm receiving from its own channel
into its own slot, and the chosen value lands in another temp (typed with
`__typeof__` of the two arms, so goc needs no type checker of its own).
Temps that must survive a later suspension in the same statement are
spilled like locals. The fixture's expected output proves the unevaluated
side never receives: after two calls, `a` is drained and `b` still holds
one value.
EOF
} > docs/lowering.md
