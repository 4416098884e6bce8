"""Where a benchmark's figures go: one Markdown file (with the command that made
it), also printed."""

from __future__ import annotations

from pathlib import Path


def write(out: str, lines: list[str]) -> None:
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text("\n".join(lines))
    print("\n".join(lines))
