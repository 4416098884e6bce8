"""Sections biomero reads as one: ``[MODELS]`` (legacy) and ``[WORKFLOWS]`` hold one
set of workflows, and on a key in both biomero takes the value of the section it
reads last. Which sections, and in which order, is asked of biomero
(``biomero_reads.json``: ``workflow_sections``, made by biomero_contract), so a
tombstone, a key's history and the web admin's copy detection treat them alike."""

from __future__ import annotations

from functools import cache


@cache
def shared() -> tuple[str, ...]:
    """The workflow sections in biomero's read order (the last one wins)."""
    from .validate import biomero_reads

    return tuple(biomero_reads().get("workflow_sections", ()))


def of(section: str) -> str:
    """The name a section's keys are known by: the winning workflow section for every
    workflow section (explain, provenance), else the section itself."""
    names = shared()
    return names[-1] if section in names else section


def members(section: str) -> tuple[str, ...]:
    """The sections that share SECTION's keys, in biomero's read order."""
    names = shared()
    return names if section in names else (section,)
