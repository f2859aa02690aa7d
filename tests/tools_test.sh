#!/usr/bin/env bash
# tools_test.sh GOC SRCDIR — the tools never destroy input: an output path
# that names an input (directly or through a link) is refused before
# anything is written, and a directory as input is an error, not an empty
# program. Deep nesting is an error at a documented limit, not a crash.
set -u
goc=$1; src=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/goc-tools-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cp "$src/examples/prime_sieve.goc" "$work/a.goc"
sum=$(cksum < "$work/a.goc")
expect_refusal() {   # expect_refusal WHAT CMD...
  local what=$1; shift
  if "$@" 2> "$work/err"; then fail "$what: succeeded"; fi
  grep -q "goc: error:" "$work/err" || fail "$what: no 'goc: error:' message: $(cat "$work/err")"
  [[ "$(cksum < "$work/a.goc")" == "$sum" ]] || fail "$what: the input changed"
}
expect_refusal "transform -o its input" "$goc" transform "$work/a.goc" -o "$work/a.goc"
expect_refusal "cc -o its input" "$goc" cc "$work/a.goc" -o "$work/a.goc"
ln -s "$work/a.goc" "$work/link.goc"
expect_refusal "cc -o a link to its input" "$goc" cc "$work/a.goc" -o "$work/link.goc"
expect_refusal "transform -MF its input" "$goc" transform "$work/a.goc" -o "$work/a.c" -MF "$work/a.goc"
mkdir "$work/dir.goc"
for cmd in parse transform cc; do
  case $cmd in
    parse) "$goc" parse "$work/dir.goc" > /dev/null 2> "$work/err" ;;
    transform) "$goc" transform "$work/dir.goc" -o "$work/x.c" 2> "$work/err" ;;
    cc) "$goc" cc "$work/dir.goc" -o "$work/x" 2> "$work/err" ;;
  esac
  rc=$?
  [[ $rc == 1 ]] || fail "$cmd of a directory: exit $rc, want 1"
  grep -q "dir.goc: Is a directory" "$work/err" || fail "$cmd of a directory: $(cat "$work/err")"
done
[[ ! -e "$work/x.c" ]] || fail "transform of a directory wrote output"

# Nesting of any depth: a clear error past the limit, never a crash.
python3 - "$work" <<'PY'
import sys
w = sys.argv[1]
open(w + '/parens.goc', 'w').write('int main(void) { int x = ' + '(' * 20000 + '1' + ')' * 20000 + '; return x; }\n')
open(w + '/blocks.goc', 'w').write('int main(void) { ' + '{' * 50000 + ' int x = 1; (void)x; ' + '}' * 50000 + ' return 0; }\n')
PY
for f in parens blocks; do
  "$goc" transform "$work/$f.goc" -o "$work/$f.c" 2> "$work/err"
  rc=$?
  [[ $rc == 1 ]] || fail "$f nested 20k+ deep: exit $rc, want 1"
  grep -q "error: nesting too deep" "$work/err" || fail "$f: $(head -c 300 "$work/err")"
done
echo ok
