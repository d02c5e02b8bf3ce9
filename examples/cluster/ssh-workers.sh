#!/usr/bin/env bash
# Starts one `coex worker` per host over ssh, in the background, each logging to
# ~/coex-worker-RUN-PID.log on its host; returns at once. The hosts need the same coex (and plugins)
# at COEX (default: coex on their PATH), the dataset at the config's data_dir (relative paths
# are taken from WORKDIR), and a ~/.pgpass line for the database (the password never goes on a
# command line).
#
#   examples/cluster/ssh-workers.sh 'postgresql://coex@db:5432/coex?run=r1' host1 host2 ...
#   THREADS=2 COEX=/opt/coex/bin/coex WORKDIR=/data/coex examples/cluster/ssh-workers.sh URL hosts...
#
# Then start the leader anywhere: coex run CONFIG --storage URL. The workers leave when it ends.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 STORAGE_URL HOST [HOST...]  (env: COEX, THREADS, WORKDIR, SSH)" >&2
  exit 2
fi
url=$1; shift
coex=${COEX:-coex}
threads=${THREADS:-1}
workdir=${WORKDIR:-.}
ssh_cmd=${SSH:-ssh}
run=$(printf '%s' "$url" | sed -n 's/.*[?&]run=\([^&]*\).*/\1/p')
for host in "$@"; do
  # nohup + setsid: the worker outlives the ssh session; its pid is printed for `kill`.
  $ssh_cmd -o BatchMode=yes "$host" \
    "cd '$workdir' || exit 2; setsid nohup '$coex' worker --storage '$url' --threads $threads \
       > ~/coex-worker-${run:-run}-\$\$.log 2>&1 < /dev/null & echo \"$host: worker pid \$! (log ~/coex-worker-${run:-run}-\$\$.log)\""
done
