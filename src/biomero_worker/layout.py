"""Where everything is in the worker image: the one owner of every runtime path.

The start-up scripts, the script hook, ``doctor``, the image build (``prepare``)
and the tests ask this module; nobody else writes a path down. The Dockerfile's
``ENV`` (OMERODIR, VIRTUAL_ENV, BIOMERO_SLURM_CONFIG_FILE) must agree with it, which
the image tests assert.

Config layers, in merge order (each may be absent except the base):
  BASE               the image's config/base
  IMAGE_OVERRIDES    the image's config/overrides (a directory of *.ini)
  ETC                /etc/slurm-config.ini: biomero's first default path, where
                     upstream's docs mount a deployer's override file (the image
                     ships none there)
  LEGACY             /OMERO/slurm-config.ini (biomero's second default path)
  RUNTIME_OVERRIDES  /etc/biomero/overrides.d (a mounted directory of *.ini)
  WEBADMIN           the web admin's file (upstream mounts it at
                     /opt/omero/server/slurm-config.ini, biomero's ~/slurm-config.ini)
merged into MERGED, in the worker's state directory where no mount lands, which
biomero reads alone (its authoritative-file mode: BIOMERO_SLURM_CONFIG_FILE names it
in the image's environment and in every script's). Every layer path can be moved with an environment
variable ``BIOMERO_CONFIG_<ROLE>`` (e.g. ``BIOMERO_CONFIG_RUNTIME_OVERRIDES``).

A deployer who sets ``BIOMERO_SLURM_CONFIG_FILE`` to another file (upstream's habit:
the web admin's file) names the WEBADMIN layer: ``webadmin_path()`` applies that
rule in every process — the node's start-up, ``docker exec … doctor``, the script
hook — so they all merge the same layers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# The image's user home (upstream's omero-server image: uid 1000, this home).
HOME = Path("/opt/omero/server")
OMERODIR = HOME / "OMERO.server"
VENV = HOME / "venv3"
CONFIG_DIR = HOME / "config"  # the image's layers and *.omero files
STATE_DIR = Path("/var/lib/biomero-worker")  # written at run time by the worker
OMERO_DATA = Path("/OMERO")
SSH_MOUNT = Path("/tmp/.ssh")  # upstream: "$HOME/.ssh:/tmp/.ssh:ro"
SITE_STEPS = Path("/startup")  # a site's own start-up steps (upstream's habit; empty)

SBOM = Path("/usr/share/doc/biomero-worker/sbom.cdx.json")  # made at build time (sbom)

CONFIG_FILE_VAR = "BIOMERO_SLURM_CONFIG_FILE"

LAYER_DEFAULTS = {
    "BASE": CONFIG_DIR / "base",
    "IMAGE_OVERRIDES": CONFIG_DIR / "overrides",
    "ETC": Path("/etc/slurm-config.ini"),
    "LEGACY": OMERO_DATA / "slurm-config.ini",
    "RUNTIME_OVERRIDES": Path("/etc/biomero/overrides.d"),
    "WEBADMIN": HOME / "slurm-config.ini",
}
ORDER = list(LAYER_DEFAULTS)
REQUIRED = {"BASE"}
# Layers that are one file, mounted as a file: a directory there is a mount mistake.
FILE_ROLES = {"ETC", "LEGACY", "WEBADMIN"}
MERGED_DEFAULT = STATE_DIR / "slurm-config.ini"


def _env(environ):
    return os.environ if environ is None else environ


def omerodir(environ=None) -> Path:
    return Path(_env(environ).get("OMERODIR") or OMERODIR)


LOG_SUBDIR = Path("var/log")  # in OMERODIR: the node's, the Processor's, the scripts' logs


def log_dir(environ=None) -> Path:
    """OMERO's log directory: the node's, the Processor's and the scripts' files."""
    return omerodir(environ) / LOG_SUBDIR


def node_log_names(node: str) -> dict[str, str]:
    """The grid node's own stdout and stderr files in log_dir() (node writes them)."""
    return {"out": f"{node}.out", "err": f"{node}.err"}


def scripts_log(environ=None) -> Path:
    """Every script's stdout and stderr, line by line (script_output)."""
    return log_dir(environ) / "scripts.log"


def writable_dirs(environ=None) -> list[Path]:
    """Where the worker writes at run time (identity checks them at start; with
    --read-only each must be a tmpfs or a volume): ~/.ssh (the key's copy), the
    node's files (etc) and data and logs (var), the merged config, temp files."""
    environ = _env(environ)
    return [HOME / ".ssh", omerodir(environ) / "etc", omerodir(environ) / "var",
            log_dir(environ), merged_path(environ).parent, tmp_dir(environ)]


def tmp_dir(environ=None) -> Path:
    return Path(_env(environ).get("TMPDIR") or "/tmp")


def nss_dir(environ=None) -> Path:
    """The passwd and group files nss_wrapper gives a uid the image does not know
    (identity): in the temp directory, writable under --read-only."""
    return tmp_dir(environ) / "biomero-worker-nss"


def writable_roots(environ=None) -> list[Path]:
    """writable_dirs() without those inside another: one tmpfs or volume each."""
    roots: list[Path] = []
    for d in sorted(writable_dirs(environ), key=lambda p: len(p.parts)):
        if not any(d.is_relative_to(r) for r in roots):
            roots.append(d)
    return roots


def merged_path(environ=None) -> Path:
    return Path(_env(environ).get("BIOMERO_CONFIG_MERGED") or MERGED_DEFAULT)


def status_path(environ=None) -> Path:
    merged = merged_path(environ)
    return merged.with_name(merged.name + ".status.json")


def webadmin_state_path(environ=None) -> Path:
    """What the worker last saw of the web admin's file (see webadmin)."""
    merged = merged_path(environ)
    return merged.with_name(merged.name + ".webadmin.json")


def lock_path(environ=None) -> Path:
    merged = merged_path(environ)
    return merged.with_name(merged.name + ".lock")


def reads_merged(value: str | None, environ=None) -> bool:
    """Whether BIOMERO_SLURM_CONFIG_FILE=VALUE makes biomero read the merged file."""
    return bool(value) and value == str(merged_path(environ))


def webadmin_path(environ=None) -> Path:
    """The web admin's layer: BIOMERO_CONFIG_WEBADMIN, else a deployer's
    BIOMERO_SLURM_CONFIG_FILE naming some other file than the merged one, else the
    default (where upstream mounts it)."""
    environ = _env(environ)
    explicit = environ.get("BIOMERO_CONFIG_WEBADMIN")
    if explicit:
        return Path(explicit)
    deployer = environ.get(CONFIG_FILE_VAR)
    # the /etc file is a layer of its own (ETC), not the web admin's
    if deployer and not reads_merged(deployer, environ) \
            and deployer != str(LAYER_DEFAULTS["ETC"]):
        return Path(deployer)
    return LAYER_DEFAULTS["WEBADMIN"]


def layer_path(role: str, environ=None) -> Path:
    if role == "WEBADMIN":
        return webadmin_path(environ)
    return Path(_env(environ).get(f"BIOMERO_CONFIG_{role}") or LAYER_DEFAULTS[role])


@dataclass(frozen=True)
class Layer:
    role: str
    path: Path

    def present(self) -> bool:
        # a dangling link counts: the merge then names it, rather than skip the layer
        return os.path.lexists(self.path)

    def mount_problem(self) -> str | None:
        """Why this layer is mounted wrong (None: it is not): a directory where one
        file belongs, which would otherwise merge as an empty layer directory."""
        if self.role in FILE_ROLES and self.path.is_dir():
            from config_merge.layers import DOCKER_DIRECTORY

            return f"a directory where the {self.role} layer file belongs ({DOCKER_DIRECTORY})"
        return None


def layers(environ=None) -> list[Layer]:
    """Every configured layer, in merge order, whether present or not."""
    return [Layer(role, layer_path(role, environ)) for role in ORDER]


def present_layers(environ=None) -> list[Layer]:
    """The layers that take part in the merge. A missing base is kept, so that the
    merge fails naming it; an absent runtime layer is simply not there."""
    return [lay for lay in layers(environ) if lay.role in REQUIRED or lay.present()]


def describe(environ=None) -> list[str]:
    """The layer order as the start-up log and ``layers`` print it."""
    lines = [f"{lay.role:18} {lay.path} ({'present' if lay.present() else 'absent'})"
             for lay in layers(environ)]
    return lines + [f"{'-> MERGED':18} {merged_path(environ)}"]


def named_paths(environ=None) -> dict[str, Path]:
    """Every path by name, for shell scripts (``python -m biomero_worker paths``)."""
    fixed = {"HOME": HOME, "OMERODIR": omerodir(environ), "VENV": VENV,
             "CONFIG_DIR": CONFIG_DIR, "STATE_DIR": STATE_DIR,
             "OMERO_DATA": OMERO_DATA, "SSH_MOUNT": SSH_MOUNT, "SITE_STEPS": SITE_STEPS,
             "MERGED": merged_path(environ), "LOG_DIR": log_dir(environ), "SBOM": SBOM}
    return {**fixed, **{lay.role: lay.path for lay in layers(environ)}}


def cmd_paths(args, out, err) -> int:
    paths = named_paths()
    unknown = [n for n in args.names if n not in paths]
    if unknown:
        print(f"paths: unknown name(s) {', '.join(unknown)}; known: {', '.join(paths)}",
              file=err)
        return 2
    for name in args.names or paths:
        print(paths[name] if args.names else f"{name}={paths[name]}", file=out)
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("paths", help="the runtime layout: every path by name, or the "
                       "value of the NAMEs given (for shell scripts)")
    p.add_argument("names", nargs="*", metavar="NAME")
    p.set_defaults(run=cmd_paths)
