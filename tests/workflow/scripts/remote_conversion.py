# Mirrors _data/SLURM_Remote_Conversion.py run as a sub-task of SLURM_Run_Workflow: submit
# the zarr->tiff array job, wait for it (SlurmJob.wait_for_completion, biomero's own
# polling), clean up its logs, complete the conversion task.
import inspect
import json
from uuid import UUID


class NoOmeroSession:
    """The script's OMERO session (BlitzGateway) is only kept alive while biomero
    polls; there is no OMERO.server here (the same stand-in as the export)."""

    def keepAlive(self):  # noqa: N802 - BlitzGateway's name
        return True


from biomero import SlurmClient  # noqa: E402

with SlurmClient.from_config() as slurmClient:
    slurmJob = slurmClient.run_conversion_workflow_job(
        PARAMS["folder"], "zarr", "tiff", UUID(PARAMS["wf_id"]))  # noqa: F821
    if not slurmJob.ok:
        slurmClient.workflowTracker.fail_task(slurmJob.task_id,
                                              "Conversion job submission failed")
        raise SystemExit(f"Conversion job submission failed: {slurmJob.get_error()}")
    # biomero 2.9 keeps the session alive through a heartbeat callback; 2.8 takes the
    # connection itself (each release's SLURM_Remote_Conversion.py calls it so)
    if "omeroConn" in inspect.signature(slurmJob.wait_for_completion).parameters:
        state = slurmJob.wait_for_completion(slurmClient, NoOmeroSession())
    else:
        state = slurmJob.wait_for_completion(slurmClient,
                                             heartbeat=NoOmeroSession().keepAlive)
    _, log_file, _ = slurmClient.get_conversion_logfile_from_slurm(slurmJob.job_id)
    log = open(log_file).read()
    if not slurmJob.completed():
        slurmClient.workflowTracker.fail_task(slurmJob.task_id, "Conversion failed")
        raise SystemExit(f"Conversion is not completed: {slurmJob}\n{log}")
    slurmJob.cleanup(slurmClient)
    msg = f"Converted {PARAMS['folder']} from zarr to tiff"  # noqa: F821
    slurmClient.workflowTracker.complete_task(slurmJob.task_id, msg)
    print("RESULT " + json.dumps({"job_id": slurmJob.job_id, "state": state,
                                  "task_id": str(slurmJob.task_id), "log": log}))
