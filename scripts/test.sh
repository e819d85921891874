#!/usr/bin/env bash
# Runs every test: installs dependencies, configures and builds, then runs the
# whole suite (cmocka unit tests and black-box tests against the real binary)
# through ctest — once on a normal build and once on an ASan+UBSan build —
# then the unit tests under valgrind memcheck (scripts/valgrind-unit.sh), then
# a short fuzzing pass.
# Exits non-zero on any failure.
#
#   HANGAR_SANITIZE=0 scripts/test.sh   skip the sanitizer pass
#   HANGAR_VALGRIND=0                    skip the valgrind pass over the unit tests
#   HANGAR_FUZZ_RUNS=0                   skip the short fuzzing pass (default 2000 inputs per target)
#   HANGAR_BUILD_DIR=DIR                build directory (default: build/)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

BUILD="${HANGAR_BUILD_DIR:-build}"
JOBS="$(nproc)"

run_suite() {
  local dir="$1"; shift
  cmake -S . -B "$dir" -DHANGAR_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j "$JOBS"
  (cd "$dir" && ctest --output-on-failure -j "$JOBS" --timeout 600)
}

echo "== tests: release build ($BUILD/release)"
run_suite "$BUILD/release" -DCMAKE_BUILD_TYPE=RelWithDebInfo

if [ "${HANGAR_SANITIZE:-1}" != "0" ]; then
  echo "== tests: ASan+UBSan build ($BUILD/sanitize)"
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  run_suite "$BUILD/sanitize" -DCMAKE_BUILD_TYPE=Debug -DHANGAR_SANITIZE=ON
fi
# The unit tests under valgrind: it sees what ASan cannot (reads of
# uninitialised memory) in a plain build.
if [ "${HANGAR_VALGRIND:-1}" != "0" ]; then
  echo "== unit tests under valgrind ($BUILD/valgrind)"
  HANGAR_VALGRIND_BUILD_DIR="$BUILD/valgrind" scripts/valgrind-unit.sh
fi
# A short, deterministic fuzzing pass (fixed seed and input count) over the
# libFuzzer targets; scripts/fuzz.sh with a time budget fuzzes for longer.
if [ "${HANGAR_FUZZ_RUNS:-2000}" != "0" ]; then
  echo "== fuzzing: ${HANGAR_FUZZ_RUNS:-2000} inputs per target ($BUILD/fuzz)"
  HANGAR_FUZZ_RUNS="${HANGAR_FUZZ_RUNS:-2000}" HANGAR_FUZZ_BUILD_DIR="$BUILD/fuzz" scripts/fuzz.sh
fi
echo "== all tests passed"
