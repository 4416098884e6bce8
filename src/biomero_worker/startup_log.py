"""One log helper for the start-up: every line ``PREFIX: message`` (info) or
``PREFIX: WARNING: message`` / ``PREFIX: ERROR: message``, one per line of a
multi-line message. Preparation writes to stderr only (stdout belongs to the
container's command: ``docker run IMAGE CMD`` prints what CMD prints); the same
steps run as commands (``python -m biomero_worker identity``) write info to stdout
and the rest to stderr, as a command does.
"""

from __future__ import annotations

import sys

INFO, WARNING, ERROR = "INFO", "WARNING", "ERROR"


class Log:
    def __init__(self, prefix: str, out=None, err=None):
        self.prefix = prefix
        self._out = out
        self._err = err

    def _emit(self, stream, level: str, message: str) -> None:
        stream = stream or sys.stderr
        label = "" if level == INFO else f"{level}: "
        for line in str(message).splitlines() or [""]:
            print(f"{self.prefix}: {label}{line}", file=stream, flush=True)

    def info(self, message: str) -> None:
        self._emit(self._out, INFO, message)

    def warning(self, message: str) -> None:
        self._emit(self._err, WARNING, message)

    def error(self, message: str) -> None:
        self._emit(self._err, ERROR, message)
