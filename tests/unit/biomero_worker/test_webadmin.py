"""The web admin's file as a snapshot of the page plus the admin's edits and
deletions (biomero_worker.webadmin): after a save that changed only X, the worker's
effective config (as biomero reads it: [MODELS] and [WORKFLOWS] as one) differs from
before only in X. The page is the stand-in of tests/support/web_admin_page.py; the
page itself, the real worker and biomero run the same sequences in
tests/worker/test_web_admin_page.py (which checks the stand-in against the page)."""

from __future__ import annotations

import configparser

import pytest

from biomero_worker import cli, layout, runtime_config
from tests.support import web_admin_page as page
from tests.support.build_env import REPO

BASE = REPO / "config" / "base" / "slurm-config.ini"
SITE = ("[MODELS]\n!stardist*\n[SSH]\nhost = site-cluster\n[SLURM]\n"
        "slurm_data_bind_path = /site/bind\n")


def effective() -> dict:
    """The merged settings as biomero takes them: one WORKFLOWS, [WORKFLOWS] winning."""
    cfg = configparser.ConfigParser(allow_no_value=True)
    cfg.read_string(runtime_config.merge().text)
    got = {s: dict(cfg._sections[s]) for s in cfg.sections()}  # noqa: SLF001
    workflows = {**got.pop("MODELS", {}), **got.pop("WORKFLOWS", {})}
    return {**got, "WORKFLOWS": workflows}


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
    assert not [k for k in before["WORKFLOWS"] if k.startswith("stardist")]
    # upstream's default: the web image shows its own baked config (our base);
    # recommended: the web container is shown the worker's merged file
    refresh_ok()
    shown = [BASE] if view == "upstream" else [site["MERGED"]]
    page.save(shown, site["WEBADMIN"], {"MODELS": {"cellpose_job_mem": "20GB"}})
    saved = site["WEBADMIN"].read_text()  # the copy really is full
    assert "cellpose_repo" in saved and "[changelog]" in saved
    assert ("stardist_repo" in saved) == (view == "upstream")
    refresh_ok()
    assert diff(before, effective()) == {"WORKFLOWS.cellpose_job_mem": (None, "20GB")}


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
    got = effective()["WORKFLOWS"]
    assert got["stardist_repo"] == new_repo and "stardist_job" not in got  # copies stay out
    assert any("WORKFLOWS.stardist_repo (re-adds what" in n and "!stardist*" in n
               for n in out.notes), out.notes
    assert cli.main(["config", "explain", "SSH.host"]) == 0
    text = capsys.readouterr().out
    assert ("1 edit(s) and 0 deletion(s) applied" in text
            and "copied value(s) of the page ignored" in text)


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
    assert got["SSH"]["host"] == "site-cluster" and got["WORKFLOWS"]["cellpose_job_mem"] == "9GB"
    assert layout.webadmin_state_path().exists()


def test_a_tombstone_in_the_admin_file_applies_with_a_warning_naming_the_page(site):
    site["WEBADMIN"].write_text("[MODELS]\n!cellpose*\n")
    out = refresh_ok()
    assert not [k for k in effective()["WORKFLOWS"] if k.startswith("cellpose")]
    assert any("OMERO.biomero's admin page cannot read such lines" in w
               and f"{site['WEBADMIN']}:2" in w for w in out.warnings), out.warnings


def test_the_pages_workflows_copy_in_its_own_section_stays_deleted_by_the_site(site, capsys):
    """The page puts its workflows under [WORKFLOWS]; the site deleted stardist* in
    [MODELS]: one namespace, so the copies are recognised and the tombstone holds."""
    refresh_ok()
    page.save([BASE], site["WEBADMIN"], {"SSH": {"host": "admin-cluster"}})
    saved = page.written(site["WEBADMIN"].read_text())
    assert "stardist_repo" in saved["WORKFLOWS"] and "MODELS" not in saved
    refresh_ok()
    got = effective()
    assert not [k for k in got["WORKFLOWS"] if k.startswith("stardist")], got["WORKFLOWS"]
    assert got["SSH"]["host"] == "admin-cluster"
    # one history for the key, whichever section is named
    assert cli.main(["config", "explain", "WORKFLOWS.stardist_repo"]) == 0
    by_workflows = capsys.readouterr().out
    assert cli.main(["config", "explain", "MODELS.stardist_repo"]) == 0
    assert capsys.readouterr().out == by_workflows
    assert "by !stardist*" in by_workflows and "ignored" in by_workflows, by_workflows
    assert f"{site['WEBADMIN']}:" in by_workflows and "[WORKFLOWS]" in by_workflows


def saved_workflows(site):
    return page.written(site["WEBADMIN"].read_text()).get("WORKFLOWS", {})


def cellpose(keys) -> list[str]:
    return [k for k in keys if k.startswith("cellpose")]


@pytest.mark.parametrize("view", ["upstream", "merged"])
def test_a_workflow_the_admin_deletes_is_deleted_and_stays_deleted(site, capsys, view):
    refresh_ok()
    shown = [BASE] if view == "upstream" else [site["MERGED"]]
    page.save(shown, site["WEBADMIN"], {"MODELS": {"cellpose_job_mem": "20GB"}})
    refresh_ok()
    assert effective()["WORKFLOWS"]["cellpose_job_mem"] == "20GB"
    gone = cellpose(saved_workflows(site))
    page.save(shown, site["WEBADMIN"], {}, removed={"WORKFLOWS": gone})
    out = refresh_ok()
    assert cellpose(effective()["WORKFLOWS"]) == []
    assert any("web admin deletion" in n and "WORKFLOWS.cellpose_repo" in n
               and "deleted in the web admin's file" in n for n in out.notes), out.notes
    assert cli.main(["config", "explain", "MODELS.cellpose_repo"]) == 0
    text = capsys.readouterr().out
    assert "(deleted)" in text and "deleted in the web admin's file" in text, text
    # a later unrelated save keeps the deletion (the page shows the merged file; with
    # the web image's own copy it shows the workflow again and writes it back)
    before = effective()
    page.save([site["MERGED"]], site["WEBADMIN"], {"SSH": {"host": "elsewhere"}})
    refresh_ok()
    assert diff(before, effective()) == {"SSH.host": ("site-cluster", "elsewhere")}


def test_a_workflow_the_page_writes_again_is_back(site):
    refresh_ok()
    page.save([site["MERGED"]], site["WEBADMIN"], {})
    refresh_ok()
    first = effective()
    page.save([site["MERGED"]], site["WEBADMIN"], {},
              removed={"WORKFLOWS": cellpose(saved_workflows(site))})
    refresh_ok()
    assert cellpose(effective()["WORKFLOWS"]) == []
    again = {k: v for k, v in first["WORKFLOWS"].items() if k.startswith("cellpose")}
    page.save([site["MERGED"]], site["WEBADMIN"], {"WORKFLOWS": again})
    refresh_ok()
    assert effective() == first


def test_the_admins_deletion_beats_a_value_a_site_layer_sets_later(site):
    refresh_ok()
    page.save([site["MERGED"]], site["WEBADMIN"], {})
    refresh_ok()
    page.save([site["MERGED"]], site["WEBADMIN"], {}, removed={"SLURM": ["slurm_data_bind_path"]})
    refresh_ok()
    assert "slurm_data_bind_path" not in effective()["SLURM"]
    (site["RUNTIME_OVERRIDES"] / "30-later.ini").write_text(
        "[SLURM]\nslurm_data_bind_path = /later/bind\n")
    out = refresh_ok()
    assert "slurm_data_bind_path" not in effective()["SLURM"]
    assert any("SLURM.slurm_data_bind_path" in n and "30-later.ini" in n for n in out.notes)


def test_without_a_record_nothing_is_deleted_and_the_log_says_why(site):
    refresh_ok()
    page.save([site["MERGED"]], site["WEBADMIN"], {})
    refresh_ok()
    page.save([site["MERGED"]], site["WEBADMIN"], {},
              removed={"WORKFLOWS": cellpose(saved_workflows(site))})
    layout.webadmin_state_path().unlink()  # a recreated container without its volume
    out = refresh_ok()
    assert cellpose(effective()["WORKFLOWS"]) != []
    assert any("no record of the page's earlier saves" in n and "nothing is taken as deleted"
               in n for n in out.notes), out.notes


def test_a_file_not_written_by_the_page_deletes_nothing(site):
    refresh_ok()
    page.save([site["MERGED"]], site["WEBADMIN"], {})
    refresh_ok()
    site["WEBADMIN"].write_text("[SSH]\nhost = by-hand\n")  # a deployer's own file
    refresh_ok()
    got = effective()
    assert got["SSH"]["host"] == "by-hand" and cellpose(got["WORKFLOWS"]) != []


def test_a_record_from_before_the_shared_namespace_still_reads(site):
    refresh_ok()
    site["WEBADMIN"].write_text("[MODELS]\ncellpose_job_mem = 9GB\n[changelog]\n")
    layout.webadmin_state_path().write_text(
        '{"seen": {"MODELS\\u0000cellpose_job_mem": "9GB"}, '
        '"edits": ["MODELS\\u0000cellpose_job_mem"]}')
    out = refresh_ok()
    assert effective()["WORKFLOWS"]["cellpose_job_mem"] == "9GB"
    assert not any("no record" in n for n in out.notes), out.notes


@pytest.mark.parametrize("record", ["not json", '{"seen": 3}',
                                    '{"seen": {}, "edits": 5, "deleted": null}'])
def test_a_damaged_record_is_no_record(site, record):
    refresh_ok()
    site["WEBADMIN"].write_text("[SSH]\nhost = localslurm\n[changelog]\n")
    layout.webadmin_state_path().write_text(record)
    out = refresh_ok()
    assert effective()["SSH"]["host"] == "site-cluster"
    assert any("no record" in n for n in out.notes) == (
        record != '{"seen": {}, "edits": 5, "deleted": null}')


def test_a_deletion_of_what_a_file_biomero_reads_raw_sets_is_named_not_applied(site):
    """/etc/slurm-config.ini is one of biomero's default paths: a tombstone against it
    is refused (runtime_config.legacy_conflicts); the admin's deletion of what it sets
    is kept out, with a warning naming the file, and the page's other saves still apply."""
    site["ETC"].parent.mkdir()
    site["ETC"].write_text("[SLURM]\nslurm_data_path = /etc-data\n")
    refresh_ok()
    page.save([site["MERGED"]], site["WEBADMIN"], {})
    refresh_ok()
    page.save([site["MERGED"]], site["WEBADMIN"], {"SSH": {"host": "elsewhere"}},
              removed={"SLURM": ["slurm_data_path"]})
    out = refresh_ok()
    got = effective()
    assert got["SLURM"]["slurm_data_path"] == "/etc-data" and got["SSH"]["host"] == "elsewhere"
    assert any(f"{site['ETC']}:2 sets it" in w and "SLURM.slurm_data_path" in w
               for w in out.warnings), out.warnings
