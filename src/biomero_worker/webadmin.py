"""The web admin's file as what it is: a snapshot of the page plus the admin's edits.

OMERO.biomero's admin page shows the config it can read (in the web container) and
on every save writes ALL of it to its file: each section it shows, keys without a
value written empty, plus a ``[changelog]`` section. Applied as a plain last layer,
one unrelated edit would bring back every workflow a site layer deleted and reset
every site value to what the page happened to show. So the worker applies only the
entries of that file that are the admin's edits, and ignores the page's copies:

An entry (SECTION, key = value) of the admin's file is ignored when
  1. it is in ``[changelog]`` (the page's own log);
  2. its value is empty: the page writes an empty value for every key it has no
     value for, so an empty value blanks nothing;
  3. its value is what the other layers give that key already;
  4. the worker saw the file before (state in the state directory) and this entry
     is unchanged since: it keeps the verdict it had then;
  5. it is new to the file (or the worker has no state) and its value is one the
     other layers gave that key at some point (set, overridden or deleted): a copy
     of what the page displayed, not an edit.
Everything else is an edit and applies as the last layer: a changed value (even
back to an older one: rule 4 saw it change), a new key, a key a site layer deleted
given a new value. ``explain`` and ``doctor`` show edits, and which site layer each
one overrides. A tombstone in the admin's file applies, with a warning: the page's
own parser rejects such lines, so every later save from the page would fail.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

from config_merge import MergeResult
from config_merge.syntax import LayerFile

from . import layout

PAGE_SECTIONS = {"changelog"}


@dataclass
class Verdicts:
    edits: list[tuple[str, str, int]] = field(default_factory=list)  # (section, key, line)
    ignored: int = 0
    tombstones: list[tuple[str, str, int]] = field(default_factory=list)
    seen: dict[str, str | None] = field(default_factory=dict)  # "SECTION\0key" -> value

    def state(self) -> dict:
        return {"seen": self.seen,
                "edits": sorted(f"{s}\0{k}" for s, k, _ in self.edits)}


def _id(section: str, key: str) -> str:
    return f"{section}\0{key}"


def read_state(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data.get("seen"), dict) else None


def write_state(path: Path, verdicts: Verdicts) -> None:
    from config_merge import write_atomic

    write_atomic(path, json.dumps(verdicts.state(), indent=1, sort_keys=True) + "\n")


def lower_value(lower: MergeResult, section: str, key: str) -> tuple[bool, str | None]:
    sec = lower.document.index.get(section)
    item = sec.index.get(key) if sec else None
    return (item is not None, item.value if item is not None else None)


def history_values(lower: MergeResult, section: str, key: str) -> set[str | None]:
    return {e.value for e in lower.provenance.history(section, key) if e.action != "delete"}


def select_edits(admin: LayerFile, lower: MergeResult, state: dict | None
                 ) -> tuple[LayerFile, Verdicts]:
    """The admin's file reduced to the admin's edits (and its tombstones)."""
    verdicts = Verdicts()
    seen = (state or {}).get("seen", {})
    were_edits = set((state or {}).get("edits", []))
    blocks = []
    for block in admin.sections:
        if block.tombstone:
            verdicts.tombstones.append((block.name, "", block.line))
            blocks.append(block)
            continue
        if block.name in PAGE_SECTIONS:
            verdicts.ignored += len(block.entries)
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
                verdicts.ignored += 1
        if kept:
            blocks.append(dataclasses.replace(block, entries=kept))
    return dataclasses.replace(admin, sections=blocks), verdicts


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


def describe(verdicts: Verdicts, lower: MergeResult, path: str) -> list[str]:
    """One line per edit (and what it overrides), then the ignored count: for
    ``doctor``, ``explain`` and the start-up log."""
    lines = []
    for section, key, line in verdicts.edits:
        last = lower.provenance.last(section, key)
        if last is None:
            over = "a new setting"
        elif last.action == "delete":
            over = f"re-adds what {last.file}:{last.line} deletes ({last.via})"
        else:
            over = f"overrides {last.file}:{last.line}"
        lines.append(f"web admin edit {path}:{line}: {section}.{key} ({over})")
    lines.append(f"web admin file {path}: {len(verdicts.edits)} edit(s) applied, "
                 f"{verdicts.ignored} copied value(s) of the page ignored")
    return lines


def tombstone_warnings(verdicts: Verdicts, path: str) -> list[str]:
    return [f"{path}:{line}: {section}{'.' + key if key else ''}: warning: a tombstone in the "
            "web admin's file: it applies, but OMERO.biomero's admin page cannot read such "
            "lines, so every later save from the page fails; put deletions in a site layer "
            f"({layout.LAYER_DEFAULTS['RUNTIME_OVERRIDES']}) instead"
            for section, key, line in verdicts.tombstones]
