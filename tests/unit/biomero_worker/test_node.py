"""The grid node's settings and files (biomero_worker.node) and the CONFIG_* names
(biomero_worker.omero_config). The node runs for real in tests/worker."""

from __future__ import annotations

import time

import pytest

from biomero_worker import node, omero_config


# -- node --------------------------------------------------------------------
@pytest.mark.parametrize("var,prop", [
    ("CONFIG_omero_master_host", "omero.master.host"),
    ("CONFIG_omero_policy_binary__access", "omero.policy.binary_access"),
    ("CONFIG_a_b_c", "a.b.c"),
    ("CONFIG_Ice_IPv6", "Ice.IPv6"),
])
def test_config_variable_names(var, prop):
    assert omero_config.property_name(var) == prop


def test_node_files_fixed_port_and_second_worker():
    s = node.settings({"CONFIG_omero_master_host": "master",
                              "OMERO_WORKER_NAME": "worker-2", "OMERO_WORKER_PORT": "4062"})
    files = node.render(s, "10.0.0.3")
    assert set(files) == {"internal.cfg", "worker-2.cfg", "ice.config"}
    # the master by name: Ice resolves it at each connection (a moved master is found)
    assert "Ice.Default.Locator=IceGrid/Locator:tcp -h master -p 4061" in files["internal.cfg"]
    assert "IceGrid.Node.Endpoints=tcp -h 10.0.0.3 -p 4062\n" in files["worker-2.cfg"]
    assert "IceGrid.Node.Name=worker-2\n" in files["worker-2.cfg"]
    assert "-p 4063 -h master" in files["ice.config"]
    assert "IceGrid.Node.PropertiesOverride=Ice.IPv6=0\n" in files["worker-2.cfg"]


def test_external_worker_listens_everywhere_and_publishes_its_host():
    s = node.settings({"CONFIG_omero_master_host": "master", "OMERO_WORKER_NAME": "w",
                              "OMERO_WORKER_PORT": "4062",
                              "OMERO_WORKER_PUBLISHED_HOST": "worker.example.org"})
    cfg = node.render(s, "0.0.0.0")["w.cfg"]
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
    with pytest.raises(node.NodeConfigError, match=needle):
        node.settings(env)


def test_unresolvable_master_is_a_bounded_clear_error():
    t0 = time.monotonic()
    with pytest.raises(node.NodeConfigError, match=r"no-such-master\.invalid.*1 s"):
        node.resolve("no-such-master.invalid", 1.0, "master")
    assert time.monotonic() - t0 < 10


@pytest.mark.parametrize("raw", ["inf", "nan", "-1", "0", "1e9", "soon"])
def test_wait_bounds_must_be_finite_positive_seconds(raw):
    env = {"CONFIG_omero_master_host": "m", "OMERO_WORKER_NAME": "w",
           "OMERO_RESOLVE_WAIT_SECONDS": raw}
    with pytest.raises(node.NodeConfigError, match=f"OMERO_RESOLVE_WAIT_SECONDS={raw!r}"):
        node.settings(env)


def test_an_overlong_worker_name_is_a_clear_error_not_a_traceback():
    env = {"CONFIG_omero_master_host": "m", "OMERO_WORKER_NAME": "w" * 300}
    with pytest.raises(node.NodeConfigError, match=r"\(300 characters\).*up to 63 "):
        node.settings(env)
