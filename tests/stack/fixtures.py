"""Session-scoped fixtures: real PostgreSQL, Slurm and IceGrid next to the tests.

Public API (registered for every suite by tests/conftest.py):

``stack``            the session's ``tests.stack.stack.Stack``: ``.network``,
                     ``.postgres``, ``.slurm``, ``.registry`` (the objects below,
                     each started on first access); ``stack.run(...)`` starts
                     another container (the worker) on the same network; it is
                     removed at the end and its log attached on failure;
                     ``stack.track(container)`` attaches the log of a container
                     started otherwise.
``stack_network``    name of the user-defined Docker network.
``postgres``         ``Postgres``: in-network ``database:5432``, ``db``, ``user``,
                     ``password``, ``url`` (host-reachable), ``sqlalchemy_url``
                     (``postgresql+psycopg2://…@database:5432/…``), ``connect()``.
``slurm``            ``Slurm``: in-network ``localslurm``/``slurmctld`` port 22,
                     ``user`` (slurm), ``private_key``, ``public_key``, ``ssh_dir``
                     (mountable as the worker's /tmp/.ssh), ``host_port``,
                     ``ssh(cmd)``, ``exec(cmd, role)``, ``data_volume`` (/data).
``icegrid_registry`` ``IceGridRegistry``: in-network ``master:4061``, ``locator``,
                     ``admin_user``/``admin_password``, ``admin(*cmds)`` (runs
                     ``icegridadmin -e`` in the registry), ``add_application(xml)``.

Services start on first use (a suite that needs only PostgreSQL starts only
PostgreSQL) and are torn down explicitly at session end (no Ryuk). Without a
Docker engine these fixtures fail — never skip.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import docker
import pytest

from tests.stack.stack import IceGridRegistry, Postgres, Slurm, Stack

STACK_FIXTURES = {"stack", "stack_network", "postgres", "slurm", "icegrid_registry"}
_active: list[Stack] = []


@pytest.fixture(scope="session")
def stack_docker() -> docker.DockerClient:
    try:
        client = docker.from_env()
        client.ping()
    except Exception as e:  # noqa: BLE001 - any failure: no engine to test against
        pytest.fail(f"a reachable Docker engine is required for these tests: {e}", pytrace=False)
    return client


@pytest.fixture(scope="session")
def stack_images(stack_docker) -> None:
    """The images, via make (a no-op under `make test`, which built them first)."""
    root = Path(__file__).resolve().parents[2]
    res = subprocess.run(["make", "--no-print-directory", "stack-images"], cwd=root,
                         capture_output=True, text=True)
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


@pytest.fixture(scope="session")
def stack_network(stack: Stack) -> str:
    return stack.network


@pytest.fixture(scope="session")
def postgres(stack: Stack) -> Postgres:
    return stack.postgres


@pytest.fixture(scope="session")
def slurm(stack: Stack) -> Slurm:
    return stack.slurm


@pytest.fixture(scope="session")
def icegrid_registry(stack: Stack) -> IceGridRegistry:
    return stack.registry


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
