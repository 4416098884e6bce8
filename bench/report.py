"""Where a benchmark's figures go: one Markdown file (with the command that made
it), also printed."""

from __future__ import annotations

import argparse
from pathlib import Path


def stack_bench_args(name: str, argv=None, runs: int = 3) -> argparse.Namespace:
    """The two options every stack benchmark takes: how many runs, and the
    results file (bench/results/<name>.md unless told)."""
    ap = argparse.ArgumentParser(prog=f"python -m bench.{name}")
    ap.add_argument("--runs", type=int, default=runs)
    ap.add_argument("--out", default=f"bench/results/{name}.md")
    if name == "worker":
        ap.add_argument("--baseline", default="", metavar="IMAGE",
                        help="an earlier build of the image, measured beside this one")
    return ap.parse_args(argv)


def write(out: str, lines: list[str]) -> None:
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text("\n".join(lines))
    print("\n".join(lines))
