"""Atomic output: write a temp file next to the target, fsync, rename over it.
A reader (or a crash) sees the old file or the new one, never a partial one. A
target that is not a regular file (/dev/null, a FIFO) is written to, not replaced."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: str | Path, text: str) -> None:
    """Replace PATH with TEXT atomically. If PATH is a symlink, its target is replaced
    and the link kept (e.g. /etc/slurm-config.ini -> a directory the worker owns)."""
    path = Path(os.path.realpath(path))
    if path.exists() and not path.is_file():
        # /dev/null, /dev/stdout, a FIFO: written to, never replaced by a file
        with open(path, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        return
    directory = path.parent
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        # mkstemp makes 0600; the config is read by another user (omero-server),
        # so keep an existing file's mode or give the usual umask-based one.
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
