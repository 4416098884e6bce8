"""`biomero-worker`'s one argparse tree, loaded lazily: a command line loads the
modules up to the one that has its command, and every command is still found."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from biomero_worker import cli


def commands(top: argparse.ArgumentParser) -> list[str]:
    """The top-level commands a parser knows."""
    return [c for action in top._actions if isinstance(action, argparse._SubParsersAction)
            for c in action.choices]


ALL_COMMANDS = commands(cli.parser())


def loaded_modules(argv: list[str]) -> set[str]:
    """The biomero_worker modules a fresh interpreter has imported after building
    the parser for ARGV (a subprocess: this one has imported them all)."""
    code = ("import sys\nfrom biomero_worker import cli\n"
            f"cli.parser({argv!r})\n"
            "print(' '.join(m for m in sys.modules if m.startswith('biomero_worker.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    return set(out.split())


def test_the_full_tree_has_every_command():
    assert len(ALL_COMMANDS) >= len(cli.MODULES)
    assert {"health", "doctor", "config", "paths", "sbom"} <= set(ALL_COMMANDS)


@pytest.mark.parametrize("command", ALL_COMMANDS)
def test_each_command_is_found_from_its_own_command_line(command):
    assert command in commands(cli.parser([command]))


def test_the_healthcheck_loads_neither_doctor_nor_the_database_driver_nor_the_sbom():
    loaded = loaded_modules(["health"])
    assert "biomero_worker.health" in loaded
    assert not loaded & {"biomero_worker.doctor", "biomero_worker.analytics_db",
                         "biomero_worker.sbom", "biomero_worker.biomero_contract"}, loaded


def test_help_and_an_unknown_command_see_every_command(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["no-such-command"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert all(c in err for c in ("health", "doctor", "sbom", "config")), err
    assert {f"biomero_worker.{m}" for m in cli.MODULES} <= loaded_modules([])
