"""omero_cli's wrapping, on stand-ins of omero-py's classes (the real omero-py is
checked in the worker: tests/workflow/test_manual.py runs `omero admin diagnostics`
and omero_cli.contract_problems() in the image)."""

from __future__ import annotations

from biomero_worker import omero_cli


class FakeUpgradeCheck:
    def __init__(self, agent, url="http://upgrade.example/", version="1", timeout=6.0):
        self.agent, self.url = agent, url


def test_an_upgrade_check_without_url_is_off_and_a_given_url_is_kept():
    cls = type("UC", (FakeUpgradeCheck,), {})
    assert omero_cli.patch_upgrade_check(cls) is True
    assert omero_cli.patch_upgrade_check(cls) is False  # idempotent
    assert cls("diagnostics").url == ""
    assert cls("diagnostics", url="https://site.example/check").url == "https://site.example/check"
    assert cls("diagnostics", "https://positional.example/").url == "https://positional.example/"


class FakeCLI:
    def __init__(self):
        self.controls = {}

    def register_only(self, name, Control, help, epilog=None):  # noqa: N803 - omero-py's name
        self.controls[name] = (Control, help, epilog)


def test_only_the_admin_control_is_replaced(monkeypatch):
    cls = type("CLI", (FakeCLI,), {})
    made = []

    def fake_worker_admin(base):
        made.append(base)
        return type(base.__name__, (base,), {"worker": True})

    monkeypatch.setattr(omero_cli, "worker_admin", fake_worker_admin)
    assert omero_cli.patch_cli(cls) is True
    assert omero_cli.patch_cli(cls) is False
    admin, other = type("AdminControl", (), {}), type("ScriptControl", (), {})
    cli = cls()
    cli.register_only("admin", admin, "help", epilog="e")
    cli.register_only("script", other, "help")
    assert made == [admin]
    assert cli.controls["admin"][0].worker and issubclass(cli.controls["admin"][0], admin)
    assert cli.controls["admin"][1:] == ("help", "e")
    assert cli.controls["script"][0] is other


def test_the_upgrade_line_says_how_to_turn_the_check_on():
    off = omero_cli.upgrade_line({})
    assert off.startswith("off") and "CONFIG_omero_upgrades_url" in off
    assert omero_cli.upgrade_line({"omero.upgrades.url": "  "}).startswith("off")
    asked = {"omero.upgrades.url": "https://u.example/"}
    assert omero_cli.upgrade_line(asked).startswith("off")  # not run

    class Ran:
        def __init__(self, url=None, exc=None):
            self.url, self.exc = url, exc

        def isUpgradeNeeded(self):  # noqa: N802 - omero-py's names
            return self.url is not None

        def getUpgradeUrl(self):  # noqa: N802
            return self.url

        def isExceptionThrown(self):  # noqa: N802
            return self.exc is not None

        def getExceptionThrown(self):  # noqa: N802
            return self.exc

    assert omero_cli.upgrade_line(asked, Ran()).startswith("no upgrade (asked https://u.example/")
    assert "upgrade available: https://new" in omero_cli.upgrade_line(asked, Ran("https://new"))
    assert "check failed: ConnectionError" in omero_cli.upgrade_line(
        asked, Ran(exc=ConnectionError("x")))
