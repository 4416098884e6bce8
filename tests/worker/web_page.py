"""OMERO.biomero's admin page, run: the web container of a deployment, reduced to the
page's own view (``omero_biomero.admin_views.admin_config``) and biomero's reader.

The page runs in a container of the worker image, which has Python, biomero and
biomero's dependencies: its wheels (tests/worker/webpage/omero-biomero-*.lock,
hash-pinned: the page, Django 4.2, ConfigUpdater, and for 1.7 the biomero release it
requires) are downloaded for Python 3.12 (the wheels declare it; the view runs on
3.11), installed with --no-deps into a directory on the host, and put on the
container's PYTHONPATH. webpage/drive.py calls the undecorated view as the package's
own tests do. omero-web (the login, the rest of the page) and OMERO are not here.

The container is the web container of upstream's deployment: HOME is the image's
user's, so biomero's ``~/slurm-config.ini`` (layered mode) is the admin's file, the
one mounted into the worker; ``BIOMERO_SLURM_CONFIG_FILE`` names the shared file in
authoritative mode. What else the page shows in layered mode, its
``/etc/slurm-config.ini``, is the web image's own baked copy (upstream's default:
``view=`` a file) or a link to the worker's merged file in the worker's state volume
(the README's recommendation: ``state=`` the volume).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

from biomero_worker import layout
from tests.support.build_env import REPO

LOCKS = Path(__file__).parent / "webpage"
DRIVER = LOCKS / "drive.py"
VERSIONS = ("1.6.1", "1.7.0b10")  # the release, and the newest 1.7 pre-release
CACHE = REPO / ".build" / "omero-biomero"
SITE = "/opt/omero-biomero"  # the wheels, in the web container
WEB_STATE = "/etc/biomero-worker"  # the worker's state volume, in the web container


def install(version: str) -> Path:
    """The page's wheels for VERSION, hash-checked, installed in a host directory."""
    lock = LOCKS / f"omero-biomero-{version}.lock"
    target = CACHE / version / "site"
    stamp = CACHE / version / "installed-from.lock"
    if stamp.exists() and stamp.read_text() == lock.read_text() and target.is_dir():
        return target
    wheels = CACHE / version / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "download", "--quiet", "--no-deps", "--only-binary=:all:",
                    "--python-version", "3.12", "--require-hashes", "-r", str(lock),
                    "-d", str(wheels)], check=True)
    shutil.rmtree(target, ignore_errors=True)
    subprocess.run([*pip, "install", "--quiet", "--no-deps", "--no-index", "--find-links",
                    str(wheels), "--require-hashes", "--ignore-requires-python",
                    "--no-compile", "--target", str(target), "-r", str(lock)], check=True)
    stamp.write_text(lock.read_text())
    return target


class WebPage:
    """The admin page of one web container; ``save`` is an admin's visit."""

    def __init__(self, stack, image: str, version: str, admin: Path, *,
                 view: Path | None = None, state: str | None = None,
                 authoritative: str | None = None):
        self.version = version
        c = stack.container(image, name=f"omeroweb-{uuid.uuid4().hex[:6]}",
                            aliases=["omeroweb"], service="web")
        # with_kwargs replaces what stack.container set: the host name again
        c.with_kwargs(hostname="omeroweb", entrypoint=["sleep", "infinity"])
        c.with_env("PYTHONPATH", SITE)
        c.with_env(layout.CONFIG_FILE_VAR, authoritative or "")  # "" = layered mode
        c.with_volume_mapping(str(install(version)), SITE, "ro")
        c.with_volume_mapping(str(DRIVER), "/opt/drive.py", "ro")
        c.with_volume_mapping(str(admin), authoritative or str(layout.LAYER_DEFAULTS["WEBADMIN"]),
                              "rw")
        if view is not None:
            c.with_volume_mapping(str(view), "/etc/slurm-config.ini", "ro")
        if state is not None:
            c.with_volume_mapping(state, WEB_STATE, "ro")
        c.start()
        self.container = c
        if state is not None:  # the recommended web image: a link, not a file mount
            self.exec(["ln", "-sf", f"{WEB_STATE}/{layout.MERGED_DEFAULT.name}",
                       "/etc/slurm-config.ini"], user="root")

    def exec(self, cmd, user=None) -> str:
        r = self.container.exec(cmd, user=user, timeout=120)
        out = r.stdout + r.stderr
        assert r.exit_code == 0, out
        return out

    def _drive(self, request: dict) -> dict:
        out = self.exec(["python", "/opt/drive.py", json.dumps(request)])
        return json.loads(out.strip().splitlines()[-1])

    def shown(self) -> dict:
        """What the page shows (its GET)."""
        return self._drive({"get": True})["shown"]

    def save(self, changes: dict | None = None, removed: dict | None = None) -> dict:
        """An admin opens the page, changes CHANGES, removes REMOVED, saves."""
        answer = self._drive({"changes": changes or {}, "removed": removed or {}})
        assert answer["post"] == 200, answer
        return answer

    def versions(self) -> dict:
        code = ("import importlib.metadata as m, json; print(json.dumps({p: m.version(p) "
                "for p in ('omero-biomero', 'biomero', 'django', 'configupdater')}))")
        return json.loads(self.exec(["python", "-c", code]).strip().splitlines()[-1])

    def remove(self) -> None:
        self.container.get_wrapped_container().remove(force=True, v=True)
