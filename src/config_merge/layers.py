"""Expand layer arguments into files: a file is itself, a directory is its `*.ini`
files in lexical order (so `10-site.ini` applies before `20-gpu.ini`)."""

from __future__ import annotations

from pathlib import Path

from .diagnostics import ConfigError, Diagnostic


def expand_layers(paths: list[str | Path]) -> list[Path]:
    files: list[Path] = []
    missing: list[Diagnostic] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            # Hidden files (editor leftovers, .foo.ini) are not layers.
            layers = (p for p in path.glob("*.ini") if p.is_file() and not p.name.startswith("."))
            files.extend(sorted(layers, key=lambda p: p.name))
        elif path.exists():
            files.append(path)
        else:
            missing.append(Diagnostic(str(raw), 0, "layer not found: no such file or directory"))
    if missing:
        raise ConfigError(missing)
    return files
