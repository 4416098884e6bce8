"""Fixtures for the image suite: the built worker image and ways to run it.

`worker_image` is the image's tag (`WORKER_IMAGE`, default
`<IMAGE from build.env>:<VERSION>`, which `make image` builds). It fails the test,
loudly, when that image is missing: the suites that use it cannot run without it.
"""

from __future__ import annotations

import pytest

from tests.support import build_env
from tests.support.build_env import worker_image as default_image
from tests.support.docker_exec import docker


@pytest.fixture(scope="session")
def worker_image() -> str:
    """The worker image's tag; fails when the image was not built."""
    tag = default_image()
    proc = docker("image", "inspect", tag, check=False, timeout=60)
    if proc.returncode != 0:
        pytest.fail(
            f"worker image {tag} is missing ({proc.stderr.strip()}): build it with `make image`",
            pytrace=False,
        )
    return tag


@pytest.fixture(scope="session")
def image_biomero(worker_image) -> str:
    """The biomero release the image holds, as its label says (`make image` writes it
    from the locks the image was built from)."""
    return docker("image", "inspect", "-f",
                  '{{index .Config.Labels "org.biomero-worker.biomero.version"}}',
                  worker_image, timeout=60).stdout.strip()


@pytest.fixture(scope="session")
def release_dir(image_biomero):
    """Where that release's facts live: docker/ for the default release, else
    docker/locks/biomero-x.y.z/ (locks, pip-check.expected, biomero_reads.json)."""
    return build_env.release_dir(image_biomero)


@pytest.fixture(scope="session")
def worker_exec(worker_image):
    """Run a command in a fresh container of the image, skipping the entrypoint
    (the startup scripts are tested by the worker suite). Returns the process;
    `user=` runs as another user, `check=False` keeps a non-zero exit."""

    def run(*cmd: str, user: str | None = None, check: bool = True, env: dict | None = None):
        args = ["run", "--rm", "--entrypoint", cmd[0]]
        if user:
            args += ["--user", user]
        for key, value in (env or {}).items():
            args += ["-e", f"{key}={value}"]
        return docker(*args, worker_image, *cmd[1:], check=check)

    return run
