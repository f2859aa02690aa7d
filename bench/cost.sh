#!/usr/bin/env bash
# bench/cost.sh — what the introspection switches cost on the channel and
# mutex rows: goc with an idle GOC_DEBUG_ADDR endpoint, and goc with the
# block and mutex profiles on, each against goc with neither; Go's ratio
# with the same profiles on, for reference.
#
#   bench/cost.sh [--go PATH | --no-go] [--goc PATH] [--reps N] [--procs N]
#                 [--callgrind] [--tmp DIR] [--out FILE]
#
# The configurations (the programs are bench/goc/{chan_sync,chan_buffered,
# mutex}.goc and their Go twins, unchanged between configurations):
#   base     nothing set
#   debug    GOC_DEBUG_ADDR=127.0.0.1:0 (the endpoint listens; nobody asks;
#            goc only: Go has no such switch)
#   prof     GOBENCH_PROFILE=1: block profile rate 1 (every blocking event)
#            and mutex profile fraction 1 (every contended wait), the rates
#            `go test -blockprofile/-mutexprofile` use and the ones
#            GOC_BLOCKPROFILE / GOC_MUTEXPROFILE set; the programs call
#            goc_set_block_profile_rate / goc_set_mutex_profile_fraction,
#            the Go twins runtime.SetBlockProfileRate /
#            SetMutexProfileFraction
#   sampled  GOBENCH_PROFILE=10000:10: one block event per 10 us blocked on
#            average, one contended wait in 10
# Each repetition runs every configuration of a program back to back, in an
# order rotated by one each repetition, at GOC_MAXPROCS = GOMAXPROCS =
# --procs (default 2); a ratio is the median over repetitions (default 15)
# of with / without from the same repetition, so that the machine's drift
# cancels; the quartiles of those ratios show the spread.
#
# --callgrind: instead, the instructions each goc program executes (all
# threads, valgrind --tool=callgrind) at GOC_MAXPROCS=1, at smaller sizes
# (chan_sync without pingpong_hog, whose spinning depends on time): the
# count at twice the size less the count at the size, so that start-up and
# exit (an endpoint's socket, a profile written at exit) cancel and what is
# left is the work's. Deterministic up to the monitor's wake-ups. Not the
# sampled configuration: whether a block is kept depends on how long it
# lasted, which valgrind stretches.
#
# Prints a markdown table; with --out FILE writes it there, and without
# --out replaces the section between the cost.sh markers of
# bench/RESULTS.md (appending it the first time; --callgrind has its own).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

GO_BIN=${GO:-}
GOC_BIN="$repo/build/transform/goc"
NO_GO=0
REPS=15
PROCS=2
CALLGRIND=0
TMP="$here/tmp/cost"
OUT=""
LIMIT=60

while [ $# -gt 0 ]; do
  case "$1" in
    --go) GO_BIN=$2; shift 2 ;;
    --no-go) NO_GO=1; shift ;;
    --goc) GOC_BIN=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --procs) PROCS=$2; shift 2 ;;
    --callgrind) CALLGRIND=1; shift ;;
    --tmp) TMP=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) sed -n '2,33p' "$0"; exit 0 ;;
    *) echo "cost.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

[ -x "$GOC_BIN" ] || { echo "cost.sh: goc not found at $GOC_BIN (build first, or pass --goc)" >&2; exit 2; }
[ "$NO_GO" = 0 ] && [ -z "$GO_BIN" ] && GO_BIN=$(command -v go || true)
HAVE_GO=0
if [ "$CALLGRIND" = 0 ] && [ "$NO_GO" = 0 ] && [ -n "$GO_BIN" ] && "$GO_BIN" version >/dev/null 2>&1; then
  HAVE_GO=1
fi
if [ "$CALLGRIND" = 1 ] && ! command -v valgrind >/dev/null 2>&1; then
  echo "cost.sh: --callgrind needs valgrind" >&2; exit 2
fi

# program, size, callgrind size (and argument)
PROGS="
chan_sync      1000000   100000 0
chan_buffered  80000     8000
mutex          2000000   200000
"

mkdir -p "$TMP/bin/goc" "$TMP/bin/go" "$TMP/logs" || exit 2
DATA="$TMP/data.txt"
: > "$DATA"

while read -r name arg carg carg2; do
  [ -n "$name" ] || continue
  "$GOC_BIN" cc -O2 -fno-math-errno "$here/goc/$name.goc" -o "$TMP/bin/goc/$name" \
    > "$TMP/logs/build_goc_$name.log" 2>&1 || { echo "cost.sh: cannot build bench/goc/$name.goc" >&2; cat "$TMP/logs/build_goc_$name.log" >&2; exit 1; }
done <<< "$PROGS"
if [ "$HAVE_GO" = 1 ]; then
  (cd "$here/go" && GOPATH="$TMP/gopath" GOCACHE="$TMP/gocache" GO111MODULE=on \
    GOFLAGS=-mod=mod GOTOOLCHAIN=local "$GO_BIN" build -o "$TMP/bin/go/" ./chan_sync ./chan_buffered ./mutex) \
    > "$TMP/logs/build_go.log" 2>&1 || { echo "cost.sh: Go build failed:" >&2; cat "$TMP/logs/build_go.log" >&2; exit 1; }
fi

# run_cfg SIDE CFG NAME ARG REP [ARG2]: appends "SIDE CFG BENCH REP VALUE" lines
# (VALUE: time_ns, or under --callgrind the instructions, bench = NAME).
run_cfg() {
  local side=$1 cfg=$2 name=$3 arg=$4 rep=$5 arg2=${6:-}
  local log="$TMP/logs/${side}_${cfg}_${name}_$rep"
  local env=(GOC_MAXPROCS="$PROCS" GOMAXPROCS="$PROCS")
  case "$cfg" in
    debug) env+=(GOC_DEBUG_ADDR=127.0.0.1:0) ;;
    prof) env+=(GOBENCH_PROFILE=1) ;;
    sampled) env+=(GOBENCH_PROFILE=10000:10) ;;
  esac
  if [ "$CALLGRIND" = 1 ]; then
    local ir=() size
    for size in "$arg" $((arg * 2)); do
      env GOC_MAXPROCS=1 "${env[@]:1}" timeout 600 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        "$TMP/bin/$side/$name" "$size" $arg2 > "$log.out" 2> "$log.err"
      ir+=("$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$log.err" | tail -n 1)")
    done
    [ -n "${ir[0]}" ] && [ -n "${ir[1]}" ] || { echo "cost.sh: callgrind $name ($cfg) failed: see $log.err" >&2; return; }
    echo "$side $cfg $name $rep $(( ir[1] - ir[0] ))" >> "$DATA"
    return
  fi
  env "${env[@]}" timeout "$LIMIT" "$TMP/bin/$side/$name" "$arg" > "$log.out" 2> "$log.err" ||
    { echo "cost.sh: $side $name ($cfg) failed: see $log.err" >&2; return; }
  awk -v s="$side" -v c="$cfg" -v r="$rep" '/^bench=/ {
      b = ""; t = ""
      for (i = 1; i <= NF; i++) { if ($i ~ /^bench=/) b = substr($i, 7); if ($i ~ /^time_ns=/) t = substr($i, 9) }
      print s, c, b, r, t }' "$log.out" >> "$DATA"
}

start=$(date +%s)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
reps=$REPS
[ "$CALLGRIND" = 1 ] && reps=1
for rep in $(seq 1 "$reps"); do
  while read -r name arg carg carg2; do
    [ -n "$name" ] || continue
    runs=("goc base" "goc debug" "goc prof")
    # Sampling keeps a block by its length in time, which valgrind stretches.
    [ "$CALLGRIND" = 0 ] && runs+=("goc sampled")
    [ "$HAVE_GO" = 1 ] && runs+=("go base" "go prof" "go sampled")
    k=$(( (rep - 1) % ${#runs[@]} ))
    for i in $(seq 0 $(( ${#runs[@]} - 1 ))); do
      set -- ${runs[$(( (i + k) % ${#runs[@]} ))]}
      echo "rep $rep/$reps: $1 $2 $name" >&2
      if [ "$CALLGRIND" = 1 ]; then run_cfg "$1" "$2" "$name" "$carg" "$rep" "$carg2"
      else run_cfg "$1" "$2" "$name" "$arg" "$rep"; fi
    done
  done <<< "$PROGS"
done
elapsed=$(( $(date +%s) - start ))

TABLE="$TMP/table.md"
awk -v callgrind="$CALLGRIND" -v have_go="$HAVE_GO" '
function sort_(a, n,   i, j, t) {
  for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j+1] = a[j]; a[j+1] = t }
}
function q(a, n, f,   x, i) { x = 1 + f * (n - 1); i = int(x); return (i >= n) ? a[n] : a[i] + (x - i) * (a[i+1] - a[i]) }
# "median (q1–q3)" of with/without over the repetitions where both ran
function ratio(side, cfg, b,   r, n, a, rp) {
  n = 0
  for (rp = 1; rp <= maxrep; rp++)
    if (((side, cfg, b, rp) in T) && ((side, "base", b, rp) in T) && T[side, "base", b, rp] > 0)
      a[++n] = T[side, cfg, b, rp] / T[side, "base", b, rp]
  if (n == 0) return "—"
  sort_(a, n)
  if (n < 3) return sprintf("%.3f", q(a, n, 0.5))
  return sprintf("%.3f (%.3f–%.3f)", q(a, n, 0.5), q(a, n, 0.25), q(a, n, 0.75))
}
function med(side, cfg, b,   n, a, rp) {
  n = 0
  for (rp = 1; rp <= maxrep; rp++) if ((side, cfg, b, rp) in T) a[++n] = T[side, cfg, b, rp]
  if (n == 0) return "—"
  sort_(a, n)
  if (callgrind) return sprintf("%.1f M", q(a, n, 0.5) / 1e6)
  return sprintf("%.1f ms", q(a, n, 0.5) / 1e6)
}
{
  T[$1, $2, $3, $4] = $5 + 0
  if ($4 > maxrep) maxrep = $4
  if (!($3 in SEEN)) { SEEN[$3] = 1; ORDER[++nb] = $3 }
}
END {
  if (callgrind) {
    print "| program | goc base (instructions) | debug / base | prof / base |"
    print "|---|---|---|---|"
    for (i = 1; i <= nb; i++) { b = ORDER[i]
      printf "| %s | %s | %s | %s |\n", b, med("goc", "base", b), ratio("goc", "debug", b), ratio("goc", "prof", b) }
    exit
  }
  print "| benchmark | goc base | goc debug / base | goc prof / base | goc sampled / base | Go base | Go prof / base | Go sampled / base |"
  print "|---|---|---|---|---|---|---|---|"
  for (i = 1; i <= nb; i++) { b = ORDER[i]
    printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", b, med("goc", "base", b), ratio("goc", "debug", b),
           ratio("goc", "prof", b), ratio("goc", "sampled", b), have_go ? med("go", "base", b) : "—",
           have_go ? ratio("go", "prof", b) : "—", have_go ? ratio("go", "sampled", b) : "—" }
}' "$DATA" > "$TABLE"

MARK="cost.sh"
[ "$CALLGRIND" = 1 ] && MARK="cost.sh --callgrind"
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo "?")
dirty=$(git -C "$repo" status --porcelain -- runtime transform bench/goc bench/go bench/cost.sh 2>/dev/null | grep -v '^??' | head -n 1)
{
  echo "<!-- $MARK begin -->"
  if [ "$CALLGRIND" = 1 ]; then
    echo "## Cost of introspection (instructions, \`bench/cost.sh --callgrind\`)"
  else
    echo "## Cost of introspection (\`bench/cost.sh --reps $REPS --procs $PROCS\`)"
  fi
  echo
  echo "- goc commit: $commit${dirty:+ (with uncommitted changes)}; $(nproc) CPUs; load average before: $load0; took ${elapsed}s"
  [ "$HAVE_GO" = 1 ] && echo "- Go: $("$GO_BIN" version 2>/dev/null)"
  echo "- debug: GOC_DEBUG_ADDR=127.0.0.1:0, idle. prof: block profile rate 1, mutex profile fraction 1 (every event; what GOC_BLOCKPROFILE / GOC_MUTEXPROFILE set, and \`go test -blockprofile/-mutexprofile\`). sampled: block rate 10000 ns, mutex fraction 10. Go: runtime.SetBlockProfileRate / SetMutexProfileFraction with the same values."
  if [ "$CALLGRIND" = 1 ]; then
    echo "- instructions of the whole process, all threads, GOC_MAXPROCS=1: the count at twice the size less the count at the size (start-up and exit cancel); sizes: chan_sync 100000 (without pingpong_hog), chan_buffered 8000, mutex 200000"
  else
    echo "- ratios: median over $REPS alternating repetitions of with / without from the same repetition (quartiles in brackets); goal ≤ 1.02"
  fi
  echo
  cat "$TABLE"
  echo "<!-- $MARK end -->"
} > "$TMP/section.md"

cat "$TMP/section.md"
if [ -n "$OUT" ]; then
  [ "$OUT" = - ] || cp "$TMP/section.md" "$OUT"
  exit 0
fi
res="$here/RESULTS.md"
if grep -qF "<!-- $MARK begin -->" "$res" 2>/dev/null; then
  awk -v f="$TMP/section.md" -v b="<!-- $MARK begin -->" -v e="<!-- $MARK end -->" '
    $0 == b { while ((getline l < f) > 0) print l; skip = 1; next }
    $0 == e { skip = 0; next }
    !skip' "$res" > "$TMP/RESULTS.md" && cp "$TMP/RESULTS.md" "$res"
else
  { echo; cat "$TMP/section.md"; } >> "$res"
fi
