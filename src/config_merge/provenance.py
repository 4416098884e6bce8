"""Who set what: every layer:line that set, overrode or deleted each key and section,
in the order the layers applied (like `git config --show-origin`, `systemd-delta`).

A key of a workflow section has one history across all of them (``namespace``:
``[MODELS]`` and ``[WORKFLOWS]``), each event naming the section it happened in."""

from __future__ import annotations

from typing import NamedTuple

from . import namespace


class Event(NamedTuple):
    action: str  # set | override | delete   (sections: create | delete)
    file: str
    line: int
    value: str | None = None  # the value set; None for deletions
    via: str | None = None  # the tombstone that deleted it: "!stardist*", "[!MODELS]"
    section: str | None = None  # the section it happened in (workflow sections share keys)


class Provenance:
    def __init__(self):
        # (section, lower-case key) -> events; dicts keep first-seen order for explain.
        # The workflow sections share one entry, under namespace.of(section).
        self.keys: dict[tuple[str, str], list[Event]] = {}
        self.sections: dict[str, list[Event]] = {}

    def key(self, section: str, name: str, event: Event) -> None:
        event = event._replace(section=section)
        self.keys.setdefault((namespace.of(section), name), []).append(event)

    def section(self, name: str, event: Event) -> None:
        self.sections.setdefault(name, []).append(event)

    def history(self, section: str, name: str) -> list[Event]:
        return self.keys.get((namespace.of(section), name.lower()), [])

    def last(self, section: str, name: str | None = None) -> Event | None:
        events = self.sections.get(section, []) if name is None else self.history(section, name)
        return events[-1] if events else None
