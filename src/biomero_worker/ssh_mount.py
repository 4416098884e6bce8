"""The SSH material: the read-only mount (upstream: ``"$HOME/.ssh:/tmp/.ssh:ro"``)
copied into ``~/.ssh`` with the modes ssh and paramiko insist on.

The one owner of those modes (``mode_for``) and of the message for a mount the
worker cannot read (``unreadable``): the start-up step (``copy``) applies them,
doctor's ``ssh-keys`` check judges ``~/.ssh`` and the mount by them.

``~/.ssh`` mirrors the mount at every start: a key removed there (rotation) does not
survive in a restarted container's copy. Any file may be absent; nothing but file
names is printed. Subdirectories are ignored; symlinks (Kubernetes secrets) are
followed. A tmpfs at ``~/.ssh`` (``--read-only``) may belong to root: used as it is
(ssh checks the modes of the files, not of the directory).
"""

from __future__ import annotations

import os
import pwd
import shutil
import stat
from pathlib import Path

from . import layout

DIR_MODE = 0o700
PRIVATE_MODE = 0o600
PUBLIC_MODE = 0o644
# files ssh reads that hold no secret (besides *.pub)
PUBLIC_NAMES = ("known_hosts", "config", "authorized_keys")


class UnreadableMount(OSError):
    """The mount, or a file in it, cannot be read by the worker's uid."""


def is_public(name: str) -> bool:
    return (name.endswith(".pub") or name in PUBLIC_NAMES
            or name.startswith("known_hosts."))


def mode_for(name: str) -> int:
    """The mode a file of the mount gets in ~/.ssh."""
    return PUBLIC_MODE if is_public(name) else PRIVATE_MODE


def mount_path(environ=None) -> Path:
    environ = os.environ if environ is None else environ
    return Path(environ.get("BIOMERO_SSH_MOUNT") or layout.SSH_MOUNT)


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def unreadable(path: Path, what: str) -> str:
    """Why the worker would have no SSH key, with the fix: PATH (WHAT: "the mounted
    directory", "the file") belongs to someone else. The admin's ~/.ssh (mode 700)
    mounted as it is belongs to the admin's uid."""
    uid = os.getuid()
    try:
        st = path.stat()
        owner = f"owner uid {st.st_uid}, mode {stat.S_IMODE(st.st_mode):o}"
    except OSError as exc:
        owner = exc.strerror or type(exc).__name__
    return (f"{what} {path} ({owner}) cannot be read by {_user(uid)} (uid {uid}), so the "
            f"worker would have no SSH key: make it readable by uid {uid} (chown, or "
            f"chmod a+rX: the copy in ~/.ssh gets mode {PRIVATE_MODE:o})")


def mount_problem(src: Path) -> str | None:
    """The unreadable() message when the mounted directory cannot be listed."""
    if src.is_dir() and not os.access(src, os.R_OK | os.X_OK):
        return unreadable(src, "the mounted directory")
    return None


def copy(src: Path, dest: Path, log=print) -> list[str]:
    """Rebuild DEST (~/.ssh) from SRC; returns "name(mode)" for each file copied.
    Raises UnreadableMount with unreadable()'s message."""
    if not dest.is_dir():
        dest.mkdir(mode=DIR_MODE, parents=True)
    elif dest.stat().st_uid == os.getuid():
        dest.chmod(DIR_MODE)
    for old in dest.iterdir():
        if old.is_file() and not old.is_symlink():
            old.unlink()
    if not src.is_dir():
        log(f"no {src} mounted; ~/.ssh has no keys (doctor will say so)")
        return []
    if why := mount_problem(src):
        raise UnreadableMount(why)
    copied = []
    for f in sorted(src.iterdir(), key=lambda p: p.name):
        if not f.is_file():  # follows symlinks; directories and dangling links skipped
            continue
        if not os.access(f, os.R_OK):
            raise UnreadableMount(unreadable(f, "the file"))
        mode = mode_for(f.name)
        target = dest / f.name
        tmp = dest / f".{f.name}.part"
        with f.open("rb") as r, open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                                             mode), "wb") as w:
            shutil.copyfileobj(r, w)
        os.chmod(tmp, mode)  # whatever the umask
        os.replace(tmp, target)
        copied.append(f"{f.name}({mode:o})")
    if copied:
        log(f"~/.ssh <- {' '.join(copied)}")
    else:
        log(f"{src} is empty; ~/.ssh has no keys (doctor will say so)")
    return copied


def step(log) -> int:
    """The start-up step: the mount copied into $HOME/.ssh; LOG: a startup_log.Log."""
    home = os.environ.get("HOME")
    if not home:
        log.error("HOME is not set")
        return 1
    try:
        copy(mount_path(), Path(home) / ".ssh", log=log.info)
    except UnreadableMount as exc:
        log.error(str(exc))
        return 1
    except OSError as exc:  # ~/.ssh not writable, a file vanished: the real cause
        log.error(f"cannot copy the SSH mount into {home}/.ssh: {exc}")
        return 1
    return 0


def cmd_mount_ssh(args, out, err) -> int:
    from .startup_log import Log

    return step(Log("mount-ssh", out, err))


def add_commands(sub) -> None:
    sub.add_parser("mount-ssh", help="copy the SSH mount into ~/.ssh with the modes ssh "
                   "insists on").set_defaults(run=cmd_mount_ssh)
