#!/usr/bin/env bash
# Installs every Debian 12 package coex needs to build, test and benchmark.
# Idempotent: packages already present are skipped by apt. Run as root (or with sudo).
set -euo pipefail
PKGS=(
  build-essential cmake ninja-build ccache git pkg-config clang-format
  clang libclang-rt-14-dev
  libtorch-dev libopenblas0-openmp
  libboost-dev libtomlplusplus-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libcli11-dev nlohmann-json3-dev libsqlite3-dev
  libnlopt-cxx-dev libeigen3-dev zlib1g-dev
  dataset-fashion-mnist
  libjs-chart.js chromium fonts-dejavu-core libstb-dev
  python3-onnx
  libpq-dev postgresql
)
# Node.js and npm run the independent checks of coex deploy (tools/deploy/check): Debian's,
# unless the machine already has a node.
command -v node >/dev/null 2>&1 || PKGS+=(nodejs)
command -v npm >/dev/null 2>&1 || PKGS+=(npm)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  # PostgreSQL's server binaries are for the tests, which start their own temporary cluster on
  # a free loopback port and stop it (tests/support/postgres.hpp): no default cluster is made.
  if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
    $SUDO mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.conf >/dev/null
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # --force-confold keeps the createcluster.conf written above.
  $SUDO apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confdef \
    -o Dpkg::Options::=--force-confold "${missing[@]}"
fi
# torch must not use the pthread OpenBLAS (it fights torch's own thread pool).
if [ -x /usr/bin/update-alternatives ]; then
  alt=$(update-alternatives --list libblas.so.3-x86_64-linux-gnu 2>/dev/null | grep openmp | head -n1 || true)
  if [ -n "$alt" ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO update-alternatives --set libblas.so.3-x86_64-linux-gnu "$alt" >/dev/null
    alt=$(update-alternatives --list liblapack.so.3-x86_64-linux-gnu 2>/dev/null | grep openmp | head -n1 || true)
    [ -n "$alt" ] && $SUDO update-alternatives --set liblapack.so.3-x86_64-linux-gnu "$alt" >/dev/null
  fi
fi

# The independent checkers of coex deploy's output (ONNX Runtime, quantum-circuit) from the npm
# registry, at the versions package-lock.json pins; the install scripts are skipped (they fetch
# GPU builds; the CPU runtime is in the package).
check="$(dirname "$0")/../tools/deploy/check"
if [ ! -f "$check/node_modules/.package-lock.json" ] ||
   [ "$check/package-lock.json" -nt "$check/node_modules/.package-lock.json" ]; then
  (cd "$check" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
