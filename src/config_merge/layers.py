"""Expand layer arguments into files: a file is itself, a directory is its `*.ini`
files in lexical order (so `10-site.ini` applies before `20-gpu.ini`)."""

from __future__ import annotations

import os
from pathlib import Path

from .diagnostics import ConfigError, Diagnostic


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
                problems.append(Diagnostic(str(raw), 0, f"cannot list layer directory: {exc.strerror or exc}"))
        elif path.exists():
            files.append(path)
        else:
            problems.append(Diagnostic(str(raw), 0, "layer not found: no such file or directory"))
    if problems:
        raise ConfigError(problems)
    return files


def _ini_names(directory: Path) -> list[str]:
    # Hidden names are not layers: editor leftovers, and the `..data` links of
    # Kubernetes ConfigMap mounts. Broken links are kept, so reading them reports them.
    with os.scandir(directory) as entries:
        names = [e.name for e in entries
                 if e.name.endswith(".ini") and not e.name.startswith(".") and not e.is_dir()]
    return sorted(names)
