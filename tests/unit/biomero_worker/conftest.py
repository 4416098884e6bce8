"""Fixtures of the worker's host tests: a worker's runtime layout in a temporary
directory."""

from __future__ import annotations

import pytest

from tests.support.build_env import REPO

BASE = REPO / "config" / "base" / "slurm-config.ini"


@pytest.fixture
def worker_layout(tmp_path, monkeypatch):
    """A worker's runtime layout under tmp_path, selected by the BIOMERO_CONFIG_*
    variables that move every path of biomero_worker.layout."""
    paths = {
        "BASE": tmp_path / "base" / "slurm-config.ini",
        "IMAGE_OVERRIDES": tmp_path / "overrides",
        "ETC": tmp_path / "etc" / "slurm-config.ini",
        "LEGACY": tmp_path / "OMERO" / "slurm-config.ini",
        "RUNTIME_OVERRIDES": tmp_path / "overrides.d",
        "WEBADMIN": tmp_path / "home" / "slurm-config.ini",
        "MERGED": tmp_path / "state" / "slurm-config.ini",
    }
    paths["BASE"].parent.mkdir()
    paths["BASE"].write_text(BASE.read_text())
    paths["IMAGE_OVERRIDES"].mkdir()
    paths["MERGED"].parent.mkdir()
    for k, v in paths.items():
        monkeypatch.setenv(f"BIOMERO_CONFIG_{k}", str(v))
    return paths
