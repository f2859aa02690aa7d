#!/usr/bin/env bash
# Runs one .goc test by the recipe on its first line (Go's test/ convention):
#   // run [exit=N] [env=K=V]... [args=a,b] [with=x.goc,y.c] [flags=-DX,-include,@DIR@/h.h]
#                                             build (with the other files,
#                                             relative to this one), run,
#                                             compare stdout with
#                                             NAME.out (if present), check the
#                                             exit status and every
#                                             "// stderr: REGEXP" line; a
#                                             build warning only on lines
#                                             marked // WARNING "REGEXP"
#                                             (one that matches on each)
#   // errorcheck                             goc transform must fail with a
#                                             diagnostic on every line marked
#                                             // ERROR "REGEXP", and no other
# UPDATE_GOLDEN=1 rewrites NAME.out from the program's output.
# Usage: goc_test.sh GOC FILE.goc [extra cc flags...]
set -u
goc=$1; file=$2; shift 2
# Leaks are by design in both processes (a short-lived compiler; the
# runtime caches Gs and frames for the life of the program).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
work=$(mktemp -d "${TMPDIR:-/tmp}/goc-test-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $file: $*" >&2; exit 1; }

recipe=$(head -1 "$file")
case "$recipe" in
  "// run"*)
    want_exit=0; envs=(); args=(); with=(); cflags=()
    for tok in ${recipe#// run}; do
      case "$tok" in
        exit=*) want_exit=${tok#exit=} ;;
        env=*) envs+=("${tok#env=}") ;;
        args=*) IFS=, read -r -a args <<< "${tok#args=}" ;;
        flags=*) IFS=, read -r -a cflags <<< "${tok#flags=}"   # @DIR@: this file's directory
                 cflags=("${cflags[@]//@DIR@/$(dirname "$file")}") ;;
        with=*) IFS=, read -r -a parts <<< "${tok#with=}"
                for p in "${parts[@]}"; do with+=("$(dirname "$file")/$p"); done ;;
        *) fail "unknown recipe option '$tok'" ;;
      esac
    done
    "$goc" cc -O2 -g -Wall -Wextra "$@" "${cflags[@]+"${cflags[@]}"}" "$file" "${with[@]+"${with[@]}"}" -o "$work/prog" 2> "$work/build.err" \
      || { cat "$work/build.err" >&2; fail "build failed"; }
    # every line marked // WARNING "REGEXP" warned of (goc's own warnings),
    # and no other warning
    base=$(basename "$file")
    while IFS= read -r line; do
      re=$(sed -n 's|.*// WARNING "\(.*\)".*|\1|p' <<< "$line")
      lineno=$(cut -d: -f1 <<< "$line")
      grep -E "(^|/)$base:$lineno:[0-9]+: warning: " "$work/build.err" | grep -Eq -- "$re" \
        || { cat "$work/build.err" >&2; fail "no warning matching '$re' at line $lineno"; }
      grep -Ev "(^|/)$base:$lineno:[0-9]+: warning: " "$work/build.err" > "$work/build.err.rest"
      mv "$work/build.err.rest" "$work/build.err"
    done < <(grep -n '// WARNING "' "$file")
    if grep -q "warning:" "$work/build.err"; then cat "$work/build.err" >&2; fail "build warnings"; fi
    env "${envs[@]+"${envs[@]}"}" timeout -s KILL "${GOC_TEST_TIMEOUT:-60}" "$work/prog" "${args[@]+"${args[@]}"}" \
      > "$work/stdout" 2> "$work/stderr"
    status=$?
    golden="${file%.goc}.out"
    if [ "${UPDATE_GOLDEN:-}" = 1 ]; then cp "$work/stdout" "$golden"; fi
    if [ "$status" != "$want_exit" ]; then
      echo "--- stderr:" >&2; tail -30 "$work/stderr" >&2
      fail "exit status $status, want $want_exit"
    fi
    if [ -f "$golden" ] && ! diff -u "$golden" "$work/stdout" > "$work/diff"; then
      head -40 "$work/diff" >&2; fail "stdout differs from $golden"
    fi
    while IFS= read -r re; do
      grep -Eq -- "$re" "$work/stderr" || { tail -20 "$work/stderr" >&2; fail "stderr does not match '$re'"; }
    done < <(sed -n 's|^[[:space:]]*// stderr: ||p' "$file")
    ;;
  "// errorcheck"*)
    if "$goc" transform "$file" -o "$work/out.c" 2> "$work/diag"; then
      fail "goc transform succeeded; errors were expected"
    fi
    [ -e "$work/out.c" ] && fail "an output file was left behind"
    base=$(basename "$file")
    # every expected error
    n=0
    while IFS= read -r line; do
      n=$((n + 1))
      re=$(sed -n 's|.*// ERROR "\(.*\)".*|\1|p' <<< "$line")
      [ -z "$re" ] && continue
      lineno=$(cut -d: -f1 <<< "$line")
      grep -E "(^|/)$base:$lineno:[0-9]+: error: " "$work/diag" | grep -Eq -- "$re" \
        || { cat "$work/diag" >&2; fail "no diagnostic matching '$re' at line $lineno"; }
    done < <(grep -n '// ERROR "' "$file")
    # no unexpected ones
    while IFS= read -r d; do
      lineno=$(sed -n "s|.*$base:\([0-9]*\):[0-9]*: error: .*|\1|p" <<< "$d")
      [ -z "$lineno" ] && fail "diagnostic not in file:line:col form: $d"
      sed -n "${lineno}p" "$file" | grep -q '// ERROR "' || fail "unexpected diagnostic: $d"
    done < "$work/diag"
    ;;
  *) fail "no recipe on line 1 (// run or // errorcheck)" ;;
esac
exit 0
