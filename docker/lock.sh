#!/usr/bin/env bash
# `make lock` and `make image BIOMERO_VERSION=x.y.z` resolve here, inside the build
# environment's container (the image's Debian Python 3.11; no Python on the host),
# with the repository mounted at the working directory (mk/image.mk runs it).
#
# Usage: lock.sh docker            re-resolve docker/*.in into docker/*.lock
#                                  (LOCK_FLAGS=--upgrade: to the newest allowed)
#        lock.sh DIR VERSION       the venv's locks for biomero VERSION into DIR
#                                  (docker/requirements.in with that one pin changed)
# Environment: PIP_TOOLS_VERSION (mk/image.mk), LOCK_FLAGS, PIP_CERT.
set -euo pipefail

out=${1:?usage: lock.sh docker | lock.sh DIR BIOMERO_VERSION}
biomero=${2:-}
: "${PIP_TOOLS_VERSION:?set by mk/image.mk}"
die() { echo "lock: $*" >&2; exit 1; }

venv=$(mktemp -d)/venv
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "pip-tools==$PIP_TOOLS_VERSION"
compile() { # compile OUT IN
  # shellcheck disable=SC2086  # LOCK_FLAGS holds separate options
  PIP_FIND_LINKS="" "$venv/bin/pip-compile" --quiet --generate-hashes --allow-unsafe \
    --strip-extras ${LOCK_FLAGS:-} -o "$1" "$2"
}
nodeps() { "$venv/bin/python" docker/lock-nodeps.py "$1"; }

if [ -n "$biomero" ]; then
  [[ $biomero =~ ^[0-9]+(\.[0-9]+)*([a-z]+[0-9]+)?$ ]] || die "BIOMERO_VERSION=$biomero is not a version"
  mkdir -p "$out"
  sed -E "s/^biomero\[full\]==.*/biomero[full]==$biomero/" docker/requirements.in >"$out/requirements.in"
  grep -qx "biomero\[full\]==$biomero" "$out/requirements.in" \
    || die "docker/requirements.in pins no biomero[full]"
  # Seeded with the default lock: pip-compile keeps those pins where they still
  # fit and reuses their hashes, so the variant differs from the default only where
  # the other biomero needs it (and the image build reuses the default's wheels).
  cp docker/requirements.lock "$out/requirements.lock.part"
  compile "$out/requirements.lock.part" "$out/requirements.in" \
    || die "biomero $biomero cannot be installed with the rest of docker/requirements.in (above)"
  mv "$out/requirements.lock.part" "$out/requirements.lock"
  nodeps docker/requirements-nodeps.in >"$out/requirements-nodeps.lock"
  lock=$out/requirements.lock
else
  [ "$out" = docker ] || die "without a version the locks go to docker/"
  compile docker/requirements.lock docker/requirements.in
  compile docker/build-requirements.lock docker/build-requirements.in
  # requirements-nodeps.in: pinned and hashed one by one, never resolved
  nodeps docker/requirements-nodeps.in >docker/requirements-nodeps.lock
  nodeps docker/script-sources.in >docker/script-sources.lock
  lock=docker/requirements.lock
fi
if [ -z "$biomero" ]; then
  # the zeroc-ice pin alone, so that the Ice compile is cached apart from the rest
  { echo "# zeroc-ice pin extracted from requirements.lock by \`make lock\`: do not edit"
    awk '/^zeroc-ice==/{p=1} p{print; if ($0 !~ /\\$/) exit}' docker/requirements.lock
  } >docker/zeroc-ice.lock.part
  mv docker/zeroc-ice.lock.part docker/zeroc-ice.lock
  grep -q '^zeroc-ice==3\.6\.' docker/zeroc-ice.lock || die "zeroc-ice 3.6 is not pinned"
fi
# the Ice wheel is built from docker/zeroc-ice.lock: the venv must pin that release
ice=$(grep -E '^zeroc-ice==' docker/zeroc-ice.lock | cut -d' ' -f1)
grep -q "^$ice " "$lock" || die "$lock does not pin $ice (docker/zeroc-ice.lock)"
echo "lock: $lock ($(grep -c '==' "$lock") pins)"
