"""docker/lock-delta.py: what a variant build (another biomero release) adds to and
removes from the default build's wheels, on the real locks."""

from __future__ import annotations

import importlib.util
import shutil

import pytest

from tests.support.build_env import REPO

spec = importlib.util.spec_from_file_location("lock_delta", REPO / "docker" / "lock-delta.py")
lock_delta = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lock_delta)

NEW_HASH = "    --hash=sha256:" + "ab" * 32


@pytest.fixture
def dirs(tmp_path):
    default, variant, wheels = (tmp_path / n for n in ("default", "variant", "wheels"))
    for d in (default, variant, wheels):
        d.mkdir()
    for name in lock_delta.LOCKS:
        shutil.copy(REPO / "docker" / name, default / name)
        shutil.copy(REPO / "docker" / name, variant / name)
    return default, variant, wheels, tmp_path / "out"


def pinned(lock, project):
    return next(line.split(" ")[0] for line in lock.read_text().splitlines()
                if line.lower().startswith(project + "=="))


def test_the_default_locks_change_nothing(dirs, capsys):
    default, variant, wheels, out = dirs
    (wheels / "requests-1-py3-none-any.whl").touch()
    assert lock_delta.main(default, variant, out, wheels) == 0
    assert (out / "delta.lock").read_text() == ""
    assert [p.name for p in wheels.iterdir()] == ["requests-1-py3-none-any.whl"]


def test_a_changed_pin_is_added_with_its_hashes_and_the_old_wheel_removed(dirs):
    default, variant, wheels, out = dirs
    old = pinned(default / "requirements.lock", "biomero")  # biomero==2.8.3
    lock = variant / "requirements.lock"
    text = lock.read_text()
    start = text.index(old + " \\\n")
    end = text.index("\n    #", start)
    lock.write_text(text[:start] + "biomero==9.9.9 \\\n" + NEW_HASH + text[end:])
    version = old.split("==")[1]
    (wheels / f"biomero-{version}-py3-none-any.whl").touch()
    (wheels / "Requests-1-py3-none-any.whl").touch()  # not pinned by either: kept
    assert lock_delta.main(default, variant, out, wheels) == 0
    assert (out / "delta.lock").read_text() == "biomero==9.9.9 \\\n" + NEW_HASH + "\n"
    assert sorted(p.name for p in wheels.iterdir()) == ["Requests-1-py3-none-any.whl"]


def test_a_dropped_pin_without_its_wheel_is_an_error(dirs, capsys):
    default, variant, wheels, out = dirs
    old = pinned(default / "requirements.lock", "biomero")
    lock = variant / "requirements.lock"
    lock.write_text(lock.read_text().replace(old + " \\", "biomero==9.9.9 \\"))
    assert lock_delta.main(default, variant, out, wheels) == 1
    assert f"no wheel found for {old}" in capsys.readouterr().err
