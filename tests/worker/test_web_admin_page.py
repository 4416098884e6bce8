"""OMERO.biomero's admin page as the worker's neighbour: the page itself (omero-biomero
1.6.1 and 1.7.0b10, tests/worker/web_page.py) writes the file mounted into a worker,
and after every save biomero in the worker (a script launched as Processor-0 launches
it) offers exactly what the site and the admin decided. Each save is also made by the
unit tests' stand-in (tests/support/web_admin_page.py) on the same input, and must
write the same settings: the stand-in is checked against the page's code.

The site layer sets the cluster alias and bind path and deletes ``stardist*``, in
``[MODELS]``, where the image's base has its workflows; a page writing a new file
puts its copy of them under ``[WORKFLOWS]``."""

from __future__ import annotations

import shutil

import pytest

from biomero_worker import layout
from tests.support import web_admin_page as stand_in
from tests.support.build_env import REPO
from tests.worker.service import RUNTIME_OVERRIDES, make_overrides, start_worker, worker_environment
from tests.worker.test_config_fidelity import biomero_view
from tests.worker.web_page import VERSIONS, WebPage

BASE = REPO / "config" / "base" / "slurm-config.ini"
SITE = ("[MODELS]\n!stardist*\n[SSH]\nhost = site-cluster\n"
        "[SLURM]\nslurm_data_bind_path = /site/bind\n")
STATE = str(layout.STATE_DIR)
WEBADMIN = str(layout.LAYER_DEFAULTS["WEBADMIN"])
SHARED = "/etc/biomero-shared/slurm-config.ini"  # authoritative mode: web and worker
MYSEG = {"myseg": "myseg", "myseg_repo": "https://github.com/example/W_MySeg/tree/v1.0.0",
         "myseg_job": "jobs/myseg.sh", "myseg_job_mem": "4GB"}
WORKFLOW_ATTRS = {"slurm_model_paths", "slurm_model_repos", "slurm_model_jobs",
                  "slurm_model_jobs_params", "slurm_model_use_gpu"}

pytestmark = pytest.mark.parametrize("version", VERSIONS)


def offered(view: dict) -> set[str]:
    """The workflows biomero offers."""
    return set(view["slurm_model_repos"])


def changed(before: dict, after: dict) -> set[str]:
    return {k for k in before | after if before.get(k) != after.get(k)}


def without(view: dict, workflow: str) -> dict:
    """VIEW with WORKFLOW gone from every per-workflow attribute."""
    return {k: ({n: v for n, v in val.items() if n != workflow} if k in WORKFLOW_ATTRS else val)
            for k, val in view.items()}


@pytest.fixture
def site(tmp_path):
    overrides = make_overrides(tmp_path)
    (overrides / "20-site.ini").write_text(SITE)
    return overrides


def admin_file(tmp_path, text: str = "") -> object:
    path = tmp_path / "web" / "slurm-config.ini"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    path.chmod(0o666)  # written by the web container's user, read by the worker's
    return path


def worker(stack, image, facts, name, mounts, env=None):
    w = start_worker(stack, image, facts, name=name, command=["sleep", "900"],
                     env=worker_environment(facts, name=name, **(env or {})), mounts=mounts)
    w.wait_for_log(f"slurm-config: {layout.MERGED_DEFAULT} ", timeout=120)
    return w


class Saves:
    """Each save through the page, repeated by the stand-in on a copy of the file as it
    was, showing it what the page was shown: both must write the same settings."""

    def __init__(self, page, admin, tmp_path, shown_view):
        self.page, self.admin, self.tmp, self.shown_view = page, admin, tmp_path, shown_view
        self.n = 0

    def save(self, changes=None, removed=None, authoritative=False):
        self.n += 1
        copy = self.tmp / f"stand-in-{self.n}.ini"
        if self.admin.exists():
            shutil.copyfile(self.admin, copy)
        view = self.shown_view(self.tmp / f"view-{self.n}.ini")
        answer = self.page.save(changes, removed)
        stand_in.save(view, copy, changes or {}, removed, authoritative=authoritative)
        assert stand_in.written(self.admin.read_text()) == stand_in.written(copy.read_text())
        return answer


def merged_view(w):
    def shown_view(path):
        code, out = w.exec(["cat", str(layout.MERGED_DEFAULT)])
        assert code == 0, out
        path.write_text(out)
        return [path]
    return shown_view


def test_saves_deletions_and_a_recreate_through_the_page(stack, worker_image, facts, site,
                                                       tmp_path, version):
    """The recommended deployment: the page shows the worker's merged file (a link into
    the worker's state volume) and writes its own file, mounted into the worker."""
    state = stack.volume(f"webadmin-state-{version}")
    admin = admin_file(tmp_path)
    mounts = {WEBADMIN: admin, RUNTIME_OVERRIDES: site, STATE: state}
    w = worker(stack, worker_image, facts, "pageworker", mounts)
    page = WebPage(stack, worker_image, version, admin, state=state)
    try:
        assert page.versions()["omero-biomero"] == version
        saves = Saves(page, admin, tmp_path, merged_view(w))
        start = biomero_view(w)
        assert start["host"] == "site-cluster" and start["slurm_data_bind_path"] == "/site/bind"
        assert not [n for n in offered(start) if n.startswith("stardist")]
        assert "cellpose" in offered(start)

        # 1. first save, one edit
        saves.save({"WORKFLOWS": {"cellpose_job_mem": "20GB"}})
        first = biomero_view(w)
        assert changed(start, first) == {"slurm_model_jobs_params"}, (start, first)
        assert first["slurm_model_jobs_params"]["cellpose"] == [" --mem=20GB"]

        # 2. delete a workflow: the page drops its keys from its file
        keys = [k for k in page.shown()["config"]["WORKFLOWS"] if k.startswith("cellpose")]
        saves.save(removed={"WORKFLOWS": keys})
        deleted = biomero_view(w)
        assert deleted == without(first, "cellpose"), changed(first, deleted)
        code, out = w.exec("doctor --only config")
        assert "WORKFLOWS.cellpose_repo (deleted in the web admin's file" in out, out
        code, out = w.exec("python -m biomero_worker config explain MODELS.cellpose_repo")
        assert code == 0 and "deleted in the web admin's file" in out, out

        # 3. add a workflow
        saves.save({"WORKFLOWS": MYSEG})
        added = biomero_view(w)
        assert offered(added) == offered(deleted) | {"myseg"}
        assert added["slurm_model_jobs_params"]["myseg"] == [" --mem=4GB"]
        assert changed(deleted, added) <= WORKFLOW_ATTRS

        # 4. change a path
        saves.save({"SLURM": {"slurm_data_path": "/data/admin-data"}})
        path = biomero_view(w)
        assert changed(added, path) == {"slurm_data_path"}
        assert path["slurm_data_path"] == "/data/admin-data"

        # 5. recreate the worker (an image upgrade): the state volume goes with it
        w.remove()
        w = worker(stack, worker_image, facts, "pageworker", mounts)
        assert "no record of the page's earlier saves" not in w.logs(), w.logs()
        assert biomero_view(w) == path
        saves.shown_view = merged_view(w)
        saves.save({"SSH": {"host": "admin-cluster"}})
        assert changed(path, biomero_view(w)) == {"host"}
    finally:
        page.remove()
        w.remove()

    # 6. a worker without the record (no state volume): said at start, with what it means
    fresh = {WEBADMIN: admin, RUNTIME_OVERRIDES: site}
    w = worker(stack, worker_image, facts, "pageworker", fresh)
    try:
        logs = w.logs()
        assert "no record of the page's earlier saves" in logs, logs
        assert "nothing is taken as deleted" in logs
        assert "cellpose" in offered(biomero_view(w))  # what no record means
    finally:
        w.remove()


def test_a_first_save_from_the_web_images_own_copy_keeps_the_sites_deletion(
        stack, worker_image, facts, site, tmp_path, version):
    """Upstream's default deployment: the page shows the web image's baked config (here
    the image's base), so its first save copies the workflows the site deleted."""
    admin = admin_file(tmp_path)
    w = worker(stack, worker_image, facts, "pagecopy", {WEBADMIN: admin, RUNTIME_OVERRIDES: site})
    page = WebPage(stack, worker_image, version, admin, view=BASE)
    try:
        saves = Saves(page, admin, tmp_path, lambda _: [BASE])
        before = biomero_view(w)
        saves.save({"WORKFLOWS": {"cellpose_job_mem": "20GB"}})
        written = stand_in.written(admin.read_text())
        assert "stardist_repo" in written["WORKFLOWS"] and "MODELS" not in written
        assert written["SSH"]["host"] == "localslurm"
        after = biomero_view(w)
        assert changed(before, after) == {"slurm_model_jobs_params"}, (before, after)
        assert not [n for n in offered(after) if n.startswith("stardist")]
        code, out = w.exec("python -m biomero_worker config explain WORKFLOWS.stardist")
        assert code == 0, out
        lines = out.splitlines()
        assert lines[0] == "[MODELS] stardist  (deleted)", out
        assert any("20-site.ini:2" in ln and "by !stardist*" in ln for ln in lines), out
        assert any(ln.strip().startswith("ignored") and f"{WEBADMIN}:" in ln
                   and "[WORKFLOWS]" in ln for ln in lines), out
        code, again = w.exec("python -m biomero_worker config explain MODELS.stardist")
        assert again == out
    finally:
        page.remove()
        w.remove()


def test_authoritative_mode_one_shared_file_for_web_and_worker(
        stack, worker_image, facts, site, tmp_path, version):
    """NL-BIOMERO's compose: BIOMERO_SLURM_CONFIG_FILE in the web and the worker names
    one shared file (here filled, as a deployer does, with the image's base). The page
    shows that file alone; the worker reads it as the web admin's layer over the
    image's base and the site's layers: the page's deletions take effect, and the
    site's tombstone still beats the page's copy."""
    shared = admin_file(tmp_path, BASE.read_text())
    mounts = {SHARED: shared, RUNTIME_OVERRIDES: site, STATE: stack.volume(f"auth-{version}")}
    w = worker(stack, worker_image, facts, "pageauth", mounts, {layout.CONFIG_FILE_VAR: SHARED})
    page = WebPage(stack, worker_image, version, shared, authoritative=SHARED)
    try:
        code, out = w.exec("python -m biomero_worker config layers")
        assert f"WEBADMIN           {SHARED} (present)" in out, out
        saves = Saves(page, shared, tmp_path, lambda _: [])
        start = biomero_view(w)
        assert start["host"] == "site-cluster"  # the shared file's copy is not an edit
        assert not [n for n in offered(start) if n.startswith("stardist")]

        answer = saves.save({"WORKFLOWS": {"cellpose_job_mem": "20GB"}}, authoritative=True)
        assert answer["mode"] == "authoritative"
        first = biomero_view(w)
        assert changed(start, first) == {"slurm_model_jobs_params"}, (start, first)

        keys = [k for k in page.shown()["config"]["WORKFLOWS"] if k.startswith("cellpose")]
        saves.save(removed={"WORKFLOWS": keys}, authoritative=True)
        assert biomero_view(w) == without(first, "cellpose")
        # the page still shows (and writes) stardist: the site's tombstone wins
        assert "stardist_repo" in page.shown()["config"]["WORKFLOWS"]
        assert not [n for n in offered(biomero_view(w)) if n.startswith("stardist")]
    finally:
        page.remove()
        w.remove()
