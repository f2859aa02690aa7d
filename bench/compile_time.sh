#!/usr/bin/env bash
# bench/compile_time.sh [N [FIRST_SEED]] — goc cc's compile time against
# gcc's on csmith programs (issue 9's figure): for seeds FIRST..FIRST+N-1
# (default 1..12) the program is generated and mutated as tests/csmith.sh
# does (VARIANT=B, the default: every function a goroutine function,
# receives inside a random quarter of the subexpressions; VARIANT=A: only
# a goc_yield() at every function entry), then timed:
#   gcc      gcc -w -O1 on the original (compile and link);
#   goc      goc cc -w -O1 on variant B (compile and link);
#   xform    goc transform (GOC_NO_CHECK=1: goc cc runs no check unless the
#            text needs libclang), its preprocessor included;
#   lowered  the compile and link goc cc runs, on that lowered C;
#   twin     gcc -w -O1 on variant B as plain C, each receive and each
#            goc_yield() a call of a function gcc cannot see into: the same
#            opaque calls without resume points. What gcc can still fold
#            between the calls it folds (on most seeds gcc -O1 makes the
#            original a few hundred bytes of code); after a resume point of
#            the lowered C every local is unknown, so nothing folds there.
# Times are CPU seconds, user+sys, children included (/usr/bin/time), the
# least of REPS runs (default 1; on a busy machine one run can be 20% off).
# Sizes: the lowered C against variant B's preprocessed text (gcc -E).
# Prints one row per seed, then the totals; ratios are against gcc.
# CC picks the compiler (default gcc) for both sides; the seed's program
# must be one gcc builds (seeds it cannot are skipped, as csmith.sh does).
# Needs the Debian packages csmith and libcsmith-dev, and a build in build/.
set -uo pipefail
n=${1:-12}
first=${2:-1}
variant=${VARIANT:-B}
here=$(cd "$(dirname "$0")" && pwd)
goc=${GOC:-$here/../build/transform/goc}
mutate=${CSMITH_MUTATE:-$here/../build/tests/csmith_mutate}
inc=/usr/include/csmith
cc=${CC:-gcc}
command -v csmith >/dev/null && [[ -d $inc ]] || { echo "compile_time.sh: csmith not installed (apt-get install csmith libcsmith-dev)"; exit 2; }
[[ -x /usr/bin/time ]] || { echo "compile_time.sh: needs /usr/bin/time (Debian package time)"; exit 2; }
# what cc_command adds for gcc (driver.c's lowered_c_gcc_budgets)
gccparam=
v=$("$cc" --version 2>/dev/null)
[[ $v == *"Free Software Foundation"* && $v != *clang* ]] &&
  gccparam="--param=dse-max-alias-queries-per-store=8 --param=sccvn-max-alias-queries-per-access=32 --param=max-cselib-memory-locations=100"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# cpu CMD...: runs CMD (output discarded) and prints its user+sys seconds;
# fails as CMD does.
reps=${REPS:-1}
cpu() {
  local best=
  for ((r = 0; r < reps; r++)); do
    /usr/bin/time -f "%U %S" -o "$work/t" "$@" > /dev/null 2> "$work/cpu.err" || return 1
    best=$(awk -v b="$best" '{ t = $1 + $2; printf "%.2f", (b == "" || t < b ? t : b) }' "$work/t")
  done
  echo "$best"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

printf "%-6s %7s %7s %7s %7s %7s %7s %7s %6s\n" seed gcc goc xform lowered twin goc/gcc low/gcc size
tg=0 tc=0 tx=0 tl=0 tt=0 tp=0 to=0
for ((seed = first; seed < first + n; seed++)); do
  c="$work/p$seed.c" g="$work/p${seed}_$variant.goc"
  csmith --seed "$seed" --no-bitfields --no-packed-struct --max-funcs 8 > "$c" 2>/dev/null || continue
  tgcc=$(cpu "$cc" -w -O1 -I"$inc" "$c" -o "$work/base") || { echo "seed $seed: gcc cannot build it"; continue; }
  "$mutate" "$variant" "$seed" < "$c" > "$g"
  if ! tgoc=$(CC="$cc" cpu "$goc" cc -w -O1 -I"$inc" "$g" -o "$work/a"); then
    echo "seed $seed: goc cc failed: $(grep -m1 error "$work/cpu.err")"; continue
  fi
  lowered="$work/p${seed}_$variant.c"
  txf=$(GOC_NO_CHECK=1 CC="$cc" cpu "$goc" transform "$g" -o "$lowered" -- -w -O1 -I"$inc") ||
    { echo "seed $seed: goc transform failed"; continue; }
  # the command driver.c's cc_command and driver_cc_build run
  tlow=$(cpu "$cc" -I "$here/../runtime/include" -Werror=incompatible-pointer-types $gccparam -w -O1 -I"$inc" \
    -iquote "$work" "$lowered" "$(dirname "$goc")/../runtime/libgoc.a" -lpthread -lz -lm -o "$work/a2") ||
    { echo "seed $seed: the lowered C does not build again"; continue; }
  sed -e 's/<-cs_zero/cs_opaque()/g' -e 's/goc_yield();/cs_opaque();/g' \
    -e 's/cs_zero = chan_make(int, 64); go cs_feed();//' \
    -e 's/^static chan(int) cs_zero;/__attribute__((noipa)) int cs_opaque(void) { return 0; }/' \
    -e '/^static void cs_feed(void)/d' "$g" > "$work/twin.c"
  # variant A has no cs_zero to replace: the opaque function comes first
  grep -q '^__attribute__((noipa)) int cs_opaque' "$work/twin.c" ||
    sed -i '1i __attribute__((noipa)) int cs_opaque(void) { return 0; }' "$work/twin.c"
  ttw=$(cpu "$cc" -w -O1 -I"$inc" "$work/twin.c" -o "$work/twin") || ttw=-
  pp=$("$cc" -E -w -I"$inc" -x c "$g" 2>/dev/null | wc -c)
  out=$(wc -c < "$lowered")
  printf "%-6s %7s %7s %7s %7s %7s %7s %7s %6s\n" "$seed" "$tgcc" "$tgoc" "$txf" "$tlow" "$ttw" \
    "$(ratio "$tgoc" "$tgcc")" "$(ratio "$tlow" "$tgcc")" "$(ratio "$out" "$pp")"
  tg=$(awk -v a="$tg" -v b="$tgcc" 'BEGIN { print a + b }')
  tc=$(awk -v a="$tc" -v b="$tgoc" 'BEGIN { print a + b }')
  tx=$(awk -v a="$tx" -v b="$txf" 'BEGIN { print a + b }')
  tl=$(awk -v a="$tl" -v b="$tlow" 'BEGIN { print a + b }')
  tt=$(awk -v a="$tt" -v b="$ttw" 'BEGIN { print a + b }')
  tp=$((tp + pp)) to=$((to + out))
done
printf "%-6s %7.2f %7.2f %7.2f %7.2f %7.2f %7s %7s %6s\n" total "$tg" "$tc" "$tx" "$tl" \
  "$tt" "$(ratio "$tc" "$tg")" "$(ratio "$tl" "$tg")" "$(ratio "$to" "$tp")"
