"""Numbers from the environment, checked: a wait bound must be a finite, positive
number of seconds (``inf`` would wait forever, ``nan`` never compares true); a log
level a number or a name logging knows."""

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
    return seconds_value(name, raw)


def seconds_value(name: str, raw: str) -> float:
    """RAW as a wait bound, checked by the rule above; NAME is what the message names
    (a variable, or a command-line option)."""
    raw = raw.strip()
    try:
        value = float(raw)
    except ValueError:
        raise SettingError(f"{name}={raw!r} is not a number of seconds") from None
    if not math.isfinite(value) or not 0 < value <= MAX_WAIT:
        raise SettingError(f"{name}={raw!r}: give a number of seconds above 0 and at most "
                           f"{MAX_WAIT:g}")
    return value


# OMERO's variable for its servers' logging level (upstream's compose sets it to 10);
# a number as Python's logging uses it, or a level name.
LOG_LEVEL_VAR = "CONFIG_omero_logging_level"
LEVEL_NAMES = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "WARN": 30, "ERROR": 40,
               "CRITICAL": 50}


def log_level(environ=None) -> int | None:
    """The worker's log level (None: not set, OMERO's default applies)."""
    environ = os.environ if environ is None else environ
    raw = environ.get(LOG_LEVEL_VAR, "").strip()
    if not raw:
        return None
    if raw.upper() in LEVEL_NAMES:
        return LEVEL_NAMES[raw.upper()]
    if raw.isdigit() and 0 < int(raw) <= 50:
        return int(raw)
    raise SettingError(f"{LOG_LEVEL_VAR}={raw!r}: give a level from 1 to 50 (10 DEBUG, "
                       "20 INFO, 30 WARNING, 40 ERROR) or its name")
