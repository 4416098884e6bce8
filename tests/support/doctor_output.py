"""Reading `doctor`'s output in tests: one line per check, a check's further
lines indented under it."""

from __future__ import annotations


def tool_lines(out: str) -> dict[str, tuple[str, str]]:
    """{tool: (status, detail)} from the indented lines under a check's first line
    (the cluster-tools check writes one per program it probed)."""
    found = {}
    for line in out.splitlines()[1:]:
        if line.startswith(" ") and line.strip():
            name, status, detail = line.split(None, 2)
            found[name] = (status, detail)
    return found
