#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine:
#   ./build.sh demo    install what is missing, build, run the showcase
#   ./build.sh test    install what is missing, build, run every test
# Debian packages only; nothing else is downloaded.
set -euo pipefail
cd "$(dirname "$0")"
jobs=$(nproc 2>/dev/null || echo 2)

packages=(cmake ninja-build gcc clang-14 libclang-rt-14-dev libc6-dev libclang-19-dev libtree-sitter-dev zlib1g-dev csmith libcsmith-dev gdb)
install_missing() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return
  echo "installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
}

build() {
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
  ninja -C build
}

case "${1:-demo}" in
  demo)
    install_missing
    build
    echo "--- goc run examples/prime_sieve.goc"
    build/transform/goc run examples/prime_sieve.goc
    ;;
  test)
    install_missing
    build
    ctest --test-dir build -j "$jobs" --output-on-failure
    # The runtime's unit tests and the behaviour tests (stress included)
    # again under AddressSanitizer and ThreadSanitizer.
    for san in address thread; do
      cmake -S . -B "build-$san" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGOC_SANITIZE=$san > /dev/null
      ninja -C "build-$san"
      GOC_STRESS_OPS=20000 ctest --test-dir "build-$san" -R '^(runtime|behaviour)\.' -j "$jobs" --output-on-failure
    done
    ;;
  *)
    echo "usage: $0 demo|test" >&2
    exit 2
    ;;
esac
