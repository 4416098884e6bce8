"""Session-scoped fixtures: real PostgreSQL, Slurm and IceGrid, and a stand-in for
github.com, next to the tests.

Registered for every suite by tests/conftest.py:

``stack``     the session's ``tests.stack.session.Stack``: ``.network_name``,
              ``.service(name)``, ``.container(...)`` for more containers on the
              network (the worker), ``.docker`` (docker SDK client)
one fixture per service (tests/stack/services/*.py, named by its FIXTURE):
``postgres``, ``slurm``, ``icegrid_registry``, ``github``; a service starts on first use.

Everything is removed at the end of the session (no Ryuk). A failing test that
used the stack gets every stack container's log in its report. Without a Docker
engine these fixtures fail, never skip.
"""

from __future__ import annotations

import fcntl
import subprocess

import pytest

import docker
from tests.stack import services
from tests.stack.session import Stack
from tests.support.build_env import REPO

_active: list[Stack] = []


@pytest.fixture(scope="session")
def stack_docker() -> docker.DockerClient:
    try:
        client = docker.from_env()
        client.ping()
    except Exception as exc:  # noqa: BLE001 - any failure: no engine to test against
        pytest.fail(f"a reachable Docker engine is required for these tests: {exc}",
                    pytrace=False)
    return client


@pytest.fixture(scope="session")
def stack_images(stack_docker) -> None:
    """The images, via make (a no-op under `make test`, which built them first).
    pytest-xdist's workers each ask: one make at a time (a lock on the fragment
    that builds them), the others then find them built."""
    with (REPO / "mk" / "stack.mk").open("rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        res = subprocess.run(["make", "--no-print-directory", "stack-images"], cwd=REPO,
                             capture_output=True, text=True, timeout=1800)
    if res.returncode != 0:
        pytest.fail(f"make stack-images failed:\n{res.stdout}\n{res.stderr}", pytrace=False)


@pytest.fixture(scope="session")
def stack(stack_docker, stack_images, tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("stack"), client=stack_docker)
    _active.append(s)
    try:
        yield s
    finally:
        _active.remove(s)
        s.down()


def _service_fixture(name: str):
    @pytest.fixture(scope="session", name=services.module(name).FIXTURE)
    def handle(stack):
        return stack.service(name)

    handle.__doc__ = services.module(name).__doc__
    return handle


for _name in services.names():
    globals()[f"_fixture_{_name}"] = _service_fixture(_name)

STACK_FIXTURES = {"stack"} | {services.module(n).FIXTURE for n in services.names()}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Attach the stack's container logs to the report of a failing test that used it."""
    outcome = yield
    report = outcome.get_result()
    if not report.failed or not _active:
        return
    if not STACK_FIXTURES & set(getattr(item, "fixturenames", ())):
        return
    for s in _active:
        for name, text in s.logs(tail=150):
            report.sections.append((f"container log: {name}", text))
