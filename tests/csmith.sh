#!/usr/bin/env bash
# csmith.sh [N [FIRST_SEED]] — differential test of the transformer on
# random C programs (csmith): each program built by gcc against the same
# program through `goc cc` with every function made a goroutine function
# (variant A: goc_yield(); at every function entry, main included).
# Checksums must match. Prints per-seed results and the rates; exits 1 if
# any seed whose gcc baseline runs differs or fails to build through goc.
# Needs the Debian packages csmith and libcsmith-dev.
set -uo pipefail
n=${1:-10}
first=${2:-1}
goc=${GOC:-$(dirname "$0")/../build/transform/goc}
inc=/usr/include/csmith
command -v csmith >/dev/null || { echo "csmith.sh: csmith not installed (apt-get install csmith libcsmith-dev)"; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
same=0 differ=0 nobase=0 buildfail=0
for ((seed = first; seed < first + n; seed++)); do
  c="$work/p$seed.c"
  csmith --seed "$seed" --no-bitfields --no-packed-struct --max-funcs 8 > "$c" 2>/dev/null || { nobase=$((nobase + 1)); continue; }
  if ! gcc -w -O1 -I"$inc" "$c" -o "$work/base" 2>/dev/null ||
     ! base=$(timeout 10 "$work/base" 2>/dev/null); then
    nobase=$((nobase + 1)); echo "seed $seed: no gcc baseline"; continue
  fi
  # variant A: a suspension at every function entry
  g="$work/p$seed.goc"
  awk '/^\{ \/\* block id: 0 \*\//{ print; print "goc_yield();"; next }
       /^int main/ { print; getline; print; print "goc_yield();"; next }
       { print }' "$c" > "$g"
  if ! "$goc" cc -w -O1 -I"$inc" "$g" -o "$work/a" 2> "$work/err"; then
    buildfail=$((buildfail + 1)); echo "seed $seed: goc build failed: $(head -1 "$work/err")"; continue
  fi
  a=$(timeout 20 "$work/a" 2>&1)
  if [[ "$a" == "$base" ]]; then same=$((same + 1)); echo "seed $seed: same"
  else differ=$((differ + 1)); echo "seed $seed: DIFFERENT (gcc: $base; goc: ${a:0:200})"; fi
done
total=$((same + differ + buildfail))
echo "csmith variant A: $same/$total identical, $differ different, $buildfail not built by goc, $nobase seeds without a gcc baseline"
[[ $differ -eq 0 && $buildfail -eq 0 ]]
