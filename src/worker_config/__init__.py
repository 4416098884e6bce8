"""The worker's runtime slurm-config: which layers, merged where, refreshed when.

biomero (2.8) reads ``/etc/slurm-config.ini``, ``/OMERO/slurm-config.ini``,
``~/slurm-config.ini`` and a given file, unioning them: a later file can add or change
a key but never delete one. So the worker merges every layer itself (with
``config_merge``: tombstones, provenance, validation) into ONE file and makes that the
only file biomero reads:

* the merged file lives in a directory owned by omero-server (``MERGED``, default
  ``/var/lib/biomero-worker/slurm-config.ini``) and is replaced atomically;
* ``/etc/slurm-config.ini`` is a symlink to it (biomero's first default path);
* ``BIOMERO_SLURM_CONFIG_FILE`` points at it: biomero's authoritative-file mode, in
  which no other file is read (set in the image, forced by the entrypoint, and forced
  into every script's environment by ``script_env``);
* without that variable biomero would also read ``/OMERO/slurm-config.ini`` and
  ``~/slurm-config.ini`` raw, after the merged file. ``~/slurm-config.ini`` is the web
  admin's file, which is the LAST layer, so re-reading it changes nothing. The legacy
  ``/OMERO/slurm-config.ini`` is a layer placed before the runtime overrides; a merge
  in which a later tombstone deletes a key (or section) that file defines is refused,
  because read raw that file would bring the key back.

Layer order (each may be absent, except the base):
  1. ``BASE``               the image's config/base
  2. ``IMAGE_OVERRIDES``    the image's config/overrides (directory of *.ini)
  3. ``LEGACY``             /OMERO/slurm-config.ini
  4. ``RUNTIME_OVERRIDES``  /etc/biomero/overrides.d (a mounted directory of *.ini)
  5. ``WEBADMIN``           /opt/omero/server/slurm-config.ini (the web admin's file)

``refresh()`` re-merges only when a layer changed (a fingerprint of paths, sizes and
mtimes), validates, and on success replaces the merged file. On failure it keeps the
last good merged file and records the problem in the status file next to it, which
``doctor`` reports. Every path can be moved with an environment variable of the same
name prefixed ``BIOMERO_CONFIG_`` (e.g. ``BIOMERO_CONFIG_RUNTIME_OVERRIDES``).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

DEFAULTS = {
    "BASE": "/opt/omero/server/config/base",
    "IMAGE_OVERRIDES": "/opt/omero/server/config/overrides",
    "LEGACY": "/OMERO/slurm-config.ini",
    "RUNTIME_OVERRIDES": "/etc/biomero/overrides.d",
    "WEBADMIN": "/opt/omero/server/slurm-config.ini",
    "MERGED": "/var/lib/biomero-worker/slurm-config.ini",
}
ORDER = ["BASE", "IMAGE_OVERRIDES", "LEGACY", "RUNTIME_OVERRIDES", "WEBADMIN"]
REQUIRED = {"BASE"}


def path_of(name: str, environ=None) -> Path:
    environ = os.environ if environ is None else environ
    return Path(environ.get(f"BIOMERO_CONFIG_{name}") or DEFAULTS[name])


def merged_path(environ=None) -> Path:
    return path_of("MERGED", environ)


def read_merged(environ=None):
    """The merged slurm-config in a configparser, as biomero reads it (empty when
    the file is absent)."""
    import configparser

    cfg = configparser.ConfigParser(allow_no_value=True)
    cfg.read(str(merged_path(environ)))
    return cfg


def status_path(environ=None) -> Path:
    merged = merged_path(environ)
    return merged.with_name(merged.name + ".status.json")


def strict(environ=None) -> bool:
    environ = os.environ if environ is None else environ
    return environ.get("BIOMERO_CONFIG_STRICT", "").lower() in ("1", "true", "yes", "on")


@dataclass
class Layer:
    role: str
    path: Path

    def present(self) -> bool:
        return self.path.exists()


def layers(environ=None) -> list[Layer]:
    """Every configured layer, in order, whether present or not."""
    return [Layer(role, path_of(role, environ)) for role in ORDER]


def present_layers(environ=None) -> list[Layer]:
    """The layers that take part in the merge. A missing base is kept, so that the
    merge fails naming it; a runtime layer that is absent is simply not there."""
    return [lay for lay in layers(environ) if lay.role in REQUIRED or lay.present()]


def fingerprint(lays: list[Layer]) -> str:
    """Changes whenever a layer file is added, removed, replaced or edited."""
    h = hashlib.sha256()
    for lay in lays:
        paths = [lay.path]
        if lay.path.is_dir():
            paths = sorted(lay.path.glob("*.ini"))
            st = lay.path.stat()
            h.update(f"dir {lay.path} {st.st_mtime_ns}\n".encode())
        for p in paths:
            try:
                st = p.stat()
                h.update(f"{p} {st.st_ino} {st.st_size} {st.st_mtime_ns}\n".encode())
            except OSError:
                h.update(f"{p} missing\n".encode())
    return h.hexdigest()


@dataclass
class Outcome:
    ok: bool
    changed: bool  # the merged file was (re)written
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    merged: Path | None = None


def legacy_conflicts(result, legacy: Path) -> list[str]:
    """Keys or sections that /OMERO/slurm-config.ini defines and a later layer's
    tombstone deletes: biomero, reading that file raw, would bring them back."""
    legacy_s = str(legacy)
    problems = []
    for (section, key), events in result.provenance.keys.items():
        for i, ev in enumerate(events):
            if ev.file != legacy_s or ev.action == "delete":
                continue
            for later in events[i + 1:]:
                if later.action == "delete" and later.file != legacy_s:
                    problems.append(
                        f"{legacy_s}:{ev.line}: {section}.{key}: defined here but deleted by "
                        f"{later.file}:{later.line} ({later.via or '!' + key}); biomero also reads "
                        f"{legacy_s} directly and would bring it back: remove it from that file "
                        f"or move that file into the runtime overrides directory")
                    break
    return problems


def merge(environ=None):
    """Merge the present layers (config_merge.merge_layers; raises ConfigError)."""
    from config_merge import merge_layers

    return merge_layers([str(lay.path) for lay in present_layers(environ)],
                        strict=strict(environ))


def merge_and_check(environ=None):
    """Merge and validate the present layers. Returns (result, errors, warnings)."""
    from config_merge import ConfigError, validate

    try:
        result = merge(environ)
    except ConfigError as exc:
        return None, [str(d) for d in exc.diagnostics], []
    errors = [str(d) for d in validate(result)]
    legacy = path_of("LEGACY", environ)
    if legacy.exists():
        errors += legacy_conflicts(result, legacy)
    return result, errors, [str(w) for w in result.warnings]


def read_status(environ=None) -> dict:
    try:
        return json.loads(status_path(environ).read_text())
    except (OSError, ValueError):
        return {}


def _recorded(status: dict, fp: str, merged: Path) -> Outcome | None:
    """The outcome the status file records for these layers, if it is for them."""
    if status.get("fingerprint") != fp or not merged.exists():
        return None
    return Outcome(ok=status.get("ok", False), changed=False,
                   errors=status.get("errors", []), warnings=status.get("warnings", []),
                   merged=merged)


def refresh(environ=None, force: bool = False) -> Outcome:
    """Re-merge when a layer changed. Keeps the last good merged file on failure."""
    merged = merged_path(environ)
    lays = present_layers(environ)
    fp = fingerprint(lays)
    if not force and (done := _recorded(read_status(environ), fp, merged)):
        return done
    lock_path = merged.with_name(merged.name + ".lock")
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        status = read_status(environ)
        if not force and (done := _recorded(status, fp, merged)):
            return done
        result, errors, warnings = merge_and_check(environ)
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        data = {"fingerprint": fp, "checked_at": now,
                "layers": [str(lay.path) for lay in lays],
                "errors": errors, "warnings": warnings, "ok": not errors,
                "merged_at": status.get("merged_at") if errors else now}
        from config_merge import write_atomic

        changed = False
        if not errors:
            old = merged.read_text() if merged.exists() else None
            if old != result.text:
                write_atomic(merged, result.text)
                changed = True
        write_atomic(status_path(environ), json.dumps(data, indent=1) + "\n")
        return Outcome(ok=not errors, changed=changed, errors=errors, warnings=warnings,
                       merged=merged)
