"""The script environment (biomero_worker.script_env): the allow-list, and the import
hook itself on a stand-in omero package. The same code runs for real against
omero-py's ProcessI in the image (tests/worker)."""

from __future__ import annotations

import os
import subprocess
import sys

from biomero_worker import script_env
from tests.support.build_env import REPO


class FakeEnvironment:
    """The two methods of omero.util.Environment the hook uses (the contract itself
    is asserted against the real omero-py in the image tests)."""

    def __init__(self, **initial):
        self.env = dict(initial)

    def __call__(self):
        return self.env

    def set(self, key, value):
        self.env[key] = value


# -- allow-list -----------------------------------------------------------------
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


def test_detached_workflows_never_reach_a_script_even_when_allowed():
    env = dict(WORKER_ENV, BIOMERO_DETACHED_WORKFLOWS="true",
               BIOMERO_SCRIPT_ENV_ALLOW="BIOMERO_DETACHED_WORKFLOWS, BIOMERO_*")
    assert "BIOMERO_DETACHED_WORKFLOWS" not in script_env.select(env)
    assert "BIOMERO_DEFAULT_PARTITION" in script_env.select(env)
    fake = FakeEnvironment(BIOMERO_DETACHED_WORKFLOWS="1")
    script_env.extend(fake, env)
    assert fake()["BIOMERO_DETACHED_WORKFLOWS"] == "false"


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


def test_hook_wraps_make_env_when_omero_processor_is_imported(tmp_path, worker_layout):
    pkg = tmp_path / "fake" / "omero"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "processor.py").write_text(FAKE_PROCESSOR)
    code = ("import sys, biomero_worker.script_env_hook\n"
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


# What omero-py's ProcessI.make_env passes to every script by itself (its fixed list;
# the contract is checked against the real omero-py in tests/worker).
OMERO_PY_PASSES = {"CLASSPATH", "DISPLAY", "DYLD_LIBRARY_PATH", "HOME", "JYTHON_HOME", "LC_ALL",
                   "LANG", "LANGUAGE", "LD_LIBRARY_PATH", "MLABRAW_CMD_STR", "OMERODIR",
                   "OMERO_TEMPDIR", "OMERO_TMPDIR", "PATH", "PYTHONPATH", "OMERO_HOME"}


def test_every_variable_biomero_scripts_read_reaches_them():
    """From biomero-scripts' own list (../shared/biomero-scripts-needs.json)."""
    import json

    from tests.support.upstream_corpus import CORPUS

    needs = json.loads((CORPUS.parent / "biomero-scripts-needs.json").read_text())["scripts"]
    read = {v for script in needs.values() for v in script["environment_variables_read"]}
    assert "IMPORTER_ENABLED" in read
    missing = sorted(v for v in read - OMERO_PY_PASSES if not script_env.select({v: "x"}))
    assert missing == []
