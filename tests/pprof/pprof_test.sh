#!/usr/bin/env bash
# Profiles in pprof's format, end to end: builds profile_prog.goc, runs it
# (it writes its goroutine and block profiles through goc_profile_write,
# and GOC_BLOCKPROFILE writes one at exit), and checks every file with
# pprof_decode, a protobuf reader of the test's own. At GOC_MAXPROCS=1 the
# profiles must be exactly the expected ones; at 4 they must contain them
# (not under ThreadSanitizer: the program's wait loop lists goroutines
# that may be running, as SIGQUIT's dump does, which TSan reports).
# Usage: pprof_test.sh GOC SOURCE_DIR PPROF_DECODE [cc flags...]
set -eu
goc=$1; src=$2; decode=$3; shift 3
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
work=$(mktemp -d "${TMPDIR:-/tmp}/goc-pprof-XXXXXX")
trap 'rm -rf "$work"' EXIT
prog="$src/tests/pprof/profile_prog.goc"
"$goc" cc -O2 -g -Wall -Wextra "$@" "$prog" -o "$work/prog"
run() {
  local procs=$1 exact=$2 d="$work/p$1"
  mkdir "$d"
  local status=0
  GOC_MAXPROCS=$procs GOC_BLOCKPROFILE="$d/exit.pb.gz" timeout -s KILL "${GOC_TEST_TIMEOUT:-60}" \
    "$work/prog" "$d" > "$d/stdout" 2> "$d/stderr" || status=$?
  [ "$status" = 0 ] || { cat "$d/stderr"; echo "FAIL: profile_prog at GOC_MAXPROCS=$procs exited $status"; exit 1; }
  [ "$(cat "$d/stdout")" = ok ] || { cat "$d/stdout" "$d/stderr"; echo "FAIL: profile_prog output"; exit 1; }
  [ -s "$d/stderr" ] && { cat "$d/stderr"; echo "FAIL: profile_prog wrote to stderr"; exit 1; }
  "$decode" "$prog" "$d" "$exact"
}
run 1 1
case " $* " in
  *" -fsanitize=thread "*) ;;
  *) run 4 0 ;;
esac
