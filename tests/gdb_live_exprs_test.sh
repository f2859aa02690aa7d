#!/usr/bin/env bash
# gdb on the locals of a goroutine function that live in its frame's locals
# area (live_locals.goc), through every command that takes an expression
# other than print: display of an expression and with /FMT (still the
# outer n under an inner n), x, call, output, whatis and ptype (the user's
# types), watch (the live location: it fires after the suspension, in the
# resumed step function), and info locals, bt full and MI's
# -stack-list-locals listing the user's locals only (goc_L, goc_fr and the
# temporaries hidden, a renamed register local by its own name), printf
# and dprintf, an MI variable object of a struct with its members as
# children, and MI's -data-evaluate-expression and -var-create of n+1.
# gdb without goc-gdb.py finds the live storage by itself (goc cc rewrote
# the twins' DWARF locations: goc debuginfo). Built
# with -O2 too, stopped at the step function's entry when it resumes after
# line 30 (goc_L, not yet loaded, is <optimized out> there with gcc 12),
# print, x and info locals still read the area, through the frame's
# record of it. Skipped (77) without gdb.
# Usage: gdb_live_exprs_test.sh GOC SOURCE_DIR
set -u
goc=$1; src=$2
command -v gdb >/dev/null || { echo "no gdb: skipped"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/goc-gdb-exprs-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; cat "$work/out"; exit 1; }
prog=$src/tests/gdb/live_locals.goc
at() { echo "break live_locals.goc:$(grep -n "break $1 \*/" "$prog" | cut -d: -f1)"; }
"$goc" cc -g -O0 "$prog" -o "$work/prog" || { echo "FAIL: build"; exit 1; }
cat > "$work/cmds" <<GDB
set environment GOC_MAXPROCS=1
$(at top)
$(at watch)
run
echo --display\n
display n + 1
display/x n
display/8xb buf
display
echo --x\n
x/8c buf
x/dw &n
x/s buf
echo --call\n
call plain(buf)
call sizeof(buf) + n
echo --printf\n
printf "%s %d %c\\n", buf, n + 1, buf[1]
echo --output\n
output n + 1
echo \n
output/x buf
echo \n
echo --types\n
whatis buf
whatis n
whatis &buf
whatis s
ptype buf
echo --info locals\n
info locals
echo --bt full\n
bt full 1
echo --mi\n
interpreter-exec mi "-enable-frame-filters"
interpreter-exec mi "-stack-list-locals 1"
interpreter-exec mi "-enable-pretty-printing"
interpreter-exec mi "-var-create - * s"
interpreter-exec mi "-var-list-children --all-values var1"
interpreter-exec mi "-data-evaluate-expression n+1"
interpreter-exec mi "-var-create - * n+1"
$(at nested | sed 's/^break/dprintf/'),"dprintf %d %s\\n", n, buf
echo --watch stop\n
continue
echo --watch set\n
watch n
echo --watch hits\n
continue
continue
echo --end\n
GDB
ex=()
while IFS= read -r c; do ex+=(-ex "$c"); done < "$work/cmds"
gdb -batch -nx -iex "set auto-load safe-path /" "${ex[@]}" "$work/prog" > "$work/out" 2>&1
section() { sed -n "/^--$1\$/,/^--/p" "$work/out"; }
section display | grep -qx '1: n + 1 = 4' || fail "display n + 1"
section display | grep -qx '2: /x n = 0x3' || fail "display/x n"
section display | grep -Eq '^0x[0-9a-f]+:	0x68	0x65	0x6c	0x6c	0x6f	0x00	0x00	0x00$' || fail "display/8xb buf"
section 'watch stop' | grep -qx '1: n + 1 = 4' || fail "display n + 1 at the next stop, under an inner n"
section x | grep -Eq "^0x[0-9a-f]+:	104 'h'	101 'e'	108 'l'	108 'l'	111 'o'	0 '.000'	0 '.000'	0 '.000'$" || fail "x/8c buf"
section x | grep -Eq '^0x[0-9a-f]+:	3$' || fail "x/dw &n"
section x | grep -Eq '^0x[0-9a-f]+:	"hello"$' || fail "x/s buf"
# Some gdb and CPU pairs cannot call a function in the process (gdb 13 on
# a CPU with AMX: "Couldn't write extended state status"), plain C or not:
# then that check is skipped, said so.
if section call | grep -q "Couldn't write extended state"; then
  echo "gdb cannot call functions in a process on this machine: 'call plain(buf)' not checked"
else
  section call | grep -Eq '^\$[0-9]+ = 109$' || fail "call plain(buf)"
fi
section call | grep -Eq '^\$[0-9]+ = 11$' || fail "call sizeof(buf) + n"
section printf | grep -qx 'hello 4 e' || fail "printf"
section 'watch stop' | grep -qx 'dprintf 3 hello' || fail "dprintf"
section output | grep -qx '4' || fail "output n + 1"
section output | grep -qx '{0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x0, 0x0, 0x0}' || fail "output/x buf"
[ "$(section types | grep '^type = ' | tr '\n' '|')" = 'type = char [8]|type = int|type = char (*)[8]|type = struct pt|type = char [8]|' ] ||
  fail "whatis, ptype: the user's types"
section 'info locals' | grep -qx 'buf = "hello\\000\\000"' || fail "info locals: buf"
section 'info locals' | grep -qx 'n = 3' || fail "info locals: n"
section 'info locals' | grep -Eq '^r = ' || fail "info locals: r (renamed r__N in the C)"
section 'info locals' | grep -Eq '^(goc_|r__)' && fail "info locals: the lowering's locals"
section 'bt full' | grep -Eq '^ +buf = "hello' || fail "bt full: buf"
section 'bt full' | grep -Eq '^ +(goc_|r__)' && fail "bt full: the lowering's locals"
section mi | grep -Fq 'name="buf",value="\"hello\\000\\000\""' || fail "MI -stack-list-locals: buf"
section mi | grep -Eq 'name="goc_|name="r__' && fail "MI -stack-list-locals: the lowering's locals"
section mi | grep -Fq '^done,numchild="4",children=[child={name="var1.x",exp="x",numchild="0",value="13"' ||
  fail "MI -var-list-children of a struct"
section mi | grep -Fqx '^done,value="4"' || fail "MI -data-evaluate-expression n+1"
section mi | grep -Eq '^\^done,name="var2",numchild="0",value="4",type="int"' || fail "MI -var-create - * n+1"
section 'watch set' | grep -Eq '^Hardware watchpoint [0-9]+: ' || fail "watch n"
section 'watch hits' | grep -qx 'New value = 6' || fail "watch n: the received value, after the suspension"
section 'watch hits' | grep -qx 'New value = 106' || fail "watch n: *np += 100"
# gdb's own lookup, without goc-gdb.py: goc cc pointed the twins' debug
# info at the live storage (goc debuginfo), so plain gdb and its MI read it.
gdb -batch -nx -iex "set auto-load off" -ex "set environment GOC_MAXPROCS=1" -ex "$(at top)" -ex run \
  -ex "print buf" -ex "print n + 1" -ex "print &n == p" -ex 'interpreter-exec mi "-data-evaluate-expression buf[1]+n"' \
  "$work/prog" > "$work/out" 2>&1
[ "$(sed -n 's/^\$[0-9]* = //p' "$work/out" | tr '\n' '|')" = '"hello\000\000"|4|1|' ] || fail "plain gdb: print"
grep -Fqx '^done,value="104"' "$work/out" || fail "plain gdb: MI -data-evaluate-expression buf[1]+n"
cp "$work/prog" "$work/prog.once"
"$goc" debuginfo "$work/prog" && cmp -s "$work/prog.once" "$work/prog" || fail "goc debuginfo: a second run changed the file"
"$goc" cc -g -O2 "$prog" -o "$work/prog2" || { echo "FAIL: build -O2"; exit 1; }
gdb -batch -nx -iex "set auto-load safe-path /" -ex "set environment GOC_MAXPROCS=1" \
  -ex "break live__step if goc_frp->resume >= 3" -ex run -ex "print buf" -ex "x/s buf" -ex "info locals" \
  "$work/prog2" > "$work/out" 2>&1
grep -qx '$1 = "hello\\000\\000"' "$work/out" || fail "-O2: print buf"
grep -Eq '^0x[0-9a-f]+:	"hello"$' "$work/out" || fail "-O2: x/s buf"
grep -qx 'buf = "hello\\000\\000"' "$work/out" || fail "-O2: info locals"
echo ok
