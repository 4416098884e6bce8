"""A container of the test stack: a testcontainers DockerContainer on the stack's
network, labelled with the stack's session (so the stack removes it, even from
another process), with secrets copied in before it starts and every exec bounded."""

from __future__ import annotations

import docker.errors
from testcontainers.core.container import DockerContainer

from tests.stack.readiness import STEADY_HEALTHCHECK, Healthy
from tests.support.docker_exec import DEFAULT_TIMEOUT, ExecResult, docker_exec

SECRETS_DIR = "/run/secrets"
# Where published ports are reached from the process running the tests.
HOST_ADDRESS = "127.0.0.1"


class StackContainer(DockerContainer):
    def __init__(self, image: str, *, name: str, network, aliases=(), labels=None):
        super().__init__(image)
        self.with_name(name)
        self.with_network(network)
        if aliases:
            self.with_network_aliases(*aliases)
        self.with_kwargs(labels=dict(labels or {}))
        self.name = name

    def with_kwargs(self, **kwargs) -> StackContainer:
        """Add docker create arguments (testcontainers keeps only the last call's)."""
        self._kwargs = {**self._kwargs, **kwargs}
        return self

    def with_steady_health(self) -> StackContainer:
        """Docker runs the image's HEALTHCHECK every 30 s, not every second: readiness
        runs it itself (tests/stack/readiness.py)."""
        return self.with_kwargs(healthcheck=STEADY_HEALTHCHECK)

    def ready_when_healthy(self, timeout: float) -> StackContainer:
        """start() returns once the image's HEALTHCHECK command passes (run by the
        wait itself); Docker then checks only every 30 s."""
        return self.with_steady_health().waiting_for(Healthy(timeout))

    def with_secret(self, name: str, data: bytes) -> StackContainer:
        """A file in /run/secrets (mode 600), copied in after create, before start:
        never in an image layer, an environment variable or a log."""
        return self.with_copy_into_container(data, f"{SECRETS_DIR}/{name}", 0o600)

    def with_file(self, path: str, data: bytes, mode: int = 0o644) -> StackContainer:
        return self.with_copy_into_container(data, path, mode)

    def exec(self, command, *, timeout: float = DEFAULT_TIMEOUT, user: str | None = None,
             env: dict | None = None) -> ExecResult:  # type: ignore[override]
        """COMMAND (a list, or a string for bash -c), bounded by TIMEOUT."""
        return docker_exec(self.name, command, timeout=timeout, user=user, env=env)

    def log_text(self, tail: int | str = "all") -> str:
        try:
            return self.get_wrapped_container().logs(tail=tail).decode(errors="replace")
        except (docker.errors.APIError, AttributeError) as exc:
            return f"<no log: {exc}>"

    def publish(self, port: int) -> StackContainer:
        """Publish PORT/tcp on the host's loopback, at a free port (host_port)."""
        self.ports[f"{port}/tcp"] = (HOST_ADDRESS, None)
        return self

    def host_port(self, port: int) -> int:
        c = self.get_wrapped_container()
        c.reload()
        bindings = c.attrs["NetworkSettings"]["Ports"].get(f"{port}/tcp")
        if not bindings:
            raise AssertionError(f"{self.name}: port {port} is not published")
        return int(bindings[0]["HostPort"])

    def raise_if_exited(self) -> None:
        """For waits: a container that stopped will never become ready."""
        c = self.get_wrapped_container()
        c.reload()
        if c.status not in ("created", "running"):
            raise AssertionError(f"container {self.name} is {c.status} (exit "
                                 f"{c.attrs['State'].get('ExitCode')}):\n{self.log_text(200)}")
