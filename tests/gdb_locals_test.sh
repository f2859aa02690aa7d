#!/usr/bin/env bash
# gdb on a goroutine function's locals: stopped in the second of two
# sibling loops that each declare int i, after a suspension in its body,
# `print i` shows that loop's i and `info locals` lists it as i (the
# lowered C declares each local in its own block, under its own name).
# Skipped (77) without gdb.
# Usage: gdb_locals_test.sh GOC SOURCE_DIR
set -u
goc=$1; src=$2
command -v gdb >/dev/null || { echo "no gdb: skipped"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/goc-gdb-locals-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; cat "$work/out"; exit 1; }
prog=$src/tests/gdb/locals.goc
line=$(grep -n 'break here' "$prog" | cut -d: -f1)
"$goc" cc -g -O0 "$prog" -o "$work/prog" || { echo "FAIL: build"; exit 1; }
gdb -batch -nx -iex "set auto-load safe-path /" -ex "set environment GOC_MAXPROCS=1" -ex "break locals.goc:$line" \
  -ex run -ex "print i" -ex "print got" -ex "info locals" "$work/prog" > "$work/out" 2>&1
grep -Eq '^\$1 = 40$' "$work/out" || fail "print i: not the second loop's i (40)"
grep -Eq '^\$2 = 3$' "$work/out" || fail "print got: not the value received after the suspension (3)"
grep -Eq '^i = 40$' "$work/out" || fail "info locals: no i = 40"
grep -Eq '__[0-9]+ = ' "$work/out" && fail "info locals: a renamed local"
echo ok
