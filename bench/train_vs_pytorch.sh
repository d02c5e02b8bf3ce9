#!/usr/bin/env bash
# Benchmark (b): training throughput of coex's `trained` loop against PyTorch (Debian's
# python3-torch, same LibTorch underneath) on the same network, data and settings, in one run.
# Usage: bench/train_vs_pytorch.sh [images=6000] [threads=2]   (after the build)
set -euo pipefail
cd "$(dirname "$0")/.."
images="${1:-6000}"; threads="${2:-2}"
if ! /usr/bin/python3 -c "import torch, numpy" 2>/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-torch python3-numpy >/dev/null
fi
coex_line=$(./build/bin/coex_train_bench "$images" "$threads")
py_line=$(/usr/bin/python3 bench/train_pytorch.py "$images" "$threads")
echo "$coex_line"
echo "$py_line"
c=$(sed -E 's/.*images_per_s=([0-9.]+).*/\1/' <<<"$coex_line")
p=$(sed -E 's/.*images_per_s=([0-9.]+).*/\1/' <<<"$py_line")
awk -v c="$c" -v p="$p" 'BEGIN { printf "ratio coex/pytorch: %.2fx\n", c / p }'
