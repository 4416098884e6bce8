#!/usr/bin/env bash
# SSH material from the read-only mount (upstream: "$HOME/.ssh:/tmp/.ssh:ro") into
# ~/.ssh, with the modes ssh and paramiko insist on: directory 700, private keys 600,
# public keys, known_hosts and config 644. Any of them may be absent; nothing is
# printed but file names. ~/.ssh is rebuilt from the mount at every start.
# Subdirectories are ignored; symlinks (Kubernetes secrets) are followed.
set -euo pipefail

src=${BIOMERO_SSH_MOUNT:-$(python -m biomero_worker paths SSH_MOUNT)}
dest=${HOME:?HOME is not set}/.ssh

install -d -m 700 "$dest"
# ~/.ssh mirrors the mount at every start: a key removed there (rotation) must not
# survive in a restarted container's copy.
find "$dest" -mindepth 1 -maxdepth 1 -type f -delete
if [ ! -d "$src" ]; then
  echo "10-mount-ssh: no $src mounted; ~/.ssh has no keys (doctor will say so)"
  exit 0
fi

copied=()
for f in "$src"/* "$src"/.[!.]*; do
  [ -f "$f" ] || continue
  name=${f##*/}
  case "$name" in
    *.pub | known_hosts | known_hosts.* | config | authorized_keys) mode=644 ;;
    *) mode=600 ;;
  esac
  if ! install -m "$mode" "$f" "$dest/$name" 2>/dev/null; then
    echo "10-mount-ssh: cannot read $f (is it readable by $(id -un)?)" >&2
    exit 1
  fi
  copied+=("$name($mode)")
done

if [ ${#copied[@]} -eq 0 ]; then
  echo "10-mount-ssh: $src is empty; ~/.ssh has no keys (doctor will say so)"
else
  echo "10-mount-ssh: ~/.ssh <- ${copied[*]}"
fi
