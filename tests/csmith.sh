#!/usr/bin/env bash
# csmith.sh [N [FIRST_SEED]] — differential test of the transformer on
# random C programs (csmith): each program built by gcc against the same
# program through `goc cc` with every function made a goroutine function
# (tests/csmith_mutate.c):
#   variant A: goc_yield(); at every function entry, main included;
#   variant B: A, and (<-cs_zero, e) around a random quarter of the
#              subexpressions in rvalue positions (cs_zero: a buffered
#              channel a feeder goroutine keeps full of zeros).
# Checksums must match. Prints per-seed results, the rates, the size of the
# lowered C against the preprocessed input and goc's build time against
# gcc's; exits 1 if a seed whose gcc baseline runs differs or fails to build.
# Needs the Debian packages csmith and libcsmith-dev.
set -uo pipefail
n=${1:-10}
first=${2:-1}
here=$(cd "$(dirname "$0")" && pwd)
goc=${GOC:-$here/../build/transform/goc}
mutate=${CSMITH_MUTATE:-$here/../build/tests/csmith_mutate}
inc=/usr/include/csmith
command -v csmith >/dev/null && [[ -d $inc ]] || { echo "csmith.sh: csmith not installed (apt-get install csmith libcsmith-dev)"; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
declare -A same differ buildfail
same=([A]=0 [B]=0) differ=([A]=0 [B]=0) buildfail=([A]=0 [B]=0)
nobase=0 pp_bytes=0 out_bytes=0 gcc_ms=0 goc_ms=0
now_ms() { date +%s%3N; }
for ((seed = first; seed < first + n; seed++)); do
  c="$work/p$seed.c"
  csmith --seed "$seed" --no-bitfields --no-packed-struct --max-funcs 8 > "$c" 2>/dev/null || { nobase=$((nobase + 1)); continue; }
  t0=$(now_ms)
  if ! gcc -w -O1 -I"$inc" "$c" -o "$work/base" 2>/dev/null; then nobase=$((nobase + 1)); echo "seed $seed: gcc cannot build it"; continue; fi
  t1=$(now_ms)
  if ! base=$(timeout 10 "$work/base" 2>/dev/null); then
    nobase=$((nobase + 1)); echo "seed $seed: no gcc baseline"; continue
  fi
  # A program whose -O1 build ends only because gcc deleted a side-effect-
  # free loop (seed 3032 counts a uint64 up to 2^64) has no baseline for goc:
  # the preemption check at the loop's back-edge is a side effect that must
  # stay. Its -O0 build must end as well.
  if ! gcc -w -O0 -I"$inc" "$c" -o "$work/base0" 2>/dev/null || ! timeout 10 "$work/base0" >/dev/null 2>&1; then
    nobase=$((nobase + 1)); echo "seed $seed: no gcc baseline (its -O0 build does not end)"; continue
  fi
  for v in A B; do
    g="$work/p${seed}_$v.goc"
    "$mutate" "$v" "$seed" < "$c" > "$g"
    t2=$(now_ms)
    if ! GOC_KEEP= "$goc" cc -w -O1 -I"$inc" "$g" -o "$work/a" 2> "$work/err"; then
      buildfail[$v]=$((buildfail[$v] + 1)); echo "seed $seed $v: goc build failed: $(grep -m1 error "$work/err")"; continue
    fi
    t3=$(now_ms)
    if [[ $v == B ]]; then
      gcc_ms=$((gcc_ms + t1 - t0)); goc_ms=$((goc_ms + t3 - t2))
      gcc -E -w -I"$inc" -x c "$g" 2>/dev/null | wc -c > "$work/pp" && pp_bytes=$((pp_bytes + $(cat "$work/pp")))
      "$goc" transform "$g" -o "$work/o.c" -- -I"$inc" 2>/dev/null && out_bytes=$((out_bytes + $(wc -c < "$work/o.c")))
    fi
    a=$(timeout 30 "$work/a" 2>&1)
    if [[ "$a" == "$base" ]]; then same[$v]=$((same[$v] + 1)); echo "seed $seed $v: same"
    else differ[$v]=$((differ[$v] + 1)); echo "seed $seed $v: DIFFERENT (gcc: $base; goc: ${a:0:200})"; fi
  done
done
bad=0
for v in A B; do
  total=$((same[$v] + differ[$v] + buildfail[$v]))
  echo "csmith variant $v: ${same[$v]}/$total identical, ${differ[$v]} different, ${buildfail[$v]} not built by goc"
  bad=$((bad + differ[$v] + buildfail[$v]))
done
echo "seeds without a gcc baseline: $nobase"
if ((pp_bytes > 0 && gcc_ms > 0)); then
  echo "variant B: lowered C / preprocessed input = $(awk "BEGIN{printf \"%.2f\", $out_bytes/$pp_bytes}"); goc cc time / gcc time = $(awk "BEGIN{printf \"%.2f\", $goc_ms/$gcc_ms}")"
fi
[[ $bad -eq 0 ]]
