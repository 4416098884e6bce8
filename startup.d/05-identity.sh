#!/usr/bin/env bash
# Who the worker runs as: a passwd entry for a uid the image does not know (ssh and
# biomero need one), and every directory the worker writes checked writable; when
# one is not, each is named with its owner and mode (src/biomero_worker/identity.py).
set -euo pipefail
exec python -m biomero_worker identity
