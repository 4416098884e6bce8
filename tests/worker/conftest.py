"""Fixtures for the worker suite: the real worker image, started on the test stack's
network (PostgreSQL, Slurm login node over SSH, IceGrid registry) the way upstream's
compose file starts its `biomeroworker` service: same variables, same mounts."""

from __future__ import annotations

import os
import shutil
import stat
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import docker
import pytest

WORKER_NAME = "biomeroworker"
SSH_ALIAS = "localslurm"  # the [SSH] host of config/base, resolved by ~/.ssh/config
SLURM_TEST_ROOT = "/data/biomero-worker-test"
SLURM_PATHS = {
    "slurm_data_path": f"{SLURM_TEST_ROOT}/data",
    "slurm_images_path": f"{SLURM_TEST_ROOT}/singularity_images/workflows",
    "slurm_converters_path": f"{SLURM_TEST_ROOT}/singularity_images/converters",
    "slurm_script_path": f"{SLURM_TEST_ROOT}/slurm-scripts",
}
# In the worker's environment, never allow-listed: must not reach scripts.
SECRET_TOKEN = "not-for-scripts-" + uuid.uuid4().hex[:8]
HTTPS_PROXY = "http://proxy.invalid:3128"


@dataclass
class StackFacts:
    """What the worker needs to know about the test stack (from tests/stack)."""
    network: str
    sqlalchemy_url: str  # in-network, with password
    db_password: str
    ssh_key: Path  # private key authorised for the Slurm user on the login node
    ssh_host: str  # in-network name of the Slurm login node
    ssh_user: str
    master: str  # in-network name of the IceGrid registry
    admin_user: str
    admin_password: str
    known_hosts: Path | None = None


def stack_facts(stack) -> StackFacts:
    """Adapter from the stack fixtures' objects (tests/stack/stack.py) to StackFacts."""
    return StackFacts(
        network=stack.network,
        sqlalchemy_url=stack.postgres.sqlalchemy_url,
        db_password=stack.postgres.password,
        ssh_key=Path(stack.slurm.private_key),
        ssh_host=stack.slurm.host,
        ssh_user=stack.slurm.user,
        master=stack.registry.host,
        admin_user=stack.registry.admin_user,
        admin_password=stack.registry.admin_password,
        known_hosts=Path(stack.slurm.ssh_dir) / "known_hosts",
    )


@dataclass
class Worker:
    client: docker.DockerClient
    container: object
    mounts: dict[str, Path] = field(default_factory=dict)

    def exec(self, cmd, env=None, user=None, timeout=None):
        """Run cmd (list or shell string) in the worker; returns (exit_code, output)."""
        if isinstance(cmd, str):
            cmd = ["bash", "-c", cmd]
        kwargs = {"environment": env or {}}
        if user:
            kwargs["user"] = user
        r = self.container.exec_run(cmd, **kwargs)
        return r.exit_code, r.output.decode(errors="replace")

    def python(self, code: str, env=None):
        return self.exec(["python", "-c", code], env=env)

    def logs(self) -> str:
        return self.container.logs().decode(errors="replace")

    def wait_for_log(self, needle: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            logs = self.logs()
            if needle in logs:
                return logs
            self.container.reload()
            if self.container.status == "exited":
                break
            time.sleep(0.5)
        raise AssertionError(f"{needle!r} not in worker logs:\n{self.logs()}")


def make_ssh_mount(tmp: Path, facts: StackFacts) -> Path:
    """Like `~/.ssh:/tmp/.ssh:ro` on a deployer's machine: a key, its .pub, and a
    config naming the [SSH] host alias. Modes here are deliberately loose (644):
    10-mount-ssh.sh must fix them in the copy."""
    d = tmp / "ssh"
    d.mkdir()
    key = d / "id_ed25519"
    shutil.copyfile(facts.ssh_key, key)
    pub = Path(str(facts.ssh_key) + ".pub")
    if pub.exists():
        shutil.copyfile(pub, d / "id_ed25519.pub")
    if facts.known_hosts and facts.known_hosts.exists():
        shutil.copyfile(facts.known_hosts, d / "known_hosts")
    (d / "config").write_text(
        f"Host {SSH_ALIAS}\n"
        f"    HostName {facts.ssh_host}\n"
        f"    User {facts.ssh_user}\n"
        "    IdentityFile ~/.ssh/id_ed25519\n")
    for f in d.iterdir():
        f.chmod(0o644)
    d.chmod(0o755)
    return d


def make_overrides(tmp: Path) -> Path:
    """The runtime layer directory (/etc/biomero/overrides.d): Slurm paths of the
    test cluster. Files are added and removed by tests while the worker runs."""
    d = tmp / "overrides.d"
    d.mkdir()
    d.chmod(0o755)
    body = "[SLURM]\n" + "".join(f"{k}={v}\n" for k, v in SLURM_PATHS.items())
    (d / "10-test-cluster.ini").write_text(body)
    return d


def worker_environment(facts: StackFacts, name: str = WORKER_NAME, **extra) -> dict:
    env = {
        "CONFIG_omero_master_host": facts.master,
        "OMERO_WORKER_NAME": name,
        "SQLALCHEMY_URL": facts.sqlalchemy_url,
        "PERSISTENCE_MODULE": "eventsourcing_sqlalchemy",
        "OMERO_ICEGRID_ADMIN_USER": facts.admin_user,
        "OMERO_ICEGRID_ADMIN_PASSWORD": facts.admin_password,
        "HTTPS_PROXY": HTTPS_PROXY,
        "NO_PROXY": "localhost,database,master",
        "SECRET_TOKEN": SECRET_TOKEN,
        "BIOMERO_DB_WAIT_SECONDS": "60",
    }
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


def start_worker(stack, image, facts: StackFacts, *, name=WORKER_NAME, env=None,
                 mounts=None, command=None) -> Worker:
    """docker run, the compose way: on the stack network, the worker's name as host
    name and alias; mounts as {container_path: host_path}. The stack removes the
    container at the end of the session and attaches its log to failing tests."""
    mounts = mounts or {}
    volumes = {str(h): {"bind": c, "mode": "ro" if c == "/tmp/.ssh" else "rw"}
               for c, h in mounts.items()}
    container = stack.run("worker", image, command, name=f"{name}-{uuid.uuid4().hex[:6]}",
                          aliases=[name], hostname=name, environment=env or {},
                          volumes=volumes)
    return Worker(stack.docker, container, dict(mounts))


def run_to_exit(stack, image, facts, *, timeout=120, **kw) -> tuple[int, str, float]:
    """Start a worker container and wait for it to stop: (exit code, logs, seconds)."""
    t0 = time.monotonic()
    w = start_worker(stack, image, facts, **kw)
    try:
        result = w.container.wait(timeout=timeout)
        return result["StatusCode"], w.logs(), time.monotonic() - t0
    finally:
        w.container.remove(force=True)


@pytest.fixture(scope="session")
def facts(stack) -> StackFacts:
    return stack_facts(stack)


@pytest.fixture(scope="session")
def worker(stack, worker_image, facts, tmp_path_factory):
    """The worker, started like upstream's compose service, ready once its node runs."""
    tmp = tmp_path_factory.mktemp("worker")
    mounts = {"/tmp/.ssh": make_ssh_mount(tmp, facts),
              "/etc/biomero/overrides.d": make_overrides(tmp)}
    w = start_worker(stack, worker_image, facts, env=worker_environment(facts), mounts=mounts)
    try:
        w.wait_for_log("99-run: exec icegridnode", timeout=180)
        # The Slurm paths of the test config exist on the cluster (biomero's init
        # script would create them; the test creates them over the worker's own ssh).
        code, out = w.exec(f"ssh {SSH_ALIAS} mkdir -p " + " ".join(SLURM_PATHS.values()))
        assert code == 0, out
        yield w
    finally:
        print(w.logs())


def file_mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)
