"""What the image build runs once, as root, after the venv is installed
(``python -m biomero_worker prepare-image``): the runtime layout's directories with
their owners, the image's config layers copied in and baked into the merged file
through the same validated path as every start (``runtime_config.refresh``), the
and the script hook's ``.pth`` in the venv. Nothing is put at /etc/slurm-config.ini:
that path is a deployer's layer (upstream's documented override mount).

A layer that does not validate fails the build with FILE:LINE, as it would stop
the container."""

from __future__ import annotations

import shutil
import sysconfig
from pathlib import Path

from . import layout, runtime_config, script_env_hook

# Written by the worker at run time: owned by the node's user and by group 0,
# group-writable, so that any uid of group 0 runs the worker (identity).
USER_DIRS = [layout.HOME, layout.OMERODIR, layout.OMERODIR / "etc", layout.OMERODIR / "var",
             layout.OMERODIR / layout.LOG_SUBDIR, layout.STATE_DIR, layout.OMERO_DATA]
ROOT_GROUP = 0
# Mount points and the image's own layers: root's, readable by all.
ROOT_DIRS = [layout.LAYER_DEFAULTS["RUNTIME_OVERRIDES"], layout.CONFIG_DIR, layout.SITE_STEPS]


def prepare(config_src: Path, owner: str, log=print) -> int:
    for d in ROOT_DIRS + USER_DIRS:
        d.mkdir(parents=True, exist_ok=True)
        d.chmod(0o755)
    for d in USER_DIRS:
        shutil.chown(d, owner, ROOT_GROUP)
        d.chmod(0o775)
    # /etc/passwd stays root's and read-only: an unknown uid gets its entry through
    # nss_wrapper at start (identity)
    for role in ("BASE", "IMAGE_OVERRIDES"):
        dest = layout.LAYER_DEFAULTS[role]
        shutil.copytree(config_src / dest.name, dest, dirs_exist_ok=True)
    environ = {}  # the image's defaults, whatever the build's environment holds
    outcome = runtime_config.refresh(environ, force=True)
    for line in outcome.warnings:
        log(f"warning: {line}")
    if not outcome.ok:
        for line in outcome.errors:
            log(line)
        log(f"prepare-image: the image's config layers do not validate "
            f"({len(outcome.errors)} problem(s))")
        return 1
    for f in (layout.merged_path(environ), layout.status_path(environ),
              layout.lock_path(environ)):
        shutil.chown(f, owner, ROOT_GROUP)
        f.chmod(0o664)
    pth = Path(sysconfig.get_path("purelib")) / script_env_hook.PTH_NAME
    pth.write_text(script_env_hook.PTH_LINE)
    log(f"prepare-image: layout ready; merged {layout.merged_path(environ)}; script hook {pth}")
    return 0


def cmd_prepare(args, out, err) -> int:
    return prepare(Path(args.config_from), args.owner, log=lambda m: print(m, file=err))


def add_commands(sub) -> None:
    p = sub.add_parser("prepare-image", help="(image build only) directories, config "
                       "bake, script hook")
    p.add_argument("--config-from", required=True,
                   help="directory holding the repository's config/base and config/overrides")
    p.add_argument("--owner", required=True, help="the node's user")
    p.set_defaults(run=cmd_prepare)
