#!/usr/bin/env bash
# The runtime's Debian packages, for the runtime stage and for the benchmark's
# one-stage variant (one list, two users). Runtime libraries only: Python, libpq
# (psycopg2), the system trust store (in our base, not in debian:bookworm-slim),
# the IceGrid node and admin (Ice 3.7 C++, wire-compatible with the venv's IcePy
# 3.6.5), ssh to reach Slurm, tini as PID 1, nss_wrapper (a passwd entry for a uid
# the image does not know, /etc/passwd staying read-only); a headless JRE (and the native blosc
# that bioformats2raw's Zarr writer loads) only when bioformats2raw is in.
# Usage: runtime-packages.sh included|absent
set -euo pipefail

packages=(python3 libpq5 ca-certificates zeroc-icegrid zeroc-ice-utils openssh-client tini
  libnss-wrapper)
case "${1:?usage: runtime-packages.sh included|absent}" in
  included)
    packages+=(openjdk-17-jre-headless libblosc1)
    # the JRE's postinst needs the man1 directory the slim base leaves out
    mkdir -p /usr/share/man/man1
    ;;
  absent) ;;
  *) echo "runtime-packages.sh: bioformats2raw must be included or absent, not '$1'" >&2; exit 2 ;;
esac
apt-get update
apt-get install -y --no-install-recommends "${packages[@]}"
rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt/* /var/log/dpkg.log \
  /var/cache/debconf/*-old /var/lib/dpkg/*-old /var/cache/ldconfig/aux-cache
icegridnode --version
