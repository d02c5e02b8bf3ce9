#!/usr/bin/env bash
# Builds the libFuzzer targets (CMake preset `fuzz`: clang with AddressSanitizer and
# UndefinedBehaviorSanitizer) and runs each for SECONDS (default 30):
#   scripts/fuzz.sh [SECONDS] [NAME...]        NAME: config ir_json manifest csv store
# Each target first replays its regressions (tests/fuzz/regressions/<name>/: inputs that crashed
# once; any failure there fails the script), then fuzzes from its seed corpus
# (tests/fuzz/corpus/<name>/, read only) into build-fuzz/corpus/<name>/ (kept between runs).
# Prints executions and coverage per target. Exit status 1 if a target crashed; the input is in
# build-fuzz/artifacts/. Uses clang and libclang-rt-14-dev (installed by scripts/setup-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
shift || true
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(config ir_json manifest csv store)

export CCACHE_BASEDIR="$PWD"
export CCACHE_NOHASHDIR=1
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j 2 >/dev/null

mkdir -p build-fuzz/artifacts
failed=0
printf '%-10s %12s %10s %10s %8s\n' target executions exec/s coverage features
for name in "${names[@]}"; do
  bin="build-fuzz/bin/fuzz_$name"
  [ -x "$bin" ] || { echo "fuzz.sh: no target '$name' (known: config ir_json manifest csv store)" >&2; exit 2; }
  log="build-fuzz/artifacts/$name.log"
  if [ -d "tests/fuzz/regressions/$name" ] && [ -n "$(ls -A "tests/fuzz/regressions/$name")" ]; then
    if ! "$bin" -runs=0 "tests/fuzz/regressions/$name"/* >"$log.regressions" 2>&1; then
      echo "fuzz.sh: $name: a regression input fails again (log: $log.regressions)" >&2
      failed=1
      continue
    fi
  fi
  mkdir -p "build-fuzz/corpus/$name"
  if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="build-fuzz/artifacts/$name-" \
       "build-fuzz/corpus/$name" "tests/fuzz/corpus/$name" >"$log" 2>&1; then
    :
  else
    echo "fuzz.sh: $name crashed; input and log in build-fuzz/artifacts/ ($log)" >&2
    failed=1
  fi
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
  rate=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo "?")
  ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo "?")
  printf '%-10s %12s %10s %10s %8s\n' "$name" "$runs" "$rate" "$cov" "$ft"
done
exit "$failed"
