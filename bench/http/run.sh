#!/usr/bin/env bash
# bench/http/run.sh — the HTTP servers against their Go net/http twins.
#
#   bench/http/run.sh [--go PATH | --no-go] [--goc PATH] [--reps N] [--secs S]
#                     [--procs N] [--rt] [--smoke] [--tmp DIR] [--out FILE|-]
#
# Builds examples/http_server.goc and examples/mixed_load.goc with `goc cc
# -O2`, their twins bench/http/go/*/main.go with `go build`, and the two
# clients bench/http/goc/{idle_conns,push_client}.goc (goc programs, the
# same against both servers). Then, --reps times (default 3), alternating
# the side that goes first, each measurement on a fresh server at
# GOC_MAXPROCS = GOMAXPROCS = --procs (default nproc):
#   - wrk -t2 -cC -dSs --latency on GET / at C = 100 and 1000: req/s, p99;
#   - 10,000 idle keep-alive connections (idle_conns: one GET each, then
#     nothing): the growth of the server's VmRSS (/proc/PID/status) from
#     before the first connection to when all have had their answer, per
#     connection;
#   - mixed_load with 1,000 push connections (push_client): the delivery
#     latency p50, p99, max of the messages sent in an S s window, once
#     with nothing else running ("quiet") and once while wrk -t2 -c100
#     loads the HTTP port ("loaded"; that wrk's req/s is reported too).
# S is --secs (default 10). wrk is Debian's package `wrk` (installed with
# apt-get if missing and permitted); the fd limit is raised to the hard
# limit. --rt: every process (servers, wrk, clients) under `chrt -r 1` where
# permitted, as bench/run.sh --rt. Prints a markdown table of medians and,
# unless --smoke or --out -, writes it as the "HTTP servers" section of
# bench/RESULTS.md (replacing the previous one).
# --smoke: no wrk; both sides build, each server answers the idle client
# (50 connections) and the push client (5 connections, 1 s); no timing
# claims, RESULTS.md untouched.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

GO_BIN=${GO:-}
NO_GO=0
GOC_BIN="$repo/build/transform/goc"
REPS=3
SECS=10
PROCS=""
RT=0
SMOKE=0
TMP="$repo/bench/tmp/http"
OUT=""

while [ $# -gt 0 ]; do
  case "$1" in
    --go) GO_BIN=$2; shift 2 ;;
    --no-go) NO_GO=1; shift ;;
    --goc) GOC_BIN=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --secs) SECS=$2; shift 2 ;;
    --procs) PROCS=$2; shift 2 ;;
    --rt) RT=1; shift ;;
    --smoke) SMOKE=1; shift ;;
    --tmp) TMP=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) sed -n '2,31p' "$0"; exit 0 ;;
    *) echo "http/run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$PROCS" ] || PROCS=$(nproc)
[ "$SMOKE" = 1 ] && REPS=1
[ -x "$GOC_BIN" ] || { echo "http/run.sh: goc not found at $GOC_BIN (build first, or pass --goc)" >&2; exit 2; }
[ "$NO_GO" = 0 ] && [ -z "$GO_BIN" ] && GO_BIN=$(command -v go || true)
HAVE_GO=0
if [ "$NO_GO" = 0 ] && [ -n "$GO_BIN" ] && "$GO_BIN" version >/dev/null 2>&1; then HAVE_GO=1
elif [ "$NO_GO" = 0 ]; then echo "http/run.sh: no Go toolchain found; running the goc side only" >&2; fi

if [ "$SMOKE" = 0 ] && ! command -v wrk >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  echo "http/run.sh: installing wrk" >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk >&2 ||
    { echo "http/run.sh: wrk is missing and could not be installed (apt-get install wrk)" >&2; exit 2; }
fi

# 10,000 connections: the server and the client each need as many fds.
ulimit -n "$(ulimit -Hn)" 2>/dev/null
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge 10100 ] ||
  { [ "$SMOKE" = 1 ] || { echo "http/run.sh: fd limit $(ulimit -n) < 10100" >&2; exit 2; }; }

PRE=()
RT_NOTE="normal priority (no --rt)"
if [ "$RT" = 1 ]; then
  if command -v chrt >/dev/null 2>&1 && chrt -r 1 true 2>/dev/null; then
    PRE=(chrt -r 1); RT_NOTE="every process under \`chrt -r 1\` (SCHED_RR priority 1)"
  else
    echo "http/run.sh: --rt: chrt -r 1 is not permitted here; normal priority" >&2
    RT_NOTE="--rt asked, but chrt -r 1 was not permitted: normal priority"
  fi
fi

mkdir -p "$TMP/bin/goc" "$TMP/bin/go" "$TMP/logs" || exit 2
DATA="$TMP/data.txt"; FAILS="$TMP/failures.txt"
: > "$DATA"; : > "$FAILS"
fail() { echo "$*" >> "$FAILS"; echo "http/run.sh: $*" >&2; }

# ---- build -----------------------------------------------------------------
for src in "$repo/examples/http_server.goc" "$repo/examples/mixed_load.goc" \
           "$here/goc/idle_conns.goc" "$here/goc/push_client.goc"; do
  n=$(basename "$src" .goc)
  "$GOC_BIN" cc -O2 "$src" -o "$TMP/bin/goc/$n" > "$TMP/logs/build_$n.log" 2>&1 ||
    { fail "BUILD goc $n: $(tail -n 5 "$TMP/logs/build_$n.log")"; exit 1; }
done
cp "$TMP/bin/goc/idle_conns" "$TMP/bin/goc/push_client" "$TMP/bin/"
sides=(goc)
if [ "$HAVE_GO" = 1 ]; then
  if (cd "$here/go" && GOPATH="$TMP/gopath" GOCACHE="$TMP/gocache" GO111MODULE=on GOFLAGS=-mod=mod \
        GOTOOLCHAIN=local "$GO_BIN" build -o "$TMP/bin/go/" ./http_server ./mixed_load) \
        > "$TMP/logs/build_go.log" 2>&1; then sides+=(go)
  else fail "BUILD go: $(tail -n 5 "$TMP/logs/build_go.log")"; fi
fi

# ---- helpers ---------------------------------------------------------------
SRV_PID=""; SRV_PORTS=()
# start_server SIDE NAME LOG: starts it on free ports; sets SRV_PID, SRV_PORTS.
start_server() {
  local bin="$TMP/bin/$1/$2" log=$3
  GOC_MAXPROCS=$PROCS GOMAXPROCS=$PROCS ${PRE[@]+"${PRE[@]}"} "$bin" 127.0.0.1:0 127.0.0.1:0 \
    > "$log.out" 2> "$log.err" &
  SRV_PID=$!
  local want=1; [ "$2" = mixed_load ] && want=2
  for _ in $(seq 300); do
    local got; got=$(grep -c ' on 127.0.0.1:' "$log.out" 2>/dev/null)
    [ "${got:-0}" -ge "$want" ] && break
    sleep 0.1
  done
  mapfile -t SRV_PORTS < <(sed -n 's/.* on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$log.out")
  [ "${#SRV_PORTS[@]}" -ge "$want" ] || { fail "START $1 $2: no address line ($log.err)"; stop_server; return 1; }
}
stop_server() { [ -n "$SRV_PID" ] && { kill "$SRV_PID" 2>/dev/null; wait "$SRV_PID" 2>/dev/null; }; SRV_PID=""; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
record() { echo "$1 $2 $3 $4" >> "$DATA"; }   # SIDE REP KEY VALUE
# to_ns 8.35ms -> 8350000
to_ns() { awk -v v="$1" 'BEGIN { u = v; sub(/^[0-9.]+/, "", u); x = v + 0
  m = (u == "us") ? 1e3 : (u == "ms") ? 1e6 : (u == "s") ? 1e9 : (u == "m") ? 6e10 : 1
  printf "%d\n", x * m }'; }

# wrk_run LOG PORT CONNS SECS: prints "RPS P99_NS ERRORS" from wrk's output.
wrk_run() {
  local log=$1
  timeout $(( $4 + 60 )) ${PRE[@]+"${PRE[@]}"} wrk -t2 -c"$3" -d"$4"s --latency "http://127.0.0.1:$2/" \
    > "$log" 2>&1
  awk -v self="$log" '
    /Requests\/sec:/ { rps = $2 }
    $1 == "99%" { p99 = $2 }
    /Non-2xx/ { err += $NF }
    /Socket errors:/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) err += $i + 0 }
    END { if (rps == "") { print "fail"; exit } printf "%s %s %d\n", rps, p99, err }' "$log"
}

# ---- measurements ----------------------------------------------------------
http_load() {   # SIDE REP CONNS
  local log="$TMP/logs/wrk_$1_c$3_$2"
  start_server "$1" http_server "$log.srv" || return
  local r; read -r rps p99 err <<< "$(wrk_run "$log" "${SRV_PORTS[0]}" "$3" "$SECS")"
  stop_server
  [ "$rps" = fail ] && { fail "RUN wrk $1 c=$3 rep $2: $(tail -n 3 "$log")"; return; }
  record "$1" "$2" "rps_c$3" "$rps"; record "$1" "$2" "p99_c$3" "$(to_ns "$p99")"
  record "$1" "$2" "errors_c$3" "$err"
}

idle_conns() {   # SIDE REP N
  local log="$TMP/logs/idle_$1_$2" fifo="$TMP/idle.fifo"
  start_server "$1" http_server "$log.srv" || return
  local before after; before=$(rss_kb "$SRV_PID")
  rm -f "$fifo"; mkfifo "$fifo"
  GOC_MAXPROCS=$PROCS ${PRE[@]+"${PRE[@]}"} "$TMP/bin/idle_conns" "127.0.0.1:${SRV_PORTS[0]}" "$3" \
    < "$fifo" > "$log.out" 2> "$log.err" &
  local cpid=$!
  exec 8> "$fifo"
  for _ in $(seq 1200); do grep -q '^ready' "$log.out" && break; kill -0 $cpid 2>/dev/null || break; sleep 0.1; done
  if grep -q '^ready' "$log.out"; then
    sleep 1   # let the server finish the last answers' bookkeeping
    after=$(rss_kb "$SRV_PID")
    record "$1" "$2" idle_rss_before_kb "$before"; record "$1" "$2" idle_rss_after_kb "$after"
    record "$1" "$2" idle_bytes_per_conn $(( (after - before) * 1024 / $3 ))
  else fail "RUN idle_conns $1 rep $2: $(tail -n 3 "$log.err")"; fi
  exec 8>&-
  wait $cpid 2>/dev/null
  stop_server; rm -f "$fifo"
}

push() {   # SIDE REP CLIENTS quiet|loaded
  local log="$TMP/logs/push_$4_$1_$2" wpid=""
  start_server "$1" mixed_load "$log.srv" || return
  if [ "$4" = loaded ]; then
    wrk_run "$log.wrk" "${SRV_PORTS[0]}" 100 $(( SECS + 4 )) > "$log.wrkres" &
    wpid=$!
  fi
  timeout $(( SECS + 60 )) env GOC_MAXPROCS=$PROCS ${PRE[@]+"${PRE[@]}"} \
    "$TMP/bin/push_client" "127.0.0.1:${SRV_PORTS[1]}" "$3" "$SECS" 1 > "$log.out" 2> "$log.err"
  [ -n "$wpid" ] && wait "$wpid"
  stop_server
  local line; line=$(grep '^bench=push_latency' "$log.out")
  [ -n "$line" ] || { fail "RUN push_client $1 $4 rep $2: $(tail -n 3 "$log.err")"; return; }
  for kv in $line; do
    case "$kv" in
      p50_ns=*|p99_ns=*|max_ns=*|msgs=*|expected=*) record "$1" "$2" "push_$4_${kv%%=*}" "${kv#*=}" ;;
    esac
  done
  if [ -n "$wpid" ]; then
    read -r rps p99 err < "$log.wrkres"
    [ "$rps" != fail ] && record "$1" "$2" mixed_rps_c100 "$rps"
  fi
}

start=$(date +%s)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
for rep in $(seq 1 "$REPS"); do
  k=$(( (rep - 1) % ${#sides[@]} ))
  for side in ${sides[@]:$k} ${sides[@]:0:$k}; do
    echo "rep $rep/$REPS: $side" >&2
    if [ "$SMOKE" = 1 ]; then
      idle_conns "$side" "$rep" 50
      SECS=1 push "$side" "$rep" 5 quiet
      continue
    fi
    http_load "$side" "$rep" 100
    http_load "$side" "$rep" 1000
    idle_conns "$side" "$rep" 10000
    push "$side" "$rep" 1000 quiet
    push "$side" "$rep" 1000 loaded
  done
done
elapsed=$(( $(date +%s) - start ))
load1=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- report ----------------------------------------------------------------
# The goc server's own buffers per connection: serve's reader (4096) and its
# line, path, method and version arrays (4096 + 1024 + 16 + 16).
OWN=9248
TABLE="$TMP/table.md"
awk -v own="$OWN" -v smoke="$SMOKE" '
function median(s,   a, n, i, j, t) {
  n = split(s, a, " ")
  for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j+1] = a[j]; a[j+1] = t }
  if (n == 0) return ""
  return (n % 2) ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
}
function fmt(k, v) {
  if (v == "") return "—"
  if (k ~ /^(p50|p99|max)_|_(p50|p99|max)_ns$|^p99_c/) {
    if (v >= 1e9) return sprintf("%.2f s", v / 1e9)
    if (v >= 1e6) return sprintf("%.2f ms", v / 1e6)
    return sprintf("%.1f µs", v / 1e3)
  }
  if (k ~ /rps/) return sprintf("%.0f", v)
  if (k ~ /bytes/) return sprintf("%d B", v)
  if (k ~ /_kb$/) return sprintf("%.1f MB", v / 1024)
  return v
}
{ V[$1, $3] = V[$1, $3] " " $4; if (!($3 in SEEN)) { SEEN[$3] = 1; K[++nk] = $3 } }
END {
  name["rps_c100"] = "req/s, 100 connections"; goal["rps_c100"] = "ratio >= 1.5"
  name["p99_c100"] = "p99 latency, 100 connections"; goal["p99_c100"] = "ratio <= 1"
  name["errors_c100"] = "wrk errors, 100 connections"
  name["rps_c1000"] = "req/s, 1000 connections"; goal["rps_c1000"] = "ratio >= 1.5"
  name["p99_c1000"] = "p99 latency, 1000 connections"; goal["p99_c1000"] = "ratio <= 1"
  name["errors_c1000"] = "wrk errors, 1000 connections"
  name["idle_rss_before_kb"] = "RSS before the idle connections"
  name["idle_rss_after_kb"] = "RSS with the idle connections"
  name["idle_bytes_per_conn"] = "memory per idle connection"; goal["idle_bytes_per_conn"] = "goc <= " (own + 512)
  name["push_quiet_p50_ns"] = "push latency p50, quiet"
  name["push_quiet_p99_ns"] = "push latency p99, quiet"; goal["push_quiet_p99_ns"] = "ratio <= 1"
  name["push_quiet_max_ns"] = "push latency max, quiet"
  name["push_quiet_msgs"] = "push messages counted, quiet"
  name["push_quiet_expected"] = "push messages due, quiet"
  name["push_loaded_p50_ns"] = "push latency p50, HTTP-loaded"
  name["push_loaded_p99_ns"] = "push latency p99, HTTP-loaded"; goal["push_loaded_p99_ns"] = "ratio <= 1"
  name["push_loaded_max_ns"] = "push latency max, HTTP-loaded"
  name["push_loaded_msgs"] = "push messages counted, HTTP-loaded"
  name["push_loaded_expected"] = "push messages due, HTTP-loaded"
  name["mixed_rps_c100"] = "req/s beside the pushes (wrk -c100)"
  print "| measurement | goc | Go | goc/Go | goal | met |"
  print "|---|---|---|---|---|---|"
  for (i = 1; i <= nk; i++) {
    k = K[i]; g = median(V["goc", k]); o = median(V["go", k])
    r = (g != "" && o != "" && o > 0) ? g / o : ""
    met = ""; gl = (k in goal) ? goal[k] : ""
    if (gl != "" && !smoke) {
      split(gl, f, " "); v = (f[1] == "ratio") ? r : g
      if (v == "") met = "?"
      else if (f[2] == ">=") met = (v >= f[3]) ? "yes" : "no"
      else met = (v <= f[3]) ? "yes" : "no"
    }
    if (gl ~ /^goc <=/) gl = "≤ " (own + 512) " B (own buffers " own " B + 512)"
    else if (gl == "ratio >= 1.5") gl = "goc ≥ 1.5x Go"
    else if (gl == "ratio <= 1") gl = "goc ≤ Go"
    printf "| %s | %s | %s | %s | %s | %s |\n", (k in name) ? name[k] : k, fmt(k, g), fmt(k, o),
      r == "" ? "—" : sprintf("%.2f", r), gl == "" ? "—" : gl, met
  }
}' "$DATA" > "$TABLE"
cat "$TABLE"
rc=0
if [ -s "$FAILS" ]; then echo; echo "FAILURES:"; cat "$FAILS"; rc=1; fi
for side in "${sides[@]}"; do
  grep -q "^$side " "$DATA" || { echo "http/run.sh: no results from the $side side" >&2; rc=1; }
done

if [ "$SMOKE" = 0 ] && [ "$OUT" != "-" ]; then
  out=${OUT:-$repo/bench/RESULTS.md}
  commit=$(cd "$repo" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
  dirty=$(cd "$repo" && git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo " (with uncommitted changes)")
  section="$TMP/section.md"
  {
    echo "<!-- http:begin (bench/http/run.sh writes this section; bench/run.sh keeps it) -->"
    echo "## HTTP servers (bench/http)"
    echo
    echo "- goc commit: $commit$dirty; Go: $([ "$HAVE_GO" = 1 ] && "$GO_BIN" version || echo none); $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
    echo "- GOC_MAXPROCS = GOMAXPROCS = $PROCS on $(nproc) CPUs; $REPS alternating repetitions, medians; ${SECS} s per wrk run and push window; took ${elapsed}s"
    echo "- scheduling: $RT_NOTE; load average before: $load0, after: $load1"
    echo "- servers: examples/http_server.goc, examples/mixed_load.goc and their twins bench/http/go; clients: wrk -t2 on the same machine, bench/http/goc (differences: Notes)"
    echo
    cat "$TABLE"
    if [ -s "$FAILS" ]; then echo; echo '```'; cat "$FAILS"; echo '```'; fi
    echo
    echo "Rerun: \`bench/http/run.sh --go /work/shared/tools/go --reps $REPS$([ "$RT" = 1 ] && echo " --rt")\` (or \`bench/run.sh --http ...\`)."
    echo "<!-- http:end -->"
  } > "$section"
  if [ -f "$out" ] && grep -q '^<!-- http:begin' "$out"; then
    awk -v sec="$section" '/^<!-- http:begin/ { while ((getline l < sec) > 0) print l; skip = 1; next }
      /^<!-- http:end/ { skip = 0; next } !skip' "$out" > "$out.new" && mv "$out.new" "$out"
  else
    { [ -f "$out" ] && cat "$out" && echo; cat "$section"; } > "$out.new" && mv "$out.new" "$out"
  fi
  echo "wrote the HTTP section of $out" >&2
fi
exit $rc
