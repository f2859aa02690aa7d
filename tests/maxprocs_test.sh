#!/usr/bin/env bash
# The default GOMAXPROCS (runtime/src/maxprocs.c): the affinity mask
# (taskset), a cgroup v2 cpu.max quota in a fake cgroup tree
# (GOC_CGROUP_ROOT, mirroring this process's cgroup path), the smaller of
# the two, and GOC_MAXPROCS over both. Expectations are computed from
# nproc (which reads the same affinity mask), so they hold on any machine.
# Usage: maxprocs_test.sh GOC SOURCE_DIR [cc flags]
set -eu
goc=$1; src=$2; shift 2
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
work=$(mktemp -d "${TMPDIR:-/tmp}/goc-maxprocs-XXXXXX")
trap 'rm -rf "$work"' EXIT
"$goc" cc -O2 "$@" "$src/tests/maxprocs/nprocs.goc" -o "$work/nprocs"
fails=0
check() {   # check WANT DESCRIPTION -- command...
  local want=$1 what=$2; shift 3
  local got; got=$("$@")
  if [ "$got" = "$want" ]; then echo "ok   $what: $got"
  else echo "FAIL $what: got $got, want $want"; fails=$((fails + 1)); fi
}
min() { [ "$1" -lt "$2" ] && echo "$1" || echo "$2"; }
ncpu=$(nproc)
cg=$(sed -n 's/^0:://p' /proc/self/cgroup)
[ "$cg" = / ] && cg=
root=$work/cgroup
mkdir -p "$root$cg"
cpumax() { echo "$1" > "$root$cg/cpu.max"; }
run() { env -u GOC_MAXPROCS GOC_CGROUP_ROOT="$root" "$@" "$work/nprocs"; }

check "$ncpu" "no cpu.max" -- run
check 1 "taskset -c 0" -- run taskset -c 0
cpumax "max 100000"
check "$ncpu" "cpu.max max" -- run
cpumax "250000 100000"
check "$(min "$ncpu" 3)" "quota 2.5 CPUs rounds up" -- run
cpumax "50000 100000"
check "$(min "$ncpu" 2)" "quota 0.5 CPUs: Go's floor of 2" -- run
cpumax "300000 100000"
check 1 "quota 3 CPUs, taskset -c 0: the smaller" -- run taskset -c 0
cpumax "100000 100000"
check 5 "GOC_MAXPROCS=5 overrides" -- run env GOC_MAXPROCS=5
cpumax "garbage"
check "$ncpu" "unparsable cpu.max: no limit" -- run
cpumax "0 100000"
check "$ncpu" "zero quota: no limit" -- run
[ "$fails" = 0 ]
