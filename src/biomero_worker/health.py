"""``biomero-worker health``: the image's HEALTHCHECK, cheap (no SSH, no cluster, no
network; well under a second): detached workflows are not asked for (no supervisor
here: detached.py), the merged slurm-config is valid, the grid node runs, and it holds
its session with the master's registry (the node's own log says so last). ``doctor``
is the full check. Exit 0 healthy, 1 not, one line saying why."""

from __future__ import annotations

import os
from pathlib import Path

from . import detached, layout, runtime_config

ESTABLISHED = "established session with replica"
LOST = "lost session with replica"
TAIL_BYTES = 64 * 1024


def node_pids() -> list[int]:
    pids = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if (p / "comm").read_text().strip() == "icegridnode":
                    pids.append(int(p.name))
            except OSError:
                continue
    return pids


def last_session_event(log: Path) -> str | None:
    """The node's last word on its registry session: 'established', 'lost' or None."""
    try:
        with open(log, "rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - TAIL_BYTES))
            text = f.read().decode(errors="replace")
    except OSError:
        return None
    found = max((text.rfind(ESTABLISHED), "established"), (text.rfind(LOST), "lost"))
    return found[1] if found[0] >= 0 else None


def problems(environ=None) -> list[str]:
    environ = os.environ if environ is None else environ
    found = [why] if (why := detached.refusal(environ)) else []
    status = runtime_config.read_status(environ)
    if not layout.merged_path(environ).exists():
        found.append(f"no merged slurm-config at {layout.merged_path(environ)}")
    elif not status.get("ok", False):
        first = (status.get("errors") or ["see doctor"])[0]
        found.append(f"the slurm-config layers are invalid ({first})")
    if not node_pids():
        return found + ["icegridnode is not running"]
    name = environ.get("OMERO_WORKER_NAME", "")
    log = layout.log_dir(environ) / layout.node_log_names(name)["err"]
    event = last_session_event(log)
    if event != "established":
        found.append(f"the node holds no session with the master's registry ({log}: "
                     f"{'lost' if event else 'none yet'})")
    return found


def cmd_health(args, out, err) -> int:
    found = problems()
    print("healthy" if not found else "unhealthy: " + "; ".join(found), file=out)
    return 1 if found else 0


def add_commands(sub) -> None:
    sub.add_parser("health", help="the image's HEALTHCHECK: config valid, node running "
                   "with a registry session (cheap; doctor is the full check)").set_defaults(
                       run=cmd_health)
