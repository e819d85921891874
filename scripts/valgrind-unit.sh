#!/usr/bin/env bash
# Runs every cmocka unit test (tests/unit/test_*.c) under valgrind memcheck:
# any invalid access, use of uninitialised memory or definite/indirect leak
# fails the run. Uses its own plain (non-sanitizer) build: valgrind and ASan
# do not mix.
#
#   scripts/valgrind-unit.sh                 every unit test
#   scripts/valgrind-unit.sh test_number     only the named ones
#   HANGAR_VALGRIND_BUILD_DIR=DIR            build directory (default: build/valgrind)
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD="${HANGAR_VALGRIND_BUILD_DIR:-build/valgrind}"
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DHANGAR_SANITIZE=OFF >/dev/null
cmake --build "$BUILD" -j "$(nproc)"

tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
  for f in tests/unit/test_*.c; do tests+=("$(basename "$f" .c)"); done
fi

# Unit tests that start the real emulator find it here (it runs natively).
export HANGAR_EMULATOR="$PWD/$BUILD/hangar-emulator"
failed=()
for t in "${tests[@]}"; do
  exe="$BUILD/tests/$t"
  [ -x "$exe" ] || { echo "valgrind-unit: $exe not built"; failed+=("$t"); continue; }
  log="$BUILD/tests/$t.valgrind.log"
  echo "== valgrind $t"
  if ! valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect \
        --show-leak-kinds=definite,indirect --track-origins=yes --quiet --log-file="$log" \
        "$exe" >"$BUILD/tests/$t.out" 2>&1; then
    tail -20 "$BUILD/tests/$t.out"
    cat "$log"
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "valgrind-unit: FAILED: ${failed[*]}"
  exit 1
fi
echo "valgrind-unit: all ${#tests[@]} unit tests clean under valgrind"
