#!/usr/bin/env bash
# SSH material from the read-only mount (upstream: "$HOME/.ssh:/tmp/.ssh:ro") into
# ~/.ssh, with the modes ssh and paramiko insist on: directory 700, private keys 600,
# public keys, known_hosts and config 644. Any of them may be absent; nothing is
# printed but file names. ~/.ssh is rebuilt from the mount at every start.
# Subdirectories are ignored; symlinks (Kubernetes secrets) are followed.
set -euo pipefail

# Paths from the environment follow `--` in every command: never taken for options.
src=${BIOMERO_SSH_MOUNT:-$(python -m biomero_worker paths SSH_MOUNT)}
dest=${HOME:?HOME is not set}/.ssh

# A tmpfs there (--read-only) may belong to root: used as it is (ssh checks the
# modes of the files, not of the directory).
if [ ! -d "$dest" ] || [ -O "$dest" ]; then
  install -d -m 700 -- "$dest"
fi
# ~/.ssh mirrors the mount at every start: a key removed there (rotation) must not
# survive in a restarted container's copy.
find -- "$dest" -mindepth 1 -maxdepth 1 -type f -delete
if [ ! -d "$src" ]; then
  echo "10-mount-ssh: no $src mounted; ~/.ssh has no keys (doctor will say so)"
  exit 0
fi
# Readable by this user? The admin's ~/.ssh (mode 700) mounted as is belongs to the
# admin's uid: say so, with the fix, rather than "empty".
unreadable() { # unreadable PATH WHAT
  echo "10-mount-ssh: $2 $1 (owner uid $(stat -c %u -- "$1"), mode $(stat -c %a -- "$1")) cannot" \
    "be read by $(id -un) (uid $(id -u)), so the worker would have no SSH key: make it" \
    "readable by uid $(id -u) (chown, or chmod a+rX: the copy in ~/.ssh gets mode 600)" >&2
  exit 1
}
if [ ! -r "$src" ] || [ ! -x "$src" ]; then
  unreadable "$src" "the mounted directory"
fi

copied=()
for f in "$src"/* "$src"/.[!.]*; do
  [ -f "$f" ] || continue
  name=${f##*/}
  case "$name" in
    *.pub | known_hosts | known_hosts.* | config | authorized_keys) mode=644 ;;
    *) mode=600 ;;
  esac
  [ -r "$f" ] || unreadable "$f" "the file"
  install -m "$mode" -- "$f" "$dest/$name"
  copied+=("$name($mode)")
done

if [ ${#copied[@]} -eq 0 ]; then
  echo "10-mount-ssh: $src is empty; ~/.ssh has no keys (doctor will say so)"
else
  echo "10-mount-ssh: ~/.ssh <- ${copied[*]}"
fi
