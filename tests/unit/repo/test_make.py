"""The Makefile from a fresh clone: every target `make help` lists dry-runs
(`make -n`) cleanly, and never runs a venv's tool before the recipe that creates
that venv (the bug of a variable defined after the fragment that used it)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from tests.support.build_env import REPO

VENV_CREATE = re.compile(r"-m venv (\S+)")
VENV_TOOL = re.compile(r"(?:^|[\s;&|(])((?:\./)?[\w./-]+)/bin/[\w.-]+")


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory):
    """The tree as a clone has it: tracked and new files, nothing git ignores
    (no .venv, no .build stamps)."""
    dest = tmp_path_factory.mktemp("clone")
    files = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=REPO,
                           capture_output=True, text=True, check=True).stdout.split("\0")
    for name in filter(None, files):
        src = REPO / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


# What an outer `make test …` hands its recipes (its command-line variables through
# MAKEFLAGS, its exports): a fresh clone's make must not see them.
OUTER_MAKE = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "PYTEST_ARGS",
              "BIOMERO_VERSION", "WORKER_IMAGE", "IMAGE")


def make(clone, *args, timeout=60):
    env = {k: v for k, v in os.environ.items() if k not in OUTER_MAKE}
    return subprocess.run(["make", "--no-print-directory", *args], cwd=clone, env=env,
                          capture_output=True, text=True, timeout=timeout)


def help_targets(clone) -> list[str]:
    out = make(clone, "help")
    assert out.returncode == 0, out.stderr
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out.stdout)
    targets = [line.split()[0] for line in plain.splitlines() if line.strip()]
    assert "test" in targets and "test-unit" in targets and "image" in targets
    return targets


def first_use_before_creation(lines: list[str]) -> str | None:
    """The first line that runs DIR/bin/TOOL of a host venv (a relative directory
    named *venv*) not created above it: in a fresh clone no venv exists yet."""
    created: set[str] = set()
    for line in lines:
        for m in VENV_TOOL.finditer(line):
            venv = m.group(1).removeprefix("./").rstrip("/")
            if (not venv.startswith("/") and "venv" in venv.rsplit("/", 1)[-1]
                    and venv not in created):
                return line
        created |= {m.group(1).removeprefix("./").rstrip("/")
                    for m in VENV_CREATE.finditer(line)}
    return None


def test_every_help_target_dry_runs_in_order_from_a_fresh_clone(fresh_clone):
    problems = []
    for target in help_targets(fresh_clone):
        out = make(fresh_clone, "-n", target)
        if out.returncode != 0:
            problems.append(f"make -n {target}: exit {out.returncode}: {out.stderr.strip()}")
            continue
        lines = out.stdout.splitlines()
        bad = first_use_before_creation(lines)
        if bad:
            problems.append(f"make -n {target}: runs {bad!r} before creating its venv")
    assert problems == []


def test_the_order_check_catches_a_tool_run_before_its_venv():
    assert first_use_before_creation([".venv/bin/pytest tests/unit",
                                      "python3 -m venv .venv"]) == ".venv/bin/pytest tests/unit"
    assert first_use_before_creation([".venv/bin/pytest tests/unit"]) is not None
    assert first_use_before_creation(["python3 -m venv .venv",
                                      ".venv/bin/pip install -e ."]) is None
    # the image's own venv, named inside a docker command, is no host venv
    assert first_use_before_creation(["docker run img /opt/omero/server/venv3/bin/python"]) \
        is None


def test_the_files_make_test_starts_first_exist():
    """tests/conftest.py's LONGEST_FIRST names files; a renamed one would silently
    go back to being started last."""
    from tests.conftest import LONGEST_FIRST

    assert [p for p in LONGEST_FIRST if not (REPO / p).is_file()] == []


def test_a_variant_uses_its_committed_locks_and_tag_and_the_image_suites(fresh_clone):
    """`make … BIOMERO_VERSION=2.9.0b15` on a fresh clone: the committed locks are used
    (never re-resolved: a clone's file times say nothing), the image gets the variant's
    tag only, and `make test` runs the suites that run the image, against that tag."""
    image = make(fresh_clone, "-n", "image", "BIOMERO_VERSION=2.9.0b15", "IMAGE=w")
    assert image.returncode == 0, image.stderr
    version = (fresh_clone / "VERSION").read_text().strip()
    assert "lock.sh" not in image.stdout
    assert f"VARIANT_TAG='{version}-biomero2.9.0b15'" in image.stdout
    assert "LOCKS='docker/locks/biomero-2.9.0b15'" in image.stdout
    test = make(fresh_clone, "-n", "test", "BIOMERO_VERSION=2.9.0b15", "IMAGE=w")
    assert test.returncode == 0, test.stderr
    pytest_line = next(ln for ln in test.stdout.splitlines() if "/bin/pytest " in ln)
    assert pytest_line.endswith("tests/image tests/worker tests/workflow "
                                "--ignore=tests/image/test_build_script.py"), pytest_line
    # the image the suites and `make biomero-reads` use (WORKER_IMAGE), and where
    # that release's biomero_reads.json goes
    reads = make(fresh_clone, "-n", "biomero-reads", "BIOMERO_VERSION=2.9.0b15", "IMAGE=w")
    assert (f"python w:{version}-biomero2.9.0b15 -m biomero_worker biomero-reads \\\n"
            "  > docker/locks/biomero-2.9.0b15/biomero_reads.json.part") in reads.stdout, \
        reads.stdout
    # without the variable: the default release, its two tags, every suite
    default = make(fresh_clone, "-n", "image", "IMAGE=w")
    assert "VARIANT_TAG=''" in default.stdout and "LOCKS='docker'" in default.stdout
