"""Expand layer arguments into files: a file is itself, a directory is its `*.ini`
files in lexical order (so `10-site.ini` applies before `20-gpu.ini`).

Every layer is checked before it is opened: it must be a regular file (a FIFO named
`x.ini` would block the reader forever) of at most MAX_LAYER_BYTES (a slurm-config
is a few kilobytes; the limit keeps a stray huge file from taking the worker's
memory; the reader applies it again to what it reads). A directory named like a
layer, a dangling or looping link are errors naming the path and the likely cause."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from .diagnostics import ConfigError, Diagnostic, printable_path


def expand_layers(paths: list[str | Path]) -> list[Path]:
    files: list[Path] = []
    problems: list[Diagnostic] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            try:
                files.extend(path / name for name in _ini_names(path))
            except OSError as exc:
                # pathlib's glob would silently skip an unreadable directory.
                problems.append(Diagnostic(str(raw), 0, f"cannot list layer directory: "
                                                        f"{exc.strerror or exc}"))
        elif path.exists() or path.is_symlink():  # a broken link: checked below
            files.append(path)
        else:
            problems.append(Diagnostic(str(raw), 0, "layer not found: no such file or directory"))
    for path in files:
        why = _unusable(path)
        if why:
            problems.append(Diagnostic(str(path), 0, why))
    if problems:
        raise ConfigError(problems)
    return files


MAX_LAYER_BYTES = 1024 * 1024
_KINDS = {stat.S_ISFIFO: "a FIFO", stat.S_ISCHR: "a character device",
          stat.S_ISBLK: "a block device", stat.S_ISSOCK: "a socket", stat.S_ISDIR: "a directory"}
# The usual way a directory lands where a file belongs: `-v host-file:container-file`
# with no host-file makes Docker create a directory on the host and mount that.
DOCKER_DIRECTORY = ("Docker creates a directory when the host file does not exist; "
                    "create the file on the host")


def link_problem(path: Path) -> str | None:
    """Why the symbolic link PATH leads nowhere (None: it is no link, or a good one)."""
    if not path.is_symlink():
        return None
    try:
        path.stat()
    except FileNotFoundError:
        return f"a symbolic link to {os.readlink(path)!r}, which does not exist"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symbolic link that loops (it leads back to itself)"
        return None
    return None


def _unusable(path: Path) -> str | None:
    """Why PATH cannot be a layer, found without opening it (None: it can)."""
    if printable_path(path.name) != path.name:
        return "the file name is not UTF-8 (its bytes shown as \\xNN): rename the file"
    if why := link_problem(path):
        return why
    try:
        st = path.stat()  # follows links: a Kubernetes secret's link is fine
    except OSError as exc:
        return f"cannot read file: {exc.strerror or exc}"
    if stat.S_ISDIR(st.st_mode):
        return f"a directory where a layer file belongs ({DOCKER_DIRECTORY})"
    if not stat.S_ISREG(st.st_mode):
        kind = next((k for test, k in _KINDS.items() if test(st.st_mode)), "not a file")
        return f"not a regular file ({kind}): a layer must be a file"
    if st.st_size > MAX_LAYER_BYTES:
        return (f"{st.st_size} bytes: larger than the {MAX_LAYER_BYTES // 1024} KiB limit "
                "of a layer")
    return None


def _ini_names(directory: Path) -> list[str]:
    # Hidden names are not layers: editor leftovers, and the `..data` links of
    # Kubernetes ConfigMap mounts. Directories, broken and looping links named *.ini
    # are kept, so that checking them names them.
    with os.scandir(directory) as entries:
        names = [e.name for e in entries
                 if e.name.endswith(".ini") and not e.name.startswith(".")]
    return sorted(names)
