# Mirrors admin/SLURM_Init_environment.py (biomero-scripts 2.8.2): validate, then
# set up directories, job scripts, converters and container images on Slurm.
import json

from biomero import SlurmClient

with SlurmClient.from_config() as slurmClient:
    if not slurmClient.validate():
        raise SystemExit("SlurmClient.validate() failed: no connection to Slurm")
    slurmClient.setup_directories()
    slurmClient.setup_job_scripts()
    slurmClient.setup_converters()
    slurmClient.setup_container_images()
    slurmClient.initialize_analytics_system(reset_tables=False)
    repos = {m: slurmClient.extract_parts_from_url(r)[1]
             for m, r in slurmClient.slurm_model_repos.items()}
    print("RESULT " + json.dumps({"workflows": repos,
                                  "images": dict(slurmClient.slurm_model_images)}))
