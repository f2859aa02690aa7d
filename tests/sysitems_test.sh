#!/usr/bin/env bash
# The system headers' items that the transformer reads without tree-sitter
# (transform/src/sysitems.c) are what tree-sitter's parse of the whole text
# makes of them: GOC_CHECK_SYSITEMS=1 makes goc transform parse the whole
# text too and compare the items, the functions they declare and their
# typedefs ("system items: ..." where they differ), and the lowered C, the
# diagnostics and the exit status must be those of a whole parse
# (GOC_NO_SYSITEMS=1). Run on every fixture and example, on a goroutine
# function that a system header names (the text is then parsed whole) and,
# when csmith is installed, on two csmith programs as tests/csmith.sh
# mutates them.
# Usage: sysitems_test.sh GOC SRCDIR [CSMITH_MUTATE]
set -u
goc=$1; src=$2; mutate=${3:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/goc-sysitems-XXXXXX")
trap 'rm -rf "$work"' EXIT
export GOC_NO_CHECK=1
n=0 bad=0
check() {   # check FILE FLAGS...
  local f=$1; shift
  n=$((n + 1))
  rm -f "$work/a.c" "$work/b.c"
  GOC_CHECK_SYSITEMS=1 "$goc" transform "$f" -o "$work/a.c" -- "$@" > /dev/null 2> "$work/a.err"
  echo $? >> "$work/a.err"
  GOC_NO_SYSITEMS=1 "$goc" transform "$f" -o "$work/b.c" -- "$@" > /dev/null 2> "$work/b.err"
  echo $? >> "$work/b.err"
  if grep -q "system items" "$work/a.err"; then
    bad=$((bad + 1)); echo "FAIL: $f: $(grep -m1 'system items' "$work/a.err")"
  elif ! cmp -s "$work/a.err" "$work/b.err" || { [ -e "$work/b.c" ] && ! cmp -s "$work/a.c" "$work/b.c"; }; then
    bad=$((bad + 1)); echo "FAIL: $f: not what a whole parse makes of it"
  fi
}
while IFS= read -r f; do check "$f"; done < <(find "$src/fixtures" "$src/examples" -name '*.goc' | sort)
# a goroutine function that a system header's item names: its frame comes
# before the item (the C does not compile, which is not the point)
cat > "$work/named.goc" <<'GOC'
#include <stdio.h>
void stdin(void) { goc_yield(); }
int main(void) { stdin(); return 0; }
GOC
check "$work/named.goc"
if [ -n "$mutate" ] && command -v csmith > /dev/null && [ -d /usr/include/csmith ]; then
  for seed in 1 2; do
    csmith --seed "$seed" --no-bitfields --no-packed-struct --max-funcs 8 > "$work/p.c" 2> /dev/null || continue
    for v in A B; do
      "$mutate" "$v" "$seed" < "$work/p.c" > "$work/p_$v.goc"
      check "$work/p_$v.goc" -I/usr/include/csmith
    done
  done
fi
echo "system items: $((n - bad))/$n as a whole parse reads them"
[ "$bad" -eq 0 ]
