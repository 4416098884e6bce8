"""The image's hash-pinned locks agree with their inputs (host-only checks)."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.support.build_env import REPO

DOCKER = REPO / "docker"


def entries(text: str) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) of a pip-compile --generate-hashes file."""
    out = {}
    joined = re.sub(r"\\\n", " ", text)
    for line in joined.splitlines():
        m = re.match(r"^([A-Za-z0-9._-]+)==(\S+)(.*)$", line)
        if m:
            out[canonicalize_name(m.group(1))] = (
                m.group(2), re.findall(r"--hash=sha256:([0-9a-f]{64})", m.group(3)))
    return out


def requirements(path) -> list[Requirement]:
    """The requirements of PATH, with the files it includes (`-r FILE`, as pip reads it:
    relative to PATH's directory)."""
    found = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            found += requirements(path.parent / line[3:].strip())
        elif line:
            found.append(Requirement(line))
    return found


def test_every_locked_file_is_hash_pinned():
    for lock in ("requirements.lock", "build-requirements.lock", "zeroc-ice.lock"):
        pins = entries((DOCKER / lock).read_text())
        assert pins, lock
        assert all(hashes for _, hashes in pins.values()), lock


def test_direct_requirements_are_in_the_lock_at_their_pins():
    pins = entries((DOCKER / "requirements.lock").read_text())
    for req in requirements(DOCKER / "requirements.in"):
        name = canonicalize_name(req.name)
        assert name in pins, req
        assert req.specifier.contains(pins[name][0], prereleases=True), (req, pins[name])
    assert pins["biomero"][0] == "2.8.3"
    assert pins["zeroc-ice"][0] == "3.6.5"


def test_our_package_dependencies_are_locked():
    # the image installs this repo's package with --no-deps: the lock must hold them
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pins = entries((DOCKER / "requirements.lock").read_text())
    for dep in map(Requirement, project["dependencies"]):
        name = canonicalize_name(dep.name)
        assert name in pins, dep
        assert dep.specifier.contains(pins[name][0]), (dep, pins[name])


def test_zeroc_ice_lock_is_the_requirements_lock_entry():
    ice = entries((DOCKER / "zeroc-ice.lock").read_text())
    full = entries((DOCKER / "requirements.lock").read_text())
    assert list(ice) == ["zeroc-ice"]
    assert ice["zeroc-ice"] == full["zeroc-ice"]


def test_patches_target_the_two_python_311_fixes():
    patches = sorted(p.name for p in (DOCKER / "patches").glob("zeroc-ice-3.6.5-*.patch"))
    assert len(patches) == 2
    text = "".join((DOCKER / "patches" / p).read_text() for p in patches)
    assert "-#include <eval.h>" in text
    assert "-    PyFrameObject *f = PyThreadState_GET()->frame;" in text
    assert "PyThreadState_GetFrame" in text


# ---- the worker's own needs, and each release's locks ----------------------------------
def releases() -> list:
    """docker/ (the default release) and every committed docker/locks/biomero-x.y.z/
    (git's list: test_build_script.py makes and removes one of its own meanwhile)."""
    tracked = subprocess.run(["git", "ls-files", "docker/locks"], cwd=REPO, check=True,
                             capture_output=True, text=True).stdout.split()
    return [DOCKER, *sorted({REPO / Path(f).parent for f in tracked})]


def test_there_is_a_variant_release_to_check():
    assert "biomero-2.9.0b15" in [p.name for p in releases()[1:]]


def test_every_release_locks_the_workers_own_needs_at_their_pins():
    for release in releases():
        pins = entries((release / "requirements.lock").read_text())
        for req in requirements(DOCKER / "worker-requirements.in"):
            name = canonicalize_name(req.name)
            assert name in pins, (release, req)
            assert req.specifier.contains(pins[name][0], prereleases=True), (release, req)
        # Ice from the ice-wheel stage: one cached compile for every release
        assert pins["zeroc-ice"] == entries((DOCKER / "zeroc-ice.lock").read_text())["zeroc-ice"]
        assert all(hashes for _, hashes in pins.values()), release


def test_a_variant_comes_from_what_its_release_requires_not_the_default_pins():
    for release in releases()[1:]:
        version = release.name.removeprefix("biomero-")
        lines = [ln for ln in (release / "requirements.in").read_text().splitlines()
                 if not ln.startswith("#")]
        extra = ["-r release.in"] if (release / "release.in").exists() else []
        assert lines == ["-r ../../worker-requirements.in", f"biomero[full]=={version}", *extra]
        pins = entries((release / "requirements.lock").read_text())
        assert pins["biomero"][0] == version
        for name in ("requirements-nodeps.lock", "pip-check.expected"):
            assert (release / name).is_file(), (release, name)


def test_biomero_2_9_gets_the_ezomero_and_importer_it_requires():
    pins = entries((DOCKER / "locks" / "biomero-2.9.0b15" / "requirements.lock").read_text())
    assert pins["ezomero"][0] == "3.2.3" and pins["tifffile"][0] == "2026.3.3"
    assert pins["biomero-importer"][0] == "1.5.0b9" and pins["numpy"][0].startswith("2.")
    # an ordinary dependency now: nothing is installed without its dependencies
    nodeps = (DOCKER / "locks" / "biomero-2.9.0b15" / "requirements-nodeps.lock").read_text()
    assert not entries(nodeps)
