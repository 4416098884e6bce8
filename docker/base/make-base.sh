#!/usr/bin/env bash
# Build a debian:<suite>-slim equivalent from Debian packages and import it
# into Docker, because this machine can pull no image from a registry.
# Usage: make-base.sh IMAGE_TAG SUITE   (make base passes both from build.env)
set -euo pipefail

tag=${1:?usage: make-base.sh IMAGE_TAG SUITE}
suite=${2:?usage: make-base.sh IMAGE_TAG SUITE}

if ! command -v mmdebstrap >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "make-base: installing mmdebstrap on the host" >&2
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null
  else
    echo "make-base: mmdebstrap is missing; install it (apt-get install mmdebstrap)" >&2
    exit 1
  fi
fi

# The same trimming as the official slim images: no docs, man pages or locales,
# kept as dpkg config inside the image so later apt installs stay slim too.
# shellcheck disable=SC2016  # $1 is the hook's argument, expanded by mmdebstrap
mmdebstrap --variant=minbase --quiet \
  --include=ca-certificates \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --aptopt='APT::Install-Recommends "false"' \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
  "$suite" - \
  | docker import \
      --change 'CMD ["bash"]' \
      --change 'ENV LANG=C.UTF-8' \
      - "$tag"
echo "make-base: built $tag" >&2
