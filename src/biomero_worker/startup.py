"""The container's preparation, in one process (``python -m biomero_worker prepare``,
run by the entrypoint before the command).

``STEPS`` is the one list of the image's own steps, in order. A site's own steps are
the executable files mounted into ``/startup`` (upstream's habit): they run in the
same lexical order as the image's steps, by name (a site's ``15-ca.sh`` between
``10-mount-ssh`` and ``20-slurm-config``), each as a program of its own with the
environment the command will get. A file there that is not executable is reported
and skipped.

Before the node (``BIOMERO_WORKER_START=node``) a failing step stops the start-up;
before another command (``docker run IMAGE doctor``, ``bash``) every step runs, a
failure is reported and the command still runs, so that doctor reports a broken
config or an absent database instead of dying before it can say so. Steps that
wait for other services (``node_only``) skip themselves before another command.

Everything the steps print goes to stderr (``startup_log``): stdout belongs to the
command. The one thing this command writes to stdout is for the entrypoint: the
``NAME=VALUE`` lines that give an unknown uid its passwd entry (``identity``), so
that the command it then execs has them.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import layout
from .startup_log import Log

START_VAR = "BIOMERO_WORKER_START"  # node | command, set by the entrypoint


def _step_of(module: str) -> Callable[[Log], int]:
    """MODULE's ``step(log)``, imported when the step runs (a step that is skipped
    costs no import)."""
    def run(log: Log) -> int:
        return importlib.import_module(f".{module}", __package__).step(log)

    return run


@dataclass(frozen=True)
class Step:
    name: str  # also the log prefix, and the place among a site's steps
    run: Callable[[Log], int]
    does: str  # one line for --list and the docs
    node_only: bool = False  # waits for another service: before the node only


STEPS = (
    Step("05-identity", _step_of("identity"), "an unknown uid's passwd entry "
         "(nss_wrapper); the directories the worker writes checked writable"),
    Step("10-mount-ssh", _step_of("ssh_mount"), "the SSH mount copied into ~/.ssh with "
         "the modes ssh insists on"),
    Step("20-slurm-config", _step_of("runtime_config"), "the slurm-config layers merged "
         "into the one file biomero reads, and validated"),
    Step("30-analytics-db", _step_of("analytics_db"), "with workflow tracking on: wait "
         "for the analytics database (bounded), then biomero's schema", node_only=True),
    Step("50-omero-config", _step_of("omero_config"), "*.omero files, then CONFIG_* "
         "variables, into OMERO's configuration"),
)


# Upstream's external-worker script (99-run-external.sh, mounted at /startup/99-run.sh
# by its client compose file) starts the node with OMERO.server's templates and
# `omero node`, which this image does not have: it would fail somewhere obscure.
def upstream_external_script(files: list[Path]) -> Path | None:
    for f in files:
        try:
            with f.open("rb") as handle:
                text = handle.read(1 << 20)
        except OSError:
            continue
        for line in text.splitlines():  # one pass, no backtracking
            if b"etc/templates/ice.config" in line:
                return f
            at = line.find(b"omero node ")
            if at >= 0 and line.find(b"start --foreground", at) >= 0:
                return f
    return None


def site_steps(directory: Path | None = None) -> list[Path]:
    directory = layout.SITE_STEPS if directory is None else directory
    try:
        return sorted(directory.iterdir(), key=lambda p: p.name)
    except FileNotFoundError:
        return []


def _run_site_step(path: Path, log: Log) -> int:
    if not (path.is_file() and os.access(path, os.X_OK)):
        log.warning(f"skipping {path}: not an executable file")
        return 0
    log.info(f"{path}")
    # a site step's output is preparation too: stderr, never the command's stdout
    rc = subprocess.run([str(path)], stdin=subprocess.DEVNULL, stdout=2).returncode
    return 128 - rc if rc < 0 else rc  # killed by a signal: as a shell reports it


def prepare(node: bool, log: Log, directory: Path | None = None) -> int:
    """Run the image's steps and the site's, interleaved by name. 0 when all passed;
    before the node the first failure ends it (its status), before another command
    every step runs and 1 tells that one failed."""
    sites = site_steps(directory)
    if script := upstream_external_script(sites):
        log.error(f"{script} is upstream's external-worker script, which needs "
                  "OMERO.server's files this image does not have: remove that mount and set "
                  "OMERO_WORKER_PUBLISHED_HOST (the address the master reaches this worker "
                  "at) and OMERO_WORKER_PORT (the port published for it); not starting")
        return 1
    order = sorted([(s.name, s) for s in STEPS] + [(p.name, p) for p in sites],
                   key=lambda pair: pair[0])
    failed = 0
    for name, what in order:
        if isinstance(what, Step):
            if what.node_only and not node:
                Log(name).info("not starting the node: not waiting for other services")
                continue
            rc = what.run(Log(name))
        else:
            rc = _run_site_step(what, log)
        if rc != 0:
            if node:
                log.error(f"{name} failed (exit {rc}); the worker is not started")
                return rc
            log.error(f"{name} failed (exit {rc})")
            failed = 1
    return failed


def cmd_prepare(args, out, err) -> int:
    from . import identity

    if args.list:
        for s in STEPS:
            print(f"{s.name:16} {s.does}" + (" (before the node only)" if s.node_only
                                             else ""), file=out)
        return 0
    node = os.environ.get(START_VAR, "node") == "node"
    log = Log("prepare")
    # stdout is the entrypoint's (the NAME=VALUE lines): whatever a step or a library
    # prints, and what its programs print, goes to stderr
    out.flush()
    private = os.dup(1)
    os.dup2(2, 1)
    try:
        rc = prepare(node, log)
    finally:
        sys.stdout.flush()
        os.dup2(private, 1)
        os.close(private)
    for name in identity.nss_environ():
        print(f"{name}={os.environ[name]}", file=out)
    return rc


def add_commands(sub) -> None:
    p = sub.add_parser("prepare", help="the container's preparation (the entrypoint runs "
                       "it): the image's steps and /startup's, in one process")
    p.add_argument("--list", action="store_true", help="list the image's steps")
    p.set_defaults(run=cmd_prepare)
