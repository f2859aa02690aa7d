#!/usr/bin/env bash
# Go's own reader: `go tool pprof -top` and `-traces` read the goroutine and
# block profiles of profile_prog.goc and show its .goc functions, stacks
# and counts. Skipped (exit 77) without a Go toolchain: $GOC_GO, `go` on
# PATH, or the shared wrapper once its toolchain is in its cache (the
# wrapper would download it otherwise; this test never downloads).
# Usage: pprof_go_test.sh GOC SOURCE_DIR
set -eu
goc=$1; src=$2
go=${GOC_GO:-}
if [ -z "$go" ] && command -v go > /dev/null; then go=$(command -v go); fi
wrapper=/work/shared/tools/go
if [ -z "$go" ] && [ -x "$wrapper" ] && [ -x "${GO_TOOLCHAIN_CACHE:-$HOME/.cache/go-1.23}/root/usr/lib/go-1.23/bin/go" ]; then
  go=$wrapper
fi
[ -n "$go" ] || { echo "skipped: no Go toolchain (set GOC_GO)"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/goc-pprof-go-XXXXXX")
trap 'rm -rf "$work"' EXIT
prog="$src/tests/pprof/profile_prog.goc"
"$goc" cc -O2 -g "$prog" -o "$work/prog"
GOC_MAXPROCS=1 "$work/prog" "$work" > /dev/null
line() { grep -n "/\* @$1 \*/" "$prog" | cut -d: -f1; }
fail() { echo "FAIL: $*"; exit 1; }
pp() { timeout 300 "$go" tool pprof "$@" 2>&1; }

top=$(pp -top "$work/goroutine.pb.gz")
echo "$top"
grep -q '^Type: goroutine$' <<< "$top" || fail "goroutine -top: no 'Type: goroutine'"
grep -q 'Showing nodes accounting for 9, 100% of 9 total' <<< "$top" || fail "goroutine -top: not 9 goroutines"
grep -Eq '^ +5 .* parked$' <<< "$top" || fail "goroutine -top: no 5 in parked"
grep -Eq '^ +3 .* inner$' <<< "$top" || fail "goroutine -top: no 3 in inner"
grep -Eq '^ +0 .* 3 .* outer$' <<< "$top" || fail "goroutine -top: no cumulative 3 in outer"
grep -q 'binary filename not available' <<< "$top" && fail "pprof looked for the binary"

traces=$(pp -traces -lines "$work/goroutine.pb.gz")
echo "$traces"
grep -Eq "^ +3 +inner [^ ]*profile_prog.goc:$(line inner)\$" <<< "$traces" || fail "goroutine -traces: no inner"
grep -A1 -E "^ +3 +inner " <<< "$traces" | grep -Eq "^ +outer [^ ]*profile_prog.goc:$(line outer)\$" \
  || fail "goroutine -traces: outer is not inner's caller"
grep -Eq "^ +5 +parked [^ ]*profile_prog.goc:$(line parked)\$" <<< "$traces" || fail "goroutine -traces: no parked"

# -nodefraction=0: deep_b's 400 blocks outweigh the rest, which pprof would
# drop as under 0.5% of the total.
top=$(pp -top -nodefraction=0 "$work/block.pb.gz")
echo "$top"
grep -q '^Type: delay$' <<< "$top" || fail "block -top: no 'Type: delay'"
grep -Eq ' parked$' <<< "$top" || fail "block -top: no parked"
grep -Eq ' outer$' <<< "$top" || fail "block -top: no outer"
top=$(pp -top -nodefraction=0 -sample_index=contentions "$work/block.pb.gz")
echo "$top"
grep -Eq '^ +5 .* parked$' <<< "$top" || fail "block contentions: no 5 in parked"
grep -Eq '^ +3 .* inner$' <<< "$top" || fail "block contentions: no 3 in inner"
traces=$(pp -traces -nodefraction=0 "$work/block.pb.gz")
grep -A1 -E "^ +[0-9.]+[mun]?s +inner$" <<< "$traces" | grep -Eq "^ +outer$" || { echo "$traces"; fail "block -traces: no inner <- outer"; }
echo ok
