"""The build's inputs (build.env at the repository root) for the tests: the same
file make, the build scripts and the Dockerfiles read."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@cache
def _file() -> dict[str, str]:
    values = {}
    for number, line in enumerate((REPO / "build.env").read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise ValueError(f"build.env:{number}: not KEY=VALUE: {line!r}")
        values[key.strip()] = value.strip()
    return values


def get(key: str) -> str:
    """KEY from the environment (as make exports it when overridden), else build.env."""
    return os.environ.get(key) or _file()[key]


def version() -> str:
    return (REPO / "VERSION").read_text().strip()


def worker_image() -> str:
    """The worker image's tag that `make image` builds (WORKER_IMAGE overrides)."""
    return os.environ.get("WORKER_IMAGE") or f"{get('IMAGE')}:{version()}"


def stack_image(service: str) -> str:
    """The tag `make stack-images` gives tests/stack/images/SERVICE."""
    return f"{get('STACK_IMAGE_PREFIX')}{service}:{get('STACK_IMAGE_TAG')}"
