#!/usr/bin/env bash
# Container entrypoint (run under tini): every executable /startup/* in lexical
# order, as the upstream omero-server image does. 99-run.sh ends by exec'ing the
# grid node, so it must be last. Arguments are passed to each script; a script
# that sees arguments (`doctor`, `bash`, ...) may prepare and then exec them.
set -euo pipefail

for f in /startup/*; do
  if [ -f "$f" ] && [ -x "$f" ]; then
    echo "entrypoint: running $f" >&2
    "$f" "$@"
  fi
done
# Reached only when no script exec'd: run the given command, if any.
if [ $# -gt 0 ]; then
  exec "$@"
fi
