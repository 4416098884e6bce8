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


def default_biomero() -> str:
    """The biomero release of the default locks (docker/requirements.lock)."""
    for line in (REPO / "docker" / "requirements.lock").read_text().splitlines():
        if line.startswith("biomero=="):
            return line.split("==", 1)[1].split()[0]
    raise ValueError("docker/requirements.lock pins no biomero")


def release_dir(biomero: str) -> Path:
    """Where the facts of biomero release BIOMERO live: docker/ for the default
    release, docker/locks/biomero-BIOMERO/ for another (`make image BIOMERO_VERSION=`).
    Fails loudly when that release has no locks here."""
    if biomero == default_biomero():
        return REPO / "docker"
    path = REPO / "docker" / "locks" / f"biomero-{biomero}"
    if not (path / "requirements.lock").is_file():
        raise FileNotFoundError(f"{path}/requirements.lock is missing: the image holds biomero "
                                f"{biomero}, which has no locks in this tree")
    return path


def biomero_reads_file(biomero: str) -> Path:
    """The biomero_reads.json the validator of an image holding BIOMERO uses."""
    if biomero == default_biomero():
        return REPO / "src" / "config_merge" / "biomero_reads.json"
    return release_dir(biomero) / "biomero_reads.json"
