#!/usr/bin/env bash
# The stress test (tests/behaviour/stress.goc: a million channel operations
# with random selects, closes and sleeps, every value received exactly once)
# at GOC_MAXPROCS 1, 2, 4 and 8. Usage: stress_procs.sh GOC SOURCE_DIR [cc flags]
set -eu
goc=$1; src=$2; shift 2
work=$(mktemp -d "${TMPDIR:-/tmp}/goc-stress-XXXXXX")
trap 'rm -rf "$work"' EXIT
"$goc" cc -O2 "$@" "$src/tests/behaviour/stress.goc" -o "$work/stress"
for p in 1 2 4 8; do
  out=$(GOC_MAXPROCS=$p "$work/stress") || { echo "FAIL at GOC_MAXPROCS=$p: $out"; exit 1; }
  [ "$out" = ok ] || { echo "FAIL at GOC_MAXPROCS=$p: $out"; exit 1; }
  echo "GOC_MAXPROCS=$p ok"
done
