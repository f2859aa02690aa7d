#!/usr/bin/env bash
# bench/same_output.sh BASE_GOC [N_CSMITH] — whether this build's
# transformer writes what BASE_GOC (a saved copy of an earlier build's
# build/transform/goc) writes, byte for byte: the lowered C, the
# diagnostics and the exit status of `goc transform` on every .goc file
# under fixtures/, examples/ and tests/ (a run fixture with the flags and
# .goc peers of its recipe line, as tests/goc_test.sh builds it), and on
# csmith seeds 1..N_CSMITH (default 12), variants A and B, made as
# tests/csmith.sh makes them (GOC_NO_CHECK=1, as goc cc transforms).
# Both binaries read the headers of this build (GOC_INCLUDE_DIR), so a copy
# kept outside the build tree lowers as it did in place. Prints each file
# that differs and a count; exits 1 if any differs.
# Use: cp build/transform/goc /tmp/goc.base; (change, rebuild);
#      bench/same_output.sh /tmp/goc.base
set -uo pipefail
base=${1:?usage: same_output.sh BASE_GOC [N_CSMITH]}
ncs=${2:-12}
here=$(cd "$(dirname "$0")/.." && pwd)
new=${GOC:-$here/build/transform/goc}
mutate=${CSMITH_MUTATE:-$here/build/tests/csmith_mutate}
export GOC_INCLUDE_DIR=${GOC_INCLUDE_DIR:-$here/build/include}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
files=0 bad=0 lowered=0

# one GOC FILE FLAGS...: the transform's output, diagnostics and status
# in $work/<tag>.{c,err,rc}, tagged by which binary ran.
one() {
  local tag=$1 goc=$2 file=$3; shift 3
  rm -f "$work/out.c"   # one output name for both: the text may name it
  "$goc" transform "$file" "${peers[@]+"${peers[@]}"}" -o "$work/out.c" -- "$@" \
    > "$work/$tag.out" 2> "$work/$tag.err"
  echo $? > "$work/$tag.rc"
  if [[ -e $work/out.c ]]; then mv "$work/out.c" "$work/$tag.c"; else echo "(no output)" > "$work/$tag.c"; fi
}

compare() {
  local file=$1; shift
  files=$((files + 1))
  one base "$base" "$file" "$@"
  one new "$new" "$file" "$@"
  [[ $(cat "$work/new.rc") == 0 ]] && lowered=$((lowered + 1))
  for k in c err out rc; do
    if ! cmp -s "$work/base.$k" "$work/new.$k"; then
      bad=$((bad + 1)); echo "DIFFERS ($k): $file $*"; return
    fi
  done
}

while IFS= read -r f; do
  peers=() flags=()
  recipe=$(head -1 "$f")
  if [[ $recipe == "// run"* ]]; then
    for tok in ${recipe#// run}; do
      case "$tok" in
        flags=*) IFS=, read -r -a flags <<< "${tok#flags=}"
                 flags=("${flags[@]//@DIR@/$(dirname "$f")}") ;;
        with=*) IFS=, read -r -a parts <<< "${tok#with=}"
                for p in "${parts[@]}"; do
                  [[ $p == *.goc ]] && peers+=(--peer "$(dirname "$f")/$p")
                done ;;
      esac
    done
    flags=(-O2 -g -Wall -Wextra "${flags[@]+"${flags[@]}"}")
  fi
  compare "$f" "${flags[@]+"${flags[@]}"}"
done < <(cd "$here" && find fixtures examples tests -name '*.goc' | sort | sed "s|^|$here/|")

peers=()
export GOC_NO_CHECK=1
for ((seed = 1; seed <= ncs; seed++)); do
  c="$work/p$seed.c"
  csmith --seed "$seed" --no-bitfields --no-packed-struct --max-funcs 8 > "$c" 2>/dev/null || continue
  for v in A B; do
    g="$work/p${seed}_$v.goc"
    "$mutate" "$v" "$seed" < "$c" > "$g"
    compare "$g" -w -O1 -I/usr/include/csmith
  done
done
echo "same_output: $((files - bad))/$files identical ($lowered lowered, the rest refused)"
[[ $bad -eq 0 ]]
