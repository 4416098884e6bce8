"""The one wait loop of the test suites."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class WaitTimeout(AssertionError):
    """What was awaited did not happen in time (an AssertionError: a test failure)."""


def wait_until(what: str, probe: Callable[[], T], timeout: float,
               alive: Callable[[], None] = lambda: None, interval: float = 0.3) -> T:
    """Call PROBE until it returns something truthy, and return that.

    An exception from PROBE means "not yet" (the last one is reported on timeout);
    ALIVE is called before each try and raises when waiting is hopeless (a
    container that exited), so a dead service fails at once, not at the deadline.
    """
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    value = None
    while True:
        alive()
        try:
            value = probe()
            if value:
                return value
        except Exception as exc:  # noqa: BLE001 - any failure means "not yet"
            last = exc
        if time.monotonic() >= deadline:
            detail = f" (last error: {last!r})" if last else f" (last value: {value!r})"
            raise WaitTimeout(f"timed out after {timeout:g} s waiting for {what}{detail}")
        time.sleep(interval)
