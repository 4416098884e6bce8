"""The IceGrid registry standing in for the OMERO master's: an Ice 3.7 node started
with a generated config registers, and a server placed on it by a descriptor is
activated and reachable through the registry's locator."""

import secrets

import pytest

from tests.support.build_env import stack_image
from tests.support.docker_exec import docker_exec
from tests.support.wait import wait_until

DESCRIPTOR = """<icegrid>
  <application name="{app}">
    <node name="{node}">
      <server id="{server}" exe="python3" activation="always">
        <option>/usr/local/share/stack/hello_server.py</option>
        <adapter name="Hello" endpoints="tcp"/>
      </server>
    </node>
  </application>
</icegrid>
"""


def node_config(name: str, locator: str) -> str:
    """What a worker writes for its icegridnode (etc/<name>.cfg + internal.cfg)."""
    return "\n".join([
        f"Ice.Default.Locator={locator}",
        f"IceGrid.Node.Name={name}",
        "IceGrid.Node.Endpoints=tcp",
        "IceGrid.Node.Data=/var/lib/icegrid/node",
        # Docker disables IPv6 in containers; the node gives its servers
        # Ice.Admin.Endpoints "tcp -h localhost", which would try ::1.
        "IceGrid.Node.PropertiesOverride=Ice.IPv6=0",
        "",
    ])


@pytest.fixture
def grid_node(stack, icegrid_registry):
    name = f"node-{secrets.token_hex(3)}"
    container = (stack.container(stack_image("icegrid"), name=name, aliases=[name],
                                 service="icegrid-node")
                 .with_command(["icegridnode", "--Ice.Config=/etc/icegrid/generated.cfg"])
                 .with_file("/etc/icegrid/generated.cfg",
                            node_config(name, icegrid_registry.locator).encode()))
    container.start()
    yield name
    container.stop()


def test_the_registry_has_an_admin_account(icegrid_registry, stack):
    assert icegrid_registry.admin("registry list").check().stdout.split() == ["Master"]
    wrong = docker_exec(icegrid_registry.container, [
        "icegridadmin", f"--Ice.Default.Locator={icegrid_registry.instance_name}"
        "/Locator:tcp -h localhost -p 4061", "-u", "admin", "-p", "not-the-password",
        "-e", "registry list"], timeout=60)
    assert wrong.exit_code != 0
    assert "permission denied" in wrong.output


def test_a_node_registers_and_a_descriptor_activates_a_server_on_it(icegrid_registry, grid_node):
    wait_until(f"the registry to list {grid_node}",
               lambda: grid_node in icegrid_registry.admin("node list").stdout.split(), 30)

    app, server = f"App{secrets.token_hex(3)}", f"Hello{secrets.token_hex(3)}"
    icegrid_registry.add_application(
        DESCRIPTOR.format(app=app, node=grid_node, server=server), name=app).check("app add")
    try:
        def state():
            return icegrid_registry.admin(f"server state {server}").stdout.strip()

        # activation="always": the node starts it as soon as it is deployed.
        wait_until(f"{server} to be active", lambda: state().startswith("active"), 30)
        endpoints = icegrid_registry.admin(f"adapter endpoints {server}.Hello").check().stdout
        assert "tcp -h" in endpoints
        # A client finds the object through the registry's locator and pings it.
        ping = icegrid_registry.exec_python(
            "import Ice, sys\n"
            "with Ice.initialize(['--Ice.Default.Locator=IceGrid/Locator:tcp -h master -p 4061'])"
            " as c:\n"
            f"    c.stringToProxy('hello@{server}.Hello').ice_ping()\n"
            "print('pinged')\n")
        assert ping.check("ping").stdout.strip() == "pinged"
    finally:
        icegrid_registry.admin(f"application remove {app}")
