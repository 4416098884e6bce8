#!/usr/bin/env bash
# Container entrypoint (under tini), in the docker-library style: prepare, then
# `exec "$@"`. The image's CMD is `start-node` (the grid node that holds
# Processor-0); `docker run IMAGE doctor`, `bash` or any command get the same
# preparation, then run instead.
#
# Preparation is every executable file of /startup, in lexical order (as upstream's
# omero-server image runs them), each announced; a file that is not executable is
# reported and skipped. Before the node a failing step stops the container; before
# another command it is reported and the command still runs, so that `docker run
# IMAGE doctor` reports a broken config or an absent database instead of dying
# before it can say so. Steps see BIOMERO_WORKER_START=node|command (30-analytics-db
# waits for the database only before the node).
#
# The environment is passed on unchanged: what a deployer's variables mean (e.g.
# BIOMERO_SLURM_CONFIG_FILE naming the web admin's file) is decided in one place,
# src/biomero_worker/layout.py, so that `docker exec` processes, which never pass
# through here, see exactly what the node sees.
set -euo pipefail

# Upstream's external-worker script (99-run-external.sh, mounted at
# /startup/99-run.sh by its client compose file) starts the node with OMERO.server's
# templates and `omero node`, which this image does not have: it would fail somewhere
# obscure. This image configures an external worker itself; say so, once.
if grep -Eqs 'etc/templates/ice\.config|omero node .*start --foreground' /startup/*; then
  echo "entrypoint: /startup holds upstream's external-worker script, which needs" \
    "OMERO.server's files this image does not have: remove that mount and set" \
    "OMERO_WORKER_PUBLISHED_HOST (the address the master reaches this worker at) and" \
    "OMERO_WORKER_PORT (the port published for it); not starting" >&2
  exit 1
fi

if [ $# -eq 0 ]; then set -- start-node; fi
if [ "$1" = start-node ]; then
  export BIOMERO_WORKER_START=node
else
  export BIOMERO_WORKER_START=command
fi

# A uid the image does not know (docker run --user 12345:0) gets its passwd entry
# through nss_wrapper (identity): the steps and the command get the variables that
# name it (docker exec commands get them from python -m biomero_worker).
if ! getent passwd "$(id -u)" >/dev/null; then
  nss_env=$(python -m biomero_worker identity --nss-env) || nss_env=
  while IFS= read -r assignment; do
    if [ -n "$assignment" ]; then export "${assignment?}"; fi
  done <<<"$nss_env"
fi

for step in /startup/*; do
  [ -e "$step" ] || continue
  if [ ! -f "$step" ] || [ ! -x "$step" ]; then
    echo "entrypoint: skipping $step: not an executable file" >&2
    continue
  fi
  echo "entrypoint: $step" >&2
  rc=0
  # A step's output is preparation, never the command's: stdout belongs to the
  # command alone (`docker run IMAGE CMD` prints what CMD prints), so every line a
  # step writes, a site's own step included, goes to stderr.
  "$step" >&2 || rc=$?
  if [ "$rc" -ne 0 ]; then
    if [ "$BIOMERO_WORKER_START" = node ]; then
      echo "entrypoint: $step failed (exit $rc); the worker is not started" >&2
      exit "$rc"
    fi
    echo "entrypoint: $step failed (exit $rc); running '$1' anyway" >&2
  fi
done
exec "$@"
