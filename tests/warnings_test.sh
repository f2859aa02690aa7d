#!/usr/bin/env bash
# The compiler's warnings for the user's code in goroutine functions are the
# ones it gives for the same code as plain C: tests/warnings/mistakes.goc
# through `goc cc` and through $CC -x c -DPLAIN_C give the same warnings,
# kind, line and column, in functions of the same names; and
# tests/warnings/returns.goc every diagnostic, in the same words; and
# tests/warnings/plain.c, plain C compiled by goc cc alone and beside a
# .goc file, the warnings $CC gives it and no error. With clang (a second CC), its
# uninitialised-use warnings are left out: they stay off in the step
# function (transform/src/lower_func.c says why).
# Usage: warnings_test.sh GOC SOURCE_DIR [CC...]
set -u
goc=$1; src=$2; shift 2
[ $# -gt 0 ] || set -- "${CC:-cc}"
work=$(mktemp -d "${TMPDIR:-/tmp}/goc-warnings-XXXXXX")
trap 'rm -rf "$work"' EXIT
file=$src/tests/warnings/mistakes.goc
status=0
# LINE:COLUMN [-Wkind], one a line, sorted
kinds() { sed -n 's|^\([^:]*\):\([0-9]*:[0-9]*\): warning: .*\(\[-W[^]]*\]\)$|\2 \3|p' "$1" | sort -n -u; }
for cc in "$@"; do
  "$cc" -x c -DPLAIN_C -c -O2 -Wall -Wextra "$file" -o "$work/c.o" 2> "$work/c.err" || { cat "$work/c.err"; echo "FAIL: $cc as C"; exit 1; }
  CC=$cc "$goc" cc -c -O2 -Wall -Wextra "$file" -o "$work/goc.o" 2> "$work/goc.err" || { cat "$work/goc.err"; echo "FAIL: goc cc with $cc"; exit 1; }
  kinds "$work/c.err" > "$work/c.k"
  kinds "$work/goc.err" > "$work/goc.k"
  # gcc's -Wformat= points into the format string, at the directive, which
  # it finds by reading the string again at its column in the .goc line;
  # the lowered line's column is not there, so it points at the string's
  # start: the line only
  sed -i 's/^\([0-9]*\):[0-9]* \(\[-Wformat=\]\)$/\1 \2/' "$work/c.k" "$work/goc.k"
  if "$cc" --version | grep -q clang; then
    sed -i '/-Wuninitialized\]\|-Wsometimes-uninitialized\]/d' "$work/c.k" "$work/goc.k"
  fi
  [ -s "$work/c.k" ] || { echo "FAIL: $cc gives no warning for $file as C"; status=1; }
  if ! diff -u "$work/c.k" "$work/goc.k" > "$work/diff"; then
    echo "FAIL: $cc: the warnings differ (-: as C, +: through goc):"; cat "$work/diff"; cat "$work/goc.err"; status=1
  fi
  # no generated name or macro of goc's in the words (clang: an
  # initialiser's 'typeof (x)' (aka 'T'), "expanded from macro 'GOC__INIT'")
  if grep -n "typeof (\|GOC__\|goc__\|goc_L\|__step" "$work/goc.err"; then
    echo "FAIL: $cc: goc's own names in the messages above"; status=1
  fi
  # the functions by the user's names
  if ! diff <(grep "In function" "$work/c.err" | sort -u) <(grep "In function" "$work/goc.err" | sort -u); then
    echo "FAIL: $cc: the functions are named differently (<: as C, >: through goc)"; status=1
  fi
  # returns.goc: every diagnostic, words included (clang refuses two of
  # them, so neither compile succeeds there)
  rfile=$src/tests/warnings/returns.goc
  "$cc" -x c -DPLAIN_C -c -O2 -Wall "$rfile" -o "$work/rc.o" 2> "$work/rc.err"
  CC=$cc "$goc" cc -c -O2 -Wall "$rfile" -o "$work/rgoc.o" 2> "$work/rgoc.err"
  words() { sed -n 's#^[^:]*:\([0-9]*:[0-9]*: \(warning\|error\): .*\)$#\1#p' "$1" | sort -n -u; }
  words "$work/rc.err" > "$work/rc.k"
  words "$work/rgoc.err" > "$work/rgoc.k"
  [ -s "$work/rc.k" ] || { echo "FAIL: $cc gives no diagnostic for $rfile as C"; status=1; }
  if ! diff -u "$work/rc.k" "$work/rgoc.k" > "$work/rdiff"; then
    echo "FAIL: $cc: the diagnostics of returns.goc differ (-: as C, +: through goc):"; cat "$work/rdiff"; status=1
  fi
  # plain.c: compiled by goc cc on its own and beside a .goc file, the
  # warnings of $cc alone, and it builds
  pfile=$src/tests/warnings/plain.c
  "$cc" -c -O2 -Wall "$pfile" -o "$work/p.o" 2> "$work/p.err"
  words "$work/p.err" > "$work/p.k"
  grep -q warning "$work/p.k" || { echo "FAIL: $cc gives no warning for $pfile"; status=1; }
  if ! CC=$cc "$goc" cc -c -O2 -Wall "$pfile" -o "$work/pgoc.o" 2> "$work/pgoc.err"; then
    echo "FAIL: goc cc -c with $cc refuses $pfile"; cat "$work/pgoc.err"; status=1
  fi
  if ! CC=$cc "$goc" cc -O2 -Wall "$src/tests/warnings/plain_main.goc" "$pfile" -o "$work/plain" 2> "$work/plink.err"; then
    echo "FAIL: goc cc with $cc refuses $pfile beside a .goc file"; cat "$work/plink.err"; status=1
  elif [ "$("$work/plain")" != 2 ]; then
    echo "FAIL: $cc: plain_main printed something else than 2"; status=1
  fi
  for e in pgoc plink; do
    words "$work/$e.err" > "$work/$e.k"
    if ! diff -u "$work/p.k" "$work/$e.k"; then echo "FAIL: $cc: goc cc ($e) warns otherwise than $cc about $pfile"; status=1; fi
  done
done
exit $status
