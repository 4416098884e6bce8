"""The runtime layout (biomero_worker.layout): the one owner of the worker's paths,
and the rule that makes a deployer's BIOMERO_SLURM_CONFIG_FILE the web admin's
layer in every process (start-up, `docker exec`, the script hook)."""

from __future__ import annotations

from pathlib import Path

import pytest

from biomero_worker import cli, layout


def roles(environ) -> dict[str, Path]:
    return {lay.role: lay.path for lay in layout.layers(environ)}


def test_defaults_are_upstreams_mounts():
    found = roles({})
    assert found["WEBADMIN"] == Path("/opt/omero/server/slurm-config.ini")
    assert found["LEGACY"] == Path("/OMERO/slurm-config.ini")
    assert found["ETC"] == Path("/etc/slurm-config.ini")
    assert list(found) == ["BASE", "IMAGE_OVERRIDES", "ETC", "LEGACY", "RUNTIME_OVERRIDES",
                           "WEBADMIN"]


@pytest.mark.parametrize("value", [str(layout.LAYER_DEFAULTS["ETC"]), str(layout.MERGED_DEFAULT)])
def test_config_file_variable_naming_the_merged_file_changes_no_layer(value):
    assert roles({layout.CONFIG_FILE_VAR: value}) == roles({})


def test_deployer_config_file_becomes_the_web_admin_layer():
    env = {layout.CONFIG_FILE_VAR: "/srv/web/slurm-config.ini"}
    assert roles(env)["WEBADMIN"] == Path("/srv/web/slurm-config.ini")
    # the explicit variable wins over the deployer's habit
    env["BIOMERO_CONFIG_WEBADMIN"] = "/elsewhere.ini"
    assert roles(env)["WEBADMIN"] == Path("/elsewhere.ini")


def test_moved_merged_file_is_still_recognised_as_the_merged_file():
    env = {"BIOMERO_CONFIG_MERGED": "/state/m.ini", layout.CONFIG_FILE_VAR: "/state/m.ini"}
    assert roles(env)["WEBADMIN"] == layout.LAYER_DEFAULTS["WEBADMIN"]


def test_paths_command_prints_one_value_or_every_name(capsys):
    assert cli.main(["paths", "SSH_MOUNT"]) == 0
    assert capsys.readouterr().out == f"{layout.SSH_MOUNT}\n"
    assert cli.main(["paths"]) == 0
    every = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    assert every["MERGED"] == str(layout.MERGED_DEFAULT) and "WEBADMIN" in every
    assert cli.main(["paths", "NOPE"]) == 2
    assert "unknown name(s) NOPE" in capsys.readouterr().err
