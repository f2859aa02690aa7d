#!/usr/bin/env bash
# -w on a goc build silences warnings as with the C compiler alone, yet a
# directional channel converted the wrong way still fails the build (both
# compilers' -w silences -Werror=incompatible-pointer-types too, the
# channel check of lowered C: nowarn.c). Through `goc cc` and through the
# CMake launcher (`goc launch`), with each compiler given.
# Usage: nowarn_test.sh GOC SOURCE_DIR CC...
set -u
goc=$1; src=$2; shift 2
dir="$src/tests/nowarn"
work=$(mktemp -d "${TMPDIR:-/tmp}/goc-nowarn-XXXXXX")
trap 'rm -rf "$work"' EXIT
rc=0
fail() { echo "FAIL ($cc): $*"; rc=1; }
inc="$(dirname "$goc")/../include"
[ -d "$inc" ] || inc="$src/runtime/include"
for cc in "$@"; do
  export CC=$cc
  # goc cc
  if "$goc" cc -w "$dir/directional.goc" -o "$work/d" 2> "$work/d.err"; then
    fail "goc cc -w built directional.goc"
  fi
  grep -q "directional.goc:6:14: error: cannot use r (variable of type <-chan(int)) as chan(int) value in argument" "$work/d.err" ||
    { cat "$work/d.err"; fail "goc cc -w: no channel error at directional.goc:6:14"; }
  "$goc" cc -w -Wall -Wextra -Werror "$dir/quiet.goc" -o "$work/q" 2> "$work/q.err" || { cat "$work/q.err"; fail "goc cc -w -Werror failed on quiet.goc"; }
  [ -s "$work/q.err" ] && { cat "$work/q.err"; fail "goc cc -w printed messages"; }
  [ "$("$work/q")" = 1 ] || fail "quiet.goc printed $("$work/q")"
  "$goc" cc -Wall "$dir/quiet.goc" -o "$work/q" 2> "$work/q.err"
  grep -q "warning:" "$work/q.err" || fail "without -w, quiet.goc drew no warning (the test would prove nothing)"
  # goc launch, on lowered C as the CMake functions compile it
  GOC_NO_CHECK=1 "$goc" transform "$dir/directional.goc" -o "$work/d.c" 2> /dev/null
  if "$goc" launch "$cc" -I "$inc" -Werror=incompatible-pointer-types -w -c "$work/d.c" -o "$work/d.o" 2> "$work/l.err"; then
    fail "goc launch -w compiled directional.goc's lowered C"
  fi
  "$goc" transform "$dir/quiet.goc" -o "$work/q.c" 2> /dev/null
  "$goc" launch "$cc" -I "$inc" -Werror=incompatible-pointer-types -w -Wall -Werror -c "$work/q.c" -o "$work/q.o" 2> "$work/l.err" ||
    { cat "$work/l.err"; fail "goc launch -w -Werror failed on quiet.goc's lowered C"; }
  [ -s "$work/l.err" ] && { cat "$work/l.err"; fail "goc launch -w printed messages"; }
done
[ $rc = 0 ] && echo ok
exit $rc
