"""CONFIG_* variables -> OMERO's configuration (OMERODIR/etc/grid/config.xml), the
convention of OMERO's server and web images: ``CONFIG_omero_master_host=x`` sets
``omero.master.host=x`` (``_`` separates, ``__`` is a literal underscore). The
``*.omero`` files in the config directory are loaded first (``omero load``), also
as upstream does."""

from __future__ import annotations

import os
import re
import subprocess

from config_merge.masking import shown
from config_merge.text import breaks_line

from . import layout


class ConfigValueError(ValueError):
    """A CONFIG_* value that would not stay one property; names the variable only."""


def property_name(var: str) -> str:
    """CONFIG_omero_policy_binary__access -> omero.policy.binary_access."""
    prop = var[len("CONFIG_"):]
    prop = re.sub(r"([^_])_(?=[^_])", r"\1.", prop)
    return prop.replace("__", "_")


def config_properties(environ=None) -> dict[str, str]:
    """Every CONFIG_* variable as (property, value). A value holding a newline or
    another control character is refused (ConfigValueError naming each such
    variable): OMERO hands the properties on to its servers' Ice configuration, one
    line each, where a newline would add a property of its own."""
    environ = os.environ if environ is None else environ
    chosen = {k: v for k, v in sorted(environ.items())
              if k.startswith("CONFIG_") and len(k) > len("CONFIG_")}
    bad = [k for k, v in chosen.items() if breaks_line(v)]
    if bad:
        raise ConfigValueError(f"{', '.join(bad)}: a newline or another control character "
                               "in the value (one line of printable text only)")
    return {property_name(k): v for k, v in chosen.items()}


def apply(environ=None, log=print) -> int:
    """Set every CONFIG_* property (one process, as `omero config set` would for
    each). Values are printed as config_merge.masking shows them (no secret). Returns
    the number of properties set."""
    props = config_properties(environ)
    if not props:
        log("no CONFIG_* variables")
        return 0
    from omero.config import ConfigXml

    grid = layout.omerodir(environ) / "etc" / "grid"
    grid.mkdir(parents=True, exist_ok=True)
    cfg = ConfigXml(str(grid / "config.xml"))
    try:
        for prop, value in props.items():
            cfg[prop] = value
            log(f"{prop}={shown(value, prop)}")
    finally:
        cfg.close()
    return len(props)


def load_omero_files(log=print) -> int:
    """``omero load`` the image's/deployer's *.omero files; returns its exit status."""
    files = sorted(layout.CONFIG_DIR.glob("*.omero"))
    if not files:
        return 0
    log(f"loading {' '.join(map(str, files))}")
    return subprocess.run(["omero", "load", "--glob", str(layout.CONFIG_DIR / "*.omero")],
                          stdin=subprocess.DEVNULL).returncode


def step(log) -> int:
    """The start-up step (LOG: a startup_log.Log): the *.omero files, then CONFIG_*."""
    try:
        config_properties()  # refused before anything is loaded or written
    except ConfigValueError as exc:
        log.error(str(exc))
        return 1
    rc = load_omero_files(log.info)
    if rc != 0:
        log.error(f"omero load of {layout.CONFIG_DIR}/*.omero failed (exit {rc})")
        return rc
    apply(log=log.info)
    return 0


def cmd_apply(args, out, err) -> int:
    from .startup_log import Log

    return step(Log("omero-config", out, err))


def add_commands(sub) -> None:
    sub.add_parser("omero-config", help="CONFIG_* -> OMERODIR/etc/grid/config.xml"
                   ).set_defaults(run=cmd_apply)
