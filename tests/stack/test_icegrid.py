"""The IceGrid registry standing in for the OMERO master's: an Ice 3.7 node started
with a generated config registers, and a server placed on it by a descriptor is
activated and reachable through the registry's locator."""

import secrets
import time

import pytest

from tests.stack.stack import image

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


def eventually(probe, timeout=30.0, interval=0.5):
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


@pytest.fixture
def grid_node(stack, icegrid_registry):
    name = f"node-{secrets.token_hex(3)}"
    container = stack.run(
        "icegrid-node", image("icegrid"),
        ["icegridnode", "--Ice.Config=/etc/icegrid/generated.cfg"],
        name=name, aliases=[name],
        files={"/etc/icegrid/generated.cfg": node_config(name, icegrid_registry.locator).encode()},
    )
    yield name
    container.remove(force=True)


def test_the_registry_has_an_admin_account(icegrid_registry, stack):
    assert icegrid_registry.admin("registry list").check().stdout.split() == ["Master"]
    container = stack.docker.containers.get(icegrid_registry.container)
    wrong = container.exec_run([
        "icegridadmin", f"--Ice.Default.Locator={icegrid_registry.instance_name}"
        "/Locator:tcp -h localhost -p 4061", "-u", "admin", "-p", "not-the-password",
        "-e", "registry list"])
    assert wrong.exit_code != 0
    assert b"permission denied" in wrong.output


def test_a_node_registers_and_a_descriptor_activates_a_server_on_it(icegrid_registry, grid_node):
    listed = eventually(lambda: grid_node in icegrid_registry.admin("node list").stdout.split())
    assert listed, icegrid_registry.admin("node list")

    app, server = f"App{secrets.token_hex(3)}", f"Hello{secrets.token_hex(3)}"
    icegrid_registry.add_application(
        DESCRIPTOR.format(app=app, node=grid_node, server=server), name=app).check("app add")
    try:
        def state():
            return icegrid_registry.admin(f"server state {server}").stdout.strip()

        # activation="always": the node starts it as soon as it is deployed.
        assert eventually(lambda: state().startswith("active")), state()
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
