"""Host unit tests of the worker's pure logic (no Docker): the script environment
allow-list, the runtime config layering, the node's config files and CONFIG_*
names. The same code runs for real in the image in tests/worker/test_worker.py."""

from __future__ import annotations

import configparser
import os
import time
from pathlib import Path

import pytest

import script_env
import worker_config
import worker_node

REPO = Path(__file__).resolve().parents[2]
BASE = REPO / "config" / "base" / "slurm-config.ini"


class FakeEnvironment:
    """The two methods of omero.util.Environment the hook uses (the contract itself
    is asserted against the real omero-py in the image tests)."""

    def __init__(self, **initial):
        self.env = dict(initial)

    def __call__(self):
        return self.env

    def set(self, key, value):
        self.env[key] = value


# -- script_env -----------------------------------------------------------------
WORKER_ENV = {
    "HTTPS_PROXY": "http://proxy:3128", "https_proxy": "http://proxy:3128",
    "HTTP_PROXY": "http://proxy:3128", "NO_PROXY": "localhost,database",
    "no_proxy": "localhost", "SQLALCHEMY_URL": "postgresql+psycopg2://u:pw@db/b",
    "PERSISTENCE_MODULE": "eventsourcing_sqlalchemy", "BIOMERO_DEFAULT_PARTITION": "cpu",
    "SECRET_TOKEN": "s3cr3t", "POSTGRES_PASSWORD": "pw", "PATH": "/worker/bin",
}


def test_default_allow_list_passes_proxies_db_and_biomero_only():
    got = script_env.select(WORKER_ENV)
    assert set(got) == {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "NO_PROXY", "no_proxy",
                        "SQLALCHEMY_URL", "PERSISTENCE_MODULE", "BIOMERO_DEFAULT_PARTITION"}


def test_allow_variable_adds_names_and_patterns():
    env = dict(WORKER_ENV, BIOMERO_SCRIPT_ENV_ALLOW="SECRET_TOKEN, MY_*", MY_A="1", MY_B="2")
    got = script_env.select(env)
    assert {"SECRET_TOKEN", "MY_A", "MY_B", "HTTPS_PROXY"} <= set(got)
    assert "POSTGRES_PASSWORD" not in got


def test_extend_never_replaces_omero_values():
    env = FakeEnvironment(PATH="/omero/bin", HOME="/home")
    added = script_env.extend(env, dict(WORKER_ENV, BIOMERO_SCRIPT_ENV_ALLOW="PATH"))
    assert env()["PATH"] == "/omero/bin"
    assert "PATH" not in added and "HTTPS_PROXY" in added
    assert "SECRET_TOKEN" not in env()


# -- worker_config ----------------------------------------------------------------
@pytest.fixture
def layout(tmp_path, monkeypatch):
    """A worker's config layout under tmp_path, selected by BIOMERO_CONFIG_* vars."""
    paths = {
        "BASE": tmp_path / "base" / "slurm-config.ini",
        "IMAGE_OVERRIDES": tmp_path / "overrides",
        "LEGACY": tmp_path / "OMERO" / "slurm-config.ini",
        "RUNTIME_OVERRIDES": tmp_path / "overrides.d",
        "WEBADMIN": tmp_path / "home" / "slurm-config.ini",
        "MERGED": tmp_path / "state" / "slurm-config.ini",
    }
    paths["BASE"].parent.mkdir()
    paths["BASE"].write_text(BASE.read_text())
    paths["IMAGE_OVERRIDES"].mkdir()
    paths["MERGED"].parent.mkdir()
    for k, v in paths.items():
        monkeypatch.setenv(f"BIOMERO_CONFIG_{k}", str(v))
    return paths


def read(path):
    cfg = configparser.ConfigParser(allow_no_value=True)
    cfg.read(path)
    return cfg


def bump(path: Path):
    """Make an edit visible to the fingerprint even within one mtime tick."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def test_base_alone_merges_to_the_base(layout):
    out = worker_config.refresh()
    assert out.ok and out.changed, out.errors
    assert read(layout["MERGED"]).has_option("MODELS", "stardist_repo")


def test_runtime_tombstone_removes_stardist_and_webadmin_is_last(layout):
    layout["RUNTIME_OVERRIDES"].mkdir()
    (layout["RUNTIME_OVERRIDES"] / "10-site.ini").write_text("[MODELS]\n!stardist*\n")
    layout["WEBADMIN"].parent.mkdir()
    layout["WEBADMIN"].write_text("[SSH]\nhost=webadmin-host\n")
    out = worker_config.refresh()
    assert out.ok, out.errors
    cfg = read(layout["MERGED"])
    assert not [k for k in cfg.options("MODELS") if k.startswith("stardist")]
    assert cfg.has_option("MODELS", "cellpose_repo")
    assert cfg.get("SSH", "host") == "webadmin-host"


def test_unchanged_layers_do_not_rewrite(layout):
    assert worker_config.refresh().changed
    out = worker_config.refresh()
    assert out.ok and not out.changed


def test_bad_edit_keeps_last_good_merge_and_reports(layout):
    layout["RUNTIME_OVERRIDES"].mkdir()
    site = layout["RUNTIME_OVERRIDES"] / "10-site.ini"
    site.write_text("[SSH]\nhost=good\n")
    assert worker_config.refresh().ok
    good = layout["MERGED"].read_text()
    site.write_text("[SSH]\nhost=good\nthis is not a key value line\n")
    bump(site)
    out = worker_config.refresh()
    assert not out.ok
    assert any(f"{site}:3" in e for e in out.errors), out.errors
    assert layout["MERGED"].read_text() == good
    assert worker_config.read_status()["ok"] is False
    # fixing the edit takes effect at the next refresh, no restart
    site.write_text("[SSH]\nhost=fixed\n")
    bump(site)
    assert worker_config.refresh().ok
    assert read(layout["MERGED"]).get("SSH", "host") == "fixed"


def test_legacy_omero_file_may_not_define_what_a_tombstone_deletes(layout):
    layout["LEGACY"].parent.mkdir()
    layout["LEGACY"].write_text("[MODELS]\nstardist_job_mem=9GB\n")
    layout["RUNTIME_OVERRIDES"].mkdir()
    (layout["RUNTIME_OVERRIDES"] / "10-site.ini").write_text("[MODELS]\n!stardist*\n")
    out = worker_config.refresh()
    assert not out.ok
    assert any(e.startswith(f"{layout['LEGACY']}:2: MODELS.stardist_job_mem")
               and "10-site.ini:2" in e for e in out.errors), out.errors


def test_missing_base_is_an_error_naming_it(layout):
    layout["BASE"].unlink()
    out = worker_config.refresh()
    assert not out.ok and any(str(layout["BASE"]) in e for e in out.errors)


# -- worker_node --------------------------------------------------------------------
@pytest.mark.parametrize("var,prop", [
    ("CONFIG_omero_master_host", "omero.master.host"),
    ("CONFIG_omero_policy_binary__access", "omero.policy.binary_access"),
    ("CONFIG_a_b_c", "a.b.c"),
    ("CONFIG_Ice_IPv6", "Ice.IPv6"),
])
def test_config_variable_names(var, prop):
    assert worker_node.property_name(var) == prop


def test_node_files_fixed_port_and_second_worker():
    s = worker_node.settings({"CONFIG_omero_master_host": "master",
                              "OMERO_WORKER_NAME": "worker-2", "OMERO_WORKER_PORT": "4062"})
    files = worker_node.render(s, "10.0.0.2", "10.0.0.3")
    assert set(files) == {"internal.cfg", "worker-2.cfg", "ice.config"}
    assert "Ice.Default.Locator=IceGrid/Locator:tcp -h 10.0.0.2 -p 4061" in files["internal.cfg"]
    assert "IceGrid.Node.Endpoints=tcp -h 10.0.0.3 -p 4062\n" in files["worker-2.cfg"]
    assert "IceGrid.Node.Name=worker-2\n" in files["worker-2.cfg"]
    assert "-p 4063 -h 10.0.0.2" in files["ice.config"]
    assert "IceGrid.Node.PropertiesOverride=Ice.IPv6=0\n" in files["worker-2.cfg"]


def test_external_worker_listens_everywhere_and_publishes_its_host():
    s = worker_node.settings({"CONFIG_omero_master_host": "master", "OMERO_WORKER_NAME": "w",
                              "OMERO_WORKER_PORT": "4062",
                              "OMERO_WORKER_PUBLISHED_HOST": "worker.example.org"})
    cfg = worker_node.render(s, "10.0.0.2", "0.0.0.0")["w.cfg"]
    assert "IceGrid.Node.Endpoints=tcp -h 0.0.0.0 -p 4062\n" in cfg
    assert "IceGrid.Node.PublishedEndpoints=tcp -h worker.example.org -p 4062\n" in cfg


@pytest.mark.parametrize("env,needle", [
    ({"OMERO_WORKER_NAME": "w"}, "CONFIG_omero_master_host"),
    ({"CONFIG_omero_master_host": "m"}, "OMERO_WORKER_NAME"),
    ({"CONFIG_omero_master_host": "m", "OMERO_WORKER_NAME": "w", "OMERO_WORKER_PORT": "x"},
     "OMERO_WORKER_PORT"),
    ({"CONFIG_omero_master_host": "m", "OMERO_WORKER_NAME": "w",
      "OMERO_WORKER_PUBLISHED_HOST": "ext"}, "needs OMERO_WORKER_PORT"),
])
def test_node_settings_errors_name_the_variable(env, needle):
    with pytest.raises(worker_node.NodeConfigError, match=needle):
        worker_node.settings(env)


def test_unresolvable_master_is_a_bounded_clear_error():
    t0 = time.monotonic()
    with pytest.raises(worker_node.NodeConfigError, match=r"no-such-master\.invalid.*1 s"):
        worker_node.resolve("no-such-master.invalid", 1.0, "master")
    assert time.monotonic() - t0 < 10


def test_explain_over_the_runtime_layers(layout, capsys):
    from worker_config.__main__ import main

    layout["RUNTIME_OVERRIDES"].mkdir()
    site = layout["RUNTIME_OVERRIDES"] / "10-site.ini"
    site.write_text("[MODELS]\n!stardist*\n")
    assert main(["explain", "MODELS.stardist_repo"]) == 0
    out = capsys.readouterr().out
    assert "(deleted)" in out and f"{site}:2" in out and "!stardist*" in out


# -- script_env.hook: the import hook itself, on a stand-in omero package -------------
FAKE_PROCESSOR = '''
import os

class Environment:
    def __init__(self, *names):
        self.env = {n: os.environ[n] for n in names if n in os.environ}
    def __call__(self):
        return self.env
    def set(self, key, value):
        self.env[key] = value

class ProcessI:
    def __init__(self):
        self.make_env()
    def make_env(self):
        self.env = Environment("PATH")
'''


def test_hook_wraps_make_env_when_omero_processor_is_imported(tmp_path, layout):
    import subprocess
    import sys

    pkg = tmp_path / "fake" / "omero"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "processor.py").write_text(FAKE_PROCESSOR)
    code = ("import sys, script_env.hook\n"
            "assert 'omero.processor' not in sys.modules\n"
            "import omero.processor as P\n"
            "env = P.ProcessI().env()\n"
            "print(sorted(env))\n"
            "print(P.ProcessI.make_env._script_env)\n")
    env = {**os.environ, "PYTHONPATH": f"{tmp_path / 'fake'}{os.pathsep}{REPO / 'src'}",
           "HTTPS_PROXY": "http://p:1", "SECRET_TOKEN": "x"}
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    names, patched = r.stdout.splitlines()
    assert "HTTPS_PROXY" in names and "PATH" in names and "SECRET_TOKEN" not in names
    assert "BIOMERO_SLURM_CONFIG_FILE" in names and patched == "True"
    unhooked = code.replace("print(P.ProcessI.make_env._script_env)\n", "")
    r = subprocess.run([sys.executable, "-c", unhooked],
                       env={**env, "BIOMERO_SCRIPT_ENV_HOOK": "0"}, capture_output=True, text=True)
    assert r.returncode == 0 and "HTTPS_PROXY" not in r.stdout, r.stdout + r.stderr
