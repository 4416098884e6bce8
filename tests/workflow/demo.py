"""`make demo`: the worker's main job, watched. Brings up the test stack, starts
the worker, runs BIOMERO's init and one workflow (tests/workflow/e2e.py: what is
real and what stands in), prints what happened, and removes everything.

    .venv/bin/python -m tests.workflow.demo [--threshold 0.5]

Exit status 0 only when the workflow completed and its results came back.
"""

from __future__ import annotations

import argparse
import sys
import time

from tests.support.build_env import worker_image
from tests.worker.service import temporary_stack
from tests.workflow import e2e

STEP_TITLES = {
    "init_environment": "SLURM_Init_environment: directories, job scripts, converter, image pull",
    "initiate": "SLURM_Run_Workflow: workflow initiated, export task started",
    "image_transfer": "  _SLURM_Image_Transfer: OME-Zarr zipped, sent by SFTP, unpacked",
    "refresh_job_scripts": "export done; job scripts refreshed; conversion task started",
    "remote_conversion": "  SLURM_Remote_Conversion: zarr -> tiff, a Slurm array job",
    "workflow_job": "workflow job submitted (sbatch) and polled (sacct) to its end",
    "wait_for_accounting": "job listed as completed by sacct; results task started",
    "get_results": "  SLURM_Get_Results: log, zip on Slurm, copy back, clean up",
    "complete": "results task done, workflow completed",
    "fail": "task and workflow failed, job log fetched",
}


def say(text: str = "") -> None:
    print(text, flush=True)


def show_step(step: e2e.Step) -> None:
    say(f"  {step.seconds:6.1f} s  {step.name:<18} {STEP_TITLES.get(step.name, '')}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.workflow.demo",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--threshold", type=float, default=0.5,
                    help="the workflow's parameter (outside (0, 1) it fails: the failure path)")
    args = ap.parse_args(argv)

    say("Starting the test stack (PostgreSQL, Slurm behind SSH, IceGrid, github.com) ...")
    t0 = time.monotonic()
    with temporary_stack("biomero-demo-") as (stack, up, facts, tmp):
        say(f"  stack ready in {time.monotonic() - t0:.0f} s")
        say("Publishing the test workflow and starting the worker ...")
        t1 = time.monotonic()
        worker = e2e.start_site(stack, worker_image(), facts, up["github"], up["slurm"], tmp)
        say(f"  worker's node running in {time.monotonic() - t1:.0f} s")
        say()
        say(f"Running workflow '{e2e.WORKFLOW}' ({e2e.IMAGE}, {e2e.REF}) with threshold "
            f"{args.threshold}; each step is one BIOMERO script launched by the worker's "
            "Processor:")
        show_step(e2e.init_environment(worker, up["slurm"]))
        acc = e2e.run_workflow(worker, threshold=args.threshold)
        for step in acc.steps:
            show_step(step)
        say(f"  {acc.seconds:6.1f} s  in all (SLURM_Run_Workflow, from launch to exit)")
        say()
        say("Slurm's accounting (sacct):")
        for line in e2e.sacct_lines(up["slurm"], acc.job_ids.values()):
            say("  " + line.replace("|", "  "))
        say()
        events = e2e.workflow_events(up["postgres"], acc.wf_id)
        say(f"Events recorded in PostgreSQL for workflow {acc.wf_id} ({len(events)}):")
        for task, event in events:
            say(f"  {task:<24} {event}")
        say()
        if not acc.completed:
            say(f"The workflow did NOT complete: its job ended {acc.result['state']}. Job log:")
            say(acc.result.get("log", ""))
            return 1
        got = acc.result["results"]
        for name, mask in got["masks"].items():
            say(f"Result: {name}: mask {mask['shape']}, {mask['foreground']} foreground pixels "
                f"(expected {e2e.expected_foreground(e2e.IMAGES['101'], args.threshold)})")
        say(f"Done in {time.monotonic() - t0:.0f} s.")
        return 0


if __name__ == "__main__":
    sys.exit(main())
