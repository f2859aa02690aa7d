#!/usr/bin/env bash
# The transformer's table of the syntax tree (transform/src/nodes.c: every
# node's children, named children and parent, read once by one walk) is
# libtree-sitter's tree: GOC_CHECK_NODES=1 makes goc transform compare it,
# node by node, with ts_node_child, ts_node_named_child and ts_node_parent,
# and fail ("node table: ...") where they differ. Run on every fixture and
# example (their diagnostics and outputs are not this test's business) and,
# when csmith is installed, on two csmith programs as tests/csmith.sh
# mutates them.
# Usage: nodes_table_test.sh GOC SRCDIR [CSMITH_MUTATE]
set -u
goc=$1; src=$2; mutate=${3:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/goc-nodes-XXXXXX")
trap 'rm -rf "$work"' EXIT
export GOC_CHECK_NODES=1 GOC_NO_CHECK=1
n=0 bad=0
check() {   # check FILE FLAGS...
  local f=$1; shift
  n=$((n + 1))
  "$goc" transform "$f" -o "$work/out.c" -- "$@" > /dev/null 2> "$work/err"
  if grep -q "node table" "$work/err"; then
    bad=$((bad + 1)); echo "FAIL: $f: $(grep -m1 'node table' "$work/err")"
  fi
}
while IFS= read -r f; do check "$f"; done < <(find "$src/fixtures" "$src/examples" -name '*.goc' | sort)
if [ -n "$mutate" ] && command -v csmith > /dev/null && [ -d /usr/include/csmith ]; then
  for seed in 1 2; do
    csmith --seed "$seed" --no-bitfields --no-packed-struct --max-funcs 8 > "$work/p.c" 2> /dev/null || continue
    for v in A B; do
      "$mutate" "$v" "$seed" < "$work/p.c" > "$work/p_$v.goc"
      check "$work/p_$v.goc" -I/usr/include/csmith
    done
  done
fi
echo "nodes table: $((n - bad))/$n as libtree-sitter reads them"
[ "$bad" -eq 0 ]
