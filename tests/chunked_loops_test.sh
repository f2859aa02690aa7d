#!/usr/bin/env bash
# The lowering of fixtures/run/adv_chunked_loops.goc strip-mines exactly the
# loops marked "// chunked" on their line (GOC__CHUNK_SHORT, the strip-mined
# loop's entry, right after the loop's #line directive), gives every loop marked "// checked" a check at
# each back-edge instead, and those marked "// unchecked" neither.
# Usage: chunked_loops_test.sh GOC SOURCE_DIR
set -u
goc=$1; src=$2
fixture="$src/fixtures/run/adv_chunked_loops.goc"
work=$(mktemp -d "${TMPDIR:-/tmp}/goc-chunked-XXXXXX")
trap 'rm -rf "$work"' EXIT
"$goc" transform "$fixture" -o "$work/out.c" || { echo "FAIL: transform"; exit 1; }
# the .goc lines whose #line section holds a GOC__CHUNK
awk -v f="$(basename "$fixture")" '
  /^#line [0-9]+ / { line = ($3 ~ f "\"$") ? $2 : 0; next }
  /GOC__CHUNK_SHORT\(/ && line { print line }' "$work/out.c" | sort -u > "$work/chunked"
grep -n '// chunked' "$fixture" | cut -d: -f1 | sort -u > "$work/want"
grep -n '// checked' "$fixture" | cut -d: -f1 | sort -u > "$work/checked"
awk -v f="$(basename "$fixture")" '
  /^#line [0-9]+ / { line = ($3 ~ f "\"$") ? $2 : 0; next }
  /goc__preempt_requested\(/ && line { print line }' "$work/out.c" | sort -u > "$work/checks"
grep -n '// unchecked' "$fixture" | cut -d: -f1 | sort -u > "$work/unchecked"
[ -s "$work/want" ] && [ -s "$work/checked" ] || { echo "FAIL: no marks in $fixture"; exit 1; }
rc=0
for l in $(comm -12 "$work/unchecked" "$work/checks"); do echo "FAIL: line $l has a check: $(sed -n "${l}p" "$fixture")"; rc=1; done
for l in $(comm -23 "$work/checked" "$work/checks"); do echo "FAIL: line $l has no check: $(sed -n "${l}p" "$fixture")"; rc=1; done
for l in $(comm -12 "$work/unchecked" "$work/chunked"); do echo "FAIL: line $l is strip-mined: $(sed -n "${l}p" "$fixture")"; rc=1; done
for l in $(comm -23 "$work/want" "$work/chunked"); do echo "FAIL: line $l is not strip-mined: $(sed -n "${l}p" "$fixture")"; rc=1; done
for l in $(comm -12 "$work/checked" "$work/chunked"); do echo "FAIL: line $l is strip-mined: $(sed -n "${l}p" "$fixture")"; rc=1; done
for l in $(comm -23 "$work/chunked" "$work/want"); do
  grep -qx "$l" "$work/checked" "$work/unchecked" || { echo "FAIL: unmarked line $l is strip-mined: $(sed -n "${l}p" "$fixture")"; rc=1; }
done
[ $rc = 0 ] && echo ok
exit $rc
