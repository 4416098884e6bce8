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
set -euo pipefail

# biomero's authoritative-file mode: the merged slurm-config is the only config
# file biomero reads (see src/worker_config). A value set by the deployer names the
# admin's file, which becomes the last layer instead.
merged=/etc/slurm-config.ini
if [ -n "${BIOMERO_SLURM_CONFIG_FILE:-}" ] && [ "$BIOMERO_SLURM_CONFIG_FILE" != "$merged" ]; then
  echo "entrypoint: BIOMERO_SLURM_CONFIG_FILE=$BIOMERO_SLURM_CONFIG_FILE is used as the last config layer" >&2
  export BIOMERO_CONFIG_WEBADMIN="${BIOMERO_CONFIG_WEBADMIN:-$BIOMERO_SLURM_CONFIG_FILE}"
fi
export BIOMERO_SLURM_CONFIG_FILE=$merged

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
