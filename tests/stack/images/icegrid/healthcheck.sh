#!/usr/bin/env bash
# HEALTHCHECK of the test IceGrid image, by the role the entrypoint recorded:
# the registry answers its admin account; a node process runs.
set -euo pipefail

role=$(cat /run/stack-role 2>/dev/null) || { echo "not started yet"; exit 1; }
case "$role" in
  registry) icegridadmin --Ice.Config=/etc/icegrid/admin.cfg -e 'registry list' | grep -qx Master ;;
  node) pgrep -x icegridnode >/dev/null ;;
  *) exit 0 ;;  # any other command: running is all there is to know
esac
