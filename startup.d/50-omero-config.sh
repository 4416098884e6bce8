#!/usr/bin/env bash
# CONFIG_* variables -> OMERO configuration (OMERODIR/etc/grid/config.xml), as
# OMERO's server image does, after the *.omero files of the config directory
# (src/biomero_worker/omero_config.py).
set -euo pipefail

exec python -m biomero_worker omero-config
