#!/usr/bin/env bash
# Runs every cmocka unit test (tests/unit/test_*.c) under valgrind memcheck:
# any invalid access, use of uninitialised memory or definite/indirect leak
# fails the run. Uses its own plain (non-sanitizer) build: valgrind and ASan
# do not mix. Tests run in parallel, slowest first; each keeps its output in
# $BUILD/tests/<test>.out and valgrind's report in <test>.valgrind.log. A test
# that fails is run again with --track-origins=yes so its log says where an
# uninitialised value came from (too slow to pay on every run).
#
#   scripts/valgrind-unit.sh                 every unit test
#   scripts/valgrind-unit.sh test_number     only the named ones
#   HANGAR_VALGRIND_BUILD_DIR=DIR            build directory (default: build/valgrind)
#   HANGAR_VALGRIND_JOBS=N                   tests run at once (default: nproc)
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD="${HANGAR_VALGRIND_BUILD_DIR:-build/valgrind}"
JOBS="${HANGAR_VALGRIND_JOBS:-$(nproc)}"
start=$SECONDS
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DHANGAR_SANITIZE=OFF >/dev/null
cmake --build "$BUILD" -j "$JOBS"
BUILD="$(cd "$BUILD" && pwd)"

# Longest under valgrind first (measured: PBKDF2's million HMACs, Lua memory
# bombs, a live emulator), so the parallel run ends with short tests.
SLOW_FIRST=(test_dp_secrets test_lua_sandbox test_lua_runtime test_dp_providers_live test_dp_program test_ddb_query)
tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
  tests=("${SLOW_FIRST[@]}")
  for f in tests/unit/test_*.c; do
    t="$(basename "$f" .c)"
    [[ " ${SLOW_FIRST[*]} " == *" $t "* ]] || tests+=("$t")
  done
fi

# Unit tests that start the real emulator find it here (it runs natively:
# valgrind does not follow exec).
export HANGAR_EMULATOR="$BUILD/hangar-emulator"
# The tests' time budgets grow under valgrind (tests/unit/valgrind_budget.h);
# this tells them so even where <valgrind/valgrind.h> was missing at build time.
export HANGAR_UNDER_VALGRIND=1
# OpenSSL's scalar SHA-256 runs about a quarter faster under memcheck than its
# SSSE3/AVX code (valgrind emulates vector instructions slowly); this masks the
# SSSE3 and AES-NI CPUID bits for libcrypto only.
export OPENSSL_ia32cap="~0x200000200000000"
SUPP=()
[ -f tests/valgrind.supp ] && SUPP=(--suppressions="$PWD/tests/valgrind.supp")
export VG_SUPP="${SUPP[*]:-}"

run_one() {
  local t="$1" exe="$BUILD/tests/$1" log="$BUILD/tests/$1.valgrind.log" out="$BUILD/tests/$1.out"
  local vg=(valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect
            --show-leak-kinds=definite,indirect --quiet $VG_SUPP)
  local t0=$SECONDS rc=0
  if [ ! -x "$exe" ]; then echo "not built" >"$out"; rc=1
  else
    # a hung test fails after 15 minutes instead of stalling CI
    timeout 900 "${vg[@]}" --log-file="$log" "$exe" >"$out" 2>&1 || rc=$?
    if [ $rc -ne 0 ]; then
      timeout 900 "${vg[@]}" --track-origins=yes --log-file="$log" "$exe" >"$out" 2>&1 || true
    fi
  fi
  echo "$rc $((SECONDS - t0))" >"$BUILD/tests/$t.valgrind.result"
  printf '== valgrind %-28s %s  %4ds\n' "$t" "$([ $rc -eq 0 ] && echo ok || echo FAILED)" "$((SECONDS - t0))"
}
export -f run_one
export BUILD

rm -f "$BUILD"/tests/*.valgrind.result
printf '%s\n' "${tests[@]}" | xargs -P "$JOBS" -I{} bash -c 'run_one "$1"' _ {}

failed=()
for t in "${tests[@]}"; do
  read -r rc _ <"$BUILD/tests/$t.valgrind.result" 2>/dev/null || rc=1
  if [ "$rc" != 0 ]; then
    echo "---- $t (exit $rc): output"; tail -30 "$BUILD/tests/$t.out"
    echo "---- $t: valgrind"; cat "$BUILD/tests/$t.valgrind.log" 2>/dev/null || true
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "valgrind-unit: FAILED: ${failed[*]} ($((SECONDS - start)) s)"
  exit 1
fi
echo "valgrind-unit: all ${#tests[@]} unit tests clean under valgrind ($((SECONDS - start)) s with the build)"
