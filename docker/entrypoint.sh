#!/usr/bin/env bash
# Container entrypoint (under tini). Runs the executable /startup/* in lexical
# order, as upstream's omero-server image does, passing the container's arguments
# to each; the LAST one (99-run.sh) is exec'd, so tini's SIGTERM reaches the
# process it becomes (icegridnode, or the given command).
#
# No arguments: start the worker. A failing script stops the container.
# Arguments (`doctor`, `bash`, ...): scripts that wait for other services skip
# themselves when they see arguments; a failing script is reported and the command
# still runs, so `docker run IMAGE doctor` reports a broken config or an absent
# database instead of dying before it can say so.
#
# The environment is passed on unchanged: what a deployer's variables mean (e.g.
# BIOMERO_SLURM_CONFIG_FILE naming the web admin's file) is decided in one place,
# src/biomero_worker/layout.py, so that `docker exec` processes, which never pass
# through here, see exactly what the node sees.
set -euo pipefail

# Upstream's external-worker script (99-run-external.sh, mounted over
# /startup/99-run.sh by its client compose file) starts the node with OMERO.server's
# templates and `omero node`, which this image does not have: it would fail somewhere
# obscure. This image configures an external worker itself; say so, once.
if grep -Eqs 'etc/templates/ice\.config|omero node .*start --foreground' /startup/99-run.sh; then
  echo "entrypoint: /startup/99-run.sh is upstream's external-worker script, which needs" \
    "OMERO.server's files this image does not have: remove that mount and set" \
    "OMERO_WORKER_PUBLISHED_HOST (the address the master reaches this worker at) and" \
    "OMERO_WORKER_PORT (the port published for it); not starting" >&2
  exit 1
fi

scripts=()
for f in /startup/*; do
  if [ -f "$f" ] && [ -x "$f" ]; then
    scripts+=("$f")
  fi
done
if [ ${#scripts[@]} -eq 0 ]; then
  [ $# -gt 0 ] || { echo "entrypoint: nothing in /startup and no command" >&2; exit 1; }
  exec "$@"
fi

last=${scripts[-1]}
for f in "${scripts[@]}"; do
  [ "$f" != "$last" ] || break
  rc=0
  "$f" "$@" || rc=$?
  if [ "$rc" -ne 0 ]; then
    if [ $# -eq 0 ]; then
      echo "entrypoint: $f failed (exit $rc); the worker is not started" >&2
      exit "$rc"
    fi
    echo "entrypoint: $f failed (exit $rc); running '$1' anyway" >&2
  fi
done
exec "$last" "$@"
