# Mirrors __workflows/SLURM_Run_Workflow.py (biomero-scripts 2.8.2), in ONE process
# as there: the workflow is initiated; each sub-script (_SLURM_Image_Transfer,
# SLURM_Remote_Conversion, SLURM_Get_Results) is a task of it and runs as its own
# process, launched the way Processor-0 launches scripts (launch_script: omero-py's
# ProcessI, prepended from tests/worker/service.PROCESSI_LAUNCH; here from this
# process where OMERO would route runScript to the Processor); the workflow job is
# submitted (run_workflow) and polled as the script polls it.
import json
import time

from biomero import SlurmClient

P = PARAMS  # noqa: F821
steps = []  # what happened, in order: {"name", "seconds", "result", "timings"}
deadline = time.monotonic() + P["timeout"]


def tagged(out, tag):
    lines = [ln for ln in out.splitlines() if ln.startswith(tag + " ")]
    return json.loads(lines[-1][len(tag) + 1:]) if lines else None


def run_omero_script(name, params):
    """runOMEROScript: the sub-script in a new process, as Processor-0 runs it."""
    t0 = time.monotonic()
    code, out, err = launch_script(  # noqa: F821 - prepended
        f"PARAMS = {json.dumps(params)!r}\n" + P["scripts"][name], name,
        deadline - time.monotonic())
    if code != 0:
        raise SystemExit(f"{name} exited {code}:\n{out}\n{err}")
    steps.append({"name": name, "seconds": time.monotonic() - t0,
                  "result": tagged(out, "RESULT"), "timings": tagged(out, "TIMINGS") or {}})
    return steps[-1]["result"]


class phase:
    """This script's own part between two sub-scripts, timed."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        self.t0 = time.monotonic()

    def __exit__(self, *exc):
        steps.append({"name": self.name, "seconds": time.monotonic() - self.t0,
                      "result": None, "timings": {}})


with SlurmClient.from_config() as slurmClient:
    tracker = slurmClient.workflowTracker
    folder, version = P["folder"], P["script_version"]
    with phase("initiate"):
        wf_id = tracker.initiate_workflow("SLURM_Run_Workflow", "biomero-worker e2e\n" + version,
                                          P["user"], P["group"])
        # exportImageToSLURM
        inputs = {"IDs": P["image_ids"], "Folder_Name": folder}
        export_task = tracker.add_task_to_workflow(wf_id, "_SLURM_Image_Transfer", version,
                                                   inputs["IDs"], inputs)
        tracker.start_task(export_task)
    exported = run_omero_script("image_transfer", {"folder": folder, "images": P["images"]})
    with phase("refresh_job_scripts"):
        tracker.complete_task(export_task, f"Exported {exported['zip']}")
        slurmClient.update_slurm_scripts()
        # convertDataOnSLURM
        inputs = {"Folder_Name": folder, "Convert_From": "zarr", "Convert_To": "tiff",
                  "Cleanup?": True, "Parent_Workflow_ID": str(wf_id)}
        conversion_task = tracker.add_task_to_workflow(wf_id, "SLURM_Remote_Conversion",
                                                       version, folder, inputs)
        tracker.start_task(conversion_task)
    converted = run_omero_script("remote_conversion", {"folder": folder, "wf_id": str(wf_id)})
    with phase("workflow_job"):
        tracker.complete_task(conversion_task, f"Converted {folder} from zarr to tiff")
        # run_workflow (the script's own function of that name)
        script = f"{slurmClient.slurm_script_path}/{slurmClient.slurm_model_jobs[P['workflow']]}"
        if not slurmClient.run(f'test -f "{script}"', warn=True).ok:
            raise SystemExit(f"job script {script} missing on Slurm")
        res, job_id, wf_id, task_id = slurmClient.run_workflow(
            P["workflow"], P["version"], folder, wf_id=wf_id, **P["kwargs"])
        if job_id < 0:
            raise SystemExit(f"sbatch failed: {res.stderr}")
        states, progress = [], []
        while True:
            status, _ = slurmClient.check_job_status([job_id])
            state = status[job_id]
            prog = slurmClient.get_active_job_progress(job_id)
            tracker.update_task_status(task_id, state)
            tracker.update_task_progress(task_id, prog)
            states.append(state)
            progress.append(prog)
            if state in ("COMPLETED", "FAILED", "TIMEOUT") or state.startswith("CANCELLED"):
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"job {job_id} still {state} after {P['timeout']} s")
            time.sleep(P["poll_seconds"])
    result = {"wf_id": str(wf_id), "job_id": job_id, "state": state, "states": states,
              "progress": progress, "exported": exported, "converted": converted}
    if state == "COMPLETED":
        with phase("wait_for_accounting"):
            tracker.complete_task(task_id, f"Job {job_id} is COMPLETED.")
            # importResultsToOmero: wait_for_job_completion, then the results task
            while str(job_id) not in slurmClient.list_completed_jobs():
                if time.monotonic() > deadline:
                    raise SystemExit(f"job {job_id} never listed as completed")
                time.sleep(P["poll_seconds"])
            results_task = tracker.add_task_to_workflow(
                wf_id, "SLURM_Get_Results", version, {"IDs": P["image_ids"]},
                {"SLURM Job Id": str(job_id), "Cleanup?": True})
            tracker.start_task(results_task)
        got = run_omero_script("get_results", {"job_id": job_id})
        with phase("complete"):
            tracker.complete_task(results_task, f"Retrieved {len(got['zip_names'])} file(s)")
            tracker.complete_workflow(wf_id)
        result["results"] = got
    else:
        with phase("fail"):
            tracker.fail_task(task_id, f"Slurm job state {state}")
            # upload_job_log_to_omero: the job log, so the failure can be read
            _, log_file, _ = slurmClient.get_logfile_from_slurm(job_id)
            result["log"] = open(log_file).read()
            tracker.fail_workflow(wf_id, "Workflow execution failed")
    result["steps"] = steps
    print("RESULT " + json.dumps(result))
