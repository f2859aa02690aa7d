#!/usr/bin/env bash
# faultinject.sh — allocation-failure injection (tests/faultinject/failmalloc.c).
#
#   tests/faultinject.sh GOC SRCDIR SHIM [short|full|sites] [runtime|tools|all]
#
# Subjects: goroutine programs built once with `goc cc`
# (tests/faultinject/*.goc), and the goc tool itself — goc transform (with
# --index-out, -MF and --index), goc cc, goc run, goc test and goc testmain
# (the subjects are listed at "the tools" below; FAULTINJECT_SUBJECTS
# narrows them).
#
# short and full count the allocations a clean run makes, then rerun it
# with allocation number N failing (GOC_FAILMALLOC_N=N), for every N when
# the total is small and otherwise for a deterministic sample: N = 1..F,
# the last L up to the total (plus a few past it), and evenly spaced points
# in between, at most MAX in all (short: F=20 L=10 MAX=40 on the runtime
# programs, a few to 16 points on each tool; full: F=50 L=50 MAX=300, and
# every point for a subject whose total is at most 2000). full also reruns
# a sample with GOC_FAILMALLOC_MODE=after (every later allocation fails).
# short also fails every call site (below) under the functions that once
# mishandled a failure.
#
# sites fails each distinct call site instead of each allocation number:
# the tools make 3,000-16,000 allocations a run from about 2,400 sites,
# most of them libclang's and LLVM's (see "call sites"); each runtime
# program's sites (about 30) fail at their first, middle and last
# allocation.
#
# Each run must end in one of:
#   runtime: exit 2 with "fatal error: out of memory" on stderr, or exit 0
#            with the program's expected output (a failure it tolerates), or
#            exit 2 with "fatal error: ... cannot create ... thread: Resource
#            temporarily unavailable" (glibc's pthread_create turns a failed
#            allocation of its own into EAGAIN, the thread limit's error);
#   tools:   exit 1 with exactly "goc: error: out of memory" on stderr, or
#            success with the clean run's stderr; every output file either
#            absent or identical to the clean run's (a built program absent
#            after a failure, and running as the clean one's after
#            success), stdout (goc run's and goc test's, timings blanked)
#            empty or the clean run's, and no temp file or directory left
#            behind; or success with the clean run's outputs, libclang's
#            report of a crash its crash recovery caught and goc's warning
#            that the check did not run ("unchecked": LLVM allocations that
#            are not checked, see the summary);
# never a signal, a timeout (30 s) or any other status or message. A
# stalled allocation (runtime, mode delay) must end as the clean run.
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
    runtime_judge "$name" $? "$expect" "$n" "$fmode"
  done
  summary+=("$name mode=$fmode: $tried points ($6): $oom out of memory, $thr thread creation failed, $done completed, $bad failed")
}

# runtime_judge NAME RC EXPECT N MODE: counts the run as out of memory,
# thread creation failed or completed, or reports it. A stall (mode delay)
# is not a failure: that run must complete.
runtime_judge() {
  local rc=$2
  if [ $rc -eq 0 ] && cmp -s "$work/out" "$3"; then done=$((done + 1))
  elif [ "$5" = delay ]; then
    bad=$((bad + 1))
    report "$1" "$4" "$5" "$rc" "a stall is not a failure: the run must complete" "$work/err"
  elif [ $rc -eq 2 ] && grep -q "^fatal error: out of memory" "$work/err"; then oom=$((oom + 1))
  elif [ $rc -eq 2 ] && grep -q "^fatal error: .*cannot \(create\|start\) .*thread: Resource temporarily unavailable" "$work/err"; then
    thr=$((thr + 1))
  else
    bad=$((bad + 1))
    local why="unexpected exit"; [ $rc -eq 137 ] && why="timeout"; [ $rc -gt 128 ] && [ $rc -ne 137 ] && why="signal $((rc - 128))"
    [ $rc -eq 0 ] && why="wrong output"
    report "$1" "$4" "$5" "$rc" "$why" "$work/err"
  fi
}

# site_try NAME EXE EXPECT SITE N MODE [VAR=VALUE]...: one run with the
# N-th allocation from SITE targeted, judged; a run that completed without
# reaching the site (no hit file) counts as missed instead.
site_try() {
  local name=$1 exe=$2 expect=$3 h=$4 n=$5 fmode=$6
  shift 6
  rm -f "$work/hit"
  timeout -s KILL 30 env GOC_MAXPROCS=2 GOC_FAILMALLOC_SITE=$h GOC_FAILMALLOC_N=$n GOC_FAILMALLOC_MODE=$fmode \
    GOC_FAILMALLOC_HIT=$work/hit "$@" LD_PRELOAD=$shim "$exe" > "$work/out" 2> "$work/err"
  local rc=$? before=$done
  runtime_judge "$name" $rc "$expect" "site $h #$n" "$fmode"
  [ $done -gt $before ] && [ ! -e "$work/hit" ] && { done=$before; missed=$((missed + 1)); }
  return 0
}

# Sites of a runtime program: every site three clean runs allocate from,
# failed at its first allocation, its middle one and its last; its first
# failing with every later one (after mode: an allocator that stays out of
# memory); and its first stalled 0.3 s instead (a descheduled thread
# there), after which the run must end as the clean one.
run_runtime_sites() {
  local name=$1 exe=$2 expect=$3 tried=0 oom=0 thr=0 done=0 bad=0 missed=0 i h c n
  for i in 1 2 3; do
    GOC_MAXPROCS=2 GOC_FAILMALLOC_SITES=$work/$name.sites$i LD_PRELOAD=$shim "$exe" > /dev/null 2>&1
  done
  cat "$work/$name".sites? | awk '!/^#/ { if ($2 > m[$1]) m[$1] = $2 } END { for (h in m) print h, m[h] }' | sort > "$work/$name.allsites"
  while read -r h c; do
    for n in $(printf '%s\n' 1 $(( (c + 1) / 2 )) "$c" | sort -nu); do
      tried=$((tried + 1))
      site_try "$name" "$exe" "$expect" "$h" "$n" once
    done
    tried=$((tried + 1))
    site_try "$name" "$exe" "$expect" "$h" 1 after
  done < "$work/$name.allsites"
  local stalls=$done
  while read -r h c; do
    site_try "$name" "$exe" "$expect" "$h" 1 delay GOC_FAILMALLOC_DELAY_US=300000
  done < "$work/$name.allsites"
  summary+=("$name sites: $(wc -l < "$work/$name.allsites") sites, $tried runs (first, middle and last allocation of each, and the first with every later one), then each site's first stalled: $oom out of memory, $thr thread creation failed, $stalls completed, $((done - stalls)) stalls completed, $missed not reached (this run allocated less there), $bad failed")
}

if { [ "$which" = runtime ] || [ "$which" = all ]; } && [ "$mode" = sites ]; then
  for p in "$src"/tests/faultinject/*.goc; do
    name=$(basename "$p" .goc)
    exe=$work/$name
    if ! "$goc" cc -O1 "$p" -o "$exe" 2> "$work/err"; then cat "$work/err"; echo "FAIL cannot build $p"; exit 1; fi
    GOC_MAXPROCS=2 "$exe" > "$work/$name.expect" || { echo "FAIL $name does not run cleanly"; exit 1; }
    echo "runtime $name: by call site"
    run_runtime_sites "$name" "$exe" "$work/$name.expect"
  done
fi

if { [ "$which" = runtime ] || [ "$which" = all ]; } && [ "$mode" != sites ]; then
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
    # Stalls, not failures: allocation N sleeps 1.5 s (GOC_FAILMALLOC_MODE=delay)
    # and succeeds, as if its thread were descheduled there; the run must
    # complete as the clean one. The first allocations are the main
    # thread's start-up (a G, the Ps, the monitor, M0): a stall before M0
    # was counted once let the monitor call every goroutine asleep.
    [ "$name" = chans ] && run_runtime "$name" "$exe" "$work/$name.expect" delay "$(seq 1 8)" "N=1..8, each stalled 1.5 s"
    if [ "$mode" = full ]; then
      ns2=$(points "$total" 20 10 60)
      run_runtime "$name" "$exe" "$work/$name.expect" after "$ns2" "after mode, N up to $((total + 3))"
    fi
  done
fi

# ---- the tools ----
# A subject is one goc command, run in a fresh directory $d with
# TMPDIR=$d/tmp, its outputs written there:
#   transform  goc transform chans.goc -o out.c --index-out out.idx -MF out.d
#              --index dep.idx                 (tally.goc's, made once)
#   cc         goc cc -O1 chans.goc -o out        (out is run: same output)
#   run        goc run chans.goc                  (stdout is the program's)
#   test       goc test tally.goc tally_test.goc  (stdout: PASS and ok)
#   testmain   goc testmain tally.goc tally_test.goc -o out.c
subjects=(${FAULTINJECT_SUBJECTS:-transform cc run test testmain})
d=$work/tool
if [ "$which" = tools ] || [ "$which" = all ]; then
  "$goc" transform "$src/tests/faultinject/test/tally.goc" -o "$work/dep.c" --index-out "$work/dep.idx" ||
    { echo "FAIL cannot make the index"; exit 1; }
fi

# subject NAME: sets cmd, files (outputs compared with the clean run's),
# exe (an output that must run as the clean one's) and tout (whether
# stdout is compared, its timings blanked).
subject() {
  local fi=$src/tests/faultinject
  files=(); exe=; tout=0
  case $1 in
    transform) cmd=("$goc" transform "$fi/chans.goc" -o out.c --index-out out.idx -MF out.d --index "$work/dep.idx")
               files=(out.c out.idx out.d) ;;
    cc) cmd=("$goc" cc -O1 "$fi/chans.goc" -o out); exe=out ;;
    run) cmd=("$goc" run "$fi/chans.goc"); tout=1 ;;
    test) cmd=("$goc" test "$fi/test/tally.goc" "$fi/test/tally_test.goc"); tout=1 ;;
    testmain) cmd=("$goc" testmain "$fi/test/tally.goc" "$fi/test/tally_test.goc" -o out.c); files=(out.c) ;;
  esac
}

# tool_run [VAR=VALUE]...: runs cmd in a fresh $d with those variables;
# stdout in $work/out (timings blanked), stderr in $work/err, status in rc.
tool_run() {
  rm -rf "$d"; mkdir -p "$d/tmp"
  (cd "$d" && timeout -s KILL 30 env TMPDIR=$d/tmp GOC_MAXPROCS=2 "$@" "${cmd[@]}") > "$work/out.raw" 2> "$work/err"
  rc=$?
  sed -E 's/[0-9]+\.[0-9]+s$/Ts/; s/\([0-9]+\.[0-9]+s\)/(Ts)/' "$work/out.raw" > "$work/out"
}

# tool_ref NAME: the clean run's outputs, kept as $work/ref.*; false if it fails.
tool_ref() {
  subject "$1"
  tool_run
  [ $rc -eq 0 ] || { echo "FAIL $1: the clean run fails (rc=$rc)"; head -c 600 "$work/err"; failures=$((failures + 1)); return 1; }
  local f
  for f in "${files[@]}"; do cp "$d/$f" "$work/ref.$f"; done
  [ -n "$exe" ] && GOC_MAXPROCS=2 "$d/$exe" > "$work/ref.exe"
  cp "$work/out" "$work/ref.out"
  cp "$work/err" "$work/ref.err"
  return 0
}

# tool_judge: after tool_run, sets outcome (oom, done, or unchecked: done,
# with libclang's report of a crash it recovered from and goc's warning
# that the check did not run) and why (empty when the run ended as it may).
tool_judge() {
  why=; outcome=
  local f
  if [ $rc -eq 0 ]; then
    outcome=done
    for f in "${files[@]}"; do cmp -s "$d/$f" "$work/ref.$f" || why="$f differs after success"; done
    if [ -n "$exe" ]; then
      { [ -x "$d/$exe" ] && timeout -s KILL 30 env GOC_MAXPROCS=2 "$d/$exe" 2> /dev/null | cmp -s - "$work/ref.exe"; } ||
        why="$exe does not run as the clean build's"
    fi
    [ $tout -eq 1 ] && ! cmp -s "$work/out" "$work/ref.out" && why="stdout differs after success"
    if grep -q "^goc: warning: libclang could not check" "$work/err" &&
       [ -z "$(grep -v "^goc: warning: libclang could not check\|^libclang: crash detected during parsing: {\|^  '\|^}" "$work/err")" ]; then
      outcome=unchecked   # libclang's crash recovery caught a crash of its own: said, the output unchanged
    elif ! cmp -s "$work/err" "$work/ref.err"; then why="a message after success"; fi
  elif [ $rc -eq 1 ] && [ "$(cat "$work/err")" = "goc: error: out of memory" ]; then
    outcome=oom
    for f in "${files[@]}"; do [ ! -e "$d/$f" ] || cmp -s "$d/$f" "$work/ref.$f" || why="half-written $f"; done
    [ -n "$exe" ] && [ -e "$d/$exe" ] && why="$exe left after failure"
    [ $tout -eq 1 ] && [ -s "$work/out" ] && ! cmp -s "$work/out" "$work/ref.out" && why="stdout differs after failure"
  elif [ $rc -eq 137 ]; then why="timeout"
  elif [ $rc -gt 128 ]; then why="signal $((rc - 128))"
  elif [ $rc -eq 1 ] && grep -q "^goc: error: out of memory" "$work/err"; then why="a message besides out of memory"
  else why="unexpected exit or message"; fi
  local left; left=$(cd "$d" && find . -mindepth 1 ! -path ./tmp ! -name out.c ! -name out.idx ! -name out.d ! -name out | head -3)
  [ -z "$why" ] && [ -n "$left" ] && why="left behind: $(echo $left)"
  return 0
}

# ---- allocation numbers (short and full) ----
tool_case() {   # tool_case NAME FMODE
  local name=$1 fmode=$2
  tool_ref "$name" || return
  local total; total=$(cd "$d" && TMPDIR=$d/tmp GOC_MAXPROCS=2 fm_count x "${cmd[@]}")
  local ns
  if [ "$fmode" = after ]; then ns=$(points "$total" 10 5 30)
  elif [ "$mode" = full ]; then ns=$(points "$total" $tl_first $tl_last $tl_max)
  else   # short: each cc, run and test run compiles
    case $name in transform) ns=$(points "$total" 10 3 16) ;; testmain) ns=$(points "$total" 5 1 10) ;;
                  cc) ns=$(points "$total" 2 3 6) ;;   # the last ones: after the link (an output left behind once)
                  *) ns=$(points "$total" 2 1 4) ;; esac
  fi
  local nn; nn=$(echo "$ns" | wc -l)
  echo "tool goc $name mode=$fmode: $total allocations, trying $nn points"
  local tried=0 oom=0 done=0 bad=0
  for n in $ns; do
    tried=$((tried + 1))
    tool_run GOC_FAILMALLOC_N=$n GOC_FAILMALLOC_MODE=$fmode LD_PRELOAD=$shim
    tool_judge
    if [ -n "$why" ]; then bad=$((bad + 1)); report "goc $name" "$n" "$fmode" "$rc" "$why" "$work/err"
    elif [ $outcome = oom ]; then oom=$((oom + 1)); else done=$((done + 1)); fi
  done
  summary+=("goc $name mode=$fmode: $tried points of $total allocations, $oom out of memory, $done completed, $bad failed")
}

# ---- call sites (sites) ----
# Each distinct call site (tests/faultinject/failsite.c: the innermost
# $site_depth frames, as object+offset) that a clean run allocates from
# fails at its first allocation, and at its last when it allocates more
# than once. Sites are grouped by owner, the innermost frame outside libc,
# libstdc++ and libgcc (goc's xmalloc/xcalloc/xrealloc called from
# libtree-sitter count as tree-sitter's). Every site is tried in the first
# subject that meets it (libclang/LLVM's: every ${llvm_first}th of them
# there, 1 = all); a site met again in a later subject is tried again
# there one time in $repeat_every (libclang/LLVM's: one in $llvm_every),
# which fails it where that subject has its own cleanup to do.
site_depth=${GOC_FAILMALLOC_DEPTH:-6}
llvm_first=${FAULTINJECT_LLVM_FIRST:-1}
llvm_every=${FAULTINJECT_LLVM_EVERY:-40}
repeat_every=${FAULTINJECT_REPEAT_EVERY:-10}
declare -A seen

# classify < SITES: "HASH COUNT OWNER VIA" a line, VIA the object that
# called the allocator (libc: fopen, strdup, ...; libstdc++: operator new).
classify() {
  local lo=0 hi=0 r
  r=$(nm -S --defined-only "$goc" 2> /dev/null | awk '$4 ~ /^x(malloc|calloc|realloc)$/ { print $1, $2 }')
  if [ -n "$r" ]; then
    while read -r a s; do
      [ "$lo" -eq 0 ] || [ $((16#$a)) -lt "$lo" ] && lo=$((16#$a))
      [ $((16#$a + 16#$s)) -gt "$hi" ] && hi=$((16#$a + 16#$s))
    done <<< "$r"
  fi
  awk -v wlo="$lo" -v whi="$hi" -v self="$(basename "$goc")" '
    function hex(s,   i, v) { v = 0; for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return v }
    function obj(f,   m) { m = f; sub(/\+0x[0-9a-f]+$/, "", m); sub(/.*\//, "", m); return m }
    function off(f,   o) { o = f; sub(/.*\+0x/, "", o); return hex(o) }
    /^#/ { next }
    {
      owner = "libc"; via = obj($3)
      sub(/\.so.*/, "", via)
      for (i = 3; i <= NF; i++) {
        m = obj($i)
        if (m ~ /^(libc\.so|libstdc\+\+|libgcc_s|ld-linux)/) continue
        if (m == self) {
          o = off($i)
          owner = (o >= wlo && o < whi && i < NF && obj($(i + 1)) ~ /^libtree-sitter/) ? "tree-sitter" : "goc"
        } else if (m ~ /^libtree-sitter/) owner = "tree-sitter"
        else if (m ~ /^(libclang|libLLVM)/) owner = "llvm"
        else owner = m
        break
      }
      if (via == self) via = "goc"
      print $1, $2, owner, via
    }'
}

# fn_range OBJECT FUNCTION: "NAME LO HI" (decimal), the function's extent
# in the object's symbol table (its dynamic one for a shared library).
fn_range() {
  local nmflags=(-S --defined-only); case $1 in *.so*) nmflags+=(-D) ;; esac
  nm "${nmflags[@]}" "$1" 2> /dev/null | awk -v f="$2" -v o="$(basename "$1")" '
    function hex(s,   i, v) { s = tolower(s); v = 0; for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return v }
    { n = $4; sub(/@.*/, "", n) } n == f && NF >= 4 { print o, hex($1), hex($1) + hex($2); exit }'
}

# under RANGES < SITES: the sites with a frame inside one of the ranges.
under() {
  awk -v ranges="$1" '
    function hex(s,   i, v) { v = 0; for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return v }
    BEGIN { n = split(ranges, r, "\n"); for (i = 1; i <= n; i++) { split(r[i], f, " "); ro[i] = f[1]; rl[i] = f[2]; rh[i] = f[3] } }
    /^#/ { next }
    {
      for (k = 3; k <= NF; k++) {
        m = $k; sub(/\+0x[0-9a-f]+$/, "", m); sub(/.*\//, "", m)
        o = $k; sub(/.*\+0x/, "", o); o = hex(o)
        for (i = 1; i <= n; i++) if (m == ro[i] && o >= rl[i] && o < rh[i]) { print; next }
      }
    }'
}

# site_case NAME [RANGES LABEL]: the sites of subject NAME (with RANGES,
# only those under them, each tried whether met before or not).
site_case() {
  local name=$1 ranges=${2:-}
  tool_ref "$name" || return
  rm -f "$work/sites"
  (cd "$d" && TMPDIR=$d/tmp GOC_MAXPROCS=2 GOC_FAILMALLOC_SITES=$work/sites GOC_FAILMALLOC_DEPTH=$site_depth \
     LD_PRELOAD=$shim "${cmd[@]}") > /dev/null 2>&1
  grep -q "^#" "$work/sites" && { echo "FAIL goc $name: $(grep "^#" "$work/sites")"; failures=$((failures + 1)); }
  if [ -n "$ranges" ]; then under "$ranges" < "$work/sites" > "$work/sites.sel"; else cp "$work/sites" "$work/sites.sel"; fi
  classify < "$work/sites.sel" > "$work/classified"
  local counts; counts=$(awk '{ n[$3]++; a[$3] += $2; t++; ta += $2; if ($4 == "libc") lc++; if ($4 == "libstdc++") ls++ }
    END { printf "%d sites, %d allocations:", t, ta
          for (k in n) printf " %s %d (%d allocations);", k, n[k], a[k]
          printf " made in libc %d, by operator new %d", lc, ls }' "$work/classified")
  # the runs, "HASH NTH OWNER" a line: first and last allocation of a site
  # met for the first time, the first of a sample of the others
  local h c owner via kl=0 kr=0 kf=0
  : > "$work/plan"
  while read -r h c owner via; do
    if [ -z "$ranges" ] && [ -n "${seen[$h]:-}" ]; then
      if [ "$owner" = llvm ]; then kl=$((kl + 1)); [ $((kl % llvm_every)) -eq 0 ] || continue
      else kr=$((kr + 1)); [ $((kr % repeat_every)) -eq 0 ] || continue; fi
      echo "$h 1 $owner" >> "$work/plan"
      continue
    fi
    seen[$h]=1
    if [ -z "$ranges" ] && [ "$owner" = llvm ]; then kf=$((kf + 1)); [ $((kf % llvm_first)) -eq 0 ] || continue; fi
    echo "$h 1 $owner" >> "$work/plan"
    [ "$c" -gt 1 ] && echo "$h $c $owner" >> "$work/plan"
  done < "$work/classified"
  local nruns; nruns=$(wc -l < "$work/plan")
  echo "sites goc $name: $counts; $nruns runs"
  local -A oom done unchecked missed bad runs
  local nth t0=$SECONDS i=0
  while read -r h nth owner; do
    i=$((i + 1)); [ $((i % 250)) -eq 0 ] && echo "  ... $i of $nruns runs, $((SECONDS - t0)) s"
    rm -f "$work/hit"
    tool_run GOC_FAILMALLOC_SITE=$h GOC_FAILMALLOC_N=$nth GOC_FAILMALLOC_HIT=$work/hit \
      GOC_FAILMALLOC_DEPTH=$site_depth LD_PRELOAD=$shim
    tool_judge
    runs[$owner]=$(( ${runs[$owner]:-0} + 1 ))
    if [ -n "$why" ]; then
      bad[$owner]=$(( ${bad[$owner]:-0} + 1 ))
      report "goc $name" "site $h #$nth ($owner)" once "$rc" "$why" "$work/err"
      grep "^$h " "$work/sites" | cut -d' ' -f3- | tr ' ' '\n' | sed 's/^/    at /'
    elif [ ! -e "$work/hit" ]; then
      missed[$owner]=$(( ${missed[$owner]:-0} + 1 ))
      echo "not reached: goc $name site $h #$nth ($owner): $(grep "^$h " "$work/sites" | cut -d' ' -f3-5)"
    elif [ $outcome = unchecked ]; then
      unchecked[$owner]=$(( ${unchecked[$owner]:-0} + 1 ))
      echo "unchecked: goc $name site $h #$nth ($owner): $(grep "^$h " "$work/sites" | cut -d' ' -f3-5)"
    elif [ $outcome = done ]; then done[$owner]=$(( ${done[$owner]:-0} + 1 ))
    else oom[$owner]=$(( ${oom[$owner]:-0} + 1 )); fi
  done < "$work/plan"
  local line="sites goc $name${3:+ (under $3)}: $counts; $nruns runs in $((SECONDS - t0)) s:"
  for owner in "${!runs[@]}"; do
    line+=" $owner ${runs[$owner]} runs (${oom[$owner]:-0} out of memory, ${done[$owner]:-0} completed,"
    line+=" ${unchecked[$owner]:-0} completed unchecked, ${missed[$owner]:-0} site not reached, ${bad[$owner]:-0} failed);"
  done
  summary+=("$line")
}

# The short campaign's sites: every one under the functions where failing
# allocations were once mishandled (a realloc that aborted, a memory
# stream's final copy, libclang's parse thread).
short_sites() {
  local libc; libc=$(ldd "$goc" | awk '$1 ~ /^libc\.so/ { print $3 }')
  local r ranges="" f fns=(dircheck_add program_write_index program_read_index driver_write_file)
  for f in "${fns[@]}"; do
    r=$(fn_range "$goc" "$f"); [ -n "$r" ] || { echo "FAIL no function $f in $goc"; failures=$((failures + 1)); continue; }
    ranges+="$r"$'\n'
  done
  r=$(fn_range "$libc" pthread_create); [ -n "$r" ] && ranges+="$r"$'\n'
  site_case transform "$ranges" "${fns[*]} pthread_create"
}

if [ "$which" = tools ] || [ "$which" = all ]; then
  for s in "${subjects[@]}"; do
    if [ "$mode" = sites ]; then site_case "$s"; continue; fi
    tool_case "$s" once
    [ "$mode" = full ] && tool_case "$s" after
  done
  [ "$mode" = short ] && short_sites
fi

echo "--- summary ($mode)"
printf '%s\n' "${summary[@]}"
if [ $failures -ne 0 ]; then echo "$failures failing runs"; exit 1; fi
echo "no failures"
