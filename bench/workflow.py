"""What one BIOMERO workflow costs, split: the end-to-end run of tests/workflow
(e2e.py: what is real, what stands in) timed from the worker's side.

    .venv/bin/python -m bench.workflow --runs 3 --out bench/results/workflow.md

Per run of SLURM_Run_Workflow (export, conversion, workflow job, results):
  * wall time, from the script's launch by ProcessI to its exit;
  * what biomero did over SSH: commands (fabric `run`) and SFTP transfers, count and
    time, summed over the script and its sub-scripts;
  * biomero's own fixed sleeps (time.sleep called from biomero's modules: the
    10 s polling interval of SlurmJob.wait_for_completion, retries);
  * Slurm's time for each job from sacct: queued (Submit -> Start) and running
    (Start -> End).
Measured by wrapping fabric's Connection.run/put/get and time.sleep in the script
processes (e2e.INSTRUMENT); biomero itself runs unmodified.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import datetime

from bench import report
from tests.support.build_env import worker_image
from tests.worker.service import temporary_stack
from tests.workflow import e2e

KEYS = ("ssh_commands", "ssh_seconds", "transfers", "transfer_seconds",
        "biomero_sleeps", "biomero_sleep_seconds")


def totals(acc: e2e.Account) -> dict:
    """The script's own figures plus those of its sub-scripts."""
    parts = [acc.timings] + [s.timings for s in acc.steps]
    return {k: sum(p.get(k, 0) for p in parts) for k in KEYS}


def slurm_times(slurm, job_ids) -> dict[str, tuple[float, float]]:
    """{job id as sacct prints it: (queued s, running s)}."""
    ids = ",".join(str(j) for j in job_ids)
    r = slurm.ssh(f"sacct -n -X -P -j {ids} -o JobID,Submit,Start,End")
    if r.exit_code != 0:
        raise RuntimeError(r.stderr)
    found = {}
    for line in r.stdout.split():
        job, submit, start, end = line.split("|")
        t = [datetime.fromisoformat(v) for v in (submit, start, end)]
        found[job] = ((t[1] - t[0]).total_seconds(), (t[2] - t[1]).total_seconds())
    return found


def main(argv=None) -> int:
    args = report.stack_bench_args("workflow", argv)
    image = worker_image()
    rows = []
    with temporary_stack("bench-workflow-") as (stack, up, facts, tmp):
        worker = e2e.start_site(stack, image, facts, up["github"], up["slurm"], tmp)
        init = e2e.init_environment(worker, up["slurm"], instrument=True)
        for _ in range(args.runs):
            acc = e2e.run_workflow(worker, threshold=0.5, instrument=True)
            if not acc.completed:
                raise RuntimeError(f"the workflow did not complete: {acc.result}")
            jobs = slurm_times(up["slurm"], acc.job_ids.values())
            conv = jobs[f"{acc.job_ids['conversion']}_1"]
            wf = jobs[str(acc.job_ids["workflow"])]
            rows.append((acc.seconds, totals(acc), conv, wf, acc.steps))

    med = statistics.median
    lines = [
        "# One BIOMERO workflow through the worker",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with:",
        "",
        "```",
        f"make bench-workflow  # = .venv/bin/python -m bench.workflow --runs {args.runs} "
        f"--out {args.out}",
        "```",
        "",
        f"Image {image}; the test stack (tests/stack: Slurm 22.05 with two 2-CPU compute "
        f"nodes, behind SSH; the singularity stand-in) on this machine: {os.cpu_count()} "
        f"CPUs, load average {os.getloadavg()[0]:.1f} at the end. One 64x64 image, "
        "workflow `threshold` (tests/workflow/e2e.py). Init (SLURM_Init_environment) "
        f"once before the runs: {init.seconds:.1f} s, {init.timings.get('ssh_commands', 0)} "
        f"SSH commands, {init.timings.get('transfers', 0)} transfers.",
        "",
        "## Where a run's time goes",
        "",
        "| run | wall (s) | SSH commands (n / s) | SFTP transfers (n / s) | biomero's sleeps "
        "(n / s) | conversion job queued / ran (s) | workflow job queued / ran (s) |",
        "|---|---|---|---|---|---|---|",
    ]
    for i, (wall, t, conv, wf, _) in enumerate(rows, 1):
        lines.append(
            f"| {i} | {wall:.1f} | {t['ssh_commands']} / {t['ssh_seconds']:.1f} | "
            f"{t['transfers']} / {t['transfer_seconds']:.2f} | {t['biomero_sleeps']} / "
            f"{t['biomero_sleep_seconds']:.0f} | {conv[0]:.0f} / {conv[1]:.0f} | "
            f"{wf[0]:.0f} / {wf[1]:.0f} |")
    walls = [r[0] for r in rows]
    t_med = {k: med(r[1][k] for r in rows) for k in KEYS}
    lines += [
        f"| median | {med(walls):.1f} | {t_med['ssh_commands']:.0f} / "
        f"{t_med['ssh_seconds']:.1f} | {t_med['transfers']:.0f} / "
        f"{t_med['transfer_seconds']:.2f} | {t_med['biomero_sleeps']:.0f} / "
        f"{t_med['biomero_sleep_seconds']:.0f} | | |",
        "",
        "Steps of the last run: the script's own phases, and its sub-scripts "
        "(image_transfer, remote_conversion, get_results: each a process of its own):",
        "",
        "| step | wall (s) | SSH commands | biomero's sleeps (s) |",
        "|---|---|---|---|",
    ]
    for s in rows[-1][4]:
        lines.append(f"| {s.name} | {s.seconds:.1f} | {s.timings.get('ssh_commands', '')} | "
                     f"{s.timings.get('biomero_sleep_seconds', '')} |")
    lines += [
        "",
        "Reading: an SSH command costs about "
        f"{1000 * t_med['ssh_seconds'] / max(t_med['ssh_commands'], 1):.0f} ms here "
        "(one connection per script process, commands over it); Slurm starts a job on "
        "an idle node within about a second. Most of a run's wall time is waiting: "
        "biomero's fixed 10 s polling of the conversion job (SlurmJob.wait_for_completion), "
        "and the scripts' own polls (2 s here, 10-15 s in biomero-scripts). The rest is "
        "process start-up: each script imports biomero and opens its own SSH "
        "connection and database session.",
        "",
    ]
    report.write(args.out, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
