#!/usr/bin/env bash
# CONFIG_* variables -> OMERO configuration (OMERODIR/etc/grid/config.xml), as
# OMERO's server image does: CONFIG_omero_master_host=x sets omero.master.host=x
# (`_` separates, `__` is a literal underscore). *.omero files in
# /opt/omero/server/config are loaded first, also as upstream does.
set -euo pipefail

shopt -s nullglob
omero_files=(/opt/omero/server/config/*.omero)
if [ ${#omero_files[@]} -gt 0 ]; then
  echo "50-omero-config: loading ${omero_files[*]}"
  omero load --glob '/opt/omero/server/config/*.omero'
fi
exec python -m worker_node omero-config
