"""Numbers from the environment, checked: a wait bound must be a finite, positive
number of seconds (``inf`` would wait forever, ``nan`` never compares true)."""

from __future__ import annotations

import math
import os

MAX_WAIT = 24 * 3600.0


class SettingError(ValueError):
    """A variable's value is unusable; the message names the variable."""


def seconds(name: str, default: float, environ=None) -> float:
    environ = os.environ if environ is None else environ
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingError(f"{name}={raw!r} is not a number of seconds") from None
    if not math.isfinite(value) or not 0 < value <= MAX_WAIT:
        raise SettingError(f"{name}={raw!r}: give a number of seconds above 0 and at most "
                           f"{MAX_WAIT:g}")
    return value
