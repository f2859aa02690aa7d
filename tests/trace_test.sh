#!/usr/bin/env bash
# GOC_TRACE=FILE writes a Chrome trace-event JSON file: goroutine runs as
# B/E slices per P, and create/block/unblock/end instants with the .goc site;
# waits off the P as async slices, P hand-offs, scheduling latency
# (tests/trace/check_trace.py checks the structure);
# GOC_BLOCKPROFILE=FILE writes the time blocked per .goc stack (pprof's
# gzipped protobuf; tests/pprof decodes it).
# Usage: trace_test.sh GOC SOURCE_DIR
set -eu
goc=$1; src=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/goc-trace-XXXXXX")
trap 'rm -rf "$work"' EXIT
"$goc" cc -O2 "$src/fixtures/run/prime_sieve.goc" -o "$work/prog"
GOC_TRACE="$work/trace.json" "$work/prog" > /dev/null
t="$work/trace.json"
head -c 40 "$t" | grep -q '"traceEvents":\[' || { echo "FAIL: not a trace-event file"; exit 1; }
tail -c 4 "$t" | grep -q ']}' || { echo "FAIL: truncated"; exit 1; }
b=$(grep -c '"ph":"B"' "$t")
[ "$b" -gt 100 ] || { echo "FAIL: $b run slices"; exit 1; }
# Balanced rows and async slices (the end of the trace closes what still
# runs), and the scheduling-latency summary.
python3 "$src/tests/trace/check_trace.py" "$t" || exit 1
grep -q '"name":"create G' "$t" || { echo "FAIL: no create events"; exit 1; }
grep -q '"reason":"chan receive","site":"[^"]*prime_sieve.goc:[0-9]*"' "$t" || { echo "FAIL: no block site"; exit 1; }
grep -q '"name":"end G' "$t" || { echo "FAIL: no end events"; exit 1; }
# A long trace streams to its file: the peak RSS stays that of the buffers
# (it was 100+ MB when the trace was kept in memory until exit).
"$goc" cc -O2 "$src/tests/exitfiles/trace_long.goc" -o "$work/long"
hwm=$(GOC_TRACE="$work/long.json" "$work/long" | awk '/VmHWM/ {print $2}')
[ -n "$hwm" ] && [ "$hwm" -lt 32768 ] || { echo "FAIL: peak RSS ${hwm:-?} KB while tracing (want < 32 MB)"; exit 1; }
tail -c 4 "$work/long.json" | grep -q ']}' || { echo "FAIL: long trace truncated"; exit 1; }
nb=$(grep -c '"ph":"B"' "$work/long.json"); ne=$(grep -c '"ph":"E"' "$work/long.json")
[ "$nb" -gt 800000 ] || { echo "FAIL: long trace has $nb run slices"; exit 1; }
[ "$nb" = "$ne" ] || { echo "FAIL: long trace has $nb run starts, $ne run ends"; exit 1; }
rm -f "$work/long.json"
# Waits off the P: netpoller fds and directions, goc_blocking, system
# calls, the three kinds of P hand-off and the resumption after them.
"$goc" cc -O2 "$src/tests/trace/events.goc" -o "$work/events"
GOC_MAXPROCS=1 GOC_TRACE="$work/events.json" "$work/events" > "$work/events.out"
grep -c ': 1$' "$work/events.out" | grep -qx 6 || { echo "FAIL: events.goc:"; cat "$work/events.out"; exit 1; }
python3 "$src/tests/trace/check_trace.py" "$work/events.json" --events || exit 1
# GOC_CPUPROFILE=FILE: CPU samples of the running goroutine's .goc stack.
"$goc" cc -O2 "$src/tests/exitfiles/burn.goc" -o "$work/burn"
GOC_CPUPROFILE="$work/cpu.pb.gz" "$work/burn" > /dev/null
gzip -t "$work/cpu.pb.gz" || { echo "FAIL: CPU profile is not gzip"; exit 1; }
gzip -dc "$work/cpu.pb.gz" | grep -aq 'burn' || { echo "FAIL: no burn in the CPU profile"; exit 1; }
gzip -dc "$work/cpu.pb.gz" | grep -aq 'burn\.goc' || { echo "FAIL: no .goc file in the CPU profile"; exit 1; }
# GOC_BLOCKPROFILE=FILE: a gzipped profile whose strings name the .goc file.
GOC_BLOCKPROFILE="$work/block.pb.gz" "$work/prog" > /dev/null
gzip -t "$work/block.pb.gz" || { echo "FAIL: block profile is not gzip"; exit 1; }
gzip -dc "$work/block.pb.gz" | grep -aq 'prime_sieve\.goc' || { echo "FAIL: no .goc file in the block profile"; exit 1; }
gzip -dc "$work/block.pb.gz" | grep -aq 'contentions' || { echo "FAIL: no contentions sample type"; exit 1; }
echo ok
