#!/usr/bin/env bash
# Merge the slurm-config layers (image base + image overrides + /OMERO legacy file +
# mounted /etc/biomero/overrides.d + the web admin's file) into the one file biomero
# reads, and validate it. An invalid layer stops the container here, before the node
# starts, with FILE:LINE for every problem. See src/worker_config for the design.
set -euo pipefail

python -m worker_config layers | sed 's/^/20-slurm-config: /'
if ! python -m worker_config refresh --force; then
  echo "20-slurm-config: invalid slurm-config layer(s), see above; not starting" >&2
  exit 1
fi
