#!/usr/bin/env bash
# nb201's executed graph against its functional graph, on measured latencies: runs all 15,625
# NAS-Bench-201 cells through coex twice (prune_dead = false, the default, and true), then prints
# the Spearman rank correlation of each form's MACs, and of the uncalibrated raspberry_pi model's
# latency, with every device column of a measurement file, and the ratio executed / functional.
#   bench/nb201_executed_rank.sh [MEASUREMENTS.csv]
# MEASUREMENTS.csv: `arch` (the cell string) then one latency column per device, e.g. the
# development file ../shared/data/nb201_latency_dev.csv (HW-NAS-Bench and HELP measurements).
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-../shared/data/nb201_latency_dev.csv}"
if [ ! -r "$data" ]; then
  echo "nb201_executed_rank: cannot read the measurement file '$data'. Fix: pass the path of a CSV" \
       "whose first column 'arch' holds NAS-Bench-201 cell strings and whose other columns are" \
       "latencies (the development data is ../shared/data/nb201_latency_dev.csv)" >&2
  exit 2
fi
coex=build/bin/coex
[ -x "$coex" ] || { echo "nb201_executed_rank: build coex first (scripts/coex.sh run)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Accuracy is not the point here: a table of 0.5 for every cell keeps the run training-free.
/usr/bin/env python3 - "$data" "$work/acc.csv" <<'PY'
import csv, sys
with open(sys.argv[2], "w") as out:
    out.write("arch,accuracy\n")
    for row in csv.DictReader(open(sys.argv[1])):
        out.write('"%s",0.5\n' % row["arch"])
PY
for prune in false true; do
  cat > "$work/c_$prune.toml" <<TOML
name = "nb201_rank"
seed = 1
[task]
dataset = "none"
input = [3, 32, 32]
classes = 10
[search_space]
plugin = "nb201"
[search_space.options]
prune_dead = $prune
[hardware]
plugin = "raspberry_pi"
[controller]
plugin = "random"
[estimator]
plugin = "table"
[estimator.options]
file = "$work/acc.csv"
[budget]
candidates = 15625
TOML
  "$coex" run "$work/c_$prune.toml" --out "$work/run_$prune" > "$work/log_$prune" 2>&1 ||
    { cat "$work/log_$prune" >&2; exit 1; }
done
/usr/bin/env python3 bench/rank_vs_measured.py "$data" "$work/run_true/candidates.csv" \
  "$work/run_false/candidates.csv"
