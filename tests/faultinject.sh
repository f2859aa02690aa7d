#!/usr/bin/env bash
# faultinject.sh — allocation-failure injection (tests/faultinject/failmalloc.c).
#
#   tests/faultinject.sh GOC SRCDIR SHIM [short|full] [runtime|tools|all]
#
# For each subject — goroutine programs built once with `goc cc`
# (tests/faultinject/*.goc) and the goc tool itself (`goc transform`,
# `goc cc`) — counts the allocations a clean run makes, then reruns it with
# allocation number N failing (GOC_FAILMALLOC_N=N), for every N when the
# total is small and otherwise for a deterministic sample: N = 1..F, the
# last L up to the total (plus a few past it), and evenly spaced points in
# between, at most MAX in all (short: F=20 L=10 MAX=40 on the runtime
# programs, F=15 L=5 MAX=25 on goc transform, F=5 L=3 MAX=10 on goc cc; full: F=50 L=50 MAX=300, and
# every point for a subject whose total is at most 2000). full also reruns
# a sample with GOC_FAILMALLOC_MODE=after (every later allocation fails).
#
# Each run must end in one of:
#   runtime: exit 2 with "fatal error: out of memory" on stderr, or exit 0
#            with the program's expected output (a failure it tolerates), or
#            exit 2 with "fatal error: ... cannot create ... thread: Resource
#            temporarily unavailable" (glibc's pthread_create turns a failed
#            allocation of its own into EAGAIN, the thread limit's error);
#   tools:   exit 1 with "goc: error: out of memory" on stderr, or success;
#            and the output file either absent or identical to the clean
#            run's (transform), absent after a failure (cc), and no temp
#            file or directory left behind;
# never a signal, a timeout (30 s) or any other status or message.
# (The shim is given through env, after timeout: it takes itself out of
# LD_PRELOAD in the first process that loads it.)
set -uo pipefail
goc=$(realpath "$1"); src=$(realpath "$2"); shim=$(realpath "$3")
mode=${4:-short}; which=${5:-all}
work=$(mktemp -d "${TMPDIR:-/tmp}/goc-faultinject-XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0
summary=()

if [ "$mode" = full ]; then rt_first=50; rt_last=50; rt_max=300; tl_first=50; tl_last=50; tl_max=300; all_below=2000
else rt_first=20; rt_last=10; rt_max=40; tl_first=15; tl_last=5; tl_max=25; all_below=0; fi

# points TOTAL FIRST LAST MAX: the N to try, one a line.
points() {
  local total=$1 first=$2 last=$3 max=$4 hi=$(( $1 + 3 ))
  if [ "$hi" -le "$max" ] || [ "$hi" -le "$all_below" ]; then seq 1 "$hi"; return; fi
  { seq 1 "$first"
    seq $(( total - last + 1 )) "$hi"
    local mid=$(( max - first - last - 3 )) lo=$(( first + 1 )) top=$(( total - last ))
    [ "$mid" -gt 0 ] && awk -v lo="$lo" -v top="$top" -v k="$mid" \
      'BEGIN { for (i = 1; i <= k; i++) printf "%d\n", lo + int((top - lo) * i / (k + 1)) }'
  } | sort -n | uniq
}

fm_count() {   # fm_count OUTFILE CMD...: the allocation count of a clean run
  local f=$work/count; rm -f "$f"
  GOC_FAILMALLOC_COUNT=$f LD_PRELOAD=$shim "${@:2}" > /dev/null 2>&1
  cat "$f" 2> /dev/null || echo 0
}

report() {   # report NAME N MODE RC WHY STDERRFILE
  failures=$((failures + 1))
  echo "FAIL $1 N=$2 mode=$3 rc=$4: $5"
  head -c 600 "$6" | sed 's/^/    | /'
}

# ---- runtime programs ----
run_runtime() {
  local name=$1 exe=$2 expect=$3 fmode=$4 ns=$5
  local tried=0 oom=0 thr=0 done=0 bad=0
  for n in $ns; do
    tried=$((tried + 1))
    timeout -s KILL 30 env GOC_MAXPROCS=2 GOC_FAILMALLOC_N=$n GOC_FAILMALLOC_MODE=$fmode LD_PRELOAD=$shim \
      "$exe" > "$work/out" 2> "$work/err"
    local rc=$?
    if [ $rc -eq 2 ] && grep -q "^fatal error: out of memory" "$work/err"; then oom=$((oom + 1))
    elif [ $rc -eq 2 ] && grep -q "^fatal error: .*cannot \(create\|start\) .*thread: Resource temporarily unavailable" "$work/err"; then
      thr=$((thr + 1))
    elif [ $rc -eq 0 ] && cmp -s "$work/out" "$expect"; then done=$((done + 1))
    else
      bad=$((bad + 1))
      local why="unexpected exit"; [ $rc -eq 137 ] && why="timeout"; [ $rc -gt 128 ] && [ $rc -ne 137 ] && why="signal $((rc - 128))"
      [ $rc -eq 0 ] && why="wrong output"
      report "$name" "$n" "$fmode" "$rc" "$why" "$work/err"
    fi
  done
  summary+=("$name mode=$fmode: $tried points ($6): $oom out of memory, $thr thread creation failed, $done completed, $bad failed")
}

if [ "$which" = runtime ] || [ "$which" = all ]; then
  for p in "$src"/tests/faultinject/*.goc; do
    name=$(basename "$p" .goc)
    exe=$work/$name
    if ! "$goc" cc -O1 "$p" -o "$exe" 2> "$work/err"; then cat "$work/err"; echo "FAIL cannot build $p"; exit 1; fi
    GOC_MAXPROCS=2 "$exe" > "$work/$name.expect" || { echo "FAIL $name does not run cleanly"; exit 1; }
    total=0
    for i in 1 2 3; do   # the count varies with thread timing (G slabs, Ms, steals)
      c=$(GOC_MAXPROCS=2 fm_count x "$exe"); [ "$c" -gt "$total" ] && total=$c
    done
    total=$((total + total / 4))   # the most of three clean runs, plus a quarter
    ns=$(points "$total" $rt_first $rt_last $rt_max)
    nn=$(echo "$ns" | wc -l)
    desc="N=1..$((total + 3)), every point"
    [ "$nn" -lt $((total + 3)) ] && desc="sampled of $total allocations: the first $rt_first, the last $rt_last and evenly spaced"
    echo "runtime $name: up to $total allocations, trying $nn points"
    run_runtime "$name" "$exe" "$work/$name.expect" once "$ns" "$desc"
    if [ "$mode" = full ]; then
      ns2=$(points "$total" 20 10 60)
      run_runtime "$name" "$exe" "$work/$name.expect" after "$ns2" "after mode, N up to $((total + 3))"
    fi
  done
fi

# ---- the tools ----
# tool_case NAME KIND FMODE: KIND transform or cc, in a fresh directory each run.
tool_case() {
  local name=$1 kind=$2 fmode=$3 in=$src/tests/faultinject/chans.goc
  local d=$work/tool; rm -rf "$d"; mkdir -p "$d/tmp"
  local cmd
  if [ "$kind" = transform ]; then cmd=("$goc" transform "$in" -o "$d/out.c"); else cmd=("$goc" cc -O1 "$in" -o "$d/out"); fi
  (cd "$d" && TMPDIR=$d/tmp "${cmd[@]}") > /dev/null 2>&1 || { echo "FAIL $name: the clean run fails"; failures=$((failures + 1)); return; }
  [ "$kind" = transform ] && cp "$d/out.c" "$work/ref.c"
  local total; total=$(cd "$d" && TMPDIR=$d/tmp fm_count x "${cmd[@]}")
  local ns; ns=$(points "$total" $tl_first $tl_last $tl_max)
  [ "$kind" = cc ] && [ "$mode" != full ] && ns=$(points "$total" 5 3 10)   # each run compiles
  [ "$fmode" = after ] && ns=$(points "$total" 10 5 30)
  local nn; nn=$(echo "$ns" | wc -l)
  echo "tool $name mode=$fmode: $total allocations, trying $nn points"
  local tried=0 oom=0 done=0 bad=0
  for n in $ns; do
    tried=$((tried + 1))
    rm -rf "$d"; mkdir -p "$d/tmp"
    (cd "$d" && timeout -s KILL 30 env TMPDIR=$d/tmp GOC_FAILMALLOC_N=$n GOC_FAILMALLOC_MODE=$fmode \
       LD_PRELOAD=$shim "${cmd[@]}") > "$work/out" 2> "$work/err"
    local rc=$? why=""
    if [ $rc -eq 0 ]; then
      if [ "$kind" = transform ]; then cmp -s "$d/out.c" "$work/ref.c" || why="output differs after success"
      else [ -x "$d/out" ] || why="no output after success"; fi
    elif [ $rc -eq 1 ] && grep -q "^goc: error: out of memory" "$work/err"; then
      if [ "$kind" = transform ]; then [ ! -e "$d/out.c" ] || cmp -s "$d/out.c" "$work/ref.c" || why="half-written output"
      else [ ! -e "$d/out" ] || why="output left after failure"; fi
    elif [ $rc -eq 137 ]; then why="timeout"
    elif [ $rc -gt 128 ]; then why="signal $((rc - 128))"
    else why="unexpected exit or message"; fi
    local left; left=$(cd "$d" && find . -mindepth 1 ! -name out.c ! -name out ! -path ./tmp | head -3)
    [ -z "$why" ] && [ -n "$left" ] && why="left behind: $(echo $left)"
    if [ -n "$why" ]; then bad=$((bad + 1)); report "$name" "$n" "$fmode" "$rc" "$why" "$work/err"
    elif [ $rc -eq 0 ]; then done=$((done + 1)); else oom=$((oom + 1)); fi
  done
  summary+=("$name mode=$fmode: $tried points of $total allocations, $oom out of memory, $done completed, $bad failed")
}

if [ "$which" = tools ] || [ "$which" = all ]; then
  tool_case "goc transform" transform once
  tool_case "goc cc" cc once
  if [ "$mode" = full ]; then
    tool_case "goc transform" transform after
    tool_case "goc cc" cc after
  fi
fi

echo "--- summary ($mode)"
printf '%s\n' "${summary[@]}"
if [ $failures -ne 0 ]; then echo "$failures failing runs"; exit 1; fi
echo "no failures"
