#!/usr/bin/env bash
# cmake.goc_add_test: the consumer project tests/cmake/testing, built
# against `cmake --install` of this build, registers one CTest test per test
# function (found after the build, by -test.list), and ctest runs them one
# by one: all pass, a failing one is reported as failed, -test.cpu applies.
# Usage: testing_run.sh GOC_SOURCE_DIR GOC_BINARY_DIR
set -euo pipefail
src=$1; bin=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/goc-cmake-test-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
gen=(-G Ninja); command -v ninja >/dev/null || gen=(-G "Unix Makefiles")
cmake --install "$bin" --prefix "$work/prefix" >/dev/null
cmake -S "$src/tests/cmake/testing" -B "$work/b" "${gen[@]}" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/b" >/dev/null || { cmake --build "$work/b"; fail "build"; }
list=$(ctest --test-dir "$work/b" -N | grep -o 'queue_tests[a-z_]*\.[A-Za-z]*' | sort)
want=$'queue_tests.TestFailsOnRequest\nqueue_tests.TestOrder\nqueue_tests.TestParallelSums\nqueue_tests_cpu.TestFailsOnRequest\nqueue_tests_cpu.TestOrder\nqueue_tests_cpu.TestParallelSums'
[[ "$list" == "$want" ]] || fail "registered tests:"$'\n'"$list"$'\n'"wanted"$'\n'"$want"
ctest --test-dir "$work/b" --output-on-failure >/dev/null || { ctest --test-dir "$work/b" --output-on-failure; fail "ctest"; }
# each test runs alone: the -cpu one ran under both values
out=$(ctest --test-dir "$work/b" -R 'queue_tests_cpu.TestOrder' -V 2>&1)
[[ $(grep -c -- '--- PASS: TestOrder' <<<"$out") == 2 ]] || fail "-test.cpu 1,2: not two runs: $out"
out=$(GOC_TESTING_CONSUMER_FAIL=1 ctest --test-dir "$work/b" -R 'queue_tests.TestFailsOnRequest' --output-on-failure 2>&1) \
  && fail "a failing test passed: $out"
grep -q -- '--- FAIL: TestFailsOnRequest' <<<"$out" || fail "no FAIL line: $out"
grep -q 'queue_test.goc:[0-9]*: failing on request' <<<"$out" || fail "no log line: $out"
echo "ok"
