"""Worker run-time figures: start-up to a registered node, doctor, the script hook.

    .venv/bin/python -m bench.worker --runs 3 --out bench/results/worker.md

Starts the test stack (tests/stack) and the worker image on it, as the worker
tests do, and measures:
  * start-up: `docker start` -> "exec icegridnode" (startup.d done) -> the node is
    listed by the registry;
  * `doctor` in the running worker (every check, all passing);
  * the cost the script_env hook adds to each script launch, i.e. to omero-py's
    ProcessI construction (make_env): hook off, hook on with unchanged layers,
    hook on after a runtime layer changed (a re-merge).
"""

from __future__ import annotations

import os
import statistics
import sys
import time

from bench import report
from tests.support.build_env import worker_image
from tests.support.wait import wait_until
from tests.worker.service import (
    RUNTIME_OVERRIDES,
    SLURM_PATHS,
    SSH_ALIAS,
    start_worker,
    temporary_stack,
    upstream_mounts,
    worker_environment,
)

MAKE_ENV_TIMER = r"""
import os, sys, threading, time, types, pathlib
import omero.processor as P
ctx = types.SimpleNamespace(stop_event=threading.Event(), communicator=None)
layer = pathlib.Path(sys.argv[3]) / "99-bench.ini"
n, out = int(sys.argv[1]), []
for i in range(n):
    if sys.argv[2] == "changed":
        layer.write_text("[SLURM]\nbench_counter=%d\n" % i)
    t0 = time.perf_counter()
    p = P.ProcessI(ctx, sys.executable, {"omero.user": "bench"}, None)
    out.append(time.perf_counter() - t0)
    p.cleanup_tmpdir()
out.sort()
print("MEDIAN_MS=%.2f" % (1000 * out[len(out) // 2]))
"""


def reported(code: int, out: str, key: str) -> str:
    """The value a timer run in the worker printed as KEY=value; its whole output
    as the error when it failed or printed none."""
    line = [ln for ln in out.splitlines() if ln.startswith(f"{key}=")]
    if code != 0 or not line:
        raise RuntimeError(out)
    return line[0].split("=", 1)[1]


def make_env_ms(worker, mode: str, n: int = 30) -> float:
    env = {"BIOMERO_SCRIPT_ENV_HOOK": "0"} if mode == "off" else {}
    run = f'cd "$OMERODIR" && python -c "$T" {n} {mode} {RUNTIME_OVERRIDES}'
    code, out = worker.exec(["bash", "-c", run],
                            env={"T": MAKE_ENV_TIMER, **env})
    return float(reported(code, out, "MEDIAN_MS"))


HEALTH_TIMER = """
import resource, statistics, subprocess, sys, time
walls = []
for _ in range(int(sys.argv[1])):
    t = time.monotonic()
    r = subprocess.run(["biomero-worker", "health"], capture_output=True, text=True)
    walls.append(time.monotonic() - t)
    if r.returncode != 0:
        sys.exit(r.stdout + r.stderr)
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"HEALTH_MS={statistics.median(walls) * 1000:.0f} "
      f"{(u.ru_utime + u.ru_stime) * 1000 / len(walls):.0f}")
"""


def health_ms(worker, runs: int = 10) -> tuple[float, float]:
    """The image's HEALTHCHECK command on a registered worker, run from inside:
    (median wall ms, CPU ms per run)."""
    code, out = worker.exec(["python", "-c", HEALTH_TIMER, str(runs)])
    wall, cpu = reported(code, out, "HEALTH_MS").split()
    return float(wall), float(cpu)


def main(argv=None) -> int:
    args = report.stack_bench_args("worker", argv)
    image = worker_image()
    rows, doctor_s, hook, health = [], [], {}, None
    with temporary_stack("bench-worker-") as (stack, up, facts, tmp):
        for run in range(1, args.runs + 1):
            d = tmp / f"run{run}"
            d.mkdir()
            name = f"benchworker{run}"
            t0 = time.monotonic()
            mounts = upstream_mounts(d, facts)
            mounts[RUNTIME_OVERRIDES].chmod(0o777)  # the timer below writes a layer from inside
            w = start_worker(stack, image, facts, name=name,
                             env=worker_environment(facts, name=name), mounts=mounts)
            w.wait_started()
            ready = time.monotonic() - t0
            wait_until(f"the registry to list {name}",
                       lambda name=name: name in up["icegrid"].admin("node list").stdout, 180,
                       interval=0.2)
            rows.append((run, ready, time.monotonic() - t0))
            if run == 1:
                w.exec(f"ssh {SSH_ALIAS} mkdir -p " + " ".join(SLURM_PATHS.values()))
                for _ in range(3):
                    t1 = time.monotonic()
                    code, out = w.exec("doctor")
                    if code != 0:
                        raise RuntimeError(out)
                    doctor_s.append(time.monotonic() - t1)
                health = health_ms(w)
                for mode in ("off", "unchanged", "changed"):
                    hook[mode] = make_env_ms(w, mode)
            w.remove()

    med = statistics.median
    lines = [
        "# Worker run time",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with:",
        "",
        "```",
        f"make bench-worker  # = .venv/bin/python -m bench.worker --runs {args.runs} "
        f"--out {args.out}",
        "```",
        "",
        f"Image {image}; the test stack (tests/stack) already running for each start; "
        f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end.",
        "",
        "## Start-up",
        "",
        "`docker start` of a worker (ssh key + config mounted, one runtime layer) to: "
        "startup.d done (10-mount-ssh, 20-slurm-config merge + validation, 30-analytics-db "
        "wait + schema, 50-omero-config), start-node's node config and `exec icegridnode`; then "
        "to the node listed by the registry (`icegridadmin node list`).",
        "",
        "| run | startup.d done (s) | node registered (s) |",
        "|---|---|---|",
    ]
    for run, ready, registered in rows:
        lines.append(f"| {run} | {ready:.1f} | {registered:.1f} |")
    lines += [
        f"| median | {med(r[1] for r in rows):.1f} | {med(r[2] for r in rows):.1f} |",
        "",
        "## doctor",
        "",
        "`docker exec WORKER doctor`, all nine checks (three SSH logins, one database "
        "query, a registry ping, an `icegridadmin node ping`): "
        + ", ".join(f"{s:.1f}" for s in doctor_s) + f" s (median {med(doctor_s):.1f} s).",
        "",
        "## HEALTHCHECK",
        "",
        "`biomero-worker health` (the image's HEALTHCHECK, every 10 s) on the registered "
        f"worker, 10 runs from inside: median {health[0]:.0f} ms wall, {health[1]:.0f} ms "
        "CPU per run.",
        "",
        "## Script launch: what the script_env hook adds",
        "",
        "Median time of omero-py's `ProcessI(...)` construction (temp dir, `make_env`, "
        "config file), 30 launches each, inside the worker:",
        "",
        "| hook | median (ms) |",
        "|---|---|",
        f"| off (`BIOMERO_SCRIPT_ENV_HOOK=0`: omero-py alone) | {hook['off']:.2f} |",
        f"| on, runtime layers unchanged (fingerprint only) | {hook['unchanged']:.2f} |",
        f"| on, a runtime layer changed before each launch (re-merge + validate) "
        f"| {hook['changed']:.2f} |",
        "",
    ]
    report.write(args.out, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
