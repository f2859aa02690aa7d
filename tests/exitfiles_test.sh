#!/usr/bin/env bash
# The files a run writes at its end are complete however it ends: GOC_TRACE
# (trace-event JSON closed with "]}") and GOC_BLOCKPROFILE (valid gzip naming
# the .goc file) after SIGTERM and SIGINT with default handling (the process
# still dies of the signal: 143, 130), SIGQUIT (the dump, exit 2) and a
# panic (exit 2).
# Usage: exitfiles_test.sh GOC SOURCE_DIR
set -um   # job control: a background job keeps SIGINT and SIGQUIT at their defaults
goc=$1; src=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/goc-exitfiles-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
"$goc" cc -O2 "$src/tests/exitfiles/waits.goc" -o "$work/prog" || fail build
check_files() {  # check_files WHAT
  tail -c 4 "$work/trace.json" | grep -q ']}' || fail "$1: trace truncated or missing"
  gzip -t "$work/block.pb.gz" 2>/dev/null || fail "$1: block profile missing or not gzip"
  gzip -dc "$work/block.pb.gz" | grep -aq 'waits\.goc' || fail "$1: no .goc file in the block profile"
}
for sig in TERM INT QUIT; do
  rm -f "$work/trace.json" "$work/block.pb.gz" "$work/out"
  GOC_TRACE="$work/trace.json" GOC_BLOCKPROFILE="$work/block.pb.gz" "$work/prog" > "$work/out" 2> "$work/err" &
  pid=$!
  for _ in $(seq 1 600); do grep -q ready "$work/out" 2>/dev/null && break; sleep 0.05; done
  grep -q ready "$work/out" || { kill -9 $pid; fail "SIG$sig: the program never got ready"; }
  kill -s $sig $pid
  wait $pid; rc=$?
  case $sig in TERM) want=143 ;; INT) want=130 ;; QUIT) want=2 ;; esac
  [[ $rc == "$want" ]] || fail "SIG$sig: exit status $rc, want $want"
  check_files "SIG$sig"
done
rm -f "$work/trace.json" "$work/block.pb.gz"
GOC_TRACE="$work/trace.json" GOC_BLOCKPROFILE="$work/block.pb.gz" "$work/prog" panic > /dev/null 2> "$work/err"
rc=$?
[[ $rc == 2 ]] || fail "panic: exit status $rc, want 2"
grep -q 'panic: on purpose' "$work/err" || fail "panic: no message"
check_files panic
echo ok
