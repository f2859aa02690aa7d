#!/usr/bin/env bash
# cmake.consumer: builds tests/cmake/consumer, a project that uses goc the way
# an adopter would, four ways, and checks its output:
#   (a) add_subdirectory of the goc source tree (Ninja; a Release build
#       with CMAKE_C_FLAGS set, which the transforms must see);
#   (b) find_package(goc CONFIG) after `cmake --install` of the goc build
#       tree (Unix Makefiles), and pkg-config's goc.pc;
#   (c) the rebuild after touching a header: only the transforms that read it
#       rerun (Ninja, tree of (a));
#   (d) a Makefile with `goc cc`;
#   (e) a target whose .goc draws warnings, with a launcher of its own:
#       the messages as goc cc gives them (goc launch).
# Usage: run.sh GOC_SOURCE_DIR GOC_BINARY_DIR GOC_EXECUTABLE
set -euo pipefail
src=$1; bin=$2; goc=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/goc-cmake-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }
want=$'sum of squares: 3465\nticks: 4'
check_output() {  # check_output EXE WHAT
  local got
  got=$("$1") || fail "$2: $1 exited with $?"
  [[ "$got" == "$want" ]] || fail "$2: output"$'\n'"$got"$'\n'"wanted"$'\n'"$want"
}
jobs=$(nproc 2>/dev/null || echo 2)
gen=(-G Ninja); command -v ninja >/dev/null || gen=(-G "Unix Makefiles")

# A copy of the consumer: step (c) touches its header.
cp -r "$src/tests/cmake/consumer" "$work/consumer"

step "(a) add_subdirectory(${src})"
cmake -S "$work/consumer" -B "$work/a" "${gen[@]}" -DGOC_SOURCE_DIR="$src" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS=-DCONSUMER_C_FLAGS >/dev/null
cmake --build "$work/a" -j "$jobs" >/dev/null || { cmake --build "$work/a" -j1; fail "(a) build"; }
check_output "$work/a/app/consumer" "(a)"
# The call into the other target went through its index: a goroutine call.
grep -q 'sum_squares__frame' "$work/a/app/goc/consumer/main.goc.c" \
  || fail "(a) sum_squares (pipeline) not lowered as a goroutine call in main.goc"
# The transform preprocessed with CMAKE_C_FLAGS and CMAKE_C_FLAGS_RELEASE.
grep -q 'consumer_c_flags_seen' "$work/a/app/goc/consumer/main.goc.c" \
  || fail "(a) the transform of main.goc did not see CMAKE_C_FLAGS and CMAKE_C_FLAGS_RELEASE"

step "(b) find_package(goc CONFIG) from cmake --install ${bin}"
cmake --install "$bin" --prefix "$work/prefix" >/dev/null
for f in bin/goc lib/libgoc.a include/goc/goc.h include/goc/goc_abi.h \
         lib/cmake/goc/gocConfig.cmake lib/cmake/goc/gocConfigVersion.cmake \
         lib/cmake/goc/GocFunctions.cmake lib/pkgconfig/goc.pc share/goc/goc-gdb.py; do
  [[ -e "$work/prefix/$f" ]] || fail "(b) not installed: $f"
done
cmake -S "$work/consumer" -B "$work/b" -G "Unix Makefiles" \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/b" -j "$jobs" >/dev/null || { cmake --build "$work/b" -j1; fail "(b) build"; }
check_output "$work/b/app/consumer" "(b)"
grep -q "$work/prefix/bin/goc" "$work/b/app/CMakeFiles/consumer.dir/build.make" \
  || fail "(b) the transform did not use the installed goc"
if command -v pkg-config >/dev/null; then
  cat > "$work/pc.c" <<'C'
#include <goc.h>
#include <stdio.h>
int main(void) { printf("%d\n", goc_nprocs() > 0); return 0; }
C
  # shellcheck disable=SC2046
  cc "$work/pc.c" -o "$work/pc" $(PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" pkg-config --cflags --libs goc) \
    || fail "(b) pkg-config goc: compile"
  [[ "$("$work/pc")" == 1 ]] || fail "(b) pkg-config goc: run"
fi

step "(c) rebuild after touching pipeline.h"
# (goc's CONFIGURE_DEPENDS globs are always checked: look for real work.)
up_to_date() { ! ninja -C "$work/a" -n | grep -E 'goc transform|Building|Linking'; }
if [[ "${gen[1]}" == Ninja ]]; then
  up_to_date || fail "(c) (a) not up to date"
  sleep 1
  touch "$work/consumer/pipeline/include/pipeline.h"
  log=$(ninja -C "$work/a")
  echo "$log" | grep 'goc transform'
  for f in pipeline.goc main.goc; do
    grep -q "goc transform $f" <<<"$log" || fail "(c) $f (includes pipeline.h) not transformed again"
  done
  ! grep -q "goc transform ticks.goc" <<<"$log" || fail "(c) ticks.goc transformed again"
  check_output "$work/a/app/consumer" "(c)"
  up_to_date || fail "(c) not up to date after the rebuild"
else
  echo "(no ninja: skipped)"
fi

step "(d) Makefile with goc cc ($goc)"
make -s -C "$work/consumer" GOC="$goc" >/dev/null || fail "(d) make"
check_output "$work/consumer/consumer" "(d)"

step "(e) warnings of a goc target through its compiler launcher"
cmake -S "$src/tests/cmake/warnings" -B "$work/e" "${gen[@]}" -DGOC_SOURCE_DIR="$src" \
  -DCMAKE_C_COMPILER_LAUNCHER=env >/dev/null
cmake --build "$work/e" -j "$jobs" > "$work/e.log" 2>&1 || { cat "$work/e.log"; fail "(e) build"; }
[[ "$("$work/e/warnings")" == $'lt\n1' ]] || fail "(e) output"
for want_msg in "main.goc: In function .f.:" "main.goc:6:9: warning: comparison of integer expressions of different signedness" \
                "main.goc:8:1: warning: control reaches end of non-void function"; do
  grep -q "$want_msg" "$work/e.log" || { cat "$work/e.log"; fail "(e) no message '$want_msg'"; }
done
! grep -E "__step|goc__|goc_L" "$work/e.log" || fail "(e) goc's own names in the messages"
echo PASS
