#!/usr/bin/env bash
# The image's CMD: the OMERO.grid node that holds Processor-0. Resolves master and
# worker (bounded), writes etc/internal.cfg, etc/$OMERO_WORKER_NAME.cfg and
# etc/ice.config (src/biomero_worker/node.py), then becomes icegridnode, so that
# tini's SIGTERM reaches it.
set -euo pipefail

cd "${OMERODIR:?OMERODIR is not set}"
cfg=$(python -m biomero_worker node-config)
echo "start-node: exec icegridnode --Ice.Config=$cfg"
exec icegridnode --nochdir "--Ice.Config=$cfg"
