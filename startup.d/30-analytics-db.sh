#!/usr/bin/env bash
# When workflow tracking is on: wait for the analytics database (bounded by
# BIOMERO_DB_WAIT_SECONDS, default 60, named in the failure message), then let
# biomero create its analytics schema. The password never appears in output.
# With a command (`doctor`, `bash`, ...) this waits for nothing: doctor reports.
set -euo pipefail

if [ $# -gt 0 ]; then
  echo "30-analytics-db: command given ($1): not waiting for the database"
  exit 0
fi
exec python -m biomero_worker db-init
