#!/usr/bin/env bash
# bench/preempt_ir.sh [GOC [SCALE]] — the preemption checks' cost in
# bench/goc/preempt_overhead.goc as instruction counts (callgrind): unlike
# times on a shared machine they are the same from run to run, though they
# do not see latency (a loop bound by a dependency chain can take more
# instructions in the same time). The plain kernels are built noinline, so
# that each has a count of its own; the goroutine kernel's count is its
# step function's, inclusive. GOC defaults to build/transform/goc, SCALE
# (1..10, the program's argument) to 2. Prints, per kernel:
#   KERNEL plain=IR goroutine=IR overhead=PCT%
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
goc=${1:-$here/../build/transform/goc}
scale=${2:-2}
command -v valgrind > /dev/null && command -v callgrind_annotate > /dev/null ||
  { echo "preempt_ir.sh: valgrind (callgrind) is not installed" >&2; exit 2; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
sed -E 's/^static double (sum|nbody|matmul)_plain/__attribute__((noinline)) static double \1_plain/' \
  "$here/goc/preempt_overhead.goc" > "$tmp/preempt_ir.goc"
"$goc" cc -O2 -g "$tmp/preempt_ir.goc" -o "$tmp/prog"
valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$tmp/prog" "$scale" > /dev/null 2>&1
# a function's inclusive count is the largest line naming it
callgrind_annotate --inclusive=yes --threshold=100 "$tmp/cg.out" 2> /dev/null |
  awk '{ f = ""; for (i = 2; i <= NF; i++) if ($i ~ /:(sum|nbody|matmul)_(plain|goroutine__step)/) f = $i
         if (f == "") next
         gsub(",", "", $1); v = $1 + 0; sub(/.*:/, "", f); sub(/\..*/, "", f)
         k = f; sub(/_(plain|goroutine__step)$/, "", k)
         if (f ~ /_plain$/) { if (v > p[k]) p[k] = v } else if (v > g[k]) g[k] = v }
       END { for (k in p) printf "%s plain=%.0f goroutine=%.0f overhead=%.2f%%\n", k, p[k], g[k], 100 * (g[k] - p[k]) / p[k] }' | sort
