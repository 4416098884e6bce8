"""The web admin's file as a snapshot of the page plus the admin's edits
(biomero_worker.webadmin): after a save that changed only X, the worker's effective
config differs from before only in X. The page is the stand-in of
tests/support/web_admin_page.py; the same flow runs through the real worker and
biomero in tests/worker."""

from __future__ import annotations

import configparser

import pytest

from biomero_worker import cli, layout, runtime_config
from tests.support import web_admin_page as page
from tests.support.build_env import REPO

BASE = REPO / "config" / "base" / "slurm-config.ini"
SITE = "[MODELS]\n!stardist*\n[SSH]\nhost = site-cluster\n[SLURM]\nslurm_data_bind_path = /site/bind\n"


def effective() -> dict:
    cfg = configparser.ConfigParser(allow_no_value=True)
    cfg.read_string(runtime_config.merge().text)
    return {s: dict(cfg._sections[s]) for s in cfg.sections()}  # noqa: SLF001


def diff(before: dict, after: dict) -> dict:
    keys = {(s, k) for s in before | after for k in before.get(s, {}) | after.get(s, {})}
    return {f"{s}.{k}": (before.get(s, {}).get(k), after.get(s, {}).get(k))
            for s, k in sorted(keys) if before.get(s, {}).get(k) != after.get(s, {}).get(k)}


@pytest.fixture
def site(worker_layout):
    worker_layout["RUNTIME_OVERRIDES"].mkdir()
    (worker_layout["RUNTIME_OVERRIDES"] / "10-site.ini").write_text(SITE)
    worker_layout["WEBADMIN"].parent.mkdir()
    return worker_layout


def refresh_ok():
    out = runtime_config.refresh(force=True)
    assert out.ok, out.errors
    return out


@pytest.mark.parametrize("view", ["upstream", "merged"], ids=["page-shows-base",
                                                               "page-shows-merged-view"])
def test_a_full_copy_save_changes_only_the_edit(site, view):
    before = effective()
    assert not [k for k in before["MODELS"] if k.startswith("stardist")]
    # upstream's default: the web image shows its own baked config (our base);
    # recommended: the web container is shown the worker's merged file
    refresh_ok()
    shown = [BASE] if view == "upstream" else [site["MERGED"]]
    page.save(shown, site["WEBADMIN"], {"MODELS": {"cellpose_job_mem": "20GB"}})
    saved = site["WEBADMIN"].read_text()  # the copy really is full
    assert "cellpose_repo" in saved and "[changelog]" in saved
    assert ("stardist_repo" in saved) == (view == "upstream")
    refresh_ok()
    assert diff(before, effective()) == {"MODELS.cellpose_job_mem": (None, "20GB")}


def test_later_saves_keep_earlier_edits_and_apply_a_change_back_to_an_older_value(site):
    # the recommended deployment: the page is shown the worker's merged file
    refresh_ok()
    page.save([site["MERGED"]], site["WEBADMIN"], {"MODELS": {"cellpose_job_mem": "20GB"}})
    refresh_ok()
    first = effective()
    page.save([site["MERGED"]], site["WEBADMIN"], {})
    refresh_ok()
    assert effective() == first  # a save without a change changes nothing
    # the page shows the site's host (merged view); the admin sets it back to the base's
    page.save([site["MERGED"]], site["WEBADMIN"], {"SSH": {"host": "localslurm"}})
    refresh_ok()
    assert diff(first, effective()) == {"SSH.host": ("site-cluster", "localslurm")}


def test_an_edit_of_a_key_a_site_layer_deleted_applies_and_is_explained(site, capsys):
    refresh_ok()
    new_repo = "https://github.com/example/W_Stardist/tree/v9.0.0"
    page.save([BASE], site["WEBADMIN"], {"MODELS": {"stardist_repo": new_repo}})
    out = refresh_ok()
    got = effective()["MODELS"]
    assert got["stardist_repo"] == new_repo and "stardist_job" not in got  # copies stay out
    assert any("MODELS.stardist_repo (re-adds what" in n and "!stardist*" in n
               for n in out.notes), out.notes
    assert cli.main(["config", "explain", "SSH.host"]) == 0
    text = capsys.readouterr().out
    assert "1 edit(s) applied" in text and "copied value(s) of the page ignored" in text


def test_an_empty_value_written_by_the_page_blanks_nothing(site):
    refresh_ok()
    site["WEBADMIN"].write_text("[SLURM]\nslurm_data_bind_path =\n[SSH]\nhost =\n")
    refresh_ok()
    got = effective()
    assert got["SLURM"]["slurm_data_bind_path"] == "/site/bind"
    assert got["SSH"]["host"] == "site-cluster"


def test_without_state_a_new_value_is_an_edit_and_a_shown_value_is_not(site):
    site["WEBADMIN"].write_text("[SSH]\nhost = localslurm\n[MODELS]\ncellpose_job_mem = 9GB\n")
    refresh_ok()  # first sight: no state
    got = effective()
    assert got["SSH"]["host"] == "site-cluster" and got["MODELS"]["cellpose_job_mem"] == "9GB"
    assert layout.webadmin_state_path().exists()


def test_a_tombstone_in_the_admin_file_applies_with_a_warning_naming_the_page(site):
    site["WEBADMIN"].write_text("[MODELS]\n!cellpose*\n")
    out = refresh_ok()
    assert not [k for k in effective()["MODELS"] if k.startswith("cellpose")]
    assert any("OMERO.biomero's admin page cannot read such lines" in w
               and f"{site['WEBADMIN']}:2" in w for w in out.warnings), out.warnings
