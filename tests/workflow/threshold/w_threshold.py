#!/usr/bin/env python3
"""biomero-worker's test workflow, packaged as a stand-in "image" (see the
singularity stand-in of tests/stack/images/slurm): a BIAFLOWS-style program.

Every TIFF in --infolder becomes a mask (uint8, 255 where the pixel is above
THRESHOLD x the image's maximum) of the same name in --outfolder, with progress
printed as percentages (biomero reads the last "N%" of the job log). A threshold
outside (0, 1) is refused with exit status 2: the end-to-end tests' failure path.
"""
import argparse
import pathlib
import sys

import numpy as np
import tifffile


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--infolder", required=True)
    p.add_argument("--outfolder", required=True)
    p.add_argument("--gtfolder")
    p.add_argument("--local", action="store_true")
    p.add_argument("-nmc", action="store_true")
    p.add_argument("--threshold", type=float, default=0.5)
    args = p.parse_args()
    if not 0 < args.threshold < 1:
        print(f"w_threshold: threshold must be between 0 and 1, not {args.threshold}",
              file=sys.stderr)
        return 2
    images = sorted(pathlib.Path(args.infolder).glob("*.tif"))
    if not images:
        print(f"w_threshold: no .tif in {args.infolder}", file=sys.stderr)
        return 1
    out = pathlib.Path(args.outfolder)
    out.mkdir(parents=True, exist_ok=True)
    for i, path in enumerate(images, 1):
        pixels = np.squeeze(tifffile.imread(path))
        mask = np.where(pixels > args.threshold * pixels.max(), 255, 0).astype(np.uint8)
        tifffile.imwrite(out / path.name, mask)
        print(f"w_threshold: {path.name}: {int(mask.astype(bool).sum())} foreground pixels; "
              f"{100 * i // len(images)}%", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
