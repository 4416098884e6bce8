#!/usr/bin/env bash
# Container entrypoint (under tini), in the docker-library style: prepare, then
# `exec "$@"`. The image's CMD is `start-node` (the grid node that holds
# Processor-0); `docker run IMAGE doctor`, `bash` or any command get the same
# preparation, then run instead.
#
# The preparation is one Python process (src/biomero_worker/startup.py: the image's
# steps and a site's own executable files of /startup, in one lexical order). It
# writes only to stderr: stdout belongs to the command. What it prints on stdout is
# for this script: NAME=VALUE lines that give a uid the image does not know its
# passwd entry (nss_wrapper), exported for the command. Before the node a failing
# step stops the container; before another command it is reported and the command
# still runs, so that `docker run IMAGE doctor` reports a broken config or an absent
# database instead of dying before it can say so.
#
# The environment is otherwise passed on unchanged: what a deployer's variables mean
# is decided in src/biomero_worker/layout.py, so that `docker exec` processes, which
# never pass through here, see exactly what the node sees.
set -euo pipefail

if [ $# -eq 0 ]; then set -- start-node; fi
if [ "$1" = start-node ]; then
  export BIOMERO_WORKER_START=node
else
  export BIOMERO_WORKER_START=command
fi

rc=0
assignments=$(python -m biomero_worker prepare) || rc=$?
while IFS= read -r assignment; do
  if [ -n "$assignment" ]; then export "${assignment?}"; fi
done <<<"$assignments"
if [ "$rc" -ne 0 ]; then
  if [ "$BIOMERO_WORKER_START" = node ]; then exit "$rc"; fi
  echo "entrypoint: the preparation failed (exit $rc, see above); running '$1' anyway" >&2
fi
exec "$@"
