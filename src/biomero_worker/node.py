"""The worker as an OMERO.grid node: addresses and the node's configuration files.

A worker node needs only ``icegridnode`` on PATH, a Python with omero-py and IcePy,
and an OMERODIR with ``etc/internal.cfg`` (where the master's registry is),
``etc/<OMERO_WORKER_NAME>.cfg`` (the node's name, endpoints, data and output
directories) and ``etc/ice.config`` (the master's Glacier2 router, for clients).
The master's descriptor then places Processor-0 on the node by its name.

Environment (the upstream compose service's, plus optional extras):
  CONFIG_omero_master_host   the master's host name (required to run the node)
  OMERO_WORKER_NAME          the node name the master's descriptor uses (required)
  OMERO_WORKER_HOST          the address the node listens and is reached on
                             (default: OMERO_WORKER_NAME, as upstream resolves it)
  OMERO_WORKER_PORT          a fixed node port (default: any free port)
  OMERO_WORKER_PUBLISHED_HOST  for a worker outside the master's network (upstream's
                             "external worker"): the node listens on every interface
                             at OMERO_WORKER_PORT (required then) and tells the
                             registry to reach it at this host name or address
  CONFIG_omero_ports_prefix, CONFIG_omero_ports_registry (4061),
  CONFIG_omero_ports_tcp (4063)   as on the master
  OMERO_RESOLVE_WAIT_SECONDS bound on waiting for names to resolve (default 30)
  CONFIG_omero_logging_level  the level the Processor logs at (10 DEBUG ... 40 ERROR,
                             or a name): set on every server of this node through
                             IceGrid.Node.PropertiesOverride, since the Processor takes
                             its properties from the master's descriptor, not from
                             this container's OMERO configuration
"""

from __future__ import annotations

import os
import re
import socket
import time
from dataclasses import dataclass

from config_merge.text import breaks_word

from . import env_settings, layout

DEFAULT_RESOLVE_WAIT = 30.0
PORTS = {"registry": "4061", "tcp": "4063"}  # OMERO's CONFIG_omero_ports_* defaults


class NodeConfigError(Exception):
    pass


def _word(environ, var: str, default: str = "") -> str:
    """VAR's value, stripped; refused when it holds a blank or a control character:
    it goes into an Ice endpoint (`tcp -h VALUE`) or a property line of the node's
    files, where a newline adds a property and a blank adds an endpoint option. The
    message names the variable only (its value may be anything)."""
    value = environ.get(var, default).strip()
    if breaks_word(value):
        raise NodeConfigError(f"{var} holds a blank, a newline or another control "
                              "character: give a single host name, address or number")
    return value


def _port(environ, which: str) -> str:
    """CONFIG_omero_ports_<which>, after CONFIG_omero_ports_prefix (as on the master)."""
    prefix_var, var = "CONFIG_omero_ports_prefix", f"CONFIG_omero_ports_{which}"
    port = _word(environ, prefix_var) + _word(environ, var, PORTS[which])
    if not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        raise NodeConfigError(f"{prefix_var} and {var} make no TCP port (digits, "
                              "1 to 65535)")
    return port


def resolve(name: str, limit: float, what: str, interval: float = 1.0) -> str:
    """IPv4 address of ``name``, retrying up to ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while True:
        try:
            infos = socket.getaddrinfo(name, None, socket.AF_INET, socket.SOCK_STREAM)
            return infos[0][4][0]
        except socket.gaierror as exc:
            last = exc.strerror or str(exc)
        if time.monotonic() + interval > deadline:
            raise NodeConfigError(
                f"{what} {name!r} does not resolve ({last}) after {limit:g} s "
                f"(OMERO_RESOLVE_WAIT_SECONDS); check the name and that this container "
                f"is on the master's network")
        time.sleep(interval)


def registry(environ=None) -> tuple[str, str]:
    """(master host, registry port) from CONFIG_omero_master_host and the port
    settings; all a client of the registry needs."""
    environ = os.environ if environ is None else environ
    master = _word(environ, "CONFIG_omero_master_host")
    if not master:
        raise NodeConfigError("CONFIG_omero_master_host is not set (the master's host name)")
    return master, _port(environ, "registry")


@dataclass(frozen=True)
class Settings:
    master: str
    name: str
    host: str
    port: str
    published: str
    registry_port: str
    router_port: str
    resolve_wait: float
    log_level: int | None = None


def settings(environ=None) -> Settings:
    environ = os.environ if environ is None else environ
    name = environ.get("OMERO_WORKER_NAME", "").strip()
    missing = [v for v, val in (("CONFIG_omero_master_host",
                                 environ.get("CONFIG_omero_master_host", "").strip()),
                                ("OMERO_WORKER_NAME", name)) if not val]
    if missing:
        raise NodeConfigError(f"{' and '.join(missing)} must be set (as in upstream's "
                              "biomeroworker service)")
    master, registry_port = registry(environ)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}", name):
        shown = name if len(name) <= 70 else name[:60] + f"... ({len(name)} characters)"
        raise NodeConfigError(f"OMERO_WORKER_NAME={shown!r}: use up to 63 letters, digits, "
                              "'.', '_', '-' (it names the node and its files)")
    port = _word(environ, "OMERO_WORKER_PORT")
    if port and not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        raise NodeConfigError(f"OMERO_WORKER_PORT={port!r} is not a TCP port")
    published = _word(environ, "OMERO_WORKER_PUBLISHED_HOST")
    if published and not port:
        raise NodeConfigError("OMERO_WORKER_PUBLISHED_HOST needs OMERO_WORKER_PORT (the port "
                              "published for this node)")
    try:
        resolve_wait = env_settings.seconds("OMERO_RESOLVE_WAIT_SECONDS", DEFAULT_RESOLVE_WAIT,
                                            environ)
        log_level = env_settings.log_level(environ)
    except env_settings.SettingError as exc:
        raise NodeConfigError(str(exc)) from None
    return Settings(master=master, name=name,
                    host=_word(environ, "OMERO_WORKER_HOST") or name,
                    port=port, published=published, registry_port=registry_port,
                    router_port=_port(environ, "tcp"), resolve_wait=resolve_wait,
                    log_level=log_level)


def locator(master_addr: str, registry_port: str) -> str:
    return f"IceGrid/Locator:tcp -h {master_addr} -p {registry_port}"


def internal_cfg(environ=None) -> os.PathLike[str]:
    """The file that tells Ice clients (icegridadmin, doctor) where the registry is."""
    return layout.omerodir(environ) / "etc" / "internal.cfg"


def render(s: Settings, worker_addr: str) -> dict[str, str]:
    """The three files, by name relative to OMERODIR/etc. The master is written by
    NAME, never as the address it has now: Ice resolves it at each connection, so a
    master recreated at another address (an upgrade, `compose up`) gets the node
    back without restarting the worker."""
    port = f" -p {s.port}" if s.port else ""
    logs = layout.node_log_names(s.name)
    overrides = "Ice.IPv6=0"
    if s.log_level is not None:
        overrides += f" omero.logging.level={s.log_level}"
    if s.published:
        endpoints = (f"IceGrid.Node.Endpoints=tcp -h 0.0.0.0{port}\n"
                     f"IceGrid.Node.PublishedEndpoints=tcp -h {s.published}{port}\n")
    else:
        endpoints = f"IceGrid.Node.Endpoints=tcp -h {worker_addr}{port}\n"
    return {
        "internal.cfg": (
            "# Written at start-up (biomero_worker.node): where the master's registry is.\n"
            f"Ice.Default.Locator={locator(s.master, s.registry_port)}\n"
        ),
        f"{s.name}.cfg": (
            "# Written at start-up (biomero_worker.node): this grid node.\n"
            + endpoints
            + f"IceGrid.Node.Name={s.name}\n"
            f"IceGrid.Node.Data=var/{s.name}\n"
            f"IceGrid.Node.Output={layout.LOG_SUBDIR}\n"
            "IceGrid.Node.CollocateRegistry=0\n"
            "# Docker has no IPv6: servers' admin endpoints (tcp -h localhost) must not\n"
            "# try ::1, or activation fails with 'Cannot assign requested address'.\n"
            "# omero.logging.level: CONFIG_omero_logging_level, for the Processor.\n"
            f"IceGrid.Node.PropertiesOverride={overrides}\n"
            "IceGrid.Node.Trace.Replica=1\n"
            f"Ice.StdOut={layout.LOG_SUBDIR / logs['out']}\n"
            f"Ice.StdErr={layout.LOG_SUBDIR / logs['err']}\n"
        ),
        "ice.config": (
            "# Written at start-up (biomero_worker.node): the master's router, for clients.\n"
            f"Ice.Default.Router=OMERO.Glacier2/router:tcp -p {s.router_port} -h {s.master}\n"
            f"omero.host={s.master}\n"
        ),
    }


def write_node_config(environ=None, log=print) -> str:
    """Resolve (bounded) and write the three files; return the icegridnode
    --Ice.Config value."""
    s = settings(environ)
    # resolved once here only to fail fast on a wrong name (bounded); written by name
    master_addr = resolve(s.master, s.resolve_wait, "master (CONFIG_omero_master_host)")
    if s.published:  # listens everywhere; the registry is told the published host
        worker_addr = "0.0.0.0"
    else:
        worker_addr = resolve(s.host, s.resolve_wait,
                              "worker address (OMERO_WORKER_HOST or OMERO_WORKER_NAME)")
    base = layout.omerodir(environ)
    for d in (base / "etc", base / "var" / s.name, base / layout.LOG_SUBDIR):
        d.mkdir(parents=True, exist_ok=True)
    for fname, text in render(s, worker_addr).items():
        (base / "etc" / fname).write_text(text)
    published = f" (published as {s.published})" if s.published else ""
    log(f"node {s.name} at {worker_addr}{':' + s.port if s.port else ''}{published}; "
        f"master {s.master} ({master_addr}), registry port {s.registry_port}")
    return ",".join(str(base / "etc" / f) for f in ("internal.cfg", f"{s.name}.cfg"))


READY_WAIT = 10.0  # seconds the node waits for the log follower at most


def start_node(log, environ=None) -> int:
    """The image's CMD, in one process: refuse detached workflows, write the node's
    files (write_node_config), start the log follower beside the node (a fork: nothing is
    imported twice) and wait until it has taken the log files' current ends (else the
    node's first lines would count as old), then become icegridnode, so that tini's
    SIGTERM reaches it. The follower ends with the node (its parent changes). Returns
    only on failure."""
    import sys
    import tempfile

    from . import detached

    if why := detached.refusal():
        log.error(f"refusing to start the node: {why}")
        return 1
    try:
        config = write_node_config(environ, log=log.info)
    except NodeConfigError as exc:
        log.error(str(exc))
        return 1
    ready = os.path.join(tempfile.gettempdir(), f"log-forward.{os.getpid()}")
    sys.stdout.flush()
    sys.stderr.flush()
    if os.fork() == 0:  # the follower: copies the log files to the container's log
        from . import log_forward

        code = 1
        try:
            code = log_forward.follow(environ, ready=ready)
        finally:
            os._exit(code)
    deadline = time.monotonic() + READY_WAIT
    while not os.path.exists(ready) and time.monotonic() < deadline:
        time.sleep(0.02)
    if os.path.exists(ready):
        os.unlink(ready)
    else:
        log.warning(f"the log follower is not ready after {READY_WAIT:g} s; the node's "
                    "first lines may be missing from this log")
    log.info(f"exec icegridnode --Ice.Config={config}")
    os.chdir(layout.omerodir(environ))
    os.execvp("icegridnode", ["icegridnode", "--nochdir", f"--Ice.Config={config}"])


def cmd_start_node(args, out, err) -> int:
    from .startup_log import Log

    return start_node(Log("start-node", err, err))  # stdout: the log follower's


def add_commands(sub) -> None:
    sub.add_parser("start-node", help="the image's CMD: write the node's files, start "
                   "the log follower, become icegridnode").set_defaults(run=cmd_start_node)
