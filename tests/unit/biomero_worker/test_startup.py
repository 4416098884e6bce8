"""The preparation in one process (startup): the image's steps and a site's, in one
order; what stops the node and what does not; stderr only; the docs' table."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from biomero_worker import startup
from biomero_worker.startup_log import Log
from tests.support.build_env import REPO


def fake_steps(monkeypatch, calls, fail=()):
    """The image's steps replaced by recorders (the real ones run in the image tests,
    tests/image and tests/worker); FAIL: names that return 3."""
    steps = tuple(startup.Step(s.name, (lambda log, n=s.name: calls.append(n) or
                                        (3 if n in fail else 0)), s.does, s.node_only)
                  for s in startup.STEPS)
    monkeypatch.setattr(startup, "STEPS", steps)


def site_step(directory, name, text="echo site step ran", mode=0o755):
    path = directory / name
    path.write_text(f"#!/bin/sh\n{text}\n")
    path.chmod(mode)
    return path


def test_site_steps_run_among_the_images_by_name(tmp_path, monkeypatch, capfd):
    calls = []
    fake_steps(monkeypatch, calls)
    site_step(tmp_path, "15-site.sh", f"echo ran >> {tmp_path}/order; echo on-stdout")
    site_step(tmp_path, "zz-notes.txt", mode=0o644)
    assert startup.prepare(True, Log("prepare"), tmp_path) == 0
    assert calls == [s.name for s in startup.STEPS]
    out, err = capfd.readouterr()
    # the site's step ran after 10-mount-ssh and before 20-slurm-config; its stdout
    # went to stderr, as every line of the preparation does
    assert out == ""
    assert err.index("prepare: " + str(tmp_path / "15-site.sh")) < err.index("on-stdout")
    assert "prepare: WARNING: skipping " + str(tmp_path / "zz-notes.txt") in err


def test_before_the_node_the_first_failure_stops(tmp_path, monkeypatch, capfd):
    calls = []
    fake_steps(monkeypatch, calls, fail={"20-slurm-config"})
    assert startup.prepare(True, Log("prepare"), tmp_path) == 3
    assert calls == ["05-identity", "10-mount-ssh", "20-slurm-config"]
    assert "prepare: ERROR: 20-slurm-config failed (exit 3); the worker is not started" \
        in capfd.readouterr().err


def test_before_another_command_every_step_runs_and_node_only_ones_skip(tmp_path,
                                                                        monkeypatch):
    calls = []
    fake_steps(monkeypatch, calls, fail={"10-mount-ssh"})
    site_step(tmp_path, "40-site.sh", "exit 7")
    assert startup.prepare(False, Log("prepare"), tmp_path) == 1
    assert calls == [s.name for s in startup.STEPS if not s.node_only]


def test_upstreams_external_worker_script_is_refused_before_any_step(tmp_path, monkeypatch,
                                                                      capfd):
    calls = []
    fake_steps(monkeypatch, calls)
    site_step(tmp_path, "99-run.sh", "omero node $OMERO_WORKER_NAME start --foreground")
    assert startup.prepare(False, Log("prepare"), tmp_path) == 1
    assert calls == []
    assert "upstream's external-worker script" in capfd.readouterr().err


def test_the_marker_scan_is_linear(tmp_path):
    # a line of many "omero node " without the rest: one pass per line, no backtracking
    path = tmp_path / "big.sh"
    path.write_bytes(b"omero node " * 90000 + b"\n")
    assert startup.upstream_external_script([path]) is None


def test_prepare_writes_only_the_nss_lines_on_stdout(tmp_path):
    """The command as the entrypoint runs it, in a process of its own: stdout holds
    nothing but NAME=VALUE lines (none here: the uid is known), whatever the steps,
    a site step or omero-py print; the steps' lines are on stderr."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "BIOMERO_WORKER_START": "command"}
    code = ("import sys; from biomero_worker import cli, startup; from pathlib import Path;"
            f"startup.layout.SITE_STEPS = Path({str(tmp_path)!r});"
            "startup.STEPS = ();"  # the image's steps need the image (tests/image)
            "sys.exit(cli.main(['prepare']))")
    site_step(tmp_path, "10-loud.sh", "echo loud; echo louder >&2")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    assert "loud\n" in r.stderr and "louder" in r.stderr


def test_the_docs_table_lists_the_steps_in_order():
    """startup.d/README.md's table has one row per step of STEPS, in their order, and
    start-node (the CMD) after them."""
    text = (REPO / "startup.d" / "README.md").read_text()
    rows = re.findall(r"^\| `([\w-]+)`", text.split("| step | does |", 1)[1], re.M)
    assert rows[:len(startup.STEPS) + 1] == [s.name for s in startup.STEPS] + ["start-node"]


def test_steps_are_named_in_order():
    names = [s.name for s in startup.STEPS]
    assert names == sorted(names) and len(set(names)) == len(names)


@pytest.mark.parametrize("level, label", [("info", ""), ("warning", "WARNING: "),
                                          ("error", "ERROR: ")])
def test_the_log_helper_prefixes_every_line(level, label, capsys):
    getattr(Log("20-slurm-config"), level)("one\ntwo")
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"20-slurm-config: {label}one\n20-slurm-config: {label}two\n"


def test_a_site_step_killed_by_a_signal_fails_as_a_shell_reports_it(tmp_path, monkeypatch):
    fake_steps(monkeypatch, [])
    site_step(tmp_path, "60-dies.sh", "kill -TERM $$")
    assert startup.prepare(True, Log("prepare"), tmp_path) == 128 + 15


def test_a_site_step_named_as_an_images_step_runs_after_it(tmp_path, monkeypatch, capfd):
    calls = []
    fake_steps(monkeypatch, calls)
    site_step(tmp_path, "20-slurm-config", "echo site-twin")
    assert startup.prepare(False, Log("prepare"), tmp_path) == 0
    assert calls[-1] == "50-omero-config" and "site-twin" in capfd.readouterr().err
