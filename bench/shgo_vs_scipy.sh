#!/usr/bin/env bash
# Benchmark: coex's SHGO against scipy.optimize.shgo (Debian python3-scipy) on the same
# functions, in one run: minimum, evaluations and wall time per problem, and the time ratio.
# Usage: bench/shgo_vs_scipy.sh [--quick]   (after the build; --quick skips scipy's ~80 s 10-D run)
set -euo pipefail
cd "$(dirname "$0")/.."
if ! /usr/bin/python3 -c "import scipy" 2>/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-scipy >/dev/null
fi
coex_out=$(./build/bin/coex_shgo_bench)
scipy_out=$(/usr/bin/python3 bench/shgo_scipy.py "$@")
printf "%-28s %-30s %-30s %s\n" problem "coex: f / nfev / seconds" "scipy: f / nfev / seconds" "scipy/coex"
join <(sort <<<"$coex_out") <(sort <<<"$scipy_out") | awk '{
  split($2, cf, "="); split($3, cn, "="); split($4, cs, "=");
  if ($5 == "skipped") { printf "%-28s %-30s %-30s %s\n", $1, cf[2] " / " cn[2] " / " cs[2], "skipped", "-"; next }
  split($5, sf, "="); split($6, sn, "="); split($7, ss, "=");
  printf "%-28s %-30s %-30s %.0fx\n", $1, cf[2] " / " cn[2] " / " cs[2], sf[2] " / " sn[2] " / " ss[2], ss[2] / cs[2] }'
