"""Fixtures of the worker suite, registered for every suite (tests/conftest.py):
``facts`` (what a worker needs to know about the test stack) and ``worker`` (the
real worker image next to the stack; tests/worker/service.py says how it starts)."""

from __future__ import annotations

import pytest

from tests.worker.service import (
    SLURM_PATHS,
    SSH_ALIAS,
    stack_facts,
    start_worker,
    upstream_mounts,
    worker_environment,
)


@pytest.fixture(scope="session")
def facts(stack, postgres, slurm, icegrid_registry):
    return stack_facts(stack.network_name, postgres, slurm, icegrid_registry)


@pytest.fixture(scope="session")
def worker(stack, worker_image, facts, tmp_path_factory):
    """The worker, started like upstream's compose service, ready once its node runs."""
    tmp = tmp_path_factory.mktemp("worker")
    w = start_worker(stack, worker_image, facts, env=worker_environment(facts),
                     mounts=upstream_mounts(tmp, facts))
    w.wait_started()
    # The Slurm paths of the test config exist on the cluster (biomero's init
    # script would create them; the test creates them over the worker's own ssh).
    code, out = w.exec(f"ssh {SSH_ALIAS} mkdir -p " + " ".join(SLURM_PATHS.values()))
    assert code == 0, out
    return w
