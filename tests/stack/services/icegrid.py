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


def start(stack, alias: str = ALIAS, node_session_timeout: int | None = None
          ) -> IceGridRegistry:
    """The registry; another ALIAS gives a second one (a master of its own).

    NODE_SESSION_TIMEOUT (seconds; IceGrid's default, as OMERO's master, is 30)
    sets how often its nodes renew their session, so how soon a node notices that
    this registry is gone: tests that take a master away use a short one."""
    password = secrets.token_hex(16)
    command = ["registry"]
    if node_session_timeout is not None:
        command.append(f"--IceGrid.Registry.NodeSessionTimeout={node_session_timeout}")
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
