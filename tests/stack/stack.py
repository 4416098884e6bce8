"""The test stack: PostgreSQL, a Slurm cluster behind SSH, an IceGrid registry.

One user-defined Docker network per stack; every container, volume and the
network carry the label ``biomero-stack.session=<id>`` so that a stack can be
torn down completely (``Stack.down``), even from another process
(``python -m tests.stack.manual down``).

Images are built beforehand by ``make stack-images``; this module only starts
containers (docker SDK). Secrets (munge key, SSH key pair, passwords) are made
here per stack and copied into ``/run/secrets`` of a created-but-not-started
container: they are never in an image layer, an environment variable or a log.

Used by the pytest fixtures (tests/stack/fixtures.py), by the worker tests (to
start the worker next to these services, see ``Stack.run``) and by
``tests.stack.manual`` (make stack-up / stack-down / bench-stack).
"""

from __future__ import annotations

import io
import os
import secrets
import shlex
import tarfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import docker
import docker.errors
import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

LABEL = "biomero-stack.session"
SERVICE_LABEL = "biomero-stack.service"
IMAGE_PREFIX = os.environ.get("STACK_IMAGE_PREFIX", "biomero-stack-")
IMAGE_TAG = os.environ.get("STACK_IMAGE_TAG", "test")
# Where published ports are reached from the process running the tests.
HOST_ADDRESS = "127.0.0.1"

SLURM_NODES = ("slurmnode1", "slurmnode2")


def image(service: str) -> str:
    """The tag `make stack-images` gives SERVICE's image."""
    return f"{IMAGE_PREFIX}{service}:{IMAGE_TAG}"


class StackError(RuntimeError):
    """A service did not come up; the message carries its container's log."""


@dataclass(frozen=True)
class ExecResult:
    exit_code: int
    stdout: str
    stderr: str

    def check(self, what: str = "command") -> "ExecResult":
        if self.exit_code != 0:
            raise AssertionError(
                f"{what} exited {self.exit_code}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}"
            )
        return self


# --------------------------------------------------------------------------
# What the fixtures hand out
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Postgres:
    """PostgreSQL 15: in-network as ``database:5432``, from the host on ``host_port``."""

    db: str
    user: str
    password: str = field(repr=False)
    host_port: int
    container: str
    host: str = "database"
    port: int = 5432

    @property
    def url(self) -> str:
        """libpq URL reachable from the machine running the tests."""
        return f"postgresql://{self.user}:{self.password}@{HOST_ADDRESS}:{self.host_port}/{self.db}"

    @property
    def sqlalchemy_url(self) -> str:
        """SQLALCHEMY_URL for a container on the stack network (the worker)."""
        return f"postgresql+psycopg2://{self.user}:{self.password}@{self.host}:{self.port}/{self.db}"

    def connect(self, **kwargs):
        import psycopg

        return psycopg.connect(
            host=HOST_ADDRESS, port=self.host_port, dbname=self.db,
            user=self.user, password=self.password, **kwargs,
        )


@dataclass(frozen=True)
class Slurm:
    """The Slurm cluster's login node (also its controller), reached over SSH.

    In-network the login node answers to ``localslurm`` and ``slurmctld`` on
    port 22 for ``user``. ``ssh_dir`` is ready to mount as a worker's
    ``/tmp/.ssh``: ``id_ed25519`` (+ ``.pub``), ``config`` (Host localslurm /
    slurmctld -> user slurm, that key) and ``known_hosts`` (the login node's
    host key under both aliases and under ``[127.0.0.1]:host_port``).
    """

    private_key: Path
    public_key: str
    ssh_dir: Path
    host_port: int
    containers: dict[str, str]
    data_volume: str
    home_volume: str
    _docker: docker.DockerClient = field(repr=False, compare=False)
    host: str = "localslurm"
    aliases: tuple[str, ...] = ("localslurm", "slurmctld")
    port: int = 22
    user: str = "slurm"
    data_path: str = "/data"

    def ssh_client(self, timeout: float = 10) -> paramiko.SSHClient:
        client = paramiko.SSHClient()
        client.load_host_keys(str(self.ssh_dir / "known_hosts"))
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        client.connect(
            HOST_ADDRESS, port=self.host_port, username=self.user,
            pkey=paramiko.Ed25519Key.from_private_key_file(str(self.private_key)),
            look_for_keys=False, allow_agent=False, timeout=timeout,
        )
        return client

    def ssh(self, command: str, timeout: float = 60) -> ExecResult:
        """Run COMMAND on the login node as ``user`` over SSH (host key checked)."""
        with self.ssh_client() as client:
            _, out, err = client.exec_command(command, timeout=timeout)
            stdout = out.read().decode()
            stderr = err.read().decode()
            return ExecResult(out.channel.recv_exit_status(), stdout, stderr)

    def exec(self, command: str, role: str = "slurmctld", user: str = "root") -> ExecResult:
        """docker exec COMMAND (bash -c) in the container of ROLE."""
        return _exec(self._docker.containers.get(self.containers[role]), command, user=user)


@dataclass(frozen=True)
class IceGridRegistry:
    """IceGrid 3.7 registry standing in for the OMERO master's: ``master:4061``."""

    admin_user: str
    admin_password: str = field(repr=False)
    host_port: int
    container: str
    _docker: docker.DockerClient = field(repr=False, compare=False)
    host: str = "master"
    port: int = 4061
    instance_name: str = "IceGrid"

    @property
    def locator(self) -> str:
        """Ice.Default.Locator for a process on the stack network."""
        return f"{self.instance_name}/Locator:tcp -h {self.host} -p {self.port}"

    def admin(self, *commands: str) -> ExecResult:
        """icegridadmin -e CMD ... inside the registry container, as the admin."""
        args = ["icegridadmin", "--Ice.Config=/etc/icegrid/admin.cfg"]
        for c in commands:
            args += ["-e", c]
        return _exec(self._docker.containers.get(self.container), shlex.join(args))

    def exec_python(self, code: str) -> ExecResult:
        """Run python3 CODE (IcePy 3.7 importable) inside the registry container."""
        return _exec(self._docker.containers.get(self.container),
                     f"python3 -c {shlex.quote(code)}")

    def add_application(self, descriptor_xml: str, name: str = "app") -> ExecResult:
        """Copy an application descriptor into the registry and ``application add`` it."""
        path = f"/tmp/{name}.xml"
        _put_files(self._docker.containers.get(self.container), "/tmp",
                   {f"{name}.xml": descriptor_xml.encode()})
        return self.admin(f"application add {path}")


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def _exec(container, command: str, user: str = "root") -> ExecResult:
    res = container.exec_run(["bash", "-c", command], user=user, demux=True)
    out, err = res.output
    return ExecResult(res.exit_code, (out or b"").decode(), (err or b"").decode())


def _put_files(container, directory: str, files: dict[str, bytes], mode: int = 0o600) -> None:
    """Copy FILES (name -> bytes) into DIRECTORY of a (possibly not started) container."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = mode
            info.mtime = int(time.time())
            tar.addfile(info, io.BytesIO(data))
    if not container.put_archive(directory, buf.getvalue()):
        raise StackError(f"could not copy {sorted(files)} into {container.name}:{directory}")


def _host_port(container, port: str) -> int:
    container.reload()
    bindings = container.attrs["NetworkSettings"]["Ports"].get(port)
    if not bindings:
        raise StackError(f"{container.name}: port {port} is not published")
    return int(bindings[0]["HostPort"])


def make_ssh_key(directory: Path, hosts: Iterable[str], user: str) -> tuple[Path, str]:
    """A fresh ed25519 key pair and an ssh ``config`` for HOSTS in DIRECTORY (0700)."""
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    key = Ed25519PrivateKey.generate()
    private = directory / "id_ed25519"
    private.touch(mode=0o600)
    private.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    ))
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH,
    ).decode() + " biomero-stack-test\n"
    (directory / "id_ed25519.pub").write_text(public)
    (directory / "config").write_text(
        f"Host {' '.join(hosts)}\n"
        f"    User {user}\n"
        "    IdentityFile ~/.ssh/id_ed25519\n"
        "    IdentitiesOnly yes\n"
        "    StrictHostKeyChecking yes\n"
        "    UserKnownHostsFile ~/.ssh/known_hosts\n"
    )
    return private, public


def wait_until(what: str, probe: Callable[[], object], timeout: float,
               alive: Callable[[], None] = lambda: None, interval: float = 0.3):
    """Call PROBE until it returns a truthy value (returned); ALIVE raises if hopeless."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while True:
        alive()
        try:
            result = probe()
            if result:
                return result
        except Exception as e:  # noqa: BLE001 - any failure means "not yet"
            last = e
        if time.monotonic() > deadline:
            raise StackError(f"timed out after {timeout:.0f}s waiting for {what}"
                             + (f" (last error: {last!r})" if last else ""))
        time.sleep(interval)


# --------------------------------------------------------------------------
# The stack
# --------------------------------------------------------------------------


class Stack:
    """Containers for one test session (or one manual stack-up) on one network."""

    def __init__(self, workdir: Path, session: str | None = None,
                 client: docker.DockerClient | None = None):
        self.session = session or secrets.token_hex(4)
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.workdir.chmod(0o700)
        self.docker = client or docker.from_env()
        self.network_name = f"biomero-stack-{self.session}"
        self._network = None
        self._lock = threading.Lock()
        self._services: dict[str, object] = {}
        self._service_locks = {n: threading.Lock() for n in ("postgres", "slurm", "registry")}
        self.containers: list = []  # every container started here, for logs and teardown

    # -- the services, started on first use ------------------------------------

    def _service(self, name: str, start: Callable[[], object]):
        """Start NAME once; a failure is remembered and raised again on later use."""
        with self._service_locks[name]:
            if name not in self._services:
                try:
                    self._services[name] = start()
                except Exception as e:  # noqa: BLE001 - re-raised now and later
                    self._services[name] = e
            found = self._services[name]
            if isinstance(found, Exception):
                raise found
            return found

    @property
    def network(self) -> str:
        """Name of the stack's user-defined network (created on first use)."""
        with self._lock:
            if self._network is None:
                self._network = self.docker.networks.create(
                    self.network_name, driver="bridge", labels=self.labels,
                )
            return self.network_name

    @property
    def postgres(self) -> Postgres:
        return self._service("postgres", self.start_postgres)

    @property
    def slurm(self) -> Slurm:
        return self._service("slurm", self.start_slurm)

    @property
    def registry(self) -> IceGridRegistry:
        return self._service("registry", self.start_icegrid)

    # -- generic -------------------------------------------------------------

    @property
    def labels(self) -> dict[str, str]:
        return {LABEL: self.session}

    def volume(self, name: str) -> str:
        full = f"biomero-stack-{self.session}-{name}"
        self.docker.volumes.create(full, labels=self.labels)
        return full

    def create(self, service: str, image_ref: str, command=None, *, name: str,
               aliases: Iterable[str] = (), hostname: str | None = None,
               secrets_: dict[str, bytes] | None = None, ports: Iterable[int] = (),
               files: dict[str, bytes] | None = None, **kwargs):
        """Create (not start) a labelled container on the stack network.

        SECRETS (name -> bytes) are copied into /run/secrets before start, FILES
        (absolute path -> bytes, mode 0644) likewise. PORTS are published
        on 127.0.0.1 at random host ports. Other KWARGS go to docker's create
        (environment, volumes, user, ...).
        """
        network = self.network
        container = self.docker.containers.create(
            image_ref, command,
            name=f"biomero-stack-{self.session}-{name}",
            hostname=hostname or name,
            labels={**self.labels, SERVICE_LABEL: service, **kwargs.pop("labels", {})},
            network=network,
            networking_config={network: self.docker.api.create_endpoint_config(
                aliases=list(aliases))},
            ports={f"{p}/tcp": (HOST_ADDRESS, None) for p in ports},
            detach=True,
            **kwargs,
        )
        with self._lock:
            self.containers.append(container)
        if secrets_:
            _put_files(container, "/run/secrets", secrets_)
        for path, data in (files or {}).items():
            _put_files(container, os.path.dirname(path), {os.path.basename(path): data}, 0o644)
        return container

    def run(self, service: str, image_ref: str, command=None, **kwargs):
        """Create and start a container on the stack network (see ``create``).

        For other suites, e.g. the worker tests:
        ``stack.run("worker", "biomero-worker:...", name="worker", aliases=["worker"],
        environment={...}, volumes={str(slurm.ssh_dir): {"bind": "/tmp/.ssh", "mode": "ro"}})``.
        The container is removed with the stack and its log is attached to
        failing tests' reports.
        """
        container = self.create(service, image_ref, command, **kwargs)
        container.start()
        return container

    def check_running(self, container) -> None:
        container.reload()
        if container.status not in ("created", "running"):
            raise StackError(
                f"container {container.name} is {container.status} "
                f"(exit {container.attrs['State'].get('ExitCode')}):\n{self.log(container)}"
            )

    def log(self, container, tail: int = 200) -> str:
        try:
            return container.logs(tail=tail).decode(errors="replace")
        except docker.errors.APIError as e:
            return f"<no log: {e}>"

    def track(self, container) -> None:
        """Attach the log of a container started elsewhere to failing reports too."""
        with self._lock:
            self.containers.append(container)

    def logs(self, tail: int = 200) -> list[tuple[str, str]]:
        """(name, last lines of its log) for every container of this stack still there."""
        with self._lock:
            containers = list(self.containers)
        found = []
        for c in containers:
            try:
                found.append((c.name, c.logs(tail=tail).decode(errors="replace")))
            except docker.errors.NotFound:
                continue  # removed by its test
            except docker.errors.APIError as e:
                found.append((c.name, f"<no log: {e}>"))
        return found

    def down(self) -> None:
        down(self.docker, self.session)
        with self._lock:
            self.containers.clear()
            self._services.clear()
            self._network = None

    # -- services --------------------------------------------------------------

    def start_postgres(self, timeout: float = 60) -> Postgres:
        user = db = "biomero"
        password = secrets.token_hex(16)
        c = self.create("postgres", image("postgres"), name="database",
                        aliases=["database"], ports=[5432], secrets_={
                            "postgres_db": db.encode(), "postgres_user": user.encode(),
                            "postgres_password": password.encode()})
        c.start()
        pg = Postgres(db=db, user=user, password=password,
                      host_port=_host_port(c, "5432/tcp"), container=c.name)

        def login():
            with pg.connect(connect_timeout=3) as conn:
                return conn.execute("select 1").fetchone() == (1,)

        try:
            wait_until("PostgreSQL to accept a login", login, timeout,
                       lambda: self.check_running(c))
        except StackError as e:
            raise StackError(f"{e}\n{self.log(c)}") from None
        return pg

    def start_slurm(self, timeout: float = 120) -> Slurm:
        ssh_dir = self.workdir / "ssh"
        private, public = make_ssh_key(ssh_dir, ("localslurm", "slurmctld"), "slurm")
        munge_key = secrets.token_bytes(1024)
        data = self.volume("slurm-data")
        home = self.volume("slurm-home")
        shared = {data: {"bind": "/data", "mode": "rw"}, home: {"bind": "/home/slurm", "mode": "rw"}}
        munge = {"munge.key": munge_key}
        dbd = self.create("slurm", image("slurm"), ["dbd"], name="slurmdbd",
                          aliases=["slurmdbd"], secrets_=munge)
        ctld = self.create("slurm", image("slurm"), ["ctld"], name="slurmctld",
                           aliases=["slurmctld", "localslurm"], ports=[22], volumes=shared,
                           secrets_={**munge, "authorized_keys": public.encode()})
        nodes = [self.create("slurm", image("slurm"), ["node"], name=n, aliases=[n],
                             volumes=shared, secrets_=munge) for n in SLURM_NODES]
        everything = [dbd, ctld, *nodes]
        for c in everything:
            c.start()

        def alive():
            for c in everything:
                self.check_running(c)

        def controller_ready():
            ping = _exec(ctld, "scontrol ping")
            if ping.exit_code != 0 or "UP" not in ping.stdout:
                return False
            states = _exec(ctld, "sinfo -h -N -o '%N %t'").stdout.split()
            idle = [n for n, s in zip(states[::2], states[1::2]) if s == "idle"]
            return set(idle) >= set(SLURM_NODES)

        def host_key():
            res = _exec(ctld, "cat /etc/ssh/ssh_host_ed25519_key.pub")
            return res.exit_code == 0 and res.stdout.split()[:2]

        try:
            kind, blob = wait_until("the login node's host key", host_key, timeout, alive)
            port = _host_port(ctld, "22/tcp")
            (ssh_dir / "known_hosts").write_text(
                f"localslurm,slurmctld {kind} {blob}\n[{HOST_ADDRESS}]:{port} {kind} {blob}\n")
            slurm = Slurm(private_key=private, public_key=public, ssh_dir=ssh_dir,
                          host_port=port, data_volume=data, home_volume=home,
                          containers={"slurmdbd": dbd.name, "slurmctld": ctld.name,
                                      **{n: c.name for n, c in zip(SLURM_NODES, nodes)}},
                          _docker=self.docker)
            wait_until("scontrol ping and idle nodes in sinfo", controller_ready, timeout, alive)
            wait_until("SSH login as slurm", lambda: slurm.ssh("true", 10).exit_code == 0,
                       timeout, alive)
        except StackError as e:
            raise StackError(f"{e}\n" + "\n".join(
                f"--- {c.name}\n{self.log(c, 60)}" for c in everything)) from None
        return slurm

    def start_icegrid(self, timeout: float = 60) -> IceGridRegistry:
        password = secrets.token_hex(16)
        c = self.create("icegrid", image("icegrid"), ["registry"], name="master",
                        aliases=["master"], ports=[4061],
                        secrets_={"icegrid_admin_password": password.encode()})
        c.start()
        reg = IceGridRegistry(admin_user="admin", admin_password=password,
                              host_port=_host_port(c, "4061/tcp"), container=c.name,
                              _docker=self.docker)
        try:
            wait_until("the IceGrid registry to accept the admin",
                       lambda: reg.admin("registry list").stdout.split() == ["Master"],
                       timeout, lambda: self.check_running(c))
        except StackError as e:
            raise StackError(f"{e}\n{self.log(c)}") from None
        return reg

    def up(self) -> tuple[Postgres, Slurm, IceGridRegistry]:
        """Start every service at once; return when all are ready."""
        assert self.network
        with ThreadPoolExecutor(max_workers=3) as pool:
            futures = [pool.submit(lambda: self.postgres), pool.submit(lambda: self.slurm),
                       pool.submit(lambda: self.registry)]
            return tuple(f.result() for f in futures)  # type: ignore[return-value]


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
