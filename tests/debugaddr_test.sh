#!/usr/bin/env bash
# GOC_DEBUG_ADDR=host:port serves Go's pprof paths while the program runs:
# fetched here with bash's /dev/tcp (no HTTP client needed), and with go
# tool pprof when a Go toolchain is at hand.
# Usage: debugaddr_test.sh GOC SOURCE_DIR
set -u
goc=$1; src=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/goc-debugaddr-XXXXXX")
pid=
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; [ -f "$work/err" ] && cat "$work/err"; exit 1; }
"$goc" cc -O2 "$src/tests/debugaddr/serve.goc" -o "$work/prog" || fail build
GOC_DEBUG_ADDR=127.0.0.1:0 "$work/prog" > "$work/out" 2> "$work/err" &
pid=$!
for _ in $(seq 1 600); do grep -q ready "$work/out" 2>/dev/null && break; sleep 0.05; done
port=$(sed -n 's|^goc: debug server listening on http://127.0.0.1:\([0-9]*\)/debug/pprof/$|\1|p' "$work/err")
[ -n "$port" ] || fail "no listening line"
get() {  # get PATH OUTFILE: the body of GET PATH
  exec 3<>"/dev/tcp/127.0.0.1/$port" || fail "connect"
  printf 'GET %s HTTP/1.1\r\nHost: x\r\n\r\n' "$1" >&3
  cat <&3 > "$work/resp"
  exec 3<&-
  head -1 "$work/resp" | grep -q '^HTTP/1.0 200 OK' || fail "GET $1: $(head -1 "$work/resp")"
  sed '1,/^\r$/d' "$work/resp" > "$2"
}
get /debug/pprof/ "$work/index"
grep -q "goroutine?debug=1" "$work/index" || fail "index"
get "/debug/pprof/goroutine?debug=1" "$work/g1"
grep -q '^goroutine profile: total 6$' "$work/g1" || fail "goroutine?debug=1: $(head -3 "$work/g1")"
grep -Eq '^5 @' "$work/g1" || fail "goroutine?debug=1: no group of 5"
grep -q 'parked+0x0	.*serve.goc:6' "$work/g1" || fail "goroutine?debug=1: no .goc line"
get "/debug/pprof/goroutine?debug=2" "$work/g2"
grep -q '^goroutine [0-9]* \[chan receive' "$work/g2" || fail "goroutine?debug=2"
get "/debug/pprof/goroutine" "$work/g0"
gzip -t "$work/g0" 2>/dev/null || fail "goroutine?debug=0 is not gzip"
get "/debug/pprof/block?debug=1" "$work/b1"
grep -q -- '--- contention:' "$work/b1" || fail "block?debug=1"
get "/debug/pprof/mutex?debug=1" "$work/m1"
grep -q -- '^--- mutex:' "$work/m1" || fail "mutex?debug=1"
get "/debug/pprof/profile?seconds=1&debug=1" "$work/cpu"
grep -q -- '^--- cpu: [0-9]* samples at 100 Hz' "$work/cpu" || fail "profile?seconds=1"
get "/debug/pprof/trace?seconds=1" "$work/trace"
head -c 40 "$work/trace" | grep -q '"traceEvents":\[' || fail "trace?seconds=1: not a trace"
tail -c 4 "$work/trace" | grep -q ']}' || fail "trace?seconds=1: truncated"
grep -q '"name":"G[0-9]' "$work/trace" || fail "trace?seconds=1: no goroutine ran"
get /debug/goc/sched "$work/sched"
grep -q '^SCHED [0-9]*ms: gomaxprocs=' "$work/sched" || fail "sched"
# an unknown path is a 404, and the server goes on
exec 3<>"/dev/tcp/127.0.0.1/$port"; printf 'GET /nope HTTP/1.0\r\n\r\n' >&3; head -1 <&3 | grep -q 404 || fail "404"; exec 3<&-
get /debug/goc/sched "$work/sched"
go=${GOC_GO:-}
[ -z "$go" ] && command -v go >/dev/null && go=go
[ -z "$go" ] && [ -x /work/shared/tools/go ] && [ -d "$HOME/.cache/go-1.23" ] && go=/work/shared/tools/go
if [ -n "$go" ]; then
  "$go" tool pprof -top "http://127.0.0.1:$port/debug/pprof/goroutine" > "$work/top" 2>&1 || fail "go tool pprof: $(cat "$work/top")"
  grep -q 'parked' "$work/top" || fail "go tool pprof -top: $(cat "$work/top")"
  echo "go tool pprof read the endpoint"
fi
echo ok
