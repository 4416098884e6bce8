"""The merged document: sections and entries that remember their raw lines, so the
output reproduces each layer's comments and layout, and dict indexes, so each merge
step is O(1) however many keys there are.

Deletion only marks an item; rendering skips it together with the comment lines
directly above it. Items therefore never move, and "existing keys keep their place"
holds by construction.
"""

from __future__ import annotations

from .syntax import split_attached


class Item:
    """One key of the merged document, with the layout lines that precede it."""

    __slots__ = ("key", "name", "value", "lines", "detached", "attached", "deleted", "origin")

    def __init__(self, key, name, value, lines, pre, origin):
        self.key = key
        self.name = name
        self.value = value
        self.lines = lines
        self.detached, self.attached = split_attached(pre)
        self.deleted = False
        self.origin = origin  # the file that introduced the key


class Section:
    __slots__ = ("name", "header", "attached", "items", "index", "tail", "deleted", "origin",
                 "separate")

    def __init__(self, name, header, attached, origin, separate):
        self.name = name
        self.header = header
        self.attached = attached  # comment lines directly above the header
        self.items: list[Item] = []
        self.index: dict[str, Item] = {}  # live items by lower-case key
        self.tail: list[str] = []
        self.deleted = False
        self.origin = origin
        # A section appended from another file than the one before it gets a blank
        # line in front if it would otherwise be glued to the previous section.
        self.separate = separate

    def close(self, tail: list[str]) -> None:
        """End the section with the layout lines that followed its last key in its
        file. Keys added later go after its closing comments (often commented-out
        examples of its last key) but before the blank lines that end it."""
        end = len(tail)
        while end > 0 and not tail[end - 1].strip():
            end -= 1
        if end:
            closing = Item(None, None, None, [], [], self.origin)
            closing.detached = tail[:end]
            self.items.append(closing)
        self.tail = tail[end:]

    def add(self, item: Item) -> None:
        self.items.append(item)
        self.index[item.name] = item

    def remove(self, name: str) -> Item:
        item = self.index.pop(name)
        item.deleted = True
        return item

    def live_items(self):
        # name None marks a section's closing layout lines, not a key
        return (item for item in self.items if not item.deleted and item.name is not None)


class Document:
    def __init__(self):
        self.head: list[str] = []
        self.sections: list[Section] = []
        self.index: dict[str, Section] = {}  # live sections by (case-sensitive) name

    def add_section(self, name, header, attached, origin) -> Section:
        last = next((s for s in reversed(self.sections) if not s.deleted), None)
        separate = last is not None and last.origin != origin
        section = Section(name, header, attached, origin, separate)
        self.sections.append(section)
        self.index[name] = section
        return section

    def remove_section(self, name: str) -> Section:
        section = self.index.pop(name)
        section.deleted = True
        return section

    def live_sections(self):
        return (s for s in self.sections if not s.deleted)

    def to_dict(self) -> dict[str, dict[str, str | None]]:
        """What configparser would read (before interpolation), keys lower-cased."""
        return {s.name: {i.name: i.value for i in s.live_items()} for s in self.live_sections()}

    def render(self) -> str:
        out: list[str] = list(self.head)
        for section in self.live_sections():
            if section.separate and out and out[-1].strip():
                out.append("\n")
            out += section.attached
            out.append(section.header)
            for item in section.items:
                if (item.deleted and out and not out[-1].strip()
                        and not "".join(item.detached).strip()):
                    pass  # a deleted item's blank separator would double the blank line above
                else:
                    out += item.detached
                if not item.deleted:
                    out += item.attached
                    out += item.lines
            out += section.tail
        return "".join(out)
