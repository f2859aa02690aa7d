#!/usr/bin/env bash
# tests/header_sweep.sh [GOC] — every system header through goc's front end.
# For each header under /usr/include (top level, sys/, linux/, arpa/,
# netinet/, and gcc's own: the intrinsics' <immintrin.h> and its kin) that
# gcc accepts alone, a .goc of `#define _GNU_SOURCE`, the
# #include and an empty main goes through `goc transform`, and gcc then
# checks the lowered C (-fsyntax-only). Prints each failure with its first
# error, then the counts; exits 1 if any header failed. A campaign, not a
# CTest test: what it covers is whatever the machine has installed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
goc=${1:-$here/../build/transform/goc}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ok=0 bad=0 skip=0
gccinc=$(gcc -print-file-name=include)
for h in /usr/include/*.h /usr/include/x86_64-linux-gnu/sys/*.h /usr/include/sys/*.h /usr/include/linux/*.h \
  /usr/include/arpa/*.h /usr/include/netinet/*.h "$gccinc"/*.h; do
  [[ -f $h ]] || continue
  inc=${h#/usr/include/}
  inc=${inc#x86_64-linux-gnu/}
  inc=${inc#"$gccinc"/}
  printf '#define _GNU_SOURCE 1\n#include <%s>\nint main(void) { return 0; }\n' "$inc" > "$work/t.goc"
  if ! gcc -w -fsyntax-only -x c "$work/t.goc" 2> /dev/null; then skip=$((skip + 1)); continue; fi
  if GOC_NO_CHECK=1 timeout 60 "$goc" transform "$work/t.goc" -o "$work/t.c" -- -w 2> "$work/err" &&
    gcc -w -fsyntax-only -I "$here/../runtime/include" "$work/t.c" 2>> "$work/err"; then
    ok=$((ok + 1))
  else
    bad=$((bad + 1))
    echo "FAIL <$inc>: $(grep -m1 error "$work/err")"
  fi
done
echo "header_sweep: $ok through goc, $bad failed, $skip that gcc rejects alone (skipped)"
((bad == 0))
