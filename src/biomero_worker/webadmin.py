"""The web admin's file as what it is: a snapshot of the page plus the admin's edits
and deletions.

OMERO.biomero's admin page (omero-biomero 1.6, 1.7) shows the config it can read (in
the web container: biomero's own reader) and on every save writes ALL of it to its
file: each section it shows, the workflows under the file's workflow section
(``[WORKFLOWS]`` in a new file, though the image's base uses ``[MODELS]``), a key it
no longer shows removed, plus a ``[changelog]`` section. Applied as a plain last
layer, one unrelated edit would bring back every workflow a site layer deleted and
reset every site value to what the page happened to show; a workflow the admin
removes would still come from the lower layers. So the worker reads that file for
what the page means. Keys are compared across ``[MODELS]`` and ``[WORKFLOWS]``
(config_merge.namespace: biomero reads them as one).

An entry (SECTION, key = value) of the admin's file is ignored when
  1. it is in ``[changelog]`` (the page's own log);
  2. its value is empty: the page writes an empty value for every key it has no
     value for, so an empty value blanks nothing;
  3. its value is what the other layers give that key already;
  4. the worker saw the file before (state in the state directory) and this entry
     is unchanged since: it keeps the verdict it had then;
  5. it is new to the file (or the worker has no state) and its value is one the
     other layers gave that key at some point (set, overridden or deleted): a copy
     of what the page displayed, not an edit. So a site tombstone beats a copy.
Everything else is an edit and applies as the last layer: a changed value (even
back to an older one: rule 4 saw it change), a new key, a key a site layer deleted
given a new value.

A key the page wrote before (the state says so) and no longer writes is the
admin's DELETION: it applies as a tombstone in the last layer, for as long as the
page does not write that key again, and so beats a value a site layer gives the key
later, as the admin's edits do. Only a file the page wrote (it has the page's
``[changelog]``) is read for deletions: a file a deployer replaced by hand deletes
nothing. Without state (first sight, or a state directory lost with its container)
nothing is taken as deleted, and the start-up log says so.

``explain`` and ``doctor`` show edits and deletions, and which site layer each one
overrides; ``explain`` shows the ignored copies in the key's history. A tombstone in
the admin's file applies, with a warning: the page's own parser rejects such lines,
so every later save from the page would fail.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

from config_merge import MergeResult, namespace
from config_merge.provenance import Event
from config_merge.syntax import Entry, LayerFile, SectionBlock

from . import layout

PAGE_SECTIONS = {"changelog"}
DELETED = "deleted in the web admin's file (the page no longer writes it)"
COPY = "the page's copy of what it showed, not an edit"


@dataclass
class Verdicts:
    edits: list[tuple[str, str, int]] = field(default_factory=list)  # (section, key, line)
    ignored: list[tuple[str, str, int, str | None]] = field(default_factory=list)
    deletions: list[tuple[str, str]] = field(default_factory=list)  # (section, key)
    kept: list[tuple[str, str, str]] = field(default_factory=list)  # undeletable: FILE:LINE
    tombstones: list[tuple[str, str, int]] = field(default_factory=list)
    seen: dict[str, str | None] = field(default_factory=dict)  # "SECTION\0key" -> value
    had_state: bool = True

    def state(self) -> dict:
        return {"seen": self.seen,
                "edits": sorted(_id(s, k) for s, k, _ in self.edits),
                "deleted": sorted(_id(s, k) for s, k in self.deletions)}


def _id(section: str, key: str) -> str:
    """A key's identity: workflow sections share one (config_merge.namespace)."""
    return f"{namespace.of(section)}\0{key}"


def _ids(values) -> list[str]:
    """Identities as recorded, in today's form (a record made before the workflow
    sections shared their keys names [MODELS])."""
    if not isinstance(values, (list, dict)):  # a damaged record: no identities
        return []
    return [_id(*i.split("\0", 1)) for i in values if isinstance(i, str) and "\0" in i]


def read_state(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("seen"), dict):
        return None
    return {"seen": {_id(*k.split("\0", 1)): v for k, v in data["seen"].items() if "\0" in k},
            "edits": _ids(data.get("edits", [])), "deleted": _ids(data.get("deleted", []))}


def write_state(path: Path, verdicts: Verdicts) -> None:
    from config_merge import write_atomic

    write_atomic(path, json.dumps(verdicts.state(), indent=1, sort_keys=True) + "\n")


def lower_value(lower: MergeResult, section: str, key: str) -> tuple[bool, str | None]:
    """(present, value) as biomero reads KEY from the other layers."""
    for held in reversed(namespace.members(section)):  # the section biomero reads last wins
        sec = lower.document.index.get(held)
        item = sec.index.get(key) if sec else None
        if item is not None:
            return True, item.value
    return False, None


def history_values(lower: MergeResult, section: str, key: str) -> set[str | None]:
    return {e.value for e in lower.provenance.history(section, key) if e.action != "delete"}


def select_edits(admin: LayerFile, lower: MergeResult, state: dict | None,
                 read_raw: tuple[str, ...] = ()) -> tuple[LayerFile, Verdicts]:
    """The admin's file reduced to the admin's edits and deletions (and its tombstones).
    READ_RAW: files biomero would also read directly (runtime_config.legacy_conflicts):
    a deletion of what one of them sets is not applied, but named (a warning)."""
    verdicts = Verdicts(had_state=state is not None)
    seen = (state or {}).get("seen", {})
    were_edits = set((state or {}).get("edits", []))
    blocks = []
    for block in admin.sections:
        if block.tombstone:
            verdicts.tombstones.append((block.name, "", block.line))
            blocks.append(block)
            continue
        if block.name in PAGE_SECTIONS:
            continue
        kept = []
        for entry in block.entries:
            if entry.tombstone:
                verdicts.tombstones.append((block.name, entry.key, entry.line))
                kept.append(entry)
                continue
            ident = _id(block.name, entry.name)
            verdicts.seen[ident] = entry.value
            if _is_edit(block.name, entry.name, entry.value, lower, state, seen, were_edits):
                verdicts.edits.append((block.name, entry.name, entry.line))
                kept.append(entry)
            else:
                verdicts.ignored.append((block.name, entry.name, entry.line, entry.value))
        if kept:
            blocks.append(dataclasses.replace(block, entries=kept))
    if state is not None and any(b.name in PAGE_SECTIONS for b in admin.sections):
        blocks += _deletions(lower, state, verdicts, read_raw)
    return dataclasses.replace(admin, sections=blocks), verdicts


def _deletions(lower: MergeResult, state: dict, verdicts: Verdicts, read_raw
               ) -> list[SectionBlock]:
    """Tombstones for what the page wrote before (or deleted before) and no longer
    writes, where the other layers still hold it."""
    gone = (set(state["seen"]) | set(state["deleted"])) - set(verdicts.seen)
    by_section: dict[str, list[Entry]] = {}
    for ident in sorted(gone):
        section, key = ident.split("\0", 1)
        tombstone = Entry(key, key, None, 0, [], [], tombstone=True)
        if tombstone.is_pattern or not lower_value(lower, section, key)[0]:
            # a key named like a pattern would delete more than itself; otherwise
            # nothing beneath to delete (the admin's own key, now gone)
            continue
        raw = [e for e in lower.provenance.history(section, key)
               if e.file in read_raw and e.action != "delete"]
        if raw:
            verdicts.kept.append((section, key, f"{raw[-1].file}:{raw[-1].line}"))
            continue
        verdicts.deletions.append((section, key))
        by_section.setdefault(section, []).append(tombstone)
    return [SectionBlock(section, 0, f"[{section}]\n", [], entries=entries)
            for section, entries in by_section.items()]


def _is_edit(section, key, value, lower, state, seen, were_edits) -> bool:
    if value in (None, ""):
        return False
    present, current = lower_value(lower, section, key)
    if present and current == value:
        return False
    ident = _id(section, key)
    if state is not None and ident in seen:
        return ident in were_edits if seen[ident] == value else True
    return value not in history_values(lower, section, key)


def annotate(result: MergeResult, verdicts: Verdicts, path: str) -> None:
    """Add the page's ignored copies to the merged result's history (explain), and
    name the admin's deletions there as such."""
    for section, key, line, value in verdicts.ignored:
        if value not in (None, ""):
            result.provenance.key(section, key, Event("ignored", path, line, value, via=COPY))
    for events in result.provenance.keys.values():
        for i, ev in enumerate(events):
            if ev.action == "delete" and ev.file == path and ev.line == 0:
                events[i] = ev._replace(via=DELETED)


def describe(verdicts: Verdicts, lower: MergeResult, path: str, state_path: str) -> list[str]:
    """One line per edit and deletion (and what it overrides), then the counts: for
    ``doctor``, ``explain`` and the start-up log."""
    lines = []
    if not verdicts.had_state:
        lines.append(f"web admin file {path}: no record of the page's earlier saves "
                     f"({state_path} absent: first start, or a state directory that did not "
                     "outlive its container): values the other layers hold or held are taken "
                     "as the page's copies, and nothing is taken as deleted in it")
    for section, key, line in verdicts.edits:
        last = lower.provenance.last(section, key)
        if last is None:
            over = "a new setting"
        elif last.action == "delete":
            over = f"re-adds what {last.file}:{last.line} deletes ({last.via})"
        else:
            over = f"overrides {last.file}:{last.line}"
        lines.append(f"web admin edit {path}:{line}: {section}.{key} ({over})")
    for section, key in verdicts.deletions:
        last = lower.provenance.last(section, key)
        where = f"; was set by {last.file}:{last.line}" if last is not None else ""
        lines.append(f"web admin deletion {path}: {section}.{key} (deleted in the web "
                     f"admin's file{where})")
    lines.append(f"web admin file {path}: {len(verdicts.edits)} edit(s) and "
                 f"{len(verdicts.deletions)} deletion(s) applied, {len(verdicts.ignored)} "
                 "copied value(s) of the page ignored")
    return lines


def tombstone_warnings(verdicts: Verdicts, path: str) -> list[str]:
    kept = [f"{path}: {section}.{key}: warning: deleted in the web admin's file, but not "
            f"deleted here: {where} sets it, and biomero would also read that file directly "
            "and bring it back; remove it there, or move that file into the runtime "
            f"overrides directory ({layout.LAYER_DEFAULTS['RUNTIME_OVERRIDES']})"
            for section, key, where in verdicts.kept]
    return kept + [
        f"{path}:{line}: {section}{'.' + key if key else ''}: warning: a tombstone in the "
        "web admin's file: it applies, but OMERO.biomero's admin page cannot read such "
        "lines, so every later save from the page fails; put deletions in a site layer "
        f"({layout.LAYER_DEFAULTS['RUNTIME_OVERRIDES']}) instead"
        for section, key, line in verdicts.tombstones]
