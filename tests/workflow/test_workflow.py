"""A real BIOMERO workflow, end to end, through the worker (tests/workflow/e2e.py).

Data goes from the worker to the cluster over SFTP, biomero's converter turns the
OME-Zarr into TIFF in a Slurm array job, the workflow runs as a Slurm job from the
job script biomero generated (or cloned from git), biomero polls it with sacct, the
results come back as a zip, and every step is an event in PostgreSQL. biomero runs
unmodified; no fetch and no biomero function is replaced.

The one stand-in on the cluster is `singularity` (Debian has no
Singularity/Apptainer): tests/stack/images/slurm/singularity. Where OMERO.server
would be (the scripts' OMERO side, `omero zarr export`), tests/workflow/scripts
calls biomero as the BIOMERO scripts do (see its README).
"""

from __future__ import annotations

import re

import pytest

from biomero_worker.cluster_tools import release_at_least
from tests.workflow import e2e

SPEC = e2e.IMAGES["101"]
MASK = "101.ome.0.tif"  # biomero's converter names the TIFF <zarr stem>.<dataset>.tif

# The tasks of one run, in SLURM_Run_Workflow's order, with the events biomero
# records for each. biomero's own CONVERT_ZARR_TO_TIFF task (run_conversion_
# workflow_job) runs inside the SLURM_Remote_Conversion task of the script.
# StatusUpdated/ProgressUpdated come once per poll, so their count varies: they
# are compared as "one or more" below.
POLLED = ("StatusUpdated", "ProgressUpdated")
SUCCESS = [
    ("workflow", "WorkflowInitiated"),
    ("_SLURM_Image_Transfer", "TaskCreated"), ("workflow", "TaskAdded"),
    ("_SLURM_Image_Transfer", "TaskStarted"), ("_SLURM_Image_Transfer", "TaskCompleted"),
    ("SLURM_Remote_Conversion", "TaskCreated"), ("workflow", "TaskAdded"),
    ("SLURM_Remote_Conversion", "TaskStarted"),
    ("CONVERT_ZARR_TO_TIFF", "TaskCreated"), ("workflow", "TaskAdded"),
    ("CONVERT_ZARR_TO_TIFF", "TaskStarted"), ("CONVERT_ZARR_TO_TIFF", "JobIdAdded"),
    ("CONVERT_ZARR_TO_TIFF", "ResultAdded"), ("CONVERT_ZARR_TO_TIFF", POLLED),
    ("CONVERT_ZARR_TO_TIFF", "TaskCompleted"),
    ("SLURM_Remote_Conversion", "TaskCompleted"),
    ("threshold", "TaskCreated"), ("workflow", "TaskAdded"),
    ("threshold", "TaskStarted"), ("threshold", "JobIdAdded"), ("threshold", "ResultAdded"),
    ("threshold", POLLED), ("threshold", "TaskCompleted"),
    ("SLURM_Get_Results", "TaskCreated"), ("workflow", "TaskAdded"),
    ("SLURM_Get_Results", "TaskStarted"), ("SLURM_Get_Results", "TaskCompleted"),
    ("workflow", "WorkflowCompleted"),
]
FAILURE = SUCCESS[:SUCCESS.index(("threshold", "TaskCompleted"))] + [
    ("threshold", "TaskFailed"), ("workflow", "WorkflowFailed")]


def collapse(stream):
    """Runs of polled events (any mix of StatusUpdated/ProgressUpdated of one task)
    become one (task, POLLED) entry."""
    out = []
    for aggregate, event in stream:
        if event in POLLED:
            if out and out[-1] == (aggregate, POLLED):
                continue
            out.append((aggregate, POLLED))
        else:
            out.append((aggregate, event))
    return out


@pytest.fixture(scope="module")
def completed(e2e_site):
    worker, _ = e2e_site
    return e2e.run_workflow(worker, threshold=0.5)


@pytest.fixture(scope="module")
def failed(e2e_site):
    worker, _ = e2e_site
    return e2e.run_workflow(worker, threshold=1.5)


def test_init_fetched_the_descriptor_from_github_and_set_up_the_cluster(e2e_site, github,
                                                                       slurm):
    _, init = e2e_site
    assert init.result["images"] == {e2e.WORKFLOW: e2e.IMAGE}, init.result
    assert init.result["workflows"] == {e2e.WORKFLOW: e2e.REF}
    descriptor = f"/{e2e.ORG}/{e2e.REPO}/raw/{e2e.REF}/descriptor.json"
    assert ("GET", descriptor, 200) in github.requests()
    paths = e2e.SLURM_PATHS
    probe = slurm.exec(
        f"test -x {paths['slurm_converters_path']}/convert_zarr_to_tiff_latest.sif && "
        f"test -f {paths['slurm_script_path']}/convert_job_array.sh && "
        f"grep -q -- '--threshold=\"$THRESHOLD\"' {paths['slurm_script_path']}/jobs/threshold.sh")
    assert probe.exit_code == 0, probe
    # and doctor agrees, one line per path and per tool biomero runs there
    code, out = e2e_site[0].exec("doctor --only slurm-paths,cluster-tools")
    assert code == 0, out
    for key, path in paths.items():
        assert re.search(rf"^\s+{key}\s+ok\s+{re.escape(path)}:", out, re.M), out
    assert re.search(r"^\s+git\s+unused\s", out, re.M), out


def test_results_come_back_with_the_mask(completed):
    assert completed.completed, completed.result
    got = completed.result["results"]
    assert got["zip_names"] == [MASK], got
    mask = got["masks"][MASK]
    assert mask["values"] == [0, 255]
    assert mask["shape"] == SPEC["shape"]
    assert mask["foreground"] == e2e.expected_foreground(SPEC, 0.5) > 0
    # the progress biomero read from the job log while polling
    assert "100%" in completed.result["progress"]


def test_sacct_shows_the_conversion_task_and_the_workflow_completed(completed, slurm):
    ids = completed.job_ids
    lines = e2e.sacct_lines(slurm, ids.values())
    rows = {ln.split("|")[0]: ln.split("|") for ln in lines}
    conversion = rows[f"{ids['conversion']}_1"]  # the array's one task
    workflow = rows[str(ids["workflow"])]
    assert conversion[1:4] == ["conversion", "COMPLETED", "0:0"], lines
    assert workflow[1:4] == [f"omero-job-{e2e.WORKFLOW}", "COMPLETED", "0:0"], lines


def test_cluster_temporary_files_are_gone_after_cleanup(completed, slurm):
    job = completed.job_ids["workflow"]
    conv = completed.job_ids["conversion"]
    data = f"{e2e.SLURM_PATHS['slurm_data_path']}/{completed.folder}"
    left = slurm.ssh(  # in the login user's home: the jobs' logs and the array's config
        f"ls -d {data} {data}.zip omero-{job}.log omero-{conv}_*.log "
        f"config_{completed.folder}.txt {data}/{job}_out.zip 2>/dev/null")
    assert left.stdout.strip() == "", left.stdout
    assert completed.result["results"]["cleanup_ok"]


def test_the_event_stream_is_the_workflows_story(completed, postgres):
    stream = e2e.workflow_events(postgres, completed.wf_id)
    assert collapse(stream) == SUCCESS, stream


def test_the_views_biomero_projects(completed, postgres, image_biomero):
    """What biomero's listeners project, as the image's biomero does it. Each listener
    keeps its state in the memory of the process that runs it, and each BIOMERO
    script is a process: what a listener learnt in SLURM_Run_Workflow is unknown
    in a sub-script's process."""
    ids = completed.job_ids
    # JobProgress: every job's last polled state; the progress is the last "N%"
    # of the job log (the converter prints none).
    progress = {job: e2e.view_rows(postgres, "biomero_job_progress_view", slurm_job_id=job)
                for job in ids.values()}
    assert [(r["status"], r["progress"]) for r in progress[ids["workflow"]]] == [
        ("COMPLETED", "100%")], progress
    assert [r["status"] for r in progress[ids["conversion"]]] == ["COMPLETED"], progress
    # JobAccounting: the workflow job, with the workflow's user and group. With
    # biomero 2.8 the conversion job is missing (surprising): its JobIdAdded happens
    # in the SLURM_Remote_Conversion process, whose JobAccounting never saw the
    # WorkflowInitiated that carries user and group, so it records nothing. 2.9
    # records it with the workflow's user and group.
    accounting = {job: e2e.view_rows(postgres, "biomero_job_view", slurm_job_id=job)
                  for job in ids.values()}
    assert [(r["user"], r["group"]) for r in accounting[ids["workflow"]]] == [(2, 3)]
    conversion = [(2, 3)] if release_at_least(image_biomero, (2, 9)) else []
    assert [(r["user"], r["group"]) for r in accounting[ids["conversion"]]] == conversion, \
        accounting
    # WorkflowProgress: done.
    (wf,) = e2e.view_rows(postgres, "biomero_workflow_progress_view",
                          workflow_id=completed.wf_id)
    assert (wf["status"], wf["progress"], wf["name"]) == ("DONE", "100%", "SLURM_Run_Workflow")
    # WorkflowAnalytics: every task has ended, but a task's status comes only from
    # StatusUpdated (Slurm's job states), so tasks without a Slurm job stay
    # "CREATED" although TaskCompleted set their end time (surprising).
    tasks = e2e.workflow_tasks(postgres, completed.wf_id)
    rows = [r for r in e2e.view_rows(postgres, "biomero_task_execution")
            if str(r["task_id"]) in tasks]
    assert {r["task_name"]: r["status"] for r in rows} == {
        "_SLURM_Image_Transfer": "CREATED", "SLURM_Remote_Conversion": "CREATED",
        "CONVERT_ZARR_TO_TIFF": "COMPLETED", e2e.WORKFLOW: "COMPLETED",
        "SLURM_Get_Results": "CREATED"}, rows
    assert all(r["end_time"] is not None for r in rows), rows


def test_a_failing_workflow_is_recorded_as_failed(failed, slurm, postgres):
    run = failed.result
    assert run["state"] == "FAILED", run
    assert "threshold must be between 0 and 1, not 1.5" in run["log"]
    lines = e2e.sacct_lines(slurm, [run["job_id"]])
    assert lines[0].split("|")[2:4] == ["FAILED", "2:0"], lines
    assert collapse(e2e.workflow_events(postgres, failed.wf_id)) == FAILURE
    assert "get_results" not in [s.name for s in failed.steps]
    assert "results" not in run


def test_git_mode_clones_the_job_scripts_and_runs_them(e2e_site, slurm):
    """slurm_script_repo set to a bare repository on the cluster: BIOMERO's init
    clones it into slurm_script_path, the run pulls it, and the job script that
    runs is the repository's (it says so in the job log)."""
    worker, _ = e2e_site
    scripts, repo = e2e.SLURM_PATHS["slurm_script_path"], e2e.SCRIPT_REPO
    marker = "job script from the git repository"
    made = slurm.ssh(
        f"set -e; rm -rf {repo} /tmp/e2e-scripts; git init -q --bare {repo}; "
        f"git clone -q {repo} /tmp/e2e-scripts 2>/dev/null; cd /tmp/e2e-scripts; "
        f"mkdir jobs; sed 's|^echo \"Running|echo \"{marker}\"; echo \"Running|' "
        f"{scripts}/jobs/{e2e.WORKFLOW}.sh > jobs/{e2e.WORKFLOW}.sh; git add jobs; "
        f"git -c user.name=e2e -c user.email=e2e@example.invalid commit -q -m jobs; "
        f"git push -q origin HEAD; rm -rf /tmp/e2e-scripts")
    assert made.exit_code == 0, made.stderr
    e2e.set_script_repo(worker, repo)
    try:
        e2e.init_environment(worker, slurm)
        origin = slurm.ssh(f"git -C {scripts} remote get-url origin")
        assert origin.stdout.strip() == repo, origin
        code, out = worker.exec("doctor --only cluster-tools")
        assert code == 0 and re.search(r"^\s+git\s+ok\s", out, re.M), out
        acc = e2e.run_workflow(worker, threshold=0.7)
        assert acc.completed, acc.result
        got = acc.result["results"]
        assert marker in got["log"], got["log"]
        assert got["masks"][MASK]["foreground"] == e2e.expected_foreground(SPEC, 0.7)
    finally:
        e2e.set_script_repo(worker, "")
