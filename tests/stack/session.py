"""One test stack: a Docker network, its volumes and its containers, for a pytest
session (tests/stack/fixtures.py), a stack started by hand (`make stack-up`,
tests/stack/manual.py) or a benchmark.

The stack knows no service by name. The services are the modules of
tests/stack/services (one per image directory under tests/stack/images); each
is started on first use (``stack.service(name)``), once, thread-safely; a failure
is remembered and raised again to every later user. Other suites add their own
containers with ``stack.container(image, name=..., aliases=[...], service=...)``
(a testcontainers DockerContainer: configure it with ``with_env``,
``with_volume_mapping``, ``with_command``, ``with_kwargs(hostname=...)``, then
``start()``): they join the network, are removed with the stack and have their log
attached to failing tests.

Everything carries the label ``biomero-stack.session=<id>``, so ``down(session)``
removes a stack completely, from any process. Ryuk (testcontainers' reaper) is not
used: no registry can give its image here.
"""

from __future__ import annotations

import os
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import docker.errors
from testcontainers.core.network import Network

import docker
from tests.stack import services
from tests.stack.container import StackContainer

os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")

LABEL = "biomero-stack.session"
SERVICE_LABEL = "biomero-stack.service"
PREFIX = "biomero-stack"


class Stack:
    def __init__(self, workdir: Path, session: str | None = None,
                 client: docker.DockerClient | None = None):
        self.session = session or secrets.token_hex(4)
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.workdir.chmod(0o700)
        self.docker = client or docker.from_env()
        self.network_name = f"{PREFIX}-{self.session}"
        self.labels = {LABEL: self.session}
        self._network: Network | None = None
        self._lock = threading.Lock()
        self._started: dict[str, object] = {}
        self._service_locks = {name: threading.Lock() for name in services.names()}
        self.containers: list[StackContainer] = []

    # -- the network and what joins it ---------------------------------------------
    @property
    def network(self) -> Network:
        with self._lock:
            if self._network is None:
                net = Network(docker_network_kw={"driver": "bridge", "labels": self.labels})
                net.name = self.network_name
                self._network = net.create()
            return self._network

    def container(self, image: str, *, name: str, aliases=(), service: str = "other"
                  ) -> StackContainer:
        """A container on the stack's network (created and started by its caller)."""
        c = StackContainer(image, name=f"{PREFIX}-{self.session}-{name}", network=self.network,
                           aliases=aliases, labels={**self.labels, SERVICE_LABEL: service})
        c.with_kwargs(hostname=name)
        with self._lock:
            self.containers.append(c)
        return c

    def volume(self, name: str) -> str:
        full = f"{PREFIX}-{self.session}-{name}"
        self.docker.volumes.create(full, labels=self.labels)
        return full

    # -- services -------------------------------------------------------------------
    def service(self, name: str):
        """The handle of service NAME, started on first use."""
        with self._service_locks[name]:
            if name not in self._started:
                try:
                    self._started[name] = services.module(name).start(self)
                except Exception as exc:  # noqa: BLE001 - raised now and to later users
                    self._started[name] = exc
            found = self._started[name]
        if isinstance(found, Exception):
            raise found
        return found

    def up(self) -> dict[str, object]:
        """Every service, started in parallel; {name: handle} once all are ready."""
        self.network  # noqa: B018 - created once, before the threads race for it
        with ThreadPoolExecutor(max_workers=len(self._service_locks)) as pool:
            futures = {n: pool.submit(self.service, n) for n in self._service_locks}
            return {n: f.result() for n, f in futures.items()}

    # -- logs and teardown -------------------------------------------------------------
    def logs(self, tail: int = 200) -> list[tuple[str, str]]:
        """(name, last lines of its log) of every container of the stack still there."""
        with self._lock:
            containers = list(self.containers)
        found = []
        for c in containers:
            if c._container is None:  # noqa: SLF001 - never created
                continue
            try:
                found.append((c.name, c.get_wrapped_container().logs(tail=tail)
                              .decode(errors="replace")))
            except docker.errors.NotFound:
                continue  # removed by its test
            except docker.errors.APIError as exc:
                found.append((c.name, f"<no log: {exc}>"))
        return found

    def down(self) -> list[str]:
        removed = down(self.docker, self.session)
        with self._lock:
            self.containers.clear()
            self._started.clear()
            self._network = None
        return removed


def down(client: docker.DockerClient, session: str) -> list[str]:
    """Remove every container, network and volume labelled with SESSION."""
    removed = []
    selector = {"label": f"{LABEL}={session}"}
    for c in client.containers.list(all=True, filters=selector):
        c.remove(force=True, v=True)
        removed.append(c.name)
    for n in client.networks.list(filters=selector):
        n.reload()
        for c in n.containers:  # containers of other suites still attached
            n.disconnect(c, force=True)
        n.remove()
        removed.append(n.name)
    for v in client.volumes.list(filters=selector):
        v.remove(force=True)
        removed.append(v.name)
    return removed
