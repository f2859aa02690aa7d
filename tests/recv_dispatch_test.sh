#!/usr/bin/env bash
# The lowering of fixtures/run/recv_finished_by_dispatch.goc: a function's
# first 8 receives in expressions call goc__chan_recv_resume on their own
# resume paths; the later ones are marked in the function's goc_rf table
# and finished by its resume dispatch, one call for all of them; a function
# with no more than 8 has no table.
# Usage: recv_dispatch_test.sh GOC SOURCE_DIR
set -u
goc=$1; src=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/goc-recvdisp-XXXXXX")
trap 'rm -rf "$work"' EXIT
"$goc" transform "$src/fixtures/run/recv_finished_by_dispatch.goc" -o "$work/out.c" || { echo "FAIL: transform"; exit 1; }
# the step function of many, from its definition to the next step's
awk '/^static int many__step\(goc_g \*goc_cur, goc_frame \*goc_frp\) \{/ { p = 1 } /^static int goc_main__step\(/ { p = 0 } p' \
  "$work/out.c" > "$work/many.c"
rc=0
per_site=$(grep -o 'goc__chan_recv_resume(goc_cur, ((void \*)0)); }' "$work/many.c" | wc -l)
[ "$per_site" -eq 8 ] || { echo "FAIL: $per_site receives with their own goc__chan_recv_resume, not 8"; rc=1; }
grep -q 'if (goc_rf\[goc_fr->goc_hdr.resume\]) goc__chan_recv_resume(goc_cur, ((void \*)0));' "$work/many.c" ||
  { echo "FAIL: no finish in many's resume dispatch"; rc=1; }
# marked: one byte a resume point; the receives past the 8th (twelve of the
# straight line, the first loop's two, the discarded one, three in a and b,
# the last loop's and the return's): 20
marked=$(grep -o 'static const unsigned char goc_rf\[\] = {[^}]*}' "$work/many.c" | grep -o '1' | wc -l)
[ "$marked" -eq 20 ] || { echo "FAIL: $marked resume points in goc_rf, not 20"; rc=1; }
[ "$(grep -o 'goc_rf' "$work/out.c" | wc -l)" -eq 2 ] || { echo "FAIL: a goc_rf outside many"; rc=1; }
[ $rc -eq 0 ] && echo "PASS"
exit $rc
