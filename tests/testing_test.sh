#!/usr/bin/env bash
# testing.CASE: goc test on the runner's own test files (tests/testing/),
# its output compared with tests/testing/CASE.out once times, goroutine ids
# and paths are masked, and its exit status with the expected one.
# Usage: testing_test.sh GOC CASE [BUILD FLAG]... (a sanitizer build's -fsanitize=)
set -uo pipefail
goc_path=$(realpath "$1"); case=$2; shift 2
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
goc() { if [[ $1 == test ]]; then shift; "$goc_path" test "$@" "${extra[@]}"; else "$goc_path" "$@"; fi; }
extra=("$@")
goc=goc
dir=$(cd "$(dirname "$0")/testing" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/goc-testing-XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export GOC_MAXPROCS=1   # one P: parallel tests resume in one order
mask() {
  sed -E -e 's/\(([0-9]+\.[0-9]+)s\)/(T)/g' -e 's/	[0-9]+\.[0-9]+s$/	T/' \
         -e 's/goroutine [0-9]+/goroutine N/g' -e "s|$dir/||g" \
         -e 's/"Time":"[^"]*"/"Time":"T"/' -e 's/"Elapsed":[0-9.]+/"Elapsed":E/' -e 's/\\t[0-9]+\.[0-9]+s\\n/\\tT\\n/' \
         -e 's/^(Benchmark[A-Za-z]*(-[0-9]+)?)\t +[0-9]+\t +[0-9.]+ ns\/op/\1\tN\tX ns\/op/'
}
want_rc=0
case $case in
  verbose)   want_rc=1; out=$("$goc" test "$dir/runner_test.goc" -v 2>&1) ;;
  quiet)     want_rc=1; out=$("$goc" test "$dir/runner_test.goc" 2>&1) ;;
  run)       out=$("$goc" test "$dir/runner_test.goc" -run 'Pass|Sub/a' -v 2>&1) ;;
  count)     out=$("$goc" test "$dir/runner_test.goc" -run '^TestPass$' -count 3 -v 2>&1) ;;
  cpu)       out=$("$goc" test "$dir/runner_test.goc" -run 'Pass|Parallel' -cpu 1,2 2>&1) ;;
  leak)      want_rc=1; out=$("$goc" test "$dir/leak_test.goc" -v 2>&1) ;;
  env)       want_rc=1; out=$("$goc" test "$dir/env_test.goc" -failfast -v 2>&1) ;;
  gofatal)   want_rc=1; out=$("$goc" test "$dir/gofatal_test.goc" 2>&1) ;;
  noleakcheck) out=$("$goc" test "$dir/leak_test.goc" -run 'Leak' -leakcheck=false 2>&1) ;;
  timeout)   want_rc=2; out=$("$goc" test "$dir/hang_test.goc" -timeout 200ms -v 2>&1) ;;
  example)   want_rc=1; ex=$(cd "$dir/../../examples/testing" && pwd)
             out=$("$goc" test "$ex/queue_test.goc" "$ex/queue.goc" 2>&1 | sed "s|$ex/||g") ;;
  bench)     out=$("$goc" test "$dir/bench_test.goc" -run XXX -bench . -benchtime 1000x -cpu 1,2 2>&1) ;;
  json)
    want_rc=1
    out=$("$goc" test "$dir/runner_test.goc" -json -run 'Pass|Skip|Sub' 2>&1); rc=$?
    # go test -json's event schema, line by line
    ev='^\{"Time":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]+Z","Action":"(start|run|pause|cont|output|pass|fail|skip)","Package":"[^"]+"(,"Test":"([^"\\]|\\.)+")?(,"Output":"([^"\\]|\\.)*")?(,"Elapsed":[0-9]+(\.[0-9]+)?)?\}$'
    bad=$(grep -Ev "$ev" <<<"$out")
    [[ -z "$bad" ]] || { echo "not go test -json events:"; echo "$bad"; exit 1; }
    # every test that runs ends with pass, fail or skip
    for t in $(grep -o '"Action":"run","Package":"[^"]*","Test":"[^"]*"' <<<"$out" | sed 's/.*"Test":"//; s/"$//'); do
      grep -Eq "\"Action\":\"(pass|fail|skip)\",\"Package\":\"[^\"]*\",\"Test\":\"$t\"" <<<"$out" || { echo "no end event for $t"; exit 1; }
    done
    ;;
  *) echo "unknown case $case"; exit 2 ;;
esac
case_rc=$?
[[ $case == json ]] || rc=$case_rc
got=$(mask <<<"$out")
[[ -n "${GOC_UPDATE:-}" ]] && echo "$got" > "$dir/$case.out"   # regenerate, then review the diff
want=$(cat "$dir/$case.out")
if [[ "$got" != "$want" ]]; then
  echo "output differs from $dir/$case.out:"
  diff <(echo "$want") <(echo "$got")
  exit 1
fi
[[ $rc == "$want_rc" ]] || { echo "exit status $rc, want $want_rc"; exit 1; }
echo ok
