"""The worker's slurm-config at run time: merge the layers (``layout``) into the one
file biomero reads, only when a layer changed, validated, atomically.

biomero (2.8) reads ``/etc/slurm-config.ini``, ``/OMERO/slurm-config.ini``,
``~/slurm-config.ini`` and a given file, unioning them: a later file can add or
change a key but never delete one. So the worker merges every layer itself (with
``config_merge``: tombstones, provenance, validation) into ONE file and makes that
the only file biomero reads (``BIOMERO_SLURM_CONFIG_FILE``, set in the image and
forced into every script's environment by ``script_env``).

Without that variable biomero would also read ``/OMERO/slurm-config.ini`` raw. That
legacy file is a layer placed before the runtime overrides; a merge in which a later
tombstone deletes a key (or section) that file defines is refused, because read raw
that file would bring the key back.

``refresh()`` re-merges only when a layer changed (a fingerprint of paths, sizes
and mtimes), validates, and on success replaces the merged file. On failure it keeps
the last good merged file and records the problem in the status file next to it,
which ``doctor`` reports. The image build bakes the default with the same call.
"""

from __future__ import annotations

import configparser
import fcntl
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import layout


def read_merged(environ=None) -> configparser.ConfigParser:
    """The merged slurm-config in a configparser, as biomero reads it (empty when
    the file is absent)."""
    cfg = configparser.ConfigParser(allow_no_value=True)
    cfg.read(str(layout.merged_path(environ)))
    return cfg


def strict(environ=None) -> bool:
    environ = os.environ if environ is None else environ
    return environ.get("BIOMERO_CONFIG_STRICT", "").lower() in ("1", "true", "yes", "on")


def fingerprint(lays: list[layout.Layer]) -> str:
    """Changes whenever a layer file is added, removed, replaced or edited."""
    h = hashlib.sha256()
    for lay in lays:
        paths = [lay.path]
        if lay.path.is_dir():
            paths = sorted(lay.path.glob("*.ini"))
            st = lay.path.stat()
            h.update(os.fsencode(f"dir {lay.path} {st.st_mtime_ns}\n"))
        for p in paths:
            try:
                st = p.stat()
                h.update(os.fsencode(f"{p} {st.st_ino} {st.st_size} {st.st_mtime_ns}\n"))
            except OSError:  # a file name that is not UTF-8 is hashed as its bytes
                h.update(os.fsencode(f"{p} missing\n"))
    return h.hexdigest()


@dataclass
class Outcome:
    ok: bool
    changed: bool  # the merged file was (re)written
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    merged: Path | None = None
    notes: list[str] = field(default_factory=list)


def legacy_conflicts(result, legacy: Path) -> list[str]:
    """Keys or sections that one of biomero's default files (/etc/slurm-config.ini,
    /OMERO/slurm-config.ini) defines and a later layer's tombstone deletes: biomero,
    reading that file raw, would bring them back."""
    legacy_s = str(legacy)
    problems = []
    for (section, key), events in result.provenance.keys.items():
        for i, ev in enumerate(events):
            if ev.file != legacy_s or ev.action == "delete":
                continue
            for later in events[i + 1:]:
                if later.action == "delete" and later.file != legacy_s:
                    problems.append(
                        f"{legacy_s}:{ev.line}: {ev.section or section}.{key}: "
                        f"defined here but deleted by "
                        f"{later.file}:{later.line} ({later.via or '!' + key}); biomero also reads "
                        f"{legacy_s} directly and would bring it back: remove it from that file "
                        f"or move that file into the runtime overrides directory")
                    break
    return problems


# The layers that are biomero's own default paths: it would read them raw without
# BIOMERO_SLURM_CONFIG_FILE, so nothing they set may be deleted (legacy_conflicts).
RAW_READ = ("ETC", "LEGACY")


@dataclass
class Merge:
    """A merge of the worker's layers, with what became of the web admin's file."""
    result: object  # config_merge.MergeResult
    webadmin: object | None = None  # webadmin.Verdicts, when that file is present
    notes: list[str] = field(default_factory=list)  # the web admin's edits, for people
    warnings: list[str] = field(default_factory=list)


def merge_worker(environ=None) -> Merge:
    """Merge the present layers; the web admin's file contributes only its edits and
    deletions (webadmin). Raises config_merge.ConfigError."""
    from config_merge import ConfigError, Diagnostic, merge_parsed, read_layers

    from . import webadmin

    lays = layout.present_layers(environ)
    problems = {lay.path: lay.mount_problem() for lay in lays}
    mistakes = [Diagnostic(str(path), 0, why) for path, why in problems.items() if why]
    if mistakes:  # with the other layers' problems, so that all are fixed in one go
        try:
            read_layers([str(path) for path, why in problems.items() if not why])
        except ConfigError as exc:
            mistakes += exc.diagnostics
        raise ConfigError(mistakes)
    admin = [lay for lay in lays if lay.role == "WEBADMIN"]
    parsed = read_layers([str(lay.path) for lay in lays])  # every bad line at once
    if not admin:
        return Merge(merge_parsed(parsed, strict=strict(environ)))
    lower, admin_file = parsed[:-1], parsed[-1]
    lower_result = merge_parsed(lower)
    state = webadmin.read_state(layout.webadmin_state_path(environ))
    read_raw = tuple(str(layout.layer_path(role, environ)) for role in RAW_READ)
    edits, verdicts = webadmin.select_edits(admin_file, lower_result, state, read_raw)
    path = str(admin[0].path)
    result = merge_parsed(lower + [edits], strict=strict(environ))
    webadmin.annotate(result, verdicts, admin_file.path)
    return Merge(result, verdicts,
                 webadmin.describe(verdicts, lower_result, path,
                                   str(layout.webadmin_state_path(environ))),
                 webadmin.tombstone_warnings(verdicts, path))


def merge(environ=None):
    """The merged result (config_merge.MergeResult; raises ConfigError)."""
    return merge_worker(environ).result


def merge_and_check(environ=None):
    """Merge and validate the present layers. Returns (merge, errors, warnings);
    merge is None when the layers cannot be merged."""
    from config_merge import ConfigError, check

    try:
        merged = merge_worker(environ)
    except ConfigError as exc:
        return None, [str(d) for d in exc.diagnostics], []
    errors, warnings = check(merged.result)
    errors = [str(d) for d in errors]
    for role in RAW_READ:
        default_file = layout.layer_path(role, environ)
        if default_file.is_file():
            errors += legacy_conflicts(merged.result, default_file)
    return merged, errors, [str(w) for w in merged.result.warnings + warnings] + merged.warnings


def read_status(environ=None) -> dict:
    try:
        return json.loads(layout.status_path(environ).read_text())
    except (OSError, ValueError):
        return {}


def _recorded(status: dict, fp: str, merged: Path) -> Outcome | None:
    """The outcome the status file records for these layers, if it is for them."""
    if status.get("fingerprint") != fp or not merged.exists():
        return None
    return Outcome(ok=status.get("ok", False), changed=False,
                   errors=status.get("errors", []), warnings=status.get("warnings", []),
                   merged=merged, notes=status.get("notes", []))


LOCK_WAIT = 10.0  # seconds a refresh waits for another one before giving up


def _lock(handle, limit: float) -> None:
    """An exclusive lock on HANDLE within LIMIT seconds, else TimeoutError: a script
    launch never waits longer than that for the config (it keeps the last merge)."""
    deadline = time.monotonic() + limit
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"another slurm-config refresh held the lock for more "
                                   f"than {limit:g} s") from None
            time.sleep(0.05)


def refresh(environ=None, force: bool = False) -> Outcome:
    """Re-merge when a layer changed. Keeps the last good merged file on failure.
    Raises OSError when the state directory cannot be written."""
    from config_merge import write_atomic

    merged = layout.merged_path(environ)
    lays = layout.present_layers(environ)
    fp = fingerprint(lays)
    if not force and (done := _recorded(read_status(environ), fp, merged)):
        return done
    with open(layout.lock_path(environ), "a") as lock:
        _lock(lock, LOCK_WAIT)
        status = read_status(environ)
        if not force and (done := _recorded(status, fp, merged)):
            return done
        done, errors, warnings = merge_and_check(environ)
        # SOURCE_DATE_EPOCH (the image build's): the bake's status has no build time
        epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                            time.gmtime(int(epoch) if epoch.isdigit() else None))
        notes = done.notes if done else []
        data = {"fingerprint": fp, "checked_at": now,
                "layers": [str(lay.path) for lay in lays],
                "errors": errors, "warnings": warnings, "notes": notes, "ok": not errors,
                "merged_at": status.get("merged_at") if errors else now}
        changed = False
        if not errors:
            old = merged.read_text() if merged.exists() else None
            if old != done.result.text:
                write_atomic(merged, done.result.text)
                changed = True
            if done.webadmin is not None:
                from . import webadmin

                webadmin.write_state(layout.webadmin_state_path(environ), done.webadmin)
        write_atomic(layout.status_path(environ), json.dumps(data, indent=1) + "\n")
        return Outcome(ok=not errors, changed=changed, errors=errors, warnings=warnings,
                       merged=merged, notes=notes)


# -- command line (python -m biomero_worker config ...) -----------------------------
def report_refresh(log, force: bool = True, quiet: bool = False) -> int:
    """refresh() (FORCE: every layer read again), its outcome told to LOG (a
    startup_log.Log). 1 when a layer is invalid or the merged file cannot be written
    (the write error is named), the last good file kept."""
    try:
        outcome = refresh(force=force)
    except TimeoutError as exc:
        log.error(f"{exc}; {layout.merged_path()} left unchanged")
        return 1
    except OSError as exc:  # a write failure, not an invalid layer
        log.error(f"cannot write {layout.merged_path()} or its status: {exc}")
        return 1
    from config_merge.summary import summarise

    for line in summarise(outcome.warnings):
        log.warning(line)
    if not outcome.ok:
        for line in outcome.errors:
            log.error(line)
        log.error(f"{len(outcome.errors)} problem(s) in the layers; "
                  f"{outcome.merged} left unchanged")
        return 1
    if not quiet:
        for line in outcome.notes:
            log.info(line)
        what = "written" if outcome.changed else "unchanged"
        present = len(layout.present_layers())
        log.info(f"{outcome.merged} {what} ({present} layers present)")
    return 0


def step(log) -> int:
    """The start-up step: the layer order, then the merge of every layer."""
    for line in layout.describe():
        log.info(line)
    if report_refresh(log) != 0:
        log.error("the slurm-config could not be merged (see above)")
        return 1
    return 0


def cmd_refresh(args, out, err) -> int:
    from .startup_log import Log

    return report_refresh(Log("slurm-config", out, err), force=args.force,
                          quiet=args.quiet)


def cmd_layers(args, out, err) -> int:
    for line in layout.describe():
        print(line, file=out)
    return 0


def cmd_status(args, out, err) -> int:
    status = read_status()
    if not status:
        print(f"no refresh recorded for {layout.merged_path()}", file=out)
        return 1
    print(f"ok={status.get('ok')} checked_at={status.get('checked_at')} "
          f"merged_at={status.get('merged_at')}", file=out)
    from config_merge.summary import summarise

    for line in status.get("errors", []):
        print(f"error: {line}", file=out)
    for line in summarise(status.get("warnings", [])) + status.get("notes", []):
        print(line, file=out)
    return 0 if status.get("ok") else 1


def cmd_explain(args, out, err) -> int:
    from config_merge import ConfigError, explain

    try:
        merged = merge_worker()
    except ConfigError as exc:
        for d in exc.diagnostics:
            print(d, file=err)
        return 1
    print(explain(merged.result, args.target), file=out)
    for line in merged.notes:
        print(line, file=out)
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("refresh", help="merge the layers into the file biomero reads "
                       "(only when a layer changed); exit 1 naming FILE:LINE when a "
                       "layer is invalid (the last good merge is kept)")
    p.add_argument("--force", action="store_true", help="merge even when nothing changed")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(run=cmd_refresh)
    sub.add_parser("layers", help="the layer order, present or absent").set_defaults(
        run=cmd_layers)
    sub.add_parser("status", help="the outcome of the last refresh").set_defaults(
        run=cmd_status)
    p = sub.add_parser("explain", help="where each value came from, over the worker's "
                       "own layers")
    p.add_argument("target", nargs="?", help="SECTION or SECTION.KEY")
    p.set_defaults(run=cmd_explain)
