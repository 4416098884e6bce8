#!/usr/bin/env bash
# Merge the slurm-config layers (image base + image overrides + /OMERO legacy file +
# mounted /etc/biomero/overrides.d + the web admin's file) into the one file biomero
# reads, and validate it. An invalid layer stops the container here, before the node
# starts, with FILE:LINE for every problem (or the write error that stopped it).
# See src/biomero_worker/runtime_config.py for the design, layout.py for the paths.
set -euo pipefail

python -m biomero_worker config layers | sed 's/^/20-slurm-config: /'
if ! python -m biomero_worker config refresh --force; then
  echo "20-slurm-config: the slurm-config could not be merged (see above); not starting" >&2
  exit 1
fi
