"""Start or stop the test stack by hand, or time its cold start.

    python -m tests.stack.manual up       # make stack-up
    python -m tests.stack.manual status
    python -m tests.stack.manual down     # make stack-down
    python -m tests.stack.manual bench --runs 3 --out bench/results/stack.md

Same code as the pytest fixtures (tests/stack/stack.py). The manual stack is
the session ``manual``: network ``biomero-stack-manual``; its SSH key and a
state file (mode 600, holds the passwords) are under .build/stack/manual/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import docker

from tests.stack.stack import LABEL, SLURM_NODES, Stack, down, image

ROOT = Path(__file__).resolve().parents[2]
WORKDIR = ROOT / ".build" / "stack" / "manual"
SESSION = "manual"


def describe(stack: Stack) -> dict:
    pg, slurm, reg = stack.postgres, stack.slurm, stack.registry
    return {
        "network": stack.network,
        "postgres": {
            "in_network": f"{pg.host}:{pg.port}", "db": pg.db, "user": pg.user,
            "password": pg.password, "url": pg.url, "sqlalchemy_url": pg.sqlalchemy_url,
        },
        "slurm": {
            "in_network": f"{slurm.host}:{slurm.port} (also slurmctld)", "user": slurm.user,
            "private_key": str(slurm.private_key), "ssh_dir": str(slurm.ssh_dir),
            "host_port": slurm.host_port, "data_volume": slurm.data_volume,
            "ssh": shlex.join([
                "ssh", "-i", str(slurm.private_key), "-p", str(slurm.host_port),
                "-o", f"UserKnownHostsFile={slurm.ssh_dir / 'known_hosts'}",
                f"{slurm.user}@127.0.0.1"]),
            "containers": slurm.containers,
        },
        "icegrid": {
            "in_network": f"{reg.host}:{reg.port}", "locator": reg.locator,
            "admin_user": reg.admin_user, "admin_password": reg.admin_password,
            "host_port": reg.host_port,
            "admin": f"docker exec -it {reg.container} icegridadmin "
                     "--Ice.Config=/etc/icegrid/admin.cfg",
        },
    }


def print_info(info: dict) -> None:
    pg, sl, ice = info["postgres"], info["slurm"], info["icegrid"]
    print(f"""
Test stack is up on Docker network {info['network']}
(attach a worker with: docker run --network {info['network']} ...)

PostgreSQL   in-network {pg['in_network']}  db={pg['db']} user={pg['user']}
             from here:  {pg['url']}
             worker:     SQLALCHEMY_URL={pg['sqlalchemy_url']}
Slurm        login node in-network {sl['in_network']}, user {sl['user']}
             private key {sl['private_key']}
             ssh dir     {sl['ssh_dir']}  (mount as the worker's /tmp/.ssh)
             from here:  {sl['ssh']}
             /data is the volume {sl['data_volume']}
IceGrid      registry in-network {ice['in_network']}  (locator {ice['locator']})
             admin {ice['admin_user']} / {ice['admin_password']}  host port {ice['host_port']}
             {ice['admin']}

Stop it with: make stack-down
""")


def cmd_up(_args) -> int:
    client = docker.from_env()
    state = WORKDIR / "state.json"
    if client.containers.list(all=True, filters={"label": f"{LABEL}={SESSION}"}):
        if state.exists():
            print("The manual stack is already up.")
            print_info(json.loads(state.read_text()))
            return 0
        print("A partial manual stack exists; removing it first.", file=sys.stderr)
        down(client, SESSION)
    stack = Stack(WORKDIR, session=SESSION, client=client)
    try:
        t0 = time.monotonic()
        stack.up()
        took = time.monotonic() - t0
    except Exception:
        for name, log in stack.logs(60):
            print(f"--- {name}\n{log}", file=sys.stderr)
        stack.down()
        raise
    info = describe(stack)
    state.touch(mode=0o600)
    state.write_text(json.dumps(info, indent=2))
    print_info(info)
    print(f"(ready in {took:.1f} s)")
    return 0


def cmd_status(_args) -> int:
    state = WORKDIR / "state.json"
    client = docker.from_env()
    running = client.containers.list(all=True, filters={"label": f"{LABEL}={SESSION}"})
    if not running or not state.exists():
        print("The manual stack is not up (make stack-up).")
        return 1
    for c in running:
        print(f"{c.name:45} {c.status}")
    print_info(json.loads(state.read_text()))
    return 0


def cmd_down(_args) -> int:
    removed = down(docker.from_env(), SESSION)
    shutil.rmtree(WORKDIR, ignore_errors=True)
    print(f"removed {len(removed)} containers/networks/volumes" if removed
          else "nothing to remove")
    return 0


def _versions(client) -> dict:
    v = client.version()
    return {"engine": v.get("Version", "?"), "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "images": {s: client.images.get(image(s)).short_id for s in
                       ("postgres", "slurm", "icegrid")}}


def cmd_bench(args) -> int:
    client = docker.from_env()
    runs = []
    for i in range(args.runs):
        stack = Stack(ROOT / ".build" / "stack" / f"bench-{i}", client=client)
        per_service = {}

        def timed(name, get):
            get()
            per_service[name] = time.monotonic() - t0

        try:
            t0 = time.monotonic()
            with ThreadPoolExecutor(max_workers=3) as pool:
                futures = [pool.submit(timed, "postgres", lambda: stack.postgres),
                           pool.submit(timed, "slurm", lambda: stack.slurm),
                           pool.submit(timed, "icegrid", lambda: stack.registry)]
                for f in futures:
                    f.result()
            total = time.monotonic() - t0
        finally:
            t = time.monotonic()
            stack.down()
            teardown = time.monotonic() - t
            shutil.rmtree(stack.workdir, ignore_errors=True)
        runs.append({"total": total, "teardown": teardown, **per_service})
        print(f"run {i + 1}: whole stack ready in {total:.1f} s "
              + " ".join(f"{k}={v:.1f}s" for k, v in per_service.items())
              + f" (teardown {teardown:.1f} s)")

    meta = _versions(client)
    command = "make bench-stack  # = " + " ".join(
        [".venv/bin/python -m tests.stack.manual", *sys.argv[1:]])
    cols = ["total", "postgres", "slurm", "icegrid", "teardown"]
    lines = [
        "# Test stack: cold start",
        "",
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC with:",
        "",
        "```",
        command,
        "```",
        "",
        "Each run starts the whole stack from nothing but the built images (new",
        "network, volumes, containers, keys; PostgreSQL initdb, MariaDB + slurmdbd,",
        f"slurmctld + sshd, {len(SLURM_NODES)} slurmd, IceGrid registry), all three services",
        "in parallel, and stops the clock when every readiness check passes:",
        "PostgreSQL accepts a login; `scontrol ping` answers, `sinfo` shows every node",
        "idle and an SSH login with the session key works; the IceGrid admin",
        "account answers `registry list`. Teardown (remove everything) is timed apart.",
        "",
        f"Machine: {meta['cpus']} CPUs, Docker Engine {meta['engine']}, Python {meta['python']},"
        f" load average {os.getloadavg()[0]:.1f} at the end (other work shares the machine);"
        f" images {', '.join(f'{k} {v}' for k, v in meta['images'].items())}.",
        "",
        "| run | " + " | ".join(f"{c} (s)" for c in cols) + " |",
        "|---|" + "---|" * len(cols),
    ]
    for i, r in enumerate(runs, 1):
        lines.append(f"| {i} | " + " | ".join(f"{r[c]:.1f}" for c in cols) + " |")
    lines.append("| median | " + " | ".join(
        f"{statistics.median(r[c] for r in runs):.1f}" for c in cols) + " |")
    lines += ["", f"Target: whole stack ready in under 60 s "
              f"(median {statistics.median(r['total'] for r in runs):.1f} s).", ""]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))
    print(f"wrote {out}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.stack.manual", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="start the stack and print how to reach it").set_defaults(f=cmd_up)
    sub.add_parser("status", help="print how to reach the running stack").set_defaults(
        f=cmd_status)
    sub.add_parser("down", help="remove the stack").set_defaults(f=cmd_down)
    b = sub.add_parser("bench", help="time cold starts of the whole stack")
    b.add_argument("--runs", type=int, default=3)
    b.add_argument("--out", default="bench/results/stack.md")
    b.set_defaults(f=cmd_bench)
    args = parser.parse_args(argv)
    return args.f(args)


if __name__ == "__main__":
    sys.exit(main())
