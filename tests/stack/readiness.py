"""Readiness of a stack container: its image's HEALTHCHECK command passes.

A testcontainers wait strategy (``container.ready_when_healthy(60)``, or
``with_steady_health()`` and then ``Healthy(60).wait_until_ready(c)`` for containers
started together) that runs the image's own check inside the container until it
passes, fails at once (with the container's log) when the container stops rather
than at the deadline, and uses the suites' one wait loop.

Why not Docker's health status: the stack's images check every second (so that
`docker compose` sees them healthy at once), and Docker keeps doing so for a
container's whole life. `make test` runs a stack per pytest-xdist worker, and their
checks (icegridadmin, sacctmgr, sinfo, python) kept a core busy. So the stack
creates its containers with STEADY_HEALTHCHECK (Docker checks every 30 s) and
readiness runs the check itself, only until the container is ready.
"""

from __future__ import annotations

import shlex

from testcontainers.core.waiting_utils import WaitStrategy

from tests.support.wait import wait_until

# docker create's healthcheck: the image's test, timeout and retries, checked every 30 s
STEADY_HEALTHCHECK = {"interval": 30 * 10**9}


class Healthy(WaitStrategy):
    def __init__(self, timeout: float = 120.0):
        super().__init__()
        self.with_startup_timeout(timeout)

    def wait_until_ready(self, container) -> None:
        check = health_command(container)

        def passes() -> bool:
            result = container.exec(check, timeout=30)
            if result.exit_code != 0:
                raise AssertionError(f"exit {result.exit_code}: {result.output.strip()[-300:]}")
            return True

        wait_until(f"{container.name} to be healthy ({shlex.join(check)})", passes,
                   self._startup_timeout, alive=container.raise_if_exited, interval=0.5)


def health_command(container) -> list[str]:
    """The container's HEALTHCHECK test as a command to exec."""
    c = container.get_wrapped_container()
    c.reload()
    test = (c.attrs["Config"].get("Healthcheck") or {}).get("Test") or []
    if test[:1] == ["CMD"] and len(test) > 1:
        return test[1:]
    if test[:1] == ["CMD-SHELL"] and len(test) == 2:
        return ["/bin/sh", "-c", test[1]]
    raise AssertionError(f"{container.name}: its image has no HEALTHCHECK command ({test!r})")
