"""Start or stop the test stack by hand, or time its cold start.

    python -m tests.stack.manual up       # make stack-up
    python -m tests.stack.manual status
    python -m tests.stack.manual down     # make stack-down
    python -m tests.stack.manual bench --runs 3 --out bench/results/stack.md

Same code as the pytest fixtures (tests/stack/session.py and services/). The
manual stack is the session ``manual``: network ``biomero-stack-manual``; its SSH
key and a state file (mode 600, holds the passwords) are under .build/stack/manual/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import docker
from tests.stack import services
from tests.stack.session import LABEL, Stack, down
from tests.support.build_env import REPO, stack_image

WORKDIR = REPO / ".build" / "stack" / "manual"
SESSION = "manual"


def describe(stack: Stack, handles: dict) -> dict:
    return {"network": stack.network_name,
            **{name: services.module(name).describe(h) for name, h in handles.items()}}


def print_info(info: dict) -> None:
    print(f"\nTest stack is up on Docker network {info['network']}\n"
          f"(attach a worker with: docker run --network {info['network']} ...)\n")
    for name in services.names():
        for i, (what, how) in enumerate(info[name].items()):
            print(f"{name if i == 0 else '':12} {what:11} {how}")
    print("\nStop it with: make stack-down\n")


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
        handles = stack.up()
        took = time.monotonic() - t0
    except Exception:
        for name, log in stack.logs(60):
            print(f"--- {name}\n{log}", file=sys.stderr)
        stack.down()
        raise
    info = describe(stack, handles)
    state.touch(mode=0o600)
    state.write_text(json.dumps(info, indent=2))
    print_info(info)
    print(f"(ready in {took:.1f} s)")
    return 0


def cmd_status(_args) -> int:
    state = WORKDIR / "state.json"
    running = docker.from_env().containers.list(all=True,
                                                filters={"label": f"{LABEL}={SESSION}"})
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


def cmd_bench(args) -> int:
    client = docker.from_env()
    names = services.names()
    runs = []
    for i in range(args.runs):
        stack = Stack(REPO / ".build" / "stack" / f"bench-{i}", client=client)
        per_service = {}
        try:
            stack.network  # noqa: B018 - outside the clock
            t0 = time.monotonic()

            def timed(name, stack=stack, per_service=per_service, t0=t0):
                stack.service(name)
                per_service[name] = time.monotonic() - t0

            with ThreadPoolExecutor(max_workers=len(names)) as pool:
                for f in [pool.submit(timed, n) for n in names]:
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

    version = client.version()
    images = ", ".join(f"{n} {client.images.get(stack_image(n)).short_id}" for n in names)
    cols = ["total", *names, "teardown"]
    lines = [
        "# Test stack: cold start", "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with:", "", "```",
        "make bench-stack  # = " + " ".join([".venv/bin/python -m tests.stack.manual",
                                            *sys.argv[1:]]),
        "```", "",
        "Each run starts the whole stack from nothing but the built images (new network,",
        "volumes, containers, keys), every service in parallel, and stops the clock when",
        "each is ready: its containers' HEALTHCHECK commands pass, run by the readiness",
        "wait every 0.5 s (PostgreSQL accepts connections; slurmdbd answers, the",
        "controller answers with every node idle and sshd up; the IceGrid admin account",
        "answers `registry list`; the github.com stand-in completes a TLS handshake with",
        "its certificate), plus what only the host can check (a PostgreSQL login and an",
        "SSH login through the published ports).",
        "Teardown (remove everything) is timed apart.", "",
        f"Machine: {os.cpu_count()} CPUs, Docker Engine {version.get('Version', '?')}, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f} at the "
        f"end (other work shares the machine); images {images}.", "",
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
