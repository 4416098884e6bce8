#!/usr/bin/env bash
# When workflow tracking is on: wait for the analytics database (bounded by
# BIOMERO_DB_WAIT_SECONDS, default 60, named in the failure message), then let
# biomero create its analytics schema. The password never appears in output.
# Before another command than the node (`doctor`, `bash`, ...) this waits for
# nothing: doctor reports. (BIOMERO_WORKER_START: set by the entrypoint.)
set -euo pipefail

if [ "${BIOMERO_WORKER_START:-node}" != node ]; then
  echo "30-analytics-db: not starting the node: not waiting for the database"
  exit 0
fi
exec python -m biomero_worker db-init
