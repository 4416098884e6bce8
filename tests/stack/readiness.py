"""Readiness of a stack container: its image's HEALTHCHECK says healthy.

A testcontainers wait strategy (``container.waiting_for(Healthy(60))``) that, unlike
testcontainers' own HealthcheckWaitStrategy, fails at once (with the container's log)
when the container stops, rather than at the deadline, and uses the suites' one wait
loop."""

from __future__ import annotations

from testcontainers.core.waiting_utils import WaitStrategy

from tests.support.wait import wait_until


class Healthy(WaitStrategy):
    def __init__(self, timeout: float = 120.0):
        super().__init__()
        self.with_startup_timeout(timeout)

    def wait_until_ready(self, container) -> None:
        wait_until(f"{container.name} to be healthy", lambda: health(container) == "healthy",
                   self._startup_timeout, alive=lambda: alive(container), interval=0.25)


def health(container) -> str:
    c = container.get_wrapped_container()
    c.reload()
    state = c.attrs["State"]
    if "Health" not in state:
        raise AssertionError(f"{container.name}: its image has no HEALTHCHECK")
    return state["Health"]["Status"]


def alive(container) -> None:
    container.raise_if_exited()
    c = container.get_wrapped_container()
    health_state = c.attrs["State"].get("Health", {})
    if health_state.get("Status") == "unhealthy":
        last = (health_state.get("Log") or [{}])[-1]
        raise AssertionError(f"{container.name} is unhealthy: {last.get('Output', '').strip()}"
                             f"\n{container.log_text(100)}")
