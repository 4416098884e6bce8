"""Diagnostics: one problem, one line, in the form `FILE:LINE: SECTION.KEY: message`.

Line 0 means the file (or the merged result) as a whole, e.g. a missing layer path.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Diagnostic:
    file: str
    line: int
    message: str
    section: str | None = None
    key: str | None = None

    @property
    def where(self) -> str:
        """`SECTION.KEY`, `SECTION` or '' when the problem is not about a setting."""
        if self.section is None:
            return ""
        return f"{self.section}.{self.key}" if self.key is not None else self.section

    def __str__(self) -> str:
        where = f" {self.where}:" if self.where else ""
        return f"{printable_path(self.file)}:{self.line}:{where} {self.message}"


def printable_path(name: str) -> str:
    """NAME as text any log takes: the bytes of a file name that is not UTF-8 (which
    Python keeps as lone surrogates, unprintable) written as \\xNN."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


class ConfigError(Exception):
    """Input that cannot be merged: malformed layers, or warnings promoted by strict mode.

    Carries every diagnostic found, so a user fixes them all in one go.
    """

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))
