# Mirrors _data/_SLURM_Image_Transfer.py: the exported images are zipped
# (shutil.make_archive) and sent to Slurm (transfer_data), then unpacked there
# (unpack_data). The export itself is a STAND-IN for `omero zarr export --format 0.4`
# (no OMERO.server here): the same zarr and ome-zarr calls omero-cli-zarr 0.8.0
# makes for a 2-D image (array "0", Blosc zstd, NGFF 0.4 metadata), one
# <image id>.ome.zarr per test image.
import json
import pathlib
import shutil
import tempfile

import numpy as np
import zarr
from biomero import SlurmClient
from numcodecs import Blosc
from ome_zarr.format import FormatV04
from ome_zarr.writer import write_multiscales_metadata

work = pathlib.Path(tempfile.mkdtemp(prefix="export-"))
folder = PARAMS["folder"]  # noqa: F821
exp_dir = work / folder
exp_dir.mkdir()
for image_id, spec in PARAMS["images"].items():  # noqa: F821
    h, w = spec["shape"]
    yy, xx = np.mgrid[0:h, 0:w]
    pixels = np.full((h, w), spec["background"], dtype=np.uint16)
    for cy, cx, r, value in spec["discs"]:
        pixels[(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] = value
    group = zarr.open_group(str(exp_dir / f"{image_id}.ome.zarr"), mode="w", zarr_format=2)
    array = group.require_array("0", shape=pixels.shape, chunks=pixels.shape, dtype=pixels.dtype,
                                exact=True, compressor=Blosc(cname="zstd", clevel=5,
                                                             shuffle=Blosc.SHUFFLE))
    array[:] = pixels
    write_multiscales_metadata(
        group, fmt=FormatV04(), axes=[{"name": "y", "type": "space"},
                                      {"name": "x", "type": "space"}],
        datasets=[{"path": "0", "coordinateTransformations": [
            {"type": "scale", "scale": [1.0, 1.0]}]}])
zip_file = pathlib.Path(shutil.make_archive(str(work / folder), "zip", str(exp_dir)))

with SlurmClient.from_config() as slurmClient:
    r = slurmClient.transfer_data(zip_file)
    if hasattr(r, "ok") and not r.ok:
        raise SystemExit(f"Copying to SLURM reported failure: {r.stderr}")
    unpack = slurmClient.unpack_data(folder)
    if not unpack.ok:
        raise SystemExit(f"Error unpacking data on SLURM: {unpack.stderr}")
shutil.rmtree(work)
print("RESULT " + json.dumps({"zip": zip_file.name, "remote": r.remote}))
