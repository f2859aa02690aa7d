#!/usr/bin/env bash
# Builds the transformer's libFuzzer harness with clang and runs it for
# SECONDS seconds (default 30) on the .goc fixtures as seeds. Fails on a
# crash, a hang or a sanitizer report; the reproducer is left in WORK.
# Usage: fuzz.sh SOURCE_DIR WORK_DIR [SECONDS]
set -eu
src=$1; work=$2; secs=${3:-30}
clang=$(command -v clang-14 || command -v clang || true)
[ -n "$clang" ] || { echo "no clang: skipped"; exit 0; }
mkdir -p "$work/corpus"
cp "$src"/fixtures/run/*.goc "$src"/fixtures/errors/*.goc "$src"/tests/behaviour/*.goc "$work/corpus/"
"$clang" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -DGOC_FUZZ_GOC_H="\"$src/runtime/include/goc.h\"" \
  -DGOC_LIBCLANG_PATH="\"/usr/lib/llvm-19/lib/libclang-19.so\"" \
  -I"$src/grammar/src" -I/usr/lib/llvm-19/include \
  "$src/transform/fuzz/fuzz_transform.c" \
  $(ls "$src"/transform/src/*.c | grep -v '/main.c$') \
  "$src/grammar/src/parser.c" "$src/grammar/src/scanner.c" \
  -ltree-sitter -ldl \
  -o "$work/fuzz_transform" 2> "$work/build.log" || { cat "$work/build.log"; exit 1; }
cd "$work"
ASAN_OPTIONS=detect_leaks=0:quarantine_size_mb=64 ./fuzz_transform -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 \
  -max_len=4096 corpus > fuzz.log 2>&1 || { tail -60 fuzz.log; exit 1; }
tail -3 fuzz.log
