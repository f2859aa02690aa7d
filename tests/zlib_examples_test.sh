#!/usr/bin/env bash
# Third-party C through goc: the example programs zlib ships
# (/usr/share/doc/zlib1g-dev/examples, from the zlib1g-dev package goc
# builds with). Each that gcc compiles must compile through `goc cc` as a
# .goc file as it is, and again with a goc_yield(); at every function entry
# (csmith_mutate A: every function a goroutine function, main included)
# unless goc refuses it with one of SPEC's refusals (a variadic goroutine
# function, a goroutine function used as a plain function pointer). zpipe
# and minigzip, built both ways, must then compress and decompress as
# gcc's builds do, byte for byte.
# Usage: zlib_examples_test.sh GOC CSMITH_MUTATE
set -u
goc=$1; mutate=$2
ex=/usr/share/doc/zlib1g-dev/examples
[ -f "$ex/zpipe.c" ] || { echo "SKIP: no $ex"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/goc-zlib-XXXXXX")
trap 'rm -rf "$work"' EXIT
status=0
built=0
for f in "$ex"/*.c; do
  b=$(basename "$f" .c)
  gcc -w -c -I "$ex" "$f" -o "$work/$b.gcc.o" 2> /dev/null || continue
  cp "$f" "$work/$b.goc"
  if ! "$goc" cc -w -c -I "$ex" "$work/$b.goc" -o "$work/$b.plain.o" 2> "$work/$b.plain.err"; then
    echo "FAIL: $b.c as a .goc file:"; head -5 "$work/$b.plain.err"; status=1
  fi
  "$mutate" A 1 < "$f" > "$work/${b}_A.goc"
  if ! "$goc" cc -w -c -I "$ex" "$work/${b}_A.goc" -o "$work/$b.A.o" 2> "$work/$b.A.err"; then
    if grep -v -E "variadic goroutine function|used as a plain function pointer|with [0-9]+ arguments?, expected" "$work/$b.A.err" | grep -q "error:"; then
      echo "FAIL: $b.c with every function a goroutine function:"; head -5 "$work/$b.A.err"; status=1
    fi
  fi
  built=$((built + 1))
done
[ "$built" -ge 5 ] || { echo "FAIL: only $built of zlib's examples built with gcc"; status=1; }
head -c 300000 "$goc" > "$work/data"
for b in zpipe minigzip; do
  gcc -w -O1 -I "$ex" "$ex/$b.c" -lz -o "$work/$b.gcc" || { echo "FAIL: gcc $b"; status=1; continue; }
  "$goc" cc -w -O1 -I "$ex" "$work/${b}_A.goc" -lz -o "$work/$b.goc" 2> "$work/$b.link.err" ||
    { echo "FAIL: goc cc $b"; cat "$work/$b.link.err"; status=1; continue; }
done
if [ -x "$work/zpipe.goc" ]; then
  "$work/zpipe.gcc" < "$work/data" > "$work/z.gcc"
  "$work/zpipe.goc" < "$work/data" > "$work/z.goc" || { echo "FAIL: zpipe (goc) exited with $?"; status=1; }
  cmp -s "$work/z.gcc" "$work/z.goc" || { echo "FAIL: zpipe compressed otherwise than gcc's build"; status=1; }
  "$work/zpipe.goc" -d < "$work/z.gcc" | cmp -s - "$work/data" || { echo "FAIL: zpipe -d (goc)"; status=1; }
fi
if [ -x "$work/minigzip.goc" ]; then
  "$work/minigzip.gcc" -c < "$work/data" > "$work/m.gcc"
  "$work/minigzip.goc" -c < "$work/data" > "$work/m.goc" || { echo "FAIL: minigzip (goc) exited with $?"; status=1; }
  cmp -s "$work/m.gcc" "$work/m.goc" || { echo "FAIL: minigzip compressed otherwise than gcc's build"; status=1; }
  "$work/minigzip.goc" -d -c < "$work/m.gcc" | cmp -s - "$work/data" || { echo "FAIL: minigzip -d (goc)"; status=1; }
fi
[ $status = 0 ] && echo "PASS ($built examples)"
exit $status
