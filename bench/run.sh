#!/usr/bin/env bash
# bench/run.sh — goc against Go (and tokio), side by side.
#
#   bench/run.sh [--go PATH | --no-go] [--goc PATH] [--cargo PATH | --no-tokio]
#                [--smoke] [--reps N] [--procs N] [--only NAME,...]
#                [--tmp DIR] [--out FILE] [--rt] [--http]
#
# Builds every benchmark twice — bench/goc/NAME.goc with `goc cc -O2` and
# bench/go/NAME/main.go with `go build` (GOPATH and GOCACHE under the temp
# dir) — then runs the two sides alternately, --reps times (default 5), at the
# same GOC_MAXPROCS / GOMAXPROCS (default: nproc; some benchmarks also run at
# fixed counts), each run under a 60 s limit. Each program prints lines
#   bench=NAME time_ns=T result=R [key=value ...]
# T is the program's own measurement of the work; R must be the same on both
# sides and in every repetition (the runner fails loudly otherwise).
#
# A third side, tokio: bench/tokio/src/bin/NAME.rs for the programs that have
# a twin (skynet, spawn, chan_sync, prodcons, idle_1m, idle_own), built with
# `cargo build --offline --release` against Debian's crates
# (/usr/share/cargo/registry, librust-tokio-dev; bench/tokio/.cargo/config.toml)
# when cargo and the tokio crate are there (--cargo PATH picks cargo; the
# rustc beside it is used), skipped otherwise or with --no-tokio. Its rows
# get tokio columns; rows without a twin show "—" there.
# Prints a markdown table of medians and, unless --smoke or --out -, writes
# bench/RESULTS.md.
#
# --rt: run each program under `chrt -r 1` (SCHED_RR, lowest real-time
# priority) where that is permitted, so that other work on the machine does
# not preempt it; on a shared VM this takes run-to-run spreads from 2-3x to a
# few percent. Where chrt is missing or not permitted the runs go on at
# normal priority, with a note on stderr and in RESULTS.md. timer_lateness
# always runs at normal priority (with SCHED_RR hogs it measures RR slices).
# --http: then bench/http/run.sh (HTTP servers against Go's net/http, with
# wrk) with the same --go, --goc, --reps, --procs, --rt, --smoke and --out;
# it writes its own section of RESULTS.md, which runs without --http keep.
# --smoke: tiny sizes, one repetition; checks that both sides build and agree
# (no timing claims, RESULTS.md untouched). Without a Go toolchain (or with
# --no-go) only the goc side is built and run.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

GO_BIN=${GO:-}
GOC_BIN=""
SMOKE=0
REPS=5
PROCS=""
ONLY=""
TMP="$here/tmp"
OUT=""
NO_GO=0
LIMIT=60
RT=0
CARGO_BIN=""
NO_TOKIO=0
HTTP=0

while [ $# -gt 0 ]; do
  case "$1" in
    --go) GO_BIN=$2; shift 2 ;;
    --no-go) NO_GO=1; shift ;;
    --goc) GOC_BIN=$2; shift 2 ;;
    --smoke) SMOKE=1; shift ;;
    --reps) REPS=$2; shift 2 ;;
    --procs) PROCS=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    --tmp) TMP=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --rt) RT=1; shift ;;
    --cargo) CARGO_BIN=$2; shift 2 ;;
    --no-tokio) NO_TOKIO=1; shift ;;
    --http) HTTP=1; shift ;;
    -h|--help) sed -n '2,40p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

[ -n "$PROCS" ] || PROCS=$(nproc)
[ "$SMOKE" = 1 ] && REPS=1
[ -n "$GOC_BIN" ] || GOC_BIN="$repo/build/transform/goc"
if [ ! -x "$GOC_BIN" ]; then
  echo "run.sh: goc not found at $GOC_BIN (build first, or pass --goc)" >&2
  exit 2
fi
if [ "$NO_GO" = 0 ] && [ -z "$GO_BIN" ]; then
  GO_BIN=$(command -v go || true)
fi
HAVE_GO=0
if [ "$NO_GO" = 0 ] && [ -n "$GO_BIN" ] && "$GO_BIN" version >/dev/null 2>&1; then
  HAVE_GO=1
elif [ "$NO_GO" = 0 ]; then
  echo "run.sh: no Go toolchain found; running the goc side only" >&2
fi

# tokio: cargo (Debian's /usr/bin/cargo first) and the tokio crate.
HAVE_TOKIO=0
TOKIO_NOTE="not run (--no-tokio)"
TOKIO_REG=/usr/share/cargo/registry
if [ "$NO_TOKIO" = 0 ]; then
  if [ -z "$CARGO_BIN" ]; then
    if [ -x /usr/bin/cargo ]; then CARGO_BIN=/usr/bin/cargo; else CARGO_BIN=$(command -v cargo || true); fi
  fi
  if [ -z "$CARGO_BIN" ] || ! "$CARGO_BIN" --version >/dev/null 2>&1; then
    TOKIO_NOTE="not run: no cargo"
  elif ! ls -d "$TOKIO_REG"/tokio-[0-9]* >/dev/null 2>&1; then
    TOKIO_NOTE="not run: no tokio crate in $TOKIO_REG (apt-get install librust-tokio-dev)"
  else
    HAVE_TOKIO=1
  fi
  [ "$HAVE_TOKIO" = 1 ] || echo "run.sh: tokio side $TOKIO_NOTE" >&2
fi

# --rt: the prefix each run gets, and what RESULTS.md says about it.
RT_PREFIX=()
RT_NOTE="normal priority (no --rt)"
if [ "$RT" = 1 ]; then
  if command -v chrt >/dev/null 2>&1 && chrt -r 1 true 2>/dev/null; then
    RT_PREFIX=(chrt -r 1)
    RT_NOTE="each program under \`chrt -r 1\` (SCHED_RR priority 1)"
  else
    echo "run.sh: --rt: chrt -r 1 is not permitted here (or chrt is missing); running at normal priority" >&2
    RT_NOTE="--rt asked, but chrt -r 1 was not permitted: normal priority"
  fi
fi

# The suite: name, GOMAXPROCS list (P = --procs), argument, smoke argument.
SUITE="
spawn            1,P  1000000   2000
skynet           1,P  1000000   1000
idle_1m          P    1000000   1000
idle_own         P    1000000   1000
chan_sync        1,2  1000000   4000
chan_buffered    P    80000     100
mutex            P    2000000   2000
prodcons         P    2000000   5000
select           P    3000000   2000
sieve            P    5000      100
fanout_fib       1,P  30        12
preempt_overhead P    10        1
timer_lateness   P    300       20
"

mkdir -p "$TMP/bin/goc" "$TMP/bin/go" "$TMP/bin/tokio" "$TMP/logs" || exit 2
DATA="$TMP/data.txt"
FAILS="$TMP/failures.txt"
: > "$DATA"
: > "$FAILS"

selected() {
  [ -z "$ONLY" ] && return 0
  case ",$ONLY," in *",$1,"*) return 0 ;; esac
  return 1
}

# ---- build -----------------------------------------------------------------
cc -O2 -o "$TMP/bin/rss" "$here/tools/rss.c" || { echo "run.sh: cannot build tools/rss.c" >&2; exit 2; }

names=()
while read -r name procs arg sarg; do
  [ -n "$name" ] || continue
  selected "$name" || continue
  names+=("$name")
  if ! "$GOC_BIN" cc -O2 -fno-math-errno "$here/goc/$name.goc" -o "$TMP/bin/goc/$name" \
       > "$TMP/logs/build_goc_$name.log" 2>&1; then
    echo "BUILD goc $name: $GOC_BIN cc -O2 -fno-math-errno bench/goc/$name.goc -o $name" >> "$FAILS"
    tail -n 20 "$TMP/logs/build_goc_$name.log" | sed 's/^/    /' >> "$FAILS"
    rm -f "$TMP/bin/goc/$name"
  fi
done <<< "$SUITE"

if [ "$HAVE_GO" = 1 ]; then
  pkgs=()
  for n in "${names[@]}"; do pkgs+=("./$n"); done
  if ! (cd "$here/go" && GOPATH="$TMP/gopath" GOCACHE="$TMP/gocache" GO111MODULE=on \
        GOFLAGS=-mod=mod GOTOOLCHAIN=local "$GO_BIN" build -o "$TMP/bin/go/" "${pkgs[@]}") \
        > "$TMP/logs/build_go.log" 2>&1; then
    echo "BUILD go: (cd bench/go && go build -o BIN/ ${pkgs[*]})" >> "$FAILS"
    tail -n 20 "$TMP/logs/build_go.log" | sed 's/^/    /' >> "$FAILS"
  fi
fi

rm -f "$TMP/bin/tokio/"*
if [ "$HAVE_TOKIO" = 1 ]; then
  tok_names=()
  for n in "${names[@]}"; do [ -f "$here/tokio/src/bin/$n.rs" ] && tok_names+=("$n"); done
  rustc_bin=$(dirname "$CARGO_BIN")/rustc
  [ -x "$rustc_bin" ] || rustc_bin=rustc
  if [ ${#tok_names[@]} = 0 ]; then
    HAVE_TOKIO=0; TOKIO_NOTE="not run: no selected program has a tokio twin"
  else
    bins=(); for n in "${tok_names[@]}"; do bins+=(--bin "$n"); done
    if (cd "$here/tokio" && RUSTC="$rustc_bin" "$CARGO_BIN" build --offline --release \
          --target-dir "$TMP/cargo" "${bins[@]}") > "$TMP/logs/build_tokio.log" 2>&1; then
      for n in "${tok_names[@]}"; do cp "$TMP/cargo/release/$n" "$TMP/bin/tokio/$n"; done
      tokv=$(awk '/^name = "tokio"$/ { getline; gsub(/"/, "", $3); print $3; exit }' "$here/tokio/Cargo.lock" 2>/dev/null)
      TOKIO_NOTE="tokio ${tokv:-?} (from $TOKIO_REG), $("$rustc_bin" --version 2>/dev/null), $("$CARGO_BIN" --version 2>/dev/null)"
    else
      # An optional comparison: a failed build is reported, not a failure.
      HAVE_TOKIO=0
      TOKIO_NOTE="not run: cargo build failed (bench/tmp/logs/build_tokio.log)"
      echo "run.sh: tokio side $TOKIO_NOTE:" >&2
      tail -n 20 "$TMP/logs/build_tokio.log" | sed 's/^/    /' >&2
    fi
  fi
fi

# ---- run -------------------------------------------------------------------
# run_one SIDE NAME P ARG REP: appends "SIDE NAME P REP BENCH KEY VALUE" lines.
run_one() {
  local side=$1 name=$2 p=$3 arg=$4 rep=$5
  local bin="$TMP/bin/$side/$name" log="$TMP/logs/run_${side}_${name}_P${p}_$rep"
  [ -x "$bin" ] || return 0
  # timer_lateness stays at normal priority under --rt: its hogs would be
  # SCHED_RR too, and the timer's wake-up then waits out a 100 ms RR slice
  # (p50 100 ms in both goc and Go when it ran under chrt).
  local pre=()
  [ "$name" = timer_lateness ] || pre=(${RT_PREFIX[@]+"${RT_PREFIX[@]}"})
  GOC_MAXPROCS=$p GOMAXPROCS=$p ${pre[@]+"${pre[@]}"} \
    "$TMP/bin/rss" "$log.rss" "$LIMIT" "$bin" "$arg" > "$log.out" 2> "$log.err"
  local rc=$?
  local rss; rss=$(cat "$log.rss" 2>/dev/null || echo 0)
  if [ $rc -ne 0 ] || ! grep -q '^bench=' "$log.out"; then
    local why="exit $rc"; [ $rc = 124 ] && why="timed out after ${LIMIT}s"
    {
      echo "RUN $side $name (rep $rep, $why): GOC_MAXPROCS=$p GOMAXPROCS=$p ${pre[*]:-}${pre[*]:+ }timeout $LIMIT bench/tmp/bin/$side/$name $arg"
      tail -n 8 "$log.out" | sed 's/^/    stdout: /'
      tail -n 12 "$log.err" | sed 's/^/    stderr: /'
    } >> "$FAILS"
    awk -v s="$side" -v n="$name" -v p="$p" -v r="$rep" -v rc="$rc" \
      'BEGIN { print s, n, p, r, "-", "fail", rc }' >> "$DATA"
  fi
  awk -v s="$side" -v n="$name" -v p="$p" -v r="$rep" -v rss="$rss" '
    /^bench=/ {
      b = ""; for (i = 1; i <= NF; i++) if ($i ~ /^bench=/) b = substr($i, 7)
      for (i = 1; i <= NF; i++) {
        k = $i; v = $i; sub(/=.*/, "", k); sub(/^[^=]*=/, "", v)
        if (k != "bench") print s, n, p, r, b, k, v
      }
      print s, n, p, r, b, "rss_kb", rss
    }' "$log.out" >> "$DATA"
}

start=$(date +%s)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
for rep in $(seq 1 "$REPS"); do
  while read -r name procs arg sarg; do
    [ -n "$name" ] || continue
    selected "$name" || continue
    [ "$SMOKE" = 1 ] && arg=$sarg
    done_ps=" "
    for p in ${procs//,/ }; do
      [ "$p" = P ] && p=$PROCS
      case $done_ps in *" $p "*) continue ;; esac   # 1,P with --procs 1
      done_ps="$done_ps$p "
      # The sides there are, rotated by one each repetition (goc go tokio,
      # go tokio goc, ...; with two sides: goc go, go goc).
      sides=(goc)
      [ "$HAVE_GO" = 1 ] && sides+=(go)
      [ "$HAVE_TOKIO" = 1 ] && [ -x "$TMP/bin/tokio/$name" ] && sides+=(tokio)
      k=$(( (rep - 1) % ${#sides[@]} ))
      order="${sides[*]:$k} ${sides[*]:0:$k}"
      for side in $order; do
        echo "rep $rep/$REPS: $side $name P=$p" >&2
        run_one "$side" "$name" "$p" "$arg" "$rep"
      done
    done
  done <<< "$SUITE"
done
elapsed=$(( $(date +%s) - start ))

# ---- report ----------------------------------------------------------------
TABLE="$TMP/table.md"
awk -v smoke="$SMOKE" -v have_go="$HAVE_GO" -v have_tokio="$HAVE_TOKIO" '
function median(s,   a, n, i, j, t) {
  n = split(s, a, " ")
  for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j+1] = a[j]; a[j+1] = t }
  if (n == 0) return ""
  return (n % 2) ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
}
function fmt_ns(v) {
  if (v == "") return "—"
  if (v >= 1e9) return sprintf("%.2f s", v / 1e9)
  if (v >= 1e6) return sprintf("%.1f ms", v / 1e6)
  if (v >= 1e3) return sprintf("%.1f µs", v / 1e3)
  return sprintf("%d ns", v)
}
function fmt_kb(v) { return v == "" ? "—" : sprintf("%.1f MB", v / 1024) }
function fmt_extra(k, v) {
  if (k ~ /_ns$/) { sub(/_ns$/, "", k); return k "=" fmt_ns(v) }
  if (k ~ /_pct$/) { sub(/_pct$/, "", k); return k "=" sprintf("%.2f%%", v) }
  return k "=" v
}
# goal: "ratio OP X" or "SIDE:KEY OP X"
function goal_of(b, p) {
  if ((b "@" p) in G) return G[b "@" p]
  return (b in G) ? G[b] : ""
}
function check(g, ratio, row,   f, lhs, op, x, v, side, key) {
  if (g == "") return ""
  split(g, f, " "); lhs = f[1]; op = f[2]; x = f[3] + 0
  if (lhs == "ratio") v = ratio
  else { side = lhs; sub(/:.*/, "", side); key = lhs; sub(/^[^:]*:/, "", key); v = median(V[side, row, key]) }
  if (v == "") return "?"
  v += 0
  if (op == "<=") return (v <= x) ? "yes" : "no"
  if (op == "<") return (v < x) ? "yes" : "no"
  if (op == ">=") return (v >= x) ? "yes" : "no"
  return "?"
}
function goal_text(g,   f) {
  if (g == "") return "—"
  split(g, f, " ")
  if (f[1] == "ratio" && f[3] == "1") return "faster"
  if (f[1] == "ratio") return sprintf("≥%gx faster", int(10 / f[3] + 0.5) / 10)
  if (f[1] == "goc:p99_ns") return "p99 " (f[2] == "<=" ? "≤" : f[2]) " " fmt_ns(f[3])
  if (f[1] == "goc:overhead_pct") return "overhead ≤ " f[3] "%"
  if (f[1] == "goc:bytes_per_g") return "≤ " f[3] " B/goroutine"
  return g
}
BEGIN {
  # the performance goals (ratio = goc/Go time), else: faster
  G["spawn_chain"] = "ratio <= 0.1";  G["spawn_single"] = "ratio <= 0.2"
  G["skynet"] = "ratio <= 0.2"
  G["idle_1m"] = "goc:bytes_per_g <= 128"; G["idle_own"] = "goc:bytes_per_g <= 224"
  G["chan_sync"] = "ratio <= 0.2";  G["pingpong_hog"] = "ratio < 1"
  G["chan_uncontended"] = "ratio < 1"; G["chan_contended"] = "ratio <= 0.667"
  G["mutex"] = "ratio < 1"
  G["select_uncontended"] = "ratio < 1"; G["select_contended"] = "ratio <= 0.833"
  G["select_nonblock"] = "ratio <= 0.25"; G["chan_popular"] = "ratio < 1"
  G["preempt_sum"] = "goc:overhead_pct <= 2"; G["preempt_nbody"] = "goc:overhead_pct <= 2"
  G["preempt_matmul"] = "goc:overhead_pct <= 2"
  G["timer_lateness"] = "goc:p99_ns <= 200000"
}
{
  side = $1; prog = $2; p = $3; b = $5; k = $6; v = $7
  if (b == "-") { FAILED[side, prog, p] = 1; next }
  if (b ~ /^prodcons/) G[b] = "ratio <= 0.5"
  row = b "@" p
  if (!(row in SEEN)) { SEEN[row] = 1; ORDER[++nrows] = row; BENCH[row] = b; PP[row] = p; PROG[row] = prog }
  if (k == "result") {
    if (!(row in RES)) RES[row] = v
    else if (RES[row] != v) { MISMATCH[row] = MISMATCH[row] " " side "=" v; bad = 1 }
    RESSIDE[side, row] = v
    next
  }
  V[side, row, k] = V[side, row, k] " " v
  if (k != "time_ns" && k != "rss_kb" && !((side, row, k) in XK)) { XK[side, row, k] = 1; XKEYS[side, row] = XKEYS[side, row] " " k }
}
END {
  if (smoke && have_tokio) {
    print "| benchmark | P | goc result | Go result | tokio result | agree |"
    print "|---|---|---|---|---|---|"
  } else if (smoke) {
    print "| benchmark | P | goc result | Go result | agree |"
    print "|---|---|---|---|---|"
  } else if (have_tokio) {
    print "| benchmark | P | goc | Go | tokio | goc/Go | goc/tokio | goc peak RSS | Go peak RSS | tokio peak RSS | goc extra | Go extra | tokio extra | goal | met |"
    print "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  } else {
    print "| benchmark | P | goc | Go | goc/Go | goc peak RSS | Go peak RSS | goc extra | Go extra | goal | met |"
    print "|---|---|---|---|---|---|---|---|---|---|---|"
  }
  for (i = 1; i <= nrows; i++) {
    row = ORDER[i]; b = BENCH[row]; p = PP[row]
    agree = (row in MISMATCH) ? "**MISMATCH:" MISMATCH[row] " vs " RES[row] "**" : "yes"
    if (have_go && !(("go", row) in RESSIDE)) agree = "**Go side missing**"
    if (!(("goc", row) in RESSIDE)) agree = "**goc side missing**"
    if (smoke) {
      gr = (("go", row) in RESSIDE) ? RESSIDE["go", row] : "—"
      tr = (("tokio", row) in RESSIDE) ? RESSIDE["tokio", row] : "—"
      if (have_tokio)
        printf "| %s | %d | %s | %s | %s | %s |\n", b, p, RESSIDE["goc", row], gr, tr, agree
      else
        printf "| %s | %d | %s | %s | %s |\n", b, p, RESSIDE["goc", row], gr, agree
      continue
    }
    tg = median(V["goc", row, "time_ns"]); to = median(V["go", row, "time_ns"])
    ratio = (tg != "" && to != "" && to > 0) ? tg / to : ""
    xg = ""; n = split(XKEYS["goc", row], ks, " ")
    for (j = 1; j <= n; j++) xg = xg (xg == "" ? "" : ", ") fmt_extra(ks[j], median(V["goc", row, ks[j]]))
    xo = ""; n = split(XKEYS["go", row], ks, " ")
    for (j = 1; j <= n; j++) xo = xo (xo == "" ? "" : ", ") fmt_extra(ks[j], median(V["go", row, ks[j]]))
    tt = median(V["tokio", row, "time_ns"])
    tratio = (tg != "" && tt != "" && tt > 0) ? tg / tt : ""
    xt = ""; n = split(XKEYS["tokio", row], ks, " ")
    for (j = 1; j <= n; j++) xt = xt (xt == "" ? "" : ", ") fmt_extra(ks[j], median(V["tokio", row, ks[j]]))
    g = goal_of(b, p)
    met = check(g, ratio, row)
    if (agree != "yes") met = agree
    if (FAILED["goc", PROG[row], p] || FAILED["go", PROG[row], p] || FAILED["tokio", PROG[row], p]) met = met " (some runs failed)"
    if (have_tokio) {
      printf "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", b, p,
        fmt_ns(tg), fmt_ns(to), fmt_ns(tt),
        ratio == "" ? "—" : sprintf("%.2f", ratio), tratio == "" ? "—" : sprintf("%.2f", tratio),
        fmt_kb(median(V["goc", row, "rss_kb"])), fmt_kb(median(V["go", row, "rss_kb"])),
        fmt_kb(median(V["tokio", row, "rss_kb"])), xg, xo, xt, goal_text(g), met
      continue
    }
    printf "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", b, p, fmt_ns(tg), fmt_ns(to),
      ratio == "" ? "—" : sprintf("%.2f", ratio), fmt_kb(median(V["goc", row, "rss_kb"])),
      fmt_kb(median(V["go", row, "rss_kb"])), xg == "" ? "" : xg, xo == "" ? "" : xo, goal_text(g), met
  }
  exit bad
}' "$DATA" > "$TABLE"
table_rc=$?

# Programs that produced no rows at all (build failure, crash every time).
while read -r name procs arg sarg; do
  [ -n "$name" ] || continue
  selected "$name" || continue
  for side in goc go tokio; do
    [ "$side" = go ] && [ "$HAVE_GO" = 0 ] && continue
    [ "$side" = tokio ] && { [ "$HAVE_TOKIO" = 0 ] || [ ! -f "$here/tokio/src/bin/$name.rs" ]; } && continue
    if ! awk -v s="$side" -v n="$name" '$1 == s && $2 == n && $5 != "-" { f = 1 } END { exit !f }' "$DATA"; then
      echo "| $name ($side side) | | no results: see failures | | | | | | | | |" >> "$TABLE"
      table_rc=1
    fi
  done
done <<< "$SUITE"

cat "$TABLE"
echo
if [ -s "$FAILS" ]; then
  echo "FAILURES:"
  cat "$FAILS"
  table_rc=1
fi
[ $table_rc = 0 ] || echo "run.sh: FAILED (result mismatch, missing side or failed runs; see above)" >&2

if [ "$SMOKE" = 0 ] && [ "$OUT" != "-" ]; then
  out=${OUT:-$here/RESULTS.md}
  cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
  commit=$(cd "$repo" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
  dirty=$(cd "$repo" && git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo " (with uncommitted changes)")
  gov=$([ "$HAVE_GO" = 1 ] && "$GO_BIN" version || echo "none")
  ccv=$(cc --version | head -1)
  {
    echo "# goc vs Go$([ "$HAVE_TOKIO" = 1 ] && echo " and tokio") benchmark results"
    echo
    echo "- machine: $(nproc) CPUs, $cpu; $(uname -sr)"
    echo "- goc commit: $commit$dirty"
    echo "- Go: $gov"
    echo "- tokio: $TOKIO_NOTE"
    echo "- C compiler: $ccv (goc cc -O2)"
    echo "- GOC_MAXPROCS = GOMAXPROCS = P (column P); $REPS alternating repetitions, medians; suite took ${elapsed}s"
    echo "- scheduling: $RT_NOTE; load average before the run: $load0"
    echo
    echo "Times are each program's own measurement of the work (not process"
    echo "start-up). Peak RSS is the whole process's (getrusage ru_maxrss)."
    echo "goc/Go below 1 means goc is faster. Goals are targets, not assertions."
    [ "$HAVE_TOKIO" = 1 ] && echo "goc/tokio likewise; tokio twins exist for some programs only (bench/tokio)."
    echo
    cat "$TABLE"
    echo
    if [ -s "$here/NOTES.md" ]; then cat "$here/NOTES.md"; echo; fi
    if [ -s "$FAILS" ]; then
      echo "## Failures"
      echo
      echo '```'
      cat "$FAILS"
      echo '```'
      echo
    fi
    echo "Rerun: \`cmake -S . -B build -G Ninja && ninja -C build && bench/run.sh --reps $REPS --procs $PROCS$([ "$RT" = 1 ] && echo " --rt")\`"
    echo "(\`--go PATH\` picks the Go toolchain; \`--smoke\` only checks that both sides build and agree)."
  } > "$out.new"
  # bench/http/run.sh's section stays until that script replaces it.
  [ -f "$out" ] && sed -n '/^<!-- http:begin/,/^<!-- http:end/p' "$out" | sed '1s/^/\n/' >> "$out.new"
  mv "$out.new" "$out"
  echo "wrote $out" >&2
fi
if [ "$HTTP" = 1 ]; then
  http_args=(--goc "$GOC_BIN" --reps "$REPS" --procs "$PROCS" --tmp "$TMP/http")
  if [ "$HAVE_GO" = 1 ]; then http_args+=(--go "$GO_BIN"); else http_args+=(--no-go); fi
  [ "$RT" = 1 ] && http_args+=(--rt)
  [ "$SMOKE" = 1 ] && http_args+=(--smoke)
  [ -n "$OUT" ] && http_args+=(--out "$OUT")
  "$here/http/run.sh" "${http_args[@]}" || table_rc=1
fi
exit $table_rc
