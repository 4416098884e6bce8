"""IceGrid 3.7 registry standing in for the OMERO master's: in-network ``master:4061``,
admin account with a per-stack password."""

from __future__ import annotations

import secrets
import shlex
from dataclasses import dataclass, field

from tests.support.build_env import stack_image
from tests.support.docker_exec import ExecResult, docker_exec

FIXTURE = "icegrid_registry"
ALIAS = "master"
PORT = 4061


@dataclass(frozen=True)
class IceGridRegistry:
    admin_user: str
    admin_password: str = field(repr=False)
    host_port: int
    container: str
    host: str = ALIAS
    port: int = PORT
    instance_name: str = "IceGrid"

    @property
    def locator(self) -> str:
        """Ice.Default.Locator for a process on the stack network."""
        return f"{self.instance_name}/Locator:tcp -h {self.host} -p {self.port}"

    def admin(self, *commands: str, timeout: float = 60) -> ExecResult:
        """icegridadmin -e CMD ... inside the registry container, as the admin."""
        args = ["icegridadmin", "--Ice.Config=/etc/icegrid/admin.cfg"]
        for c in commands:
            args += ["-e", c]
        return docker_exec(self.container, shlex.join(args), timeout=timeout)

    def exec_python(self, code: str, timeout: float = 60) -> ExecResult:
        """Run python3 CODE (IcePy 3.7 importable) inside the registry container."""
        return docker_exec(self.container, ["python3", "-c", code], timeout=timeout)

    def add_application(self, descriptor_xml: str, name: str = "app") -> ExecResult:
        """Put an application descriptor into the registry and ``application add`` it."""
        path = f"/tmp/{name}.xml"
        write = docker_exec(self.container, ["bash", "-c", f'printf %s "$XML" > {path}'],
                            env={"XML": descriptor_xml}, timeout=30)
        write.check(f"writing {path}")
        return self.admin(f"application add {path}")


# How soon a node notices that its registry is gone: it renews its session every
# NodeSessionTimeout (IceGrid's default, as OMERO's master: 30 s), and a renewal to
# a registry whose address vanished fails only when connecting times out, after the
# timeout the registry publishes in its endpoints (Ice.Default.Timeout: 60 s).
# Tests that take a master away ask for a master with both at 5 s.
SHORT_TIMEOUTS = ("--IceGrid.Registry.NodeSessionTimeout=5", "--Ice.Default.Timeout=5000")


def start(stack, alias: str = ALIAS, short_timeouts: bool = False) -> IceGridRegistry:
    """The registry; another ALIAS gives a second one (a master of its own);
    with short_timeouts, one that its nodes miss within seconds (SHORT_TIMEOUTS)."""
    password = secrets.token_hex(16)
    command = ["registry", *(SHORT_TIMEOUTS if short_timeouts else ())]
    c = (stack.container(stack_image("icegrid"), name=alias, aliases=[alias],
                         service="icegrid")
         .with_command(command)
         .publish(PORT)
         .with_secret("icegrid_admin_password", password.encode())
         .ready_when_healthy(60))
    c.start()
    return IceGridRegistry(admin_user="admin", admin_password=password,
                           host_port=c.host_port(PORT), container=c.name, host=alias)


def describe(reg: IceGridRegistry) -> dict:
    return {"in-network": f"{reg.host}:{reg.port}  (locator {reg.locator})",
            "admin": f"{reg.admin_user} / {reg.admin_password}  host port {reg.host_port}",
            "console": f"docker exec -it {reg.container} icegridadmin "
                       "--Ice.Config=/etc/icegrid/admin.cfg"}
