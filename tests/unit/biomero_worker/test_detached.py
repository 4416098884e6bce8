"""Detached workflows (biomero 2.9+) need a supervisor this image has not: the
refusal's wording and biomero's reading of the variable. The start-up refusal itself
runs in the worker suite (tests/worker/test_worker.py)."""

from __future__ import annotations

import io

import pytest

from biomero_worker import detached, doctor, health, node


@pytest.mark.parametrize("value", ["1", "true", "True", "YES", "on", "On"])
def test_what_biomero_reads_as_true_is_refused(value):
    env = {detached.VAR: value}
    assert detached.requested(env)
    why = detached.refusal(env)
    # names the variable, what would happen, what to do
    assert why.startswith("BIOMERO_DETACHED_WORKFLOWS is true")
    assert "would wait for ever and never run" in why
    assert "Unset BIOMERO_DETACHED_WORKFLOWS" in why


@pytest.mark.parametrize("value", ["", "0", "false", "no", "off", " true", "true ", "2", "y"])
def test_what_biomero_reads_as_false_starts(value):
    # biomero compares the lower-cased value as it is: " true" keeps it attached
    assert detached.refusal({detached.VAR: value}) is None
    assert detached.refusal({}) is None


def test_the_value_is_never_quoted_back():
    assert "On" not in detached.refusal({detached.VAR: "On"})


def test_start_node_refuses_before_anything_else_on_stderr(monkeypatch):
    monkeypatch.setenv(detached.VAR, "true")
    monkeypatch.delenv("CONFIG_omero_master_host", raising=False)
    out, err = io.StringIO(), io.StringIO()
    assert node.cmd_start_node(None, out, err) == 1
    assert err.getvalue().startswith("start-node: ERROR: refusing to start the node: ")
    assert out.getvalue() == ""
    monkeypatch.setenv(detached.VAR, "false")  # past the refusal: the node's own checks
    err = io.StringIO()
    assert node.cmd_start_node(None, out, err) == 1
    assert "refusing" not in err.getvalue()
    assert err.getvalue().startswith("start-node: ERROR: CONFIG_omero_master_host")


def test_health_and_doctor_fail_on_it():
    env = {detached.VAR: "yes"}
    assert health.problems(env)[0] == detached.refusal(env)
    result = doctor.Doctor(environ=env).run("detached")
    assert (result.status, result.detail) == (doctor.FAIL, detached.refusal(env))
    assert doctor.Doctor(environ={}).run("detached").status == doctor.OK
