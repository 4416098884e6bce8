"""docker/build-image.sh: the no-op, and the bioformats2raw choices that must
fail before any docker work."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess

from tests.support import build_env
from tests.support.build_env import REPO

SCRIPT = REPO / "docker" / "build-image.sh"
B2R_VERSION = build_env.get("BIOFORMATS2RAW_VERSION")
B2R_SHA256 = build_env.get("BIOFORMATS2RAW_SHA256")
FETCHED = REPO / "docker" / "fetch" / f"bioformats2raw-{B2R_VERSION}.zip"


def run(tmp_path, **env):
    full = {**os.environ, "BUILD_DIR": str(tmp_path / "build"), **env}
    return subprocess.run([str(SCRIPT)], capture_output=True, text=True, env=full,
                          cwd=REPO, timeout=120)


def test_unchanged_inputs_do_no_docker_work(worker_image):
    # the image the suite runs was built by `make image` from this tree: the
    # same inputs must find the stamp and the image's label and stop there
    proc = subprocess.run(["make", "--no-print-directory", "image"], cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "is up to date" in proc.stderr
    assert "image: building" not in proc.stderr


def test_unknown_bioformats2raw_mode_fails(tmp_path):
    proc = run(tmp_path, BIOFORMATS2RAW="sometimes")
    assert proc.returncode != 0
    assert "BIOFORMATS2RAW must be auto, required or none" in proc.stderr


def test_local_archive_with_wrong_sha256_fails(tmp_path):
    fake = tmp_path / f"bioformats2raw-{B2R_VERSION}.zip"
    fake.write_bytes(b"not the release")
    assert hashlib.sha256(fake.read_bytes()).hexdigest() != B2R_SHA256
    before = FETCHED.exists()
    proc = run(tmp_path, BIOFORMATS2RAW="auto", BIOFORMATS2RAW_ARCHIVE=str(fake))
    assert proc.returncode != 0
    assert "sha256" in proc.stderr
    assert "image: building" not in proc.stderr
    assert FETCHED.exists() == before  # nothing copied into the build context


def test_another_uid_and_gid_chosen_at_build_time(tmp_path):
    """`make image OMERO_UID=... OMERO_GID=...`: the node's user and the owner of
    what it writes; gid 0 (an existing group) is taken as it is. Only the layers
    after the venv are rebuilt."""
    image = "biomero-worker-uid-test"
    proc = subprocess.run(["make", "--no-print-directory", "image", f"IMAGE={image}",
                           "OMERO_UID=4321", "OMERO_GID=0", f"BUILD_DIR={tmp_path}"],
                          cwd=REPO, capture_output=True, text=True, timeout=900)
    try:
        assert proc.returncode == 0, proc.stderr[-3000:]
        out = subprocess.run(
            ["docker", "run", "--rm", "--entrypoint", "bash", f"{image}:latest", "-c",
             "id -un; id -u; id -g; stat -c %u:%g /var/lib/biomero-worker "
             "/opt/omero/server/OMERO.server/var/log"],
            capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert out.stdout.split() == ["omero-server", "4321", "0", "4321:0", "4321:0"], out.stdout
    finally:
        subprocess.run(["docker", "image", "rm", "-f", f"{image}:latest",
                        f"{image}:{build_env.version()}"], capture_output=True, timeout=120)


OTHER_BIOMERO = "2.8.2"  # a released biomero other than the locked one


def test_another_biomero_release_by_make_variable(tmp_path):
    """`make image BIOMERO_VERSION=x.y.z` (upstream's .env habit): the locks for
    that release resolved and hash-pinned inside the build environment's container
    (docker/lock.sh), then the image built from them."""
    locks = REPO / "docker" / "locks" / f"biomero-{OTHER_BIOMERO}"
    made_here = not locks.exists()
    image = "biomero-worker-biomero-test"
    tag = f"{image}:{build_env.version()}-biomero{OTHER_BIOMERO}"
    proc = subprocess.run(["make", "--no-print-directory", "image", f"IMAGE={image}",
                           f"BIOMERO_VERSION={OTHER_BIOMERO}", f"BUILD_DIR={tmp_path}"],
                          cwd=REPO, capture_output=True, text=True, timeout=2400)
    try:
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
        lock = (locks / "requirements.lock").read_text()
        assert f"\nbiomero=={OTHER_BIOMERO} \\\n    --hash=sha256:" in lock
        # from what that release requires, not from the default release's own pins
        assert (locks / "requirements.in").read_text().splitlines()[-2:] == [
            "-r ../../worker-requirements.in", f"biomero[full]=={OTHER_BIOMERO}"]
        # its own tag only: the default's :VERSION and :latest are never taken
        for other in (f"{image}:latest", f"{image}:{build_env.version()}"):
            assert subprocess.run(["docker", "image", "inspect", other], capture_output=True,
                                  timeout=60).returncode != 0, other
        out = subprocess.run(
            ["docker", "run", "--rm", "--entrypoint", "python", tag, "-c",
             "import importlib.metadata as m; print(m.version('biomero'))"],
            capture_output=True, text=True, timeout=120)
        assert out.stdout.strip() == OTHER_BIOMERO, out.stderr
        label = subprocess.run(["docker", "image", "inspect", "-f",
                                '{{index .Config.Labels "org.biomero-worker.biomero.version"}}',
                                tag], capture_output=True, text=True, timeout=60)
        assert label.stdout.strip() == OTHER_BIOMERO
    finally:
        subprocess.run(["docker", "image", "rm", "-f", tag], capture_output=True, timeout=120)
        if made_here:
            shutil.rmtree(locks, ignore_errors=True)
            if not any(locks.parent.iterdir()):
                locks.parent.rmdir()
