#!/usr/bin/env bash
# gdb on a goc program: the .debug_gdb_scripts section loads goc-gdb.py by
# itself, `info goroutines` lists every goroutine with its state, wait
# reason and .goc location, and `goroutine N bt` prints its .goc frames and
# creation site. Skipped (77) without gdb.
# Usage: gdb_test.sh GOC SOURCE_DIR
set -u
goc=$1; src=$2
command -v gdb >/dev/null || { echo "no gdb: skipped"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/goc-gdb-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; cat "$work/out"; exit 1; }
"$goc" cc -g -O1 "$src/tests/gdb/goroutines.goc" -o "$work/prog" || { echo "FAIL: build"; exit 1; }
gdb -batch -nx -iex "set auto-load safe-path /" -ex "set environment GOC_MAXPROCS=1" -ex run -ex "info goroutines" -ex "goroutine 2 bt" \
  -ex "goroutine 6 bt" "$work/prog" > "$work/out" 2>&1
grep -Eq '^\* +1 running +main at .*goroutines.goc:[0-9]+$' "$work/out" || fail "main not listed as running"
[ "$(grep -Ec '^ +[2-4] waiting \[chan receive\] +parked at .*goroutines.goc:6$' "$work/out")" = 3 ] || fail "three parked goroutines"
grep -Eq '^ +5 waiting \[sleep\] +sleeper at .*goroutines.goc:7$' "$work/out" || fail "the sleeper"
grep -Eq '^#0  parked at .*goroutines.goc:6$' "$work/out" || fail "goroutine 2 bt"
grep -Eq '^created by main at .*goroutines.goc:10$' "$work/out" || fail "created by"
grep -q 'no goroutine 6' "$work/out" || fail "an unknown goroutine"
echo ok
