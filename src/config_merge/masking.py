"""The one way a message quotes a configured value: secrets never appear.

Masked are the password of every URL in the value (``scheme://user:PASSWORD@host``,
percent-encoded or not, also in a URL no parser accepts: everything between the
user name's ``:`` and the last ``@`` of the word), and the whole value of a key
whose name says it holds a secret (``sqlalchemy_url``, ``*pass*``, ``*secret*``,
``*token*`` ...). A long value is cut, so that a 1 MiB line is not logged whole.

Every module that puts a value into a message (config_merge's diagnostics, the
worker's start-up lines, doctor) asks ``shown`` or ``mask_urls``; nobody else
decides what a secret looks like.
"""

from __future__ import annotations

HIDDEN = "***"
# Substrings of a key or property name whose value is a secret. `url`: biomero's
# sqlalchemy_url (and any database URL) carries the password.
SECRET_WORDS = ("pass", "secret", "token", "key", "credential", "sqlalchemy_url")
MAX_SHOWN = 120  # characters of a value quoted in a message
_WORD_END = frozenset(" \t\r\n\f\v'\"<>")


def is_secret_key(name: str | None) -> bool:
    """Whether a key (or property, or variable) named NAME holds a secret."""
    return bool(name) and any(w in name.lower() for w in SECRET_WORDS)


def mask_urls(text: str) -> str:
    """TEXT with the password of every `scheme://user:password@...` replaced by ***.
    One left-to-right pass (no regex: a URL-shaped pattern backtracks on long input)."""
    out: list[str] = []
    pos = 0
    while (mark := text.find("://", pos)) >= 0:
        start = mark + 3
        end = start
        while end < len(text) and text[end] not in _WORD_END:
            end += 1
        word = text[start:end]
        at = word.rfind("@")
        colon = word.find(":", 0, at) if at > 0 else -1
        if colon >= 0 and colon + 1 < at:
            out.append(text[pos:start + colon + 1] + HIDDEN + "@")
            out.append(word[at + 1:])
        else:
            out.append(text[pos:end])
        pos = end
    out.append(text[pos:])
    return "".join(out)


def shown(value: str | None, key: str | None = None) -> str:
    """VALUE quoted for a message (as repr does), masked as the module says, and cut
    to MAX_SHOWN characters."""
    if value is None:
        return "None"
    if is_secret_key(key):
        return repr(HIDDEN)
    text = mask_urls(value)
    if len(text) > MAX_SHOWN:
        return repr(text[:MAX_SHOWN]) + f"... ({len(text)} characters)"
    return repr(text)
