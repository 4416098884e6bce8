#!/usr/bin/env bash
# The image's CMD: the OMERO.grid node that holds Processor-0. Refuses to start when
# biomero's detached workflows are asked for (no supervisor here). Resolves master and
# worker (bounded), writes etc/internal.cfg, etc/$OMERO_WORKER_NAME.cfg and
# etc/ice.config (src/biomero_worker/node.py), then becomes icegridnode, so that
# tini's SIGTERM reaches it. Beside it, the log follower copies the node's, the
# Processor's and the scripts' log files to the container's log (log_forward.py);
# the node starts once the follower has taken the files' current ends (else its
# first lines would count as old), and the follower ends with the node.
set -euo pipefail

cd "${OMERODIR:?OMERODIR is not set}"
# node-config refuses first when BIOMERO_DETACHED_WORKFLOWS is true: scripts would
# queue runs no supervisor here ever runs (src/biomero_worker/detached.py says why).
cfg=$(python -m biomero_worker node-config)
ready=$(mktemp -u "${TMPDIR:-/tmp}/log-forward.XXXXXX")
python -m biomero_worker log-forward --ready "$ready" &
for _ in $(seq 100); do
  [ -e "$ready" ] && break
  sleep 0.1
done
if [ -e "$ready" ]; then
  rm -f "$ready"
else
  echo "start-node: the log follower is not ready after 10 s; the node's first lines may be missing from this log" >&2
fi
echo "start-node: exec icegridnode --Ice.Config=$cfg"
exec icegridnode --nochdir "--Ice.Config=$cfg"
