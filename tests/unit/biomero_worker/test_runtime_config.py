"""The worker's runtime config (biomero_worker.runtime_config) over a layout in a
temporary directory: layer order, re-merge only on change, last good merge kept,
the legacy /OMERO file rule, explain."""

from __future__ import annotations

import configparser
import os
from pathlib import Path

from biomero_worker import cli, runtime_config


def read(path):
    cfg = configparser.ConfigParser(allow_no_value=True)
    cfg.read(path)
    return cfg


def bump(path: Path):
    """Make an edit visible to the fingerprint even within one mtime tick."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def test_base_alone_merges_to_the_base(worker_layout):
    out = runtime_config.refresh()
    assert out.ok and out.changed, out.errors
    assert read(worker_layout["MERGED"]).has_option("MODELS", "stardist_repo")


def test_runtime_tombstone_removes_stardist_and_webadmin_is_last(worker_layout):
    worker_layout["RUNTIME_OVERRIDES"].mkdir()
    (worker_layout["RUNTIME_OVERRIDES"] / "10-site.ini").write_text("[MODELS]\n!stardist*\n")
    worker_layout["WEBADMIN"].parent.mkdir()
    worker_layout["WEBADMIN"].write_text("[SSH]\nhost=webadmin-host\n")
    out = runtime_config.refresh()
    assert out.ok, out.errors
    cfg = read(worker_layout["MERGED"])
    assert not [k for k in cfg.options("MODELS") if k.startswith("stardist")]
    assert cfg.has_option("MODELS", "cellpose_repo")
    assert cfg.get("SSH", "host") == "webadmin-host"


def test_unchanged_layers_do_not_rewrite(worker_layout):
    assert runtime_config.refresh().changed
    out = runtime_config.refresh()
    assert out.ok and not out.changed


def test_bad_edit_keeps_last_good_merge_and_reports(worker_layout):
    worker_layout["RUNTIME_OVERRIDES"].mkdir()
    site = worker_layout["RUNTIME_OVERRIDES"] / "10-site.ini"
    site.write_text("[SSH]\nhost=good\n")
    assert runtime_config.refresh().ok
    good = worker_layout["MERGED"].read_text()
    site.write_text("[SSH]\nhost=good\nthis is not a key value line\n")
    bump(site)
    out = runtime_config.refresh()
    assert not out.ok
    assert any(f"{site}:3" in e for e in out.errors), out.errors
    assert worker_layout["MERGED"].read_text() == good
    assert runtime_config.read_status()["ok"] is False
    # fixing the edit takes effect at the next refresh, no restart
    site.write_text("[SSH]\nhost=fixed\n")
    bump(site)
    assert runtime_config.refresh().ok
    assert read(worker_layout["MERGED"]).get("SSH", "host") == "fixed"


def test_legacy_omero_file_may_not_define_what_a_tombstone_deletes(worker_layout):
    worker_layout["LEGACY"].parent.mkdir()
    worker_layout["LEGACY"].write_text("[MODELS]\nstardist_job_mem=9GB\n")
    worker_layout["RUNTIME_OVERRIDES"].mkdir()
    (worker_layout["RUNTIME_OVERRIDES"] / "10-site.ini").write_text("[MODELS]\n!stardist*\n")
    out = runtime_config.refresh()
    assert not out.ok
    assert any(e.startswith(f"{worker_layout['LEGACY']}:2: MODELS.stardist_job_mem")
               and "10-site.ini:2" in e for e in out.errors), out.errors


def test_missing_base_is_an_error_naming_it(worker_layout):
    worker_layout["BASE"].unlink()
    out = runtime_config.refresh()
    assert not out.ok and any(str(worker_layout["BASE"]) in e for e in out.errors)



def test_explain_over_the_runtime_layers(worker_layout, capsys):
    worker_layout["RUNTIME_OVERRIDES"].mkdir()
    site = worker_layout["RUNTIME_OVERRIDES"] / "10-site.ini"
    site.write_text("[MODELS]\n!stardist*\n")
    assert cli.main(["config", "explain", "MODELS.stardist_repo"]) == 0
    out = capsys.readouterr().out
    assert "(deleted)" in out and f"{site}:2" in out and "!stardist*" in out




def test_a_deployers_etc_file_is_a_layer_right_after_the_images(worker_layout):
    """Upstream documents `./slurm-config-override.ini:/etc/slurm-config.ini:ro`: a
    layer right after the image's own, before the runtime overrides."""
    worker_layout["ETC"].parent.mkdir()
    worker_layout["ETC"].write_text("[SSH]\nhost=from-etc\n[SLURM]\nslurm_data_path=/etc-data\n")
    worker_layout["RUNTIME_OVERRIDES"].mkdir()
    (worker_layout["RUNTIME_OVERRIDES"] / "10-site.ini").write_text("[SSH]\nhost=from-site\n")
    out = runtime_config.refresh()
    assert out.ok, out.errors
    cfg = read(worker_layout["MERGED"])
    assert (cfg.get("SSH", "host") == "from-site"
            and cfg.get("SLURM", "slurm_data_path") == "/etc-data")
    roles = [lay.role for lay in runtime_config.layout.present_layers()]
    assert roles.index("ETC") == roles.index("IMAGE_OVERRIDES") + 1


def test_a_held_lock_bounds_the_wait_and_the_script_keeps_the_last_merge(worker_layout,
                                                                          monkeypatch):
    import fcntl
    import time

    from biomero_worker import layout, script_env

    assert runtime_config.refresh().ok
    (worker_layout["IMAGE_OVERRIDES"] / "20-x.ini").write_text("[SSH]\nhost=new\n")
    monkeypatch.setattr(runtime_config, "LOCK_WAIT", 0.5)

    class Env(dict):
        def __call__(self):
            return self

        def set(self, key, value):
            self[key] = value

    with open(layout.lock_path(), "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        t0 = time.monotonic()
        env = Env()
        script_env.refresh_config(env)
        assert time.monotonic() - t0 < 3
    assert env[layout.CONFIG_FILE_VAR] == str(worker_layout["MERGED"])
    assert read(worker_layout["MERGED"]).get("SSH", "host") != "new"  # the last merge
