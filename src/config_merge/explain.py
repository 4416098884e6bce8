"""Render provenance as text: each key's final value, then every layer:line that set,
overrode or deleted it."""

from __future__ import annotations

from .merge import MergeResult


def select(result: MergeResult, target: str | None) -> list[tuple[str, str]]:
    """(section, key) pairs to explain. TARGET is SECTION or SECTION.KEY; a section
    name may itself contain dots, so the longest known section prefix wins."""
    keys = list(result.provenance.keys)
    if target is None:
        return keys
    sections = {section for section, _ in keys} | set(result.provenance.sections)
    if target in sections:
        return [k for k in keys if k[0] == target]
    section, dot, key = target.rpartition(".")
    while dot and section not in sections:
        section, dot, rest = section.rpartition(".")
        key = f"{rest}.{key}"
    wanted = (section, key.lower())
    return [wanted] if wanted in result.provenance.keys else []


def explain(result: MergeResult, target: str | None = None) -> str:
    lines: list[str] = []
    doc = result.document
    for section, name in select(result, target):
        events = result.provenance.keys[(section, name)]
        item = doc.index[section].index.get(name) if section in doc.index else None
        if item is not None:
            lines.append(f"[{section}] {item.key} = {_show(item.value)}")
        else:
            lines.append(f"[{section}] {name}  (deleted)")
        for event in events:
            where = f"{event.file}:{event.line}"
            if event.action == "delete":
                lines.append(f"    {'deleted':9} {where}  by {event.via}")
            else:
                lines.append(f"    {event.action:9} {where}  {_show(event.value)}")
    return "".join(line + "\n" for line in lines)


def _show(value: str | None) -> str:
    return "" if value is None else value.replace("\n", "\\n")
