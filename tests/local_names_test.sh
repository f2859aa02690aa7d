#!/usr/bin/env bash
# The lowered C of fixtures/run/c_stays_c_local_names.goc (locals of one
# name in sibling blocks, loops, cases, after a label) names every local as
# the source does: no name__N, name__pN or type name__gocN anywhere but in
# the locals area's field names (goc_L->i__3, which two locals of one name
# need, and the twins' type names goc_in_L__FIELD), which users do not see.
# Usage: local_names_test.sh GOC SOURCE_DIR
set -u
goc=$1; src=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/goc-names-XXXXXX")
trap 'rm -rf "$work"' EXIT
"$goc" transform "$src/fixtures/run/c_stays_c_local_names.goc" -o "$work/out.c" || { echo "FAIL: transform"; exit 1; }
sed -E 's/struct goc_locals \{[^}]*\}//g; s/goc_L->[A-Za-z0-9_]+//g; s/goc_in_L__[A-Za-z0-9_]+//g' "$work/out.c" \
  | grep -En '\b[A-Za-z_][A-Za-z0-9_]*__(p?[0-9]+|goc[0-9]+)\b' > "$work/renamed"
if [ -s "$work/renamed" ]; then
  echo "FAIL: renamed locals in the lowered C:"
  grep -oE '\b[A-Za-z_][A-Za-z0-9_]*__(p?[0-9]+|goc[0-9]+)\b' "$work/renamed" | sort | uniq -c
  exit 1
fi
# the check sees a rename when there is one: the locals area's fields do
grep -q 'goc_L->i__[0-9]' "$work/out.c" || { echo "FAIL: no field i__N; is the fixture still about sibling locals?"; exit 1; }
echo ok
