"""The image's hash-pinned locks agree with their inputs (host-only checks)."""

from __future__ import annotations

import re
import tomllib

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
    return [Requirement(line.split("#", 1)[0].strip())
            for line in path.read_text().splitlines() if line.split("#", 1)[0].strip()]


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
