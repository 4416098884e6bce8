#!/usr/bin/env bash
# HEALTHCHECK of the test Slurm image, by the role the entrypoint recorded:
#   dbd   slurmdbd answers (sacctmgr)
#   ctld  the controller answers, every node of slurm.conf is idle (or busy),
#         and sshd runs: the cluster is ready for biomero's SSH session
#   node  slurmd runs
set -euo pipefail

role=$(cat /run/stack-role 2>/dev/null) || { echo "not started yet"; exit 1; }
case "$role" in
  dbd) sacctmgr -n list cluster >/dev/null ;;
  ctld)
    scontrol ping | grep -q 'is UP'
    states=$(sinfo -h -N -o '%t')
    [ -n "$states" ] && ! grep -qvE '^(idle|mix|alloc)$' <<<"$states"
    pgrep -x sshd >/dev/null
    ;;
  node) pgrep -x slurmd >/dev/null ;;
  *) echo "no health check for role $role"; exit 1 ;;
esac
