"""Render provenance as text: each key's final value, then every layer:line that set,
overrode or deleted it. Explaining a section (or everything) also shows where each
section was created and deleted. A workflow key has one history over ``[MODELS]`` and
``[WORKFLOWS]`` (``namespace``): ``MODELS.x`` and ``WORKFLOWS.x`` explain the same,
each event naming its section, the value shown being the one biomero reads."""

from __future__ import annotations

from . import namespace
from .merge import MergeResult


def select(result: MergeResult, target: str | None) -> tuple[list[str], list[tuple[str, str]]]:
    """(sections, (section, key) pairs) to explain. TARGET is SECTION or SECTION.KEY;
    a section name may itself contain dots, so the longest known section prefix wins."""
    prov = result.provenance
    keys = list(prov.keys)
    if target is None:
        return list(prov.sections), keys
    if target in prov.sections:
        return [target], [k for k in keys if k[0] == namespace.of(target)]
    known = set(prov.sections) | {namespace.of(s) for s in prov.sections}
    known |= {m for s in known for m in namespace.members(s)}
    section, dot, key = target.rpartition(".")
    while dot and section not in known:
        section, dot, rest = section.rpartition(".")
        key = f"{rest}.{key}"
    wanted = (namespace.of(section), key.lower())
    return [], [wanted] if wanted in prov.keys else []


def explain(result: MergeResult, target: str | None = None) -> str:
    sections, keys = select(result, target)
    doc, prov = result.document, result.provenance
    by_section: dict[str, list[str]] = {}
    for section, name in keys:
        by_section.setdefault(section, []).extend(_explain_key(result, section, name))
    lines: list[str] = []
    for section in sections:
        state = "" if section in doc.index else "  (deleted)"
        lines.append(f"[{section}]{state}")
        lines += [_event_line(event) for event in prov.sections[section]]
        lines += by_section.pop(section, [])
    for rest in by_section.values():
        lines += rest
    return "".join(line + "\n" for line in lines)


def _explain_key(result: MergeResult, section: str, name: str) -> list[str]:
    doc = result.document
    events = result.provenance.keys[(section, name)]
    shared = len({e.section for e in events}) > 1  # name the sections when they differ
    last = next((e.section for e in reversed(events) if e.section and e.action != "ignored"),
                section)
    gone = "deleted" if any(e.action == "delete" for e in events) else "not set"
    head = f"[{last}] {name}  ({gone})"
    for held in reversed(namespace.members(section)):  # the section biomero reads last wins
        item = doc.index[held].index.get(name) if held in doc.index else None
        if item is not None:
            head = f"[{held}] {item.key} = {_show(item.value)}"
            break
    return [head] + [_event_line(event, shared) for event in events]


def _event_line(event, shared: bool = False) -> str:
    where = f"{event.file}:{event.line}" if event.line else event.file
    if shared and event.section:
        where += f"  [{event.section}]"
    if event.action == "delete":
        by = f"by {event.via}" if event.via[:1] in ("!", "[") else event.via
        return f"    {'deleted':9} {where}  {by}"
    if event.action == "create":
        return f"    {'created':9} {where}"
    if event.action == "ignored":  # the web admin's copy of a value (biomero_worker)
        return f"    {'ignored':9} {where}  {_show(event.value)}  ({event.via})"
    return f"    {event.action:9} {where}  {_show(event.value)}"


def _show(value: str | None) -> str:
    return "" if value is None else value.replace("\n", "\\n")
