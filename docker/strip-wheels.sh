#!/usr/bin/env bash
# Strip the native modules of every wheel in DIR, in place (wheels stages only, through lock-wheels.sh; ice-wheel).
# Each wheel with shared objects is unpacked, its own .so files are stripped of
# symbols and debug info, and it is packed again (`wheel pack` rewrites RECORD).
# Libraries vendored by auditwheel (*.libs/) are left alone: they were already
# rewritten by patchelf, and strip can break such files. A wheel is replaced
# only when stripping made it smaller.
# Usage: strip-wheels.sh DIR
set -euo pipefail

dir=${1:?usage: strip-wheels.sh DIR}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

saved=0
for whl in "$dir"/*.whl; do
  name=$(basename "$whl")
  python3 - "$whl" <<'PY' || continue
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
sys.exit(0 if any(".so" in n.rsplit("/", 1)[-1] for n in names) else 1)
PY
  rm -rf "${work:?}"/*
  wheel unpack --dest "$work/unpacked" "$whl" >/dev/null
  root=$(echo "$work"/unpacked/*)
  find "$root" -type f -name '*.so*' -not -path '*.libs/*' -print0 \
    | xargs -0 -r strip --strip-unneeded
  mkdir "$work/packed"
  wheel pack --dest-dir "$work/packed" "$root" >/dev/null
  new=$(echo "$work"/packed/*.whl)
  before=$(stat -c %s "$whl")
  after=$(stat -c %s "$new")
  if [ "$after" -lt "$before" ]; then
    # the packed name may differ in tag order; keep the original file name
    mv "$new" "$whl"
    saved=$((saved + before - after))
    echo "strip-wheels: $name $((before / 1024)) -> $((after / 1024)) KiB"
  fi
done
echo "strip-wheels: saved $((saved / 1024 / 1024)) MiB (compressed)"
