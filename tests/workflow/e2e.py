"""One BIOMERO workflow, end to end, through the worker: the run that
tests/workflow/test_workflow.py asserts, `make demo` narrates and
`make bench-workflow` times.

What is real: the worker image and its Processor path (omero-py's ProcessI, the
script hook), biomero 2.8.3 unmodified in the worker, SSH/SFTP to the login node,
Slurm (sbatch, array jobs, sacct from slurmdbd), biomero's own job scripts and its
zarr->tiff converter running on the compute nodes, PostgreSQL for the events, and an
HTTPS github.com (the `github` stack service) that biomero fetches the workflow's
descriptor from, trusted through REQUESTS_CA_BUNDLE.

Stand-ins, because this machine cannot have the real thing:
  * Singularity/Apptainer (not in Debian): `singularity` on the cluster
    (tests/stack/images/slurm/singularity) executes "images" that are programs;
    the workflow image is tests/workflow/threshold/w_threshold.py, published into
    the stand-in's library as if it were on a registry.
  * OMERO.server: the BIOMERO scripts are replaced by their calls into biomero
    (tests/workflow/scripts/README.md), the OME-Zarr export by ome-zarr's writer.
"""

from __future__ import annotations

import base64
import json
import shlex
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.wait import wait_until
from tests.worker.service import (
    PROCESSI_LAUNCH,
    RUNTIME_OVERRIDES,
    SSH_MOUNT,
    Worker,
    make_ssh_mount,
    run_script,
    start_worker,
    worker_environment,
)

HERE = Path(__file__).resolve().parent
SCRIPTS = HERE / "scripts"
WORKFLOW_SOURCE = HERE / "threshold"
DESCRIPTOR = (WORKFLOW_SOURCE / "descriptor.json").read_bytes()
WORKFLOW_PROGRAM = (WORKFLOW_SOURCE / "w_threshold.py").read_bytes()
IMAGE = json.loads(DESCRIPTOR)["container-image"]["image"]  # org/name, as on a registry
ORG, REPO, REF = "biomero-worker-test", "W_Threshold", "v1.0.0"
WORKFLOW = "threshold"  # the [MODELS] key
SCRIPT_VERSION = "e2e"  # what the scripts record as their VERSION

STAND_IN_LIBRARY = "/var/lib/singularity-stand-in/library"  # tests/stack/images/slurm
ROOT = "/data/biomero-e2e"  # on the cluster; apart from the worker tests' paths
SLURM_PATHS = {
    "slurm_data_path": f"{ROOT}/data",
    "slurm_images_path": f"{ROOT}/singularity_images/workflows",
    "slurm_converters_path": f"{ROOT}/singularity_images/converters",
    "slurm_script_path": f"{ROOT}/slurm-scripts",
}
SCRIPT_REPO = f"{ROOT}/slurm-scripts.git"  # git mode: a bare repository on the cluster
WORKER_NAME = "e2eworker"
CA_IN_WORKER = "/etc/biomero-worker-test/github-ca.pem"
LAYER = "10-e2e.ini"  # the run's layer in the worker's runtime layer directory
WORKFLOW_IMAGE_FILE = f"{SLURM_PATHS['slurm_images_path']}/{WORKFLOW}/" \
                      f"{IMAGE.split('/')[1]}_{REF}.sif"  # where `singularity pull` puts it

# The test's images: (y, x, radius, value) discs on a flat background.
IMAGES = {"101": {"shape": [64, 64], "background": 100,
                  "discs": [[20, 20, 8, 1000], [44, 40, 6, 600]]}}


def expected_foreground(spec: dict, threshold: float) -> int:
    """Pixels of SPEC above THRESHOLD x its maximum: what the workflow's mask holds."""
    h, w = spec["shape"]
    cut = threshold * max([spec["background"]] + [d[3] for d in spec["discs"]])
    count = 0
    for y in range(h):
        for x in range(w):
            value = spec["background"]
            for cy, cx, r, v in spec["discs"]:
                if (y - cy) ** 2 + (x - cx) ** 2 <= r * r:
                    value = v
            count += value > cut
    return count


def config_layer(script_repo: str = "") -> str:
    """The site layer of the run: the cluster's paths, and the test workflow as the
    only one (the base's workflows live on the real GitHub, out of reach)."""
    return ("[SLURM]\n" + "".join(f"{k}={v}\n" for k, v in SLURM_PATHS.items())
            + f"slurm_script_repo={script_repo}\n"
            "[!MODELS]\n[MODELS]\n"
            f"{WORKFLOW}={WORKFLOW}\n"
            f"{WORKFLOW}_repo=https://github.com/{ORG}/{REPO}/tree/{REF}\n"
            f"{WORKFLOW}_job=jobs/{WORKFLOW}.sh\n"
            # the job template asks for 4 CPUs and 5 GB; the test nodes have 2 CPUs
            # and 4000 MB, so the site sizes the job as admins do
            f"{WORKFLOW}_job_cpus-per-task=1\n"
            f"{WORKFLOW}_job_mem=200M\n")


def start_site(stack, image: str, facts, github, slurm, tmp: Path) -> Worker:
    """The test workflow published (its descriptor on github.com, its image in the
    singularity stand-in's library) and a worker like the worker tests' one that
    trusts the stack's github.com for its scripts (REQUESTS_CA_BUNDLE, allowed
    through the script environment)."""
    github.publish(ORG, REPO, REF, {"descriptor.json": DESCRIPTOR})
    target = f"{STAND_IN_LIBRARY}/{IMAGE}_{REF}.sif"
    slurm.exec(f"install -d {shlex.quote(str(Path(target).parent))} && "
               f"echo {base64.b64encode(WORKFLOW_PROGRAM).decode()} | base64 -d "
               f"> {shlex.quote(target)} && chmod 0755 {shlex.quote(target)}").check()
    overrides = tmp / "overrides.d"
    overrides.mkdir(parents=True)
    overrides.chmod(0o755)
    layer = overrides / LAYER
    layer.write_text(config_layer())
    layer.chmod(0o644)
    env = worker_environment(facts, name=WORKER_NAME,
                             HTTPS_PROXY=None, NO_PROXY=None,  # github.com is in the stack
                             REQUESTS_CA_BUNDLE=CA_IN_WORKER,
                             BIOMERO_SCRIPT_ENV_ALLOW="REQUESTS_CA_BUNDLE")
    mounts = {SSH_MOUNT: make_ssh_mount(tmp, facts), RUNTIME_OVERRIDES: overrides,
              CA_IN_WORKER: (github.ca_file, "ro")}
    w = start_worker(stack, image, facts, name=WORKER_NAME, env=env, mounts=mounts)
    w.wait_started()
    return w


def set_script_repo(worker: Worker, repo: str) -> None:
    """Switch the run to git mode (or back): the runtime layer, re-read at the
    next script launch."""
    layer = worker.mounts[RUNTIME_OVERRIDES] / LAYER
    layer.write_text(config_layer(repo))


@dataclass
class Step:
    name: str
    seconds: float
    result: dict
    timings: dict = field(default_factory=dict)  # with instrument=True: INSTRUMENT's


# Prepended to a script for the benchmark only: times what biomero does over its
# fabric connection (every run/put/get) and the sleeps biomero's own code takes,
# and prints them at exit as one TIMINGS line. Nothing of biomero is replaced.
INSTRUMENT = """
import atexit as _atexit, json as _json, sys as _sys, time as _time
import fabric as _fabric
_T = {"ssh_commands": 0, "ssh_seconds": 0.0, "transfers": 0, "transfer_seconds": 0.0,
      "biomero_sleeps": 0, "biomero_sleep_seconds": 0.0}
def _timed(fn, count, secs):
    def wrapper(*a, **k):
        t0 = _time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            _T[count] += 1
            _T[secs] += _time.perf_counter() - t0
    return wrapper
_fabric.Connection.run = _timed(_fabric.Connection.run, "ssh_commands", "ssh_seconds")
_fabric.Connection.put = _timed(_fabric.Connection.put, "transfers", "transfer_seconds")
_fabric.Connection.get = _timed(_fabric.Connection.get, "transfers", "transfer_seconds")
_sleep = _time.sleep
def _counted_sleep(seconds):
    caller = _sys._getframe(1).f_globals.get("__name__", "")
    if caller == "biomero" or caller.startswith("biomero."):
        _T["biomero_sleeps"] += 1
        _T["biomero_sleep_seconds"] += seconds
    return _sleep(seconds)
_time.sleep = _counted_sleep
_atexit.register(lambda: print("TIMINGS " + _json.dumps(_T), flush=True))
"""


@dataclass
class Account:
    """What one run did: run_workflow.py's RESULT, and its steps (its own phases
    and its sub-scripts, in order, each with its wall time)."""
    folder: str
    result: dict
    seconds: float
    timings: dict

    @property
    def steps(self) -> list[Step]:
        return [Step(s["name"], s["seconds"], s["result"] or {}, s["timings"])
                for s in self.result["steps"]]

    @property
    def wf_id(self) -> str:
        return self.result["wf_id"]

    @property
    def job_ids(self) -> dict[str, int]:
        return {"conversion": self.result["converted"]["job_id"],
                "workflow": self.result["job_id"]}

    @property
    def completed(self) -> bool:
        return self.result["state"] == "COMPLETED"


def script_body(name: str, instrument: bool = False) -> str:
    """scripts/NAME.py, to be run with a line `PARAMS = '<json>'` in front; a
    script that launches sub-scripts gets the Processor's launcher."""
    return (INSTRUMENT if instrument else "") \
        + (PROCESSI_LAUNCH if name in LAUNCHERS else "") \
        + "import json as _json\nPARAMS = _json.loads(PARAMS)\n" \
        + (SCRIPTS / f"{name}.py").read_text()


def script_text(name: str, params: dict, instrument: bool = False) -> str:
    return f"PARAMS = {json.dumps(params)!r}\n" + script_body(name, instrument)


def _tagged(out: str, tag: str):
    lines = [ln for ln in out.splitlines() if ln.startswith(tag + " ")]
    return json.loads(lines[-1][len(tag) + 1:]) if lines else None


def run_biomero_script(worker: Worker, name: str, params: dict | None = None,
                       instrument: bool = False) -> Step:
    """Launch scripts/NAME.py through the worker's Processor path; its RESULT."""
    t0 = time.monotonic()
    out = run_script(worker, script_text(name, params or {}, instrument),
                     job=str(uuid.uuid4().int % 10**6))
    seconds = time.monotonic() - t0
    result = _tagged(out, "RESULT")
    assert result is not None, f"{name}: no RESULT line in its output:\n{out}"
    return Step(name, seconds, result, _tagged(out, "TIMINGS") or {})


def init_environment(worker: Worker, slurm, timeout: float = 120,
                     instrument: bool = False) -> Step:
    """SLURM_Init_environment, then wait for the image pull it started in the
    background (biomero runs `nohup singularity pull ... &` on the login node)."""
    slurm.exec(f"rm -f {WORKFLOW_IMAGE_FILE}").check()
    step = run_biomero_script(worker, "init_environment", instrument=instrument)
    wait_until(f"{WORKFLOW_IMAGE_FILE} on the cluster (sing.log: the pull)",
               lambda: slurm.exec(f"test -x {WORKFLOW_IMAGE_FILE}").exit_code == 0,
               timeout, interval=0.5)
    return step


SUB_SCRIPTS = ("image_transfer", "remote_conversion", "get_results")
LAUNCHERS = ("run_workflow",)  # scripts that launch SUB_SCRIPTS


def run_workflow(worker: Worker, *, threshold: float, poll_seconds: float = 2,
                 timeout: float = 300, instrument: bool = False) -> Account:
    """SLURM_Run_Workflow (scripts/run_workflow.py) on the test images."""
    folder = f"e2e_{uuid.uuid4().hex[:8]}"
    params = {"script_version": SCRIPT_VERSION, "folder": folder, "user": 2, "group": 3,
              "image_ids": list(IMAGES), "images": IMAGES, "workflow": WORKFLOW,
              "version": REF, "kwargs": {"threshold": threshold},
              "poll_seconds": poll_seconds, "timeout": timeout,
              "scripts": {n: script_body(n, instrument) for n in SUB_SCRIPTS}}
    step = run_biomero_script(worker, "run_workflow", params, instrument)
    return Account(folder, step.result, step.seconds, step.timings)


# -- what the cluster and the database say afterwards ------------------------------
def sacct_lines(slurm, job_ids) -> list[str]:
    """`sacct` for the jobs: allocations (array tasks as JOB_TASK), one per line."""
    ids = ",".join(str(j) for j in job_ids)
    r = slurm.ssh(f"sacct -n -X -P -j {ids} -o JobID,JobName,State,ExitCode,Elapsed")
    assert r.exit_code == 0, r.stderr
    return [ln for ln in r.stdout.splitlines() if ln.strip()]


def _events(postgres) -> list[tuple[str, str, dict]]:
    with postgres.connect() as conn:
        rows = conn.execute(
            "SELECT originator_id::text, topic, convert_from(state, 'UTF8') "
            "FROM workflowtracker_events ORDER BY id").fetchall()
    return [(o, t.rsplit(".", 1)[-1], json.loads(st)) for o, t, st in rows]


def _tasks(events, wf: str) -> dict[str, str]:
    return {o: state["task_name"] for o, event, state in events
            if event == "TaskCreated" and _uuid_in(state.get("workflow_id")) == wf}


def workflow_tasks(postgres, wf_id: str) -> dict[str, str]:
    """{task id: task name} of the workflow's tasks, from their TaskCreated events."""
    return _tasks(_events(postgres), str(uuid.UUID(wf_id)))


def workflow_events(postgres, wf_id: str) -> list[tuple[str, str]]:
    """The workflow's event stream from biomero's event store
    (workflowtracker_events), in recording order: (aggregate, event name), where
    the aggregate is "workflow" or the task's name."""
    wf = str(uuid.UUID(wf_id))
    events = _events(postgres)
    tasks = _tasks(events, wf)
    return [("workflow" if o == wf else tasks[o], event)
            for o, event, _ in events if o == wf or o in tasks]


def _uuid_in(value) -> str | None:
    """A UUID as eventsourcing's JSON transcoder wrote it, as text."""
    if isinstance(value, dict):
        value = value.get("_data_")
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


def view_rows(postgres, table: str, **where) -> list[dict]:
    cond = " AND ".join(f"{k}::text = %s" for k in where) or "true"
    with postgres.connect() as conn:
        cur = conn.execute(f"SELECT * FROM {table} WHERE {cond}",  # noqa: S608 - our names
                           [str(v) for v in where.values()])
        names = [d.name for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


