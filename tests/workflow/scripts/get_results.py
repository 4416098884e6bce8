# Mirrors _data/SLURM_Get_Results.py for a completed job: its state, its log, the
# data location read from the log, the output zipped on Slurm, copied here and
# unzipped, then the cluster's temporary files cleaned up. What OMERO would receive
# is summarised instead of imported (no OMERO.server here).
import json
import pathlib
import tempfile
import zipfile

import numpy as np
import tifffile
from biomero import SlurmClient

job_id = PARAMS["job_id"]  # noqa: F821
local = tempfile.mkdtemp(prefix="results-") + "/"
with SlurmClient.from_config() as slurmClient:
    _, status = slurmClient.check_job_status([job_id])
    _, log_file, _ = slurmClient.get_logfile_from_slurm(job_id, local_tmp_storage=local)
    data_location = slurmClient.extract_data_location_from_log(job_id)
    filename = f"{job_id}_out"
    zipped = slurmClient.zip_data_on_slurm_server(data_location, filename)
    if not zipped.ok:
        raise SystemExit(f"Failed to zip data on Slurm: {zipped.stderr}")
    slurmClient.copy_zip_locally(local, f"{data_location}/{filename}")
    folder = pathlib.Path(local) / filename
    with zipfile.ZipFile(f"{folder}.zip") as z:
        names = sorted(z.namelist())
        z.extractall(folder)
    masks = {}
    for tif in sorted(folder.rglob("*.tif")):
        pixels = tifffile.imread(str(tif))
        masks[tif.name] = {"shape": list(pixels.shape), "dtype": str(pixels.dtype),
                           "values": sorted(int(v) for v in np.unique(pixels)),
                           "foreground": int((pixels > 0).sum())}
    cleaned = slurmClient.cleanup_tmp_files(job_id, filename, data_location)
    print("RESULT " + json.dumps({
        "status": status.stdout, "log": open(log_file).read(),
        "data_location": data_location, "zip_names": names, "masks": masks,
        "cleanup_ok": bool(cleaned and cleaned.ok)}))
