"""Repeated warnings, summarised: the first few of each kind, then one line with how
many more. A layer of 40,000 unknown keys gives 40,000 warnings: printed whole at
every start they would bury the log. The start-up log, `config status` and doctor
print warnings through ``summarise``; the status file keeps them all.
"""

from __future__ import annotations

FIRST = 5  # warnings of one kind printed in full
_STOPS = "([':;\""  # where a message's kind ends and its particulars begin


def kind(line: str) -> str:
    """What LINE (`FILE:LINE: SECTION.KEY: warning: message`) warns about, without its
    particulars: the message up to the first quote, parenthesis, bracket or colon
    (after a leading quoted value, which is the particular)."""
    _, found, text = line.partition("warning: ")
    if not found:
        text = line
    if text[:1] in ("'", '"'):
        close = text.find(text[0] + ":", 1)
        text = text[close + 2:] if close > 0 else ""
    cuts = [i for i in (text.find(c) for c in _STOPS) if i >= 0]
    return text[:min(cuts, default=len(text))].strip() or "other warnings"


def summarise(lines: list[str], first: int = FIRST) -> list[str]:
    """LINES with at most FIRST of each kind, in their order, then per cut kind
    `... and N more: KIND`."""
    counts: dict[str, int] = {}
    kept = []
    for line in lines:
        k = kind(line)
        counts[k] = counts.get(k, 0) + 1
        if counts[k] <= first:
            kept.append(line)
    return kept + [f"... and {n - first} more: {k}" for k, n in counts.items() if n > first]
