"""``python -m biomero_worker <command>``: the worker's commands, one argparse tree.

Each module that has commands adds them with ``add_commands(subparsers)``; a
command is ``run(args, out, err) -> exit status``. The start-up scripts, the
``doctor`` console script and admins (``docker exec``) all come through here.
"""

from __future__ import annotations

import argparse
import sys

from . import (analytics_db, biomero_contract, doctor, health, identity, image_build,
               layout, log_forward, node, omero_config, runtime_config, sbom)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m biomero_worker",
                                  description=__doc__.split("\n\n")[0])
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    config = sub.add_parser("config", help="the runtime slurm-config layers")
    runtime_config.add_commands(config.add_subparsers(dest="config_command", required=True))
    layout.add_commands(sub)
    identity.add_commands(sub)
    omero_config.add_commands(sub)
    node.add_commands(sub)
    log_forward.add_commands(sub)
    analytics_db.add_commands(sub)
    doctor.add_commands(sub)
    health.add_commands(sub)
    biomero_contract.add_commands(sub)
    image_build.add_commands(sub)
    sbom.add_commands(sub)
    return top


def main(argv=None) -> int:
    args = parser().parse_args(sys.argv[1:] if argv is None else argv)
    return args.run(args, sys.stdout, sys.stderr)
