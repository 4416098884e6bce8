"""Read one layer file into sections and entries, keeping every line and its number.

The grammar is configparser's, as biomero reads it (`ConfigParser(allow_no_value=True)`:
`=` or `:` delimiters, full-line `#`/`;` comments, no inline comments, values continued
on deeper-indented lines, blank lines allowed inside values), plus tombstones:
`!KEY` / `!PATTERN` lines and `[!SECTION]` headers. It is stricter where configparser
silently accepts mistakes: a line without a delimiter is an error, not a valueless key;
`[NAME] junk` is an error, not section NAME.

Our own line reader instead of configupdater's parser: it reports line numbers for
every error and entry (configupdater keeps none), and it is ~15x faster, which the
50-layer budget needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .diagnostics import ConfigError, Diagnostic
from .layers import MAX_LAYER_BYTES
from .masking import shown

COMMENT_PREFIXES = ("#", ";")
# configparser (and so biomero) splits a key line with a regex that backtracks
# quadratically on blanks inside a long key: a longer key never reaches the merged file.
MAX_KEY_CHARS = 256
_SECTION = re.compile(r"\[(?P<name>[^\[\]]*)\]")
_WILDCARDS = frozenset("*?[")


def split_option(stripped: str) -> tuple[str, str, str] | None:
    """(key, delimiter, value) of a `key = value` line, as configparser's option
    pattern splits it (at the first `=` or `:`, blanks around it dropped); None
    without a delimiter. Plain string scans, linear in the line: a regex with a lazy
    key before `\\s*` backtracks quadratically on a long line of blanks."""
    cut = min((i for i in (stripped.find("="), stripped.find(":")) if i >= 0), default=-1)
    if cut < 0:
        return None
    return stripped[:cut].rstrip(), stripped[cut], stripped[cut + 1:].lstrip()


def is_comment(line: str) -> bool:
    return line.strip().startswith(COMMENT_PREFIXES)


def split_attached(trivia: list[str]) -> tuple[list[str], list[str]]:
    """Split trivia lines into (detached, attached): attached is the run of comment
    lines directly above the next item, with no blank line in between."""
    i = len(trivia)
    while i > 0 and is_comment(trivia[i - 1]):
        i -= 1
    return trivia[:i], trivia[i:]


@dataclass(slots=True)
class Entry:
    """A `key = value` line (with its continuation lines) or a `!KEY` tombstone."""

    key: str  # as written, without the '!' of a tombstone
    name: str  # what configparser compares: key.lower()
    value: str | None  # the value configparser would read; None for a tombstone
    line: int
    lines: list[str]  # raw lines, each ending in '\n'
    pre: list[str]  # blank and comment lines between the previous item and this one
    tombstone: bool = False

    @property
    def is_pattern(self) -> bool:
        return self.tombstone and not _WILDCARDS.isdisjoint(self.key)


@dataclass(slots=True)
class SectionBlock:
    """One `[NAME]` or `[!NAME]` header and what follows it up to the next header."""

    name: str
    line: int
    header: str  # raw header line
    pre: list[str]  # comment lines directly above the header
    tombstone: bool = False
    entries: list[Entry] = field(default_factory=list)
    tail: list[str] = field(default_factory=list)  # trivia after the last entry


@dataclass(slots=True)
class LayerFile:
    path: str
    head: list[str]  # trivia before the first section (minus its attached comments)
    sections: list[SectionBlock]


def read_layer_file(path: str | Path) -> LayerFile:
    """Read and parse one file; any problem raises ConfigError naming file and line."""
    name = str(path)
    try:
        with open(path, "rb") as handle:
            # at most one byte over the limit: the size stat reports can be wrong
            # (0 for /proc files) or change between stat and read
            data = handle.read(MAX_LAYER_BYTES + 1)
    except OSError as exc:
        raise ConfigError([Diagnostic(name, 0, f"cannot read file: {exc.strerror or exc}")]
                          ) from None
    if len(data) > MAX_LAYER_BYTES:
        raise ConfigError([Diagnostic(name, 0, f"more than {MAX_LAYER_BYTES} bytes: larger "
                                               f"than the {MAX_LAYER_BYTES // 1024} KiB limit "
                                               "of a layer")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError([Diagnostic(name, line, f"not UTF-8 (byte 0x{data[exc.start]:02x})")]
                          ) from None
    if "\x00" in text:  # configparser would keep it inside a value
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ConfigError([Diagnostic(name, line, "holds a NUL byte: not a text file?")])
    return parse_text(text.removeprefix("\ufeff"), name)


def parse_text(text: str, name: str = "<string>") -> LayerFile:
    return _Parser(name).parse(text)


class _Parser:
    def __init__(self, name: str):
        self.name = name
        self.errors: list[Diagnostic] = []
        self.head: list[str] = []
        self.sections: list[SectionBlock] = []
        self.pending: list[str] = []  # trivia not yet owned by an item
        self.section: SectionBlock | None = None
        self.entry: Entry | None = None  # the entry a continuation line would extend
        self.indent = 0  # indentation of the last key or header line
        self.value_parts: list[str] = []
        self.seen_sections: dict[str, int] = {}
        self.seen_keys: dict[str, int] = {}  # per current section

    def error(self, line: int, message: str, key: str | None = None) -> None:
        section = self.section.name if self.section and key is not None else None
        self.errors.append(Diagnostic(self.name, line, message, section, key))

    def parse(self, text: str) -> LayerFile:
        # Universal newlines, as configparser gets them from a text-mode file; not
        # str.splitlines(), which also splits at \x0c, \x85, \u2028 and friends.
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if lines[-1] == "":
            lines.pop()
        for number, raw in enumerate(lines, start=1):
            self.feed(number, raw + "\n")
        self.finish_entry()
        if self.section is not None:
            self.section.tail = self.pending
        else:
            self.head = self.pending
        if self.errors:
            raise ConfigError(self.errors)
        return LayerFile(self.name, self.head, self.sections)

    def feed(self, number: int, line: str) -> None:
        stripped = line.strip()
        # Order of checks as in configparser: comment, blank, continuation, header, key.
        if not stripped or stripped.startswith(COMMENT_PREFIXES):
            self.pending.append(line)
            return
        indent = len(line) - len(line.lstrip())
        if self.entry is not None and indent > self.indent:
            self.continue_entry(number, line, stripped)
            return
        self.finish_entry()
        self.indent = indent
        if stripped.startswith("["):
            self.start_section(number, line, stripped)
        elif self.section is None:
            self.error(number, "key outside a section: put a [SECTION] header above it")
        else:
            self.add_entry(number, line, stripped)

    def continue_entry(self, number: int, line: str, stripped: str) -> None:
        entry = self.entry
        if entry.tombstone:
            self.error(number, f"a tombstone takes no value: indented line continues "
                               f"!{entry.key}", entry.key)
            return
        # Blank lines between value lines belong to the value (empty_lines_in_values).
        for trivia in self.pending:
            entry.lines.append(trivia)
            if not trivia.strip():
                self.value_parts.append("")
        self.pending = []
        entry.lines.append(line)
        self.value_parts.append(stripped)

    def finish_entry(self) -> None:
        if self.entry is not None and not self.entry.tombstone:
            self.entry.value = "\n".join(self.value_parts).rstrip()
        self.entry = None

    def start_section(self, number: int, line: str, stripped: str) -> None:
        match = _SECTION.fullmatch(stripped)
        name = match["name"] if match else ""
        tombstone = name.startswith("!")
        bare = name[1:] if tombstone else name
        if not match or not bare or bare != bare.strip():
            self.error(number, f"bad section header {shown(stripped)}: expected [NAME] or [!NAME]")
            self.section = SectionBlock(name or stripped, number, line, [])  # keep parsing
            self.seen_keys = {}
            return
        detached, attached = split_attached(self.pending)
        if self.section is not None:
            self.section.tail = detached
        else:
            self.head = detached
        self.pending = []
        if name in self.seen_sections:
            self.error(number, f"duplicate section [{name}] "
                               f"(first at line {self.seen_sections[name]})")
        self.seen_sections[name] = number
        if tombstone:
            # `[!S]` ... `[S]` in one file is a restart, not a duplicate.
            self.seen_sections.pop(bare, None)
        # Headers and key lines are stored unindented: merged next to lines from other
        # files, an indented one could turn into the continuation of a value above.
        self.section = SectionBlock(bare, number, line.lstrip(), attached, tombstone)
        self.sections.append(self.section)
        self.seen_keys = {}

    def add_entry(self, number: int, line: str, stripped: str) -> None:
        section = self.section
        match = split_option(stripped)
        tombstone = stripped.startswith("!")
        if tombstone:
            key = stripped[1:].strip()
            if match:
                key = match[0][1:].strip()
                self.error(number, f"a tombstone takes no value: write !{key} alone", key)
                return
            if not key:
                self.error(number, "empty tombstone '!': name a key or pattern")
                return
            value = None
        elif not match:
            self.error(number, f"expected KEY = VALUE, got {shown(stripped)}")
            return
        else:
            key, delim, value = match
            if not key:
                self.error(number, f"missing key before {delim!r}")
                return
            if len(key) > MAX_KEY_CHARS:
                self.error(number, f"a key of {len(key)} characters (at most {MAX_KEY_CHARS}): "
                                   f"{shown(key)}")
                return
        if section.tombstone:
            self.error(number, f"key under section tombstone [!{section.name}]: "
                               f"add a [{section.name}] header to set keys", key)
            return
        name = key.lower()
        token = ("!" + name) if tombstone else name
        if token in self.seen_keys:
            self.error(number, f"duplicate key (first at line {self.seen_keys[token]})", key)
            return
        self.seen_keys[token] = number
        self.entry = Entry(key, name, value, number, [line.lstrip()], self.pending, tombstone)
        self.pending = []
        self.value_parts = [value] if value is not None else []
        section.entries.append(self.entry)
