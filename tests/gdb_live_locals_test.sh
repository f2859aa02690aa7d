#!/usr/bin/env bash
# gdb on the locals of a goroutine function that live in its frame's locals
# area (arrays, address-taken scalars, a struct), each changed after a
# suspension: print (with /FMT, options, members of the same names, strings,
# $ history), set var, breakpoint conditions, info locals, display, bt full
# and an MI variable object show the live values, in nested and sibling
# blocks and under a shadowing local of the same name (an outer register
# local, renamed r__N, printed as r too); a plain C function
# and an outer frame selected with `up` read their own locals. Skipped (77)
# without gdb.
# Usage: gdb_live_locals_test.sh GOC SOURCE_DIR
set -u
goc=$1; src=$2
command -v gdb >/dev/null || { echo "no gdb: skipped"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/goc-gdb-live-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; cat "$work/out"; exit 1; }
prog=$src/tests/gdb/live_locals.goc
at() { echo "break live_locals.goc:$(grep -n "break $1 \*/" "$prog" | cut -d: -f1)"; }
"$goc" cc -g -O0 "$prog" -o "$work/prog" || { echo "FAIL: build"; exit 1; }
cat > "$work/cmds" <<GDB
set environment GOC_MAXPROCS=1
$(at top)
$(at nested) if m == 7 && w[0] == 3
$(at sibling) if w[0] == 5
$(at sibling) if w[0] == 4
$(at shadow)
$(at 'rename inner')
$(at outer)
$(at plain)
run
print buf
print buf[1]
print n + 1
p/x n
print *p
print &n == p
print s
print s.n
print sp->n
print s.buf
print "n buf"
print sizeof(buf)
print \$1
print -elements 3 -- buf
set var n = 5
print n
set var n = 3
echo --info locals\n
info locals
echo --display\n
display n
display/x buf
display
undisplay
echo --bt full\n
bt full 1
echo --mi\n
interpreter-exec mi "-enable-pretty-printing"
interpreter-exec mi "-var-create - * buf"
continue
print w
print m
print *q
print buf
print total
continue
print w
continue
print n
print *np
continue
print r
continue
print n
print r
continue
print buf[0]@3
print n
print *p
up
print buf
print n
continue
GDB
# one -ex per command: a failing command does not hide the later ones
ex=()
while IFS= read -r c; do ex+=(-ex "$c"); done < "$work/cmds"
gdb -batch -nx -iex "set auto-load safe-path /" "${ex[@]}" "$work/prog" > "$work/out" 2>&1
cat > "$work/want" <<'EOF'
"hello\000\000"
101 'e'
4
0x3
3
1
{x = 13, y = 20, n = 30, buf = "ab\000"}
30
30
"ab\000"
"n buf"
8
"hello\000\000"
"hell"...
5
{3, 7}
7
7
"hello\000\000"
3
{5, 8}
106
106
7
3
4
"xyz"
3
3
"hello\000\000"
3
EOF
sed -n 's/^\$[0-9]* = //p' "$work/out" > "$work/got"
diff "$work/want" "$work/got" > "$work/diff" || { cat "$work/diff"; fail "print: values (want < > got)"; }
section() { sed -n "/^--$1\$/,/^--/p" "$work/out"; }
section 'info locals' | grep -qx 'buf = "hello\\000\\000"' || fail "info locals: buf"
section 'info locals' | grep -qx 'n = 3' || fail "info locals: n"
section 'info locals' | grep -qx 's = {x = 13, y = 20, n = 30, buf = "ab\\000"}' || fail "info locals: s"
section display | grep -qx '1: n = 3' || fail "display n"
section display | grep -qx '2: /x buf = {0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x0, 0x0, 0x0}' || fail "display/x buf"
section 'bt full' | grep -qx ' *buf = "hello\\000\\000"' || fail "bt full: buf"
section 'bt full' | grep -qx ' *n = 3' || fail "bt full: n"
section mi | grep -qF 'value="\"hello\\000\\000\""' || fail "MI -var-create buf"
echo ok
