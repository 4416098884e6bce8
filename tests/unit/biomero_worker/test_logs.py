"""The worker's logs in ``docker logs``: the follower (log_forward), the scripts'
output copy (script_output), the log level (env_settings, node, the script hook).
Here on files and processes of the host; the real node, Processor and ProcessI in
tests/worker/test_logs.py."""

from __future__ import annotations

import os
import subprocess
import sys
import types

import pytest

from biomero_worker import env_settings, layout, log_forward, node, script_output
from tests.support.build_env import REPO

SESSION = "0f8e7d6c-5b4a-4392-8170-a1b2c3d4e5f6"


def collect():
    lines = []
    return lines, lines.append


def test_follower_skips_old_lines_then_copies_new_ones_with_the_file_name(tmp_path):
    proc = tmp_path / "Processor-0.log"
    proc.write_text("before the worker started\n")
    (tmp_path / "biomero.log").write_text("")
    out, write = collect()
    f = log_forward.Follower(tmp_path, ("Processor-*.log", "scripts.log"), write)
    with proc.open("a") as fh:
        fh.write("first\nhalf")
    f.poll()
    assert out == ["[Processor-0.log] first\n"]  # an unfinished line waits
    with proc.open("a") as fh:
        fh.write(" a line\n")
    (tmp_path / "scripts.log").write_text("job 7 stdout: hello\n")  # created later: all of it
    (tmp_path / "biomero.log").write_text("not followed\n")
    f.poll()
    assert out[1:] == ["[Processor-0.log] half a line\n", "[scripts.log] job 7 stdout: hello\n"]


def test_follower_reopens_a_rotated_or_truncated_file(tmp_path):
    path = tmp_path / "w.out"
    path.write_text("old\n")
    out, write = collect()
    f = log_forward.Follower(tmp_path, ("w.out",), write)
    path.rename(tmp_path / "w.out.1")
    path.write_text("after rotation\n")
    f.poll()
    path.write_text("")
    f.poll()
    path.write_text("after truncation\n")
    f.poll()
    assert out == ["[w.out] after rotation\n", "[w.out] after truncation\n"]


def test_session_keys_are_hidden(tmp_path):
    assert log_forward.scrub("Processor-0.log", f"processJob: Session = {SESSION}, JobId = 5") \
        == "processJob: Session = <hidden>, JobId = 5"
    # in scripts' lines only after "session": BIOMERO's workflow ids stay readable
    assert log_forward.scrub("scripts.log", f"job 5 stdout: session key {SESSION}") \
        == "job 5 stdout: session key <hidden>"
    assert log_forward.scrub("scripts.log", f"job 5 stdout: workflow {SESSION}") \
        == f"job 5 stdout: workflow {SESSION}"


def test_followed_files_are_the_nodes_the_processors_and_the_scripts():
    names = log_forward.patterns({"OMERO_WORKER_NAME": "biomeroworker"})
    assert names[:2] == ("biomeroworker.out", "biomeroworker.err")
    assert layout.scripts_log().name in names and "Processor-*.log" in names


def test_script_output_is_copied_line_by_line_while_it_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("OMERODIR", str(tmp_path / "omero"))
    out, err = tmp_path / "out", tmp_path / "err"
    script = ("import sys, time\nprint('one', flush=True)\ntime.sleep(0.6)\n"
              "print('two', flush=True)\nsys.stderr.write('oops no newline')\n")
    with out.open("w") as o, err.open("w") as e:
        popen = subprocess.Popen([sys.executable, "-c", script], stdout=o, stderr=e)
        process = types.SimpleNamespace(popen=popen, stdout_path=out, stderr_path=err,
                                        properties={"omero.job": "51"})
        script_output.start_copy(process)
        thread = script_output._threads[-1]
        popen.wait()
        thread.join(10)
    assert not thread.is_alive()
    copied = layout.scripts_log().read_text().splitlines()
    assert copied == ["job 51 stdout: one", "job 51 stdout: two",
                      "job 51 stderr: oops no newline"]


@pytest.mark.parametrize("raw,level", [("", None), ("10", 10), ("debug", 10),
                                       (" WARNING ", 30), ("40", 40)])
def test_log_level_values(raw, level):
    assert env_settings.log_level({"CONFIG_omero_logging_level": raw}) == level


@pytest.mark.parametrize("raw", ["0", "99", "loud", "-10", "1e1"])
def test_a_bad_log_level_names_the_variable(raw):
    with pytest.raises(env_settings.SettingError, match="CONFIG_omero_logging_level"):
        env_settings.log_level({"CONFIG_omero_logging_level": raw})


def test_the_nodes_servers_get_the_log_level_through_properties_override():
    env = {"CONFIG_omero_master_host": "m", "OMERO_WORKER_NAME": "w"}
    cfg = node.render(node.settings({**env, "CONFIG_omero_logging_level": "10"}), "10.0.0.2")
    assert "IceGrid.Node.PropertiesOverride=Ice.IPv6=0 omero.logging.level=10\n" in cfg["w.cfg"]
    with pytest.raises(node.NodeConfigError, match="CONFIG_omero_logging_level"):
        node.settings({**env, "CONFIG_omero_logging_level": "chatty"})


@pytest.mark.parametrize("level,shown", [("30", ["warning"]), ("", ["info", "warning"])])
def test_a_scripts_records_below_the_level_are_dropped(level, shown):
    code = ("import logging, sys\n"
            "logging.basicConfig(level=logging.DEBUG, stream=sys.stdout, format='%(message)s')\n"
            "logging.debug('debug'); logging.info('info'); logging.warning('warning')\n")
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "BIOMERO_SCRIPT_LOG_LEVEL": level}
    r = subprocess.run([sys.executable, "-c", "import biomero_worker.script_env_hook\n" + code],
                       env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == (["debug"] if not level else []) + shown
