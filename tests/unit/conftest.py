"""Helpers for the host tests: write layer files, run the config_merge CLI, a
worker's runtime layout in a temporary directory."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.build_env import REPO as ROOT

BASE = ROOT / "config" / "base" / "slurm-config.ini"


@pytest.fixture
def write(tmp_path):
    """write("name.ini", text) -> Path; text is dedented, so tests can indent it."""

    def _write(name: str, text: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text).lstrip("\n"))
        return path

    return _write


def run_cli(*args, cwd=None) -> subprocess.CompletedProcess:
    """Run `python -m config_merge ARGS` with src/ on PYTHONPATH, as the issue requires."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    return subprocess.run([sys.executable, "-m", "config_merge", *map(str, args)],
                          capture_output=True, text=True, env=env, cwd=cwd)


@pytest.fixture
def cli():
    return run_cli


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
