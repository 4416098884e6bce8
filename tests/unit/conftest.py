"""Helpers for the host tests of more than one subject (config_merge/ and worker/):
write layer files, run the config_merge CLI. A subject's own fixtures are in its
package's conftest."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.build_env import REPO as ROOT


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
