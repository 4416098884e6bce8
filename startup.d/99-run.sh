#!/usr/bin/env bash
# Last script, exec'd by the entrypoint (so SIGTERM from tini reaches icegridnode).
# With a command (`doctor`, `bash`, ...): run it instead of the node.
# Otherwise: resolve master and worker addresses (bounded), write
# etc/internal.cfg, etc/$OMERO_WORKER_NAME.cfg and etc/ice.config, and exec
# icegridnode in the foreground; the master's descriptor places Processor-0 on it.
set -euo pipefail

if [ $# -gt 0 ]; then
  exec "$@"
fi

cd "${OMERODIR:?OMERODIR is not set}"
cfg=$(python -m biomero_worker node-config)
echo "99-run: exec icegridnode --Ice.Config=$cfg"
exec icegridnode --nochdir "--Ice.Config=$cfg"
