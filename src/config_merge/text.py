"""What a value may hold where it becomes part of a line of another program's file
or command line: one owner for the rules, used by the validator ([SSH] host) and
the worker (Ice endpoints, property lines, OMERO's config).

* a word (a host name, an address, a port): no blank, no control character;
* a line (a password, a property value): no control character (a newline would add
  a line of its own).
"""

from __future__ import annotations


def breaks_line(value: str) -> bool:
    """VALUE holds a newline or another character that is not printable text."""
    return not value.isprintable()


def breaks_word(value: str) -> bool:
    """VALUE holds a blank, a newline or another control character."""
    return breaks_line(value) or any(c.isspace() for c in value)
