"""Fixtures of the end-to-end suite: the test workflow published on the stack's
github.com and in the singularity stand-in's library, and a worker trusting that
github.com, with BIOMERO's init script already run (tests/workflow/e2e.py)."""

from __future__ import annotations

import pytest

from tests.workflow import e2e


@pytest.fixture(scope="module")
def e2e_site(stack, worker_image, facts, github, slurm, tmp_path_factory):
    worker = e2e.start_site(stack, worker_image, facts, github, slurm,
                            tmp_path_factory.mktemp("e2e"))
    init = e2e.init_environment(worker, slurm)
    return worker, init
