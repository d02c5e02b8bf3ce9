#!/usr/bin/env bash
# Open MPI as a launcher only (coex does not use MPI): N `coex worker` processes over the hosts
# of a hostfile (or this machine). Blocks until the run ends.
#
#   examples/cluster/mpirun-workers.sh 4 'postgresql://coex@db:5432/coex?run=r1' [--hostfile hosts]
#
# The password comes from PGPASSWORD (exported to every rank with -x) or ~/.pgpass on each host.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 N STORAGE_URL [mpirun options...]  (env: COEX, THREADS)" >&2
  exit 2
fi
n=$1; url=$2; shift 2
extra=()
[ "$(id -u)" -eq 0 ] && extra+=(--allow-run-as-root)
[ -n "${PGPASSWORD:-}" ] && extra+=(-x PGPASSWORD)
exec mpirun -np "$n" --oversubscribe "${extra[@]}" "$@" \
  "${COEX:-coex}" worker --storage "$url" --threads "${THREADS:-1}"
