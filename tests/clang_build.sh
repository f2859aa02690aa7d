#!/usr/bin/env bash
# The lowered C of every .goc test program compiles without a warning under
# clang -Wall -Wextra too (the fixtures themselves are built with $CC, gcc).
# Usage: clang_build.sh GOC CLANG FILE.goc...
set -u
goc=$1; clang=$2; shift 2
work=$(mktemp -d "${TMPDIR:-/tmp}/goc-clang-XXXXXX")
trap 'rm -rf "$work"' EXIT
status=0
for f in "$@"; do
  head -1 "$f" | grep -q '^// run' || continue
  grep -q '// WARNING "' "$f" && continue   # warns on purpose (goc_test.sh checks it)
  # the recipe's flags= (see goc_test.sh)
  flags=()
  for tok in $(head -1 "$f"); do
    case "$tok" in flags=*) IFS=, read -r -a flags <<< "${tok#flags=}"; flags=("${flags[@]//@DIR@/$(dirname "$f")}") ;; esac
  done
  if ! CC="$clang" "$goc" cc -c -O1 -Wall -Wextra -Werror "${flags[@]+"${flags[@]}"}" "$f" -o "$work/out.o" 2> "$work/err"; then
    echo "FAIL: $f"; cat "$work/err"; status=1
  fi
done
exit $status
