#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine (run as root, or with sudo available):
#   scripts/coex.sh run    install what is missing, build, run configs/quickstart.toml
#   scripts/coex.sh test   install what is missing, build (warnings are errors), run every test,
#                          run the suite again under AddressSanitizer and UndefinedBehaviorSanitizer
#                          (preset asan-core: everything but the LibTorch parts), then each
#                          libFuzzer target for 30 s (scripts/fuzz.sh)
# Extra arguments after `run` are passed to `coex run` (e.g. --set budget.candidates=10).
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-run}"
shift || true

bash scripts/setup-deps.sh

jobs=2
# Relative paths in ccache keys, and (since -g would otherwise hash the working directory) no
# directory in them: clones at other paths (CI) reuse the cache.
export CCACHE_BASEDIR="$PWD"
export CCACHE_NOHASHDIR=1
cmake --preset ci -DCOEX_WERROR=ON >/dev/null
cmake --build --preset ci -j "$jobs"

case "$mode" in
  run)
    exec ./build/bin/coex run configs/quickstart.toml --out runs/quickstart --resume "$@"
    ;;
  test)
    ctest --test-dir build --output-on-failure -j "$jobs" --timeout 900
    # The suite under AddressSanitizer and UndefinedBehaviorSanitizer (frame pointers kept). CI
    # builds it without LibTorch (preset asan-core) to stay within its time: that leaves out the
    # training estimator, the rl controller, the torch bridge and the Raspberry Pi timing tool
    # (their suites pass under the full `asan` preset, which takes three times as long to build).
    cmake --preset asan-core >/dev/null
    cmake --build --preset asan-core -j "$jobs"
    ctest --preset asan-core -j "$jobs" --timeout 900
    # The parsers under libFuzzer with AddressSanitizer and UndefinedBehaviorSanitizer: the
    # regressions (inputs that once crashed) replayed, then 30 s of fuzzing per target.
    bash scripts/fuzz.sh 30
    ;;
  *)
    echo "usage: scripts/coex.sh run|test" >&2
    exit 2
    ;;
esac
