"""Who set what: every layer:line that set, overrode or deleted each key and section,
in the order the layers applied (like `git config --show-origin`, `systemd-delta`)."""

from __future__ import annotations

from typing import NamedTuple


class Event(NamedTuple):
    action: str  # set | override | delete   (sections: create | delete)
    file: str
    line: int
    value: str | None = None  # the value set; None for deletions
    via: str | None = None  # the tombstone that deleted it: "!stardist*", "[!MODELS]"


class Provenance:
    def __init__(self):
        # (section, lower-case key) -> events; dicts keep first-seen order for explain.
        self.keys: dict[tuple[str, str], list[Event]] = {}
        self.sections: dict[str, list[Event]] = {}

    def key(self, section: str, name: str, event: Event) -> None:
        self.keys.setdefault((section, name), []).append(event)

    def section(self, name: str, event: Event) -> None:
        self.sections.setdefault(name, []).append(event)

    def history(self, section: str, name: str) -> list[Event]:
        return self.keys.get((section, name.lower()), [])

    def last(self, section: str, name: str | None = None) -> Event | None:
        events = self.sections.get(section, []) if name is None else self.history(section, name)
        return events[-1] if events else None
