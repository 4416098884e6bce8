"""``python -m biomero_worker <command>``: the worker's commands, one argparse tree.

Each module that has commands adds them with ``add_commands(subparsers)``; a
command is ``run(args, out, err) -> exit status``. The start-up scripts, the
``doctor`` console script and admins (``docker exec``) all come through here.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# The modules that add commands, in the order they are tried: a command line loads
# the modules up to the one that has its command and no further, so the image's
# HEALTHCHECK (every 10 s for a worker's whole life) and each start-up step do not
# pay for doctor's, the SBOM's or the database driver's imports. `--help`, or a
# command no module has, loads them all. The hottest commands first.
MODULES = ("health", "startup", "node", "identity", "runtime_config", "omero_config",
           "log_forward", "analytics_db", "ssh_mount", "layout", "doctor", "biomero_contract",
           "image_build", "sbom")


def command_of(argv: list[str]) -> str | None:
    """The command a command line names (the first word that is not an option)."""
    return next((a for a in argv if not a.startswith("-")), None)


def parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The argparse tree, with every command (ARGV None) or with enough of the
    modules loaded to parse ARGV."""
    top = argparse.ArgumentParser(prog="python -m biomero_worker",
                                  description=__doc__.split("\n\n")[0])
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    wanted = None if argv is None else command_of(argv)
    for name in MODULES:
        module = importlib.import_module(f".{name}", __package__)
        if name == "runtime_config":  # its commands live under `config`
            config = sub.add_parser("config", help="the runtime slurm-config layers")
            module.add_commands(config.add_subparsers(dest="config_command", required=True))
        else:
            module.add_commands(sub)
        if wanted in sub.choices:  # never for None: every module loaded
            break
    return top


def main(argv=None) -> int:
    from . import file_env, identity

    argv = sys.argv[1:] if argv is None else list(argv)
    try:  # every command sees VAR where a deployer gave VAR_FILE
        file_env.apply()
    except file_env.SecretFileError as exc:
        print(f"biomero-worker: {exc}", file=sys.stderr)
        return 2
    # what a command runs (doctor's ssh) finds an unknown uid's passwd entry, in a
    # `docker exec` too, which never passes through the entrypoint
    identity.apply_nss()
    args = parser(argv).parse_args(argv)
    return args.run(args, sys.stdout, sys.stderr)


def start_node() -> int:
    """The ``start-node`` console script, the image's CMD."""
    return main(["start-node", *sys.argv[1:]])
