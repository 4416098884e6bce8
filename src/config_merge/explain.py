"""Render provenance as text: each key's final value, then every layer:line that set,
overrode or deleted it. Explaining a section (or everything) also shows where each
section was created and deleted."""

from __future__ import annotations

from .merge import MergeResult


def select(result: MergeResult, target: str | None) -> tuple[list[str], list[tuple[str, str]]]:
    """(sections, (section, key) pairs) to explain. TARGET is SECTION or SECTION.KEY;
    a section name may itself contain dots, so the longest known section prefix wins."""
    prov = result.provenance
    keys = list(prov.keys)
    if target is None:
        return list(prov.sections), keys
    if target in prov.sections:
        return [target], [k for k in keys if k[0] == target]
    section, dot, key = target.rpartition(".")
    while dot and section not in prov.sections:
        section, dot, rest = section.rpartition(".")
        key = f"{rest}.{key}"
    wanted = (section, key.lower())
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
    item = doc.index[section].index.get(name) if section in doc.index else None
    head = f"[{section}] {item.key} = {_show(item.value)}" if item else f"[{section}] {name}  (deleted)"
    return [head] + [_event_line(event) for event in result.provenance.keys[(section, name)]]


def _event_line(event) -> str:
    where = f"{event.file}:{event.line}"
    if event.action == "delete":
        return f"    {'deleted':9} {where}  by {event.via}"
    if event.action == "create":
        return f"    {'created':9} {where}"
    return f"    {event.action:9} {where}  {_show(event.value)}"


def _show(value: str | None) -> str:
    return "" if value is None else value.replace("\n", "\\n")
