#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs each for a bounded
# time on its seed corpus (tests/fuzz/corpus/<target>). New interesting inputs
# are kept in the build tree; a crash leaves crash-* / leak-* files in the
# build tree's fuzz/ folder and makes this script fail.
#
#   scripts/fuzz.sh            10 s per target
#   scripts/fuzz.sh 600        ten minutes each
#   scripts/fuzz.sh 60 expr    only the named targets (number expr ddb_request
#                              apigw_route yaml lua_json)
#   HANGAR_FUZZ_BUILD_DIR=DIR  build directory (default: build/fuzz)
#   HANGAR_FUZZ_RUNS=N         N inputs per target from a fixed seed instead of
#                              a time budget: the same run on every machine,
#                              which is what scripts/test.sh uses
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH="${1:-10}"
shift || true
BUILD="${HANGAR_FUZZ_BUILD_DIR:-build/fuzz}"

cmake -S . -B "$BUILD" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
      -DHANGAR_SANITIZE=ON -DHANGAR_FUZZ=ON >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in tests/fuzz/fuzz_*.c; do t="$(basename "$f" .c)"; targets+=("${t#fuzz_}"); done
fi
cmake --build "$BUILD" -j "$(nproc)" --target $(printf 'fuzz_%s ' "${targets[@]}")

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
out="$BUILD/tests/fuzz"
if [ -n "${HANGAR_FUZZ_RUNS:-}" ]; then what="$HANGAR_FUZZ_RUNS inputs (seed 1)"; else what="${SECONDS_EACH}s"; fi
failed=()
for t in "${targets[@]}"; do
  mkdir -p "$out/corpus/$t" "$out/artifacts/$t"
  echo "== fuzz $t: $what"
  if [ -n "${HANGAR_FUZZ_RUNS:-}" ]; then budget=(-runs="$HANGAR_FUZZ_RUNS" -seed=1)
  else budget=(-max_total_time="$SECONDS_EACH"); fi
  if ! "$out/fuzz_$t" "${budget[@]}" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$out/artifacts/$t/" \
        "$out/corpus/$t" "tests/fuzz/corpus/$t" 2>"$out/$t.log"; then
    tail -40 "$out/$t.log"
    failed+=("$t")
  else
    grep -E "stat::number_of_executed_units|cov:" "$out/$t.log" | tail -2 || true
  fi
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in $out/artifacts/)"
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran $what without a finding"
