"""omero-py's CLI in the worker: what OMERO's own commands assume of a server, answered
for a grid node without OMERO.server. Applied by the script hook (script_env_hook)
when omero-py's modules are imported; omero-py's files stay as shipped.

  omero.cli                  ``CLI.register_only``: the ``admin`` control (omero-py's
                             plugin file, exec'd by the CLI) is registered as a subclass
                             whose ``diagnostics`` reports this worker: versions, the
                             node, its master, whether the node is registered (doctor's
                             own checks), and the upgrade check's setting. OMERO's
                             report reads OMERO.server's etc/omero.properties and ends
                             in a traceback here.
  omero.util.upgrade_check   ``UpgradeCheck``: a check made without a URL (no
                             ``omero.upgrades.url`` set) is off, instead of calling
                             upgrade.openmicroscopy.org.uk. A deployer who wants the
                             check sets ``CONFIG_omero_upgrades_url`` (start-up step 50
                             writes it as ``omero.upgrades.url``, which omero-py then
                             passes on as the URL).

What this relies on in omero-py is ``contract_problems()``, run by the worker tests
against the image's omero-py, so an omero-py upgrade that moves any of it fails there.
"""

from __future__ import annotations

import inspect
import os
import shutil
import subprocess
import sys

UPGRADE_PROPERTY = "omero.upgrades.url"
UPGRADE_VARIABLE = "CONFIG_omero_upgrades_url"
MARKER = "_biomero_worker"
BANNER = "OMERO Diagnostics (admin: BIOMERO worker node, no OMERO.server in this image)"
VERSION_TIMEOUT = 10.0
CHECK_TIMEOUT = 5.0  # per doctor check (registry, node); doctor bounds each at twice this


# -- the upgrade check -----------------------------------------------------------------
def patch_upgrade_check(cls) -> bool:
    """``UpgradeCheck(agent)`` without a URL gets an empty one: omero-py's own "off"."""
    original = cls.__init__
    if getattr(original, MARKER, False):
        return False

    def __init__(self, agent, *args, **kwargs):
        if not args and "url" not in kwargs:
            kwargs["url"] = ""
        original(self, agent, *args, **kwargs)

    __init__.__wrapped__ = original
    setattr(__init__, MARKER, True)
    cls.__init__ = __init__
    return True


# -- admin diagnostics -----------------------------------------------------------------
def patch_cli(cli_cls) -> bool:
    """Register omero-py's ``admin`` control as the worker's subclass of it."""
    original = cli_cls.register_only
    if getattr(original, MARKER, False):
        return False

    def register_only(self, name, control, *args, **kwargs):
        if name == "admin" and isinstance(control, type):
            control = worker_admin(control)
        return original(self, name, control, *args, **kwargs)

    register_only.__wrapped__ = original
    register_only.__doc__ = original.__doc__
    setattr(register_only, MARKER, True)
    cli_cls.register_only = register_only
    return True


def worker_admin(base: type) -> type:
    """BASE (omero-py's AdminControl) with the worker's ``diagnostics``."""
    if getattr(base, MARKER, False):
        return base

    def diagnostics(self, args):
        """Run a set of checks on this worker node (versions, node, master)"""
        report(self)

    return type(base.__name__, (base,), {"diagnostics": diagnostics, MARKER: True,
                                         "__module__": base.__module__,
                                         "__doc__": base.__doc__})


def _version_of(command: list[str]) -> tuple[str, str]:
    """(version, where) from COMMAND's --version output, bounded in time."""
    where = shutil.which(command[0])
    if where is None:
        return "not found", "not on PATH"
    try:
        r = subprocess.run(command, capture_output=True, text=True, timeout=VERSION_TIMEOUT,
                           stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"no answer ({type(exc).__name__})", where
    words = (r.stdout + " " + r.stderr).split()
    version = next((w for w in words if w[:1].isdigit()), None)
    return (version or f"unreadable (exit {r.returncode})"), where


def _distribution(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _ice_version() -> str:
    try:
        import Ice

        return Ice.stringVersion()
    except Exception as exc:  # a report line, not a traceback
        return f"not importable ({type(exc).__name__})"


def upgrade_line(config_map: dict, check=None) -> str:
    """The upgrade check's row: off, or what CHECK (an UpgradeCheck that ran) found."""
    url = (config_map.get(UPGRADE_PROPERTY) or "").strip()
    if not url or check is None:
        return f"off ({UPGRADE_PROPERTY} not set; {UPGRADE_VARIABLE}=URL turns it on)"
    if check.isUpgradeNeeded():
        found = f"upgrade available: {check.getUpgradeUrl()}"
    elif check.isExceptionThrown():
        found = f"check failed: {type(check.getExceptionThrown()).__name__}"
    else:
        found = "no upgrade"
    return f"{found} (asked {url}, {UPGRADE_PROPERTY})"


def lines(config_map: dict, environ=None, check=None) -> list[tuple[str, str, str]]:
    """The report, as (category, item, answer) rows; CHECK: the upgrade check, if run."""
    from . import node
    from .doctor import Doctor

    environ = os.environ if environ is None else environ
    rows = [("Commands", "python -V", f"{sys.version.split()[0]:<10} ({sys.executable})")]
    version, where = _version_of(["icegridnode", "--version"])
    rows.append(("Commands", "icegridnode --version", f"{version:<10} ({where})"))
    rows += [("Component", "OMERO.py", _distribution("omero-py")),
             ("Component", "Ice (IcePy)", _ice_version()),
             ("Component", "biomero", _distribution("biomero")),
             ("Component", "OMERO.server", "none in this worker (the master runs it)")]
    name = environ.get("OMERO_WORKER_NAME", "").strip()
    rows.append(("Node", "name", f"{name} (OMERO_WORKER_NAME)" if name else
                 "no answer: OMERO_WORKER_NAME is not set; run `doctor`"))
    try:
        master, port = node.registry(environ)
        rows.append(("Node", "master", f"{master}:{port} (CONFIG_omero_master_host)"))
    except node.NodeConfigError as exc:  # then nothing to ask about registration
        rows.append(("Node", "master", f"no answer: {exc}; run `doctor`"))
        master = None
    doctor = Doctor(timeout=CHECK_TIMEOUT, environ=environ)
    for check, item in (("registry", "registry"), ("node", "registered")) if master else ():
        result = doctor.run(check)
        detail = result.detail.splitlines()[0] if result.detail else ""
        rows.append(("Node", item, f"no answer: {detail}; run `doctor`"
                     if result.status == "SKIP" else f"{result.status} {detail}"))
    rows.append(("Upgrade", "check", upgrade_line(config_map, check)))
    return rows


def omero_properties(environ=None) -> dict:
    """OMERO's configuration (etc/grid/config.xml), read-only; {} when there is none
    (start-up step 50 writes it only when CONFIG_* variables are set). omero-py's
    admin control would die here, where it cannot create that file's directory."""
    from omero.config import ConfigXml

    from . import layout

    xml = layout.omerodir(environ) / "etc" / "grid" / "config.xml"
    if not xml.is_file():
        return {}
    config = ConfigXml(str(xml), exclusive=False, read_only=True)
    try:
        return config.as_map()
    finally:
        config.close()


def report(control) -> None:
    """Print the worker's diagnostics through CONTROL's output (as OMERO's does)."""
    ctx = control.ctx
    ctx.out(f"\n{'=' * 80}\n{BANNER}\n{'=' * 80}\n")
    try:
        config_map = omero_properties()
    except Exception as exc:  # a report line, not a traceback
        config_map = {}
        ctx.out(f"Config:     cannot read OMERO's configuration ({type(exc).__name__}); "
                "run `doctor`")
    check = None
    url = (config_map.get(UPGRADE_PROPERTY) or "").strip()
    if url:  # a deployer asked for it
        import logging

        from omero.util.upgrade_check import UpgradeCheck

        logging.basicConfig()  # as OMERO's report: the check logs what went wrong
        check = UpgradeCheck("diagnostics", url=url)
        check.run()
    for category, item, answer in lines(config_map, check=check):
        ctx.out(f"{category + ':':<12}{item:<30} {answer}")
    ctx.out("\nThe worker's full check (config, SSH keys, Slurm, database, node): doctor")


# -- the hook's entry ------------------------------------------------------------------
def patch(module) -> bool:
    """Called by the script hook with omero.cli or omero.util.upgrade_check."""
    if module.__name__ == "omero.util.upgrade_check":
        return patch_upgrade_check(module.UpgradeCheck)
    return patch_cli(module.CLI)


def contract_problems() -> list[str]:
    """What of omero-py this relies on and no longer finds (empty: all good)."""
    problems = []
    import omero.cli
    import omero.plugins.prefs as prefs
    from omero.util import upgrade_check

    register_only = getattr(omero.cli.CLI.register_only, "__wrapped__",
                            omero.cli.CLI.register_only)
    if list(inspect.signature(register_only).parameters)[:3] != ["self", "name", "Control"]:
        problems.append("CLI.register_only(self, name, Control, ...) changed")
    try:
        if "register_only" not in inspect.getsource(omero.cli.CLI.loadpath):
            problems.append("CLI.loadpath no longer hands plugins register_only")
        if "self.diagnostics" not in inspect.getsource(omero.cli.DiagnosticsControl):
            problems.append("DiagnosticsControl no longer adds the diagnostics command")
    except (OSError, TypeError):
        problems.append("cannot read omero.cli's source")
    from omero.config import ConfigXml

    params = inspect.signature(ConfigXml.__init__).parameters
    if not {"exclusive", "read_only"} <= set(params) or not callable(
            getattr(ConfigXml, "as_map", None)):
        problems.append("ConfigXml(filename, exclusive=, read_only=).as_map() changed")
    init = getattr(upgrade_check.UpgradeCheck.__init__, "__wrapped__",
                   upgrade_check.UpgradeCheck.__init__)
    url = inspect.signature(init).parameters.get("url")
    if url is None or not str(url.default).startswith("http"):
        problems.append("UpgradeCheck(url=...) no longer defaults to OMERO's service")
    try:
        run = inspect.getsource(upgrade_check.UpgradeCheck.run)
        if "len(self.url) == 0" not in run.replace("  ", " "):
            problems.append("UpgradeCheck.run no longer treats an empty URL as off")
        if "omero.upgrades.url" not in inspect.getsource(prefs):
            problems.append("omero-py no longer reads omero.upgrades.url")
    except (OSError, TypeError):
        problems.append("cannot read omero.util.upgrade_check's source")
    return problems
