"""Worker run-time figures: start-up to a registered node, doctor, the script hook.

    .venv/bin/python -m bench.worker --runs 3 --out bench/results/worker.md \
        [--baseline IMAGE]

Starts the test stack (tests/stack) and the worker image on it, as the worker
tests do, and measures:
  * start-up: `docker start` -> "exec icegridnode" (preparation done) -> the node
    is listed by the registry, for this build and, given --baseline, an earlier
    build of the image (`make bench-worker` builds BENCH_BASELINE's), alternately;
  * `docker run --rm IMAGE true` for both, and the bare container;
  * `doctor` in the running worker (every check, all passing);
  * the cost the script_env hook adds to each script launch, i.e. to omero-py's
    ProcessI construction (make_env): hook off, hook on with unchanged layers,
    hook on after a runtime layer changed (a re-merge).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from bench import report
from biomero_worker.doctor import Doctor
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


def start_up(stack, up, facts, tmp, image: str, name: str) -> tuple[float, float, object]:
    """`docker start` of a worker to `exec icegridnode` and to the registry listing
    the node: (seconds, seconds, the worker)."""
    d = tmp / name
    d.mkdir()
    t0 = time.monotonic()
    mounts = upstream_mounts(d, facts)
    mounts[RUNTIME_OVERRIDES].chmod(0o777)  # the timer below writes a layer from inside
    w = start_worker(stack, image, facts, name=name,
                     env=worker_environment(facts, name=name), mounts=mounts)
    w.wait_started()
    ready = time.monotonic() - t0
    wait_until(f"the registry to list {name}",
               lambda: name in up["icegrid"].admin("node list").stdout, 180, interval=0.1)
    return ready, time.monotonic() - t0, w


def empty_database(pg) -> None:
    """Drop every table of the analytics database: the next start is a deployment's
    first (biomero creates its schema)."""
    with pg.connect(autocommit=True) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")]
        for name in names:
            conn.execute(f'DROP TABLE IF EXISTS "{name}" CASCADE')


def run_true(image: str, runs: int = 5, *options: str) -> float:
    """Median seconds of `docker run --rm [OPTIONS] IMAGE true`."""
    times = []
    for _ in range(runs):
        t0 = time.monotonic()
        subprocess.run(["docker", "run", "--rm", *options, image, "true"], check=True,
                       capture_output=True, timeout=120)
        times.append(time.monotonic() - t0)
    return statistics.median(times)


def main(argv=None) -> int:
    args = report.stack_bench_args("worker", argv)
    image = worker_image()
    images = {"current": image} | ({"baseline": args.baseline} if args.baseline else {})
    rows, doctor_s, hook, health = [], [], {}, None
    with temporary_stack("bench-worker-") as (stack, up, facts, tmp):
        for run in range(1, args.runs + 1):
            row = {}
            # the two builds alternate, so that a change in the machine's load falls
            # on both
            for which in sorted(images):
                ready, registered, w = start_up(stack, up, facts, tmp, images[which],
                                                f"bench{which}{run}")
                row[which] = (ready, registered)
                if run == 1 and which == "current":
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
            rows.append((run, row))
        first = {}  # a deployment's first start: biomero creates its schema
        for which in sorted(images):
            empty_database(up["postgres"])
            ready, registered, w = start_up(stack, up, facts, tmp, images[which],
                                            f"benchfirst{which}")
            first[which] = (ready, registered)
            w.remove()
    bare = run_true(image, 5, "--entrypoint", "true")
    trues = {which: run_true(img) for which, img in sorted(images.items())}

    med = statistics.median
    lines = [
        "# Worker run time",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with:",
        "",
        "```",
        f"make bench-worker  # = .venv/bin/python -m bench.worker --runs {args.runs} "
        f"--out {args.out}" + (f" --baseline {args.baseline}" if args.baseline else ""),
        "```",
        "",
        f"Image {image}" + (f", beside the baseline {args.baseline} (`BENCH_BASELINE`, "
                            "an earlier commit built by `make bench-worker`)"
                            if args.baseline else "")
        + "; the test stack (tests/stack) already running for each start; "
        f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end.",
        "",
        "## Start-up",
        "",
        "`docker start` of a worker (ssh key + config mounted, one runtime layer, workflow "
        "tracking on) to `exec icegridnode` (the preparation: identity, SSH mount, "
        "slurm-config merge + validation, database wait + schema, `CONFIG_*`, the node's "
        "files, the log follower), then to the node listed by the registry "
        "(`icegridadmin node list`). The builds alternate, run by run, on one database: "
        "from the first start on, biomero's analytics tables are there (a deployment's "
        "every start but its first), which the current build checks without loading "
        "biomero, where the baseline always had biomero initialise them. The last row: "
        "each build once more on an emptied database (a deployment's first start, "
        "biomero creates its schema).",
        "",
        "| run | " + " | ".join(f"{w}: exec icegridnode (s) | {w}: registered (s)"
                               for w in sorted(images)) + " |",
        "|---|" + "---|---|" * len(images),
    ]
    for run, row in rows:
        lines.append(f"| {run} | " + " | ".join(f"{row[w][0]:.2f} | {row[w][1]:.2f}"
                                                for w in sorted(images)) + " |")
    lines += [
        "| median | " + " | ".join(
            f"{med(r[w][0] for _, r in rows):.2f} | {med(r[w][1] for _, r in rows):.2f}"
            for w in sorted(images)) + " |",
        "| first start, empty database (once) | " + " | ".join(
            f"{first[w][0]:.2f} | {first[w][1]:.2f}" for w in sorted(images)) + " |",
        "",
        "`docker run --rm IMAGE true` (preparation, then the command; median of 5): "
        + ", ".join(f"{w} {t:.2f} s" for w, t in trues.items())
        + f"; the bare container (`--entrypoint true`): {bare:.2f} s.",
        "",
        "## doctor",
        "",
        f"`docker exec WORKER doctor`, all {len(Doctor.CHECKS)} checks (SSH logins, a "
        "database query, a registry ping, an `icegridadmin node ping`): "
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
