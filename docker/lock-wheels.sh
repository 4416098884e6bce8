#!/usr/bin/env bash
# Every file of the given locks as a stripped wheel in OUT (wheels stages only):
# downloaded hash-checked (--require-hashes), sdists (psycopg2) built without build
# isolation, native modules stripped (strip-wheels.sh, beside this script).
# zeroc-ice is skipped: the ice-wheel stage builds it, patched.
# Usage: lock-wheels.sh OUT LOCK...
set -euo pipefail

out=${1:?usage: lock-wheels.sh OUT LOCK...}
shift
dl=$(mktemp -d)
trap 'rm -rf "$dl"' EXIT

for lock in "$@"; do
  pip download --no-deps --require-hashes -r "$lock" -d "$dl"
done
mkdir -p "$out"
for f in "$dl"/*; do
  [ -e "$f" ] || continue
  case "$f" in
    */zeroc-ice-*) ;;
    *.whl) mv "$f" "$out/" ;;
    *) pip wheel --no-deps --no-build-isolation --no-index -w "$out" "$f" ;;
  esac
done
bash "$(dirname "$0")/strip-wheels.sh" "$out"
