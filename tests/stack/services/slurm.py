"""The Slurm cluster behind SSH: slurmdbd (+ MariaDB), the login node that is also
the controller (``localslurm`` / ``slurmctld``, sshd for user ``slurm``) and two
compute nodes, sharing one munge key and the volumes /data and /home/slurm.

``ssh_dir`` of the handle is ready to mount as a worker's /tmp/.ssh: ``id_ed25519``
(+ ``.pub``), ``config`` (Host localslurm / slurmctld -> user slurm, that key) and
``known_hosts`` (the login node's host key under both aliases and under
``[127.0.0.1]:host_port``). The key pair and the munge key are made per stack."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.stack.container import HOST_ADDRESS
from tests.stack.readiness import Healthy
from tests.support.build_env import stack_image
from tests.support.docker_exec import ExecResult, docker_exec
from tests.support.wait import wait_until

FIXTURE = "slurm"
NODES = ("slurmnode1", "slurmnode2")  # as slurm.conf names them
ALIASES = ("localslurm", "slurmctld")
USER = "slurm"


@dataclass(frozen=True)
class Slurm:
    private_key: Path
    public_key: str
    ssh_dir: Path
    host_port: int
    containers: dict[str, str]  # role -> container name
    data_volume: str
    home_volume: str
    host: str = ALIASES[0]
    aliases: tuple[str, ...] = ALIASES
    port: int = 22
    user: str = USER
    data_path: str = "/data"

    def ssh_client(self, timeout: float = 10) -> paramiko.SSHClient:
        client = paramiko.SSHClient()
        client.load_host_keys(str(self.ssh_dir / "known_hosts"))
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        client.connect(HOST_ADDRESS, port=self.host_port, username=self.user,
                       pkey=paramiko.Ed25519Key.from_private_key_file(str(self.private_key)),
                       look_for_keys=False, allow_agent=False, timeout=timeout)
        return client

    def ssh(self, command: str, timeout: float = 60) -> ExecResult:
        """Run COMMAND on the login node as ``user`` over SSH (host key checked)."""
        with self.ssh_client() as client:
            _, out, err = client.exec_command(command, timeout=timeout)
            stdout, stderr = out.read().decode(), err.read().decode()
            return ExecResult(out.channel.recv_exit_status(), stdout, stderr)

    def exec(self, command, role: str = "slurmctld", user: str = "root",
             timeout: float = 120) -> ExecResult:
        """COMMAND (bash -c) in the container of ROLE, bounded."""
        return docker_exec(self.containers[role], command, user=user, timeout=timeout)


def make_ssh_key(directory: Path, hosts: Iterable[str], user: str) -> tuple[Path, str]:
    """A fresh ed25519 key pair and an ssh ``config`` for HOSTS in DIRECTORY (0700)."""
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    key = Ed25519PrivateKey.generate()
    private = directory / "id_ed25519"
    private.touch(mode=0o600)
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.OpenSSH,
                                          serialization.NoEncryption()))
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                           serialization.PublicFormat.OpenSSH
                                           ).decode() + " biomero-stack-test\n"
    (directory / "id_ed25519.pub").write_text(public)
    (directory / "config").write_text(
        f"Host {' '.join(hosts)}\n    User {user}\n    IdentityFile ~/.ssh/id_ed25519\n"
        "    IdentitiesOnly yes\n    StrictHostKeyChecking yes\n"
        "    UserKnownHostsFile ~/.ssh/known_hosts\n")
    return private, public


def start(stack) -> Slurm:
    ssh_dir = stack.workdir / "ssh"
    private, public = make_ssh_key(ssh_dir, ALIASES, USER)
    munge_key = secrets.token_bytes(1024)
    data, home = stack.volume("slurm-data"), stack.volume("slurm-home")
    shared = {data: "/data", home: "/home/slurm"}

    def role(command: str, name: str, aliases=(), volumes=None):
        c = (stack.container(stack_image("slurm"), name=name, aliases=aliases or [name],
                             service="slurm")
             .with_command([command]).with_secret("munge.key", munge_key)
             .with_steady_health())
        for volume, path in (volumes or {}).items():
            c.with_volume_mapping(volume, path, "rw")
        return c

    dbd = role("dbd", "slurmdbd")
    ctld = (role("ctld", "slurmctld", ALIASES, shared).publish(22)
            .with_secret("authorized_keys", public.encode()))
    nodes = [role("node", n, volumes=shared) for n in NODES]
    everything = [dbd, ctld, *nodes]
    for c in everything:  # all at once: the controller waits for slurmdbd and the nodes
        c.start()
    try:
        # the controller's health covers the cluster: slurmdbd answered, every node
        # idle, sshd up (tests/stack/images/slurm/healthcheck.sh)
        for c in everything:
            Healthy(180).wait_until_ready(c)
        kind, blob = ctld.exec("cat /etc/ssh/ssh_host_ed25519_key.pub").check().stdout.split()[:2]
        port = ctld.host_port(22)
        (ssh_dir / "known_hosts").write_text(
            f"{','.join(ALIASES)} {kind} {blob}\n[{HOST_ADDRESS}]:{port} {kind} {blob}\n")
        slurm = Slurm(private_key=private, public_key=public, ssh_dir=ssh_dir, host_port=port,
                      containers={c.name.rsplit("-", 1)[-1]: c.name for c in everything},
                      data_volume=data, home_volume=home)
        wait_until("an SSH login as slurm from the host",
                   lambda: slurm.ssh("true", 10).exit_code == 0, 60, alive=ctld.raise_if_exited)
    except AssertionError as exc:
        logs = "\n".join(f"--- {c.name}\n{c.log_text(60)}" for c in everything)
        raise AssertionError(f"{exc}\n{logs}") from None
    return slurm


def describe(slurm: Slurm) -> dict:
    return {"in-network": f"{slurm.host}:{slurm.port} (also {slurm.aliases[1]}), user "
                          f"{slurm.user}",
            "ssh dir": f"{slurm.ssh_dir}  (mount as the worker's /tmp/.ssh)",
            "from here": f"ssh -i {slurm.private_key} -p {slurm.host_port} -o "
                         f"UserKnownHostsFile={slurm.ssh_dir / 'known_hosts'} "
                         f"{slurm.user}@{HOST_ADDRESS}",
            "/data": f"volume {slurm.data_volume}"}
