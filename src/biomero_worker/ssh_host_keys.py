"""Host keys for biomero's SSH connections.

biomero's client is a fabric Connection, whose paramiko SSHClient accepts any host
key (AutoAddPolicy) and loads no known_hosts: a changed or spoofed cluster key would
go unnoticed by the connections that carry the data and submit the jobs. When the
deployer mounts a known_hosts (upstream's ``~/.ssh:/tmp/.ssh:ro`` copied to
``~/.ssh/known_hosts`` by 10-mount-ssh), this wrapping of ``Connection.__init__``
(installed by the script hook, fabric's files untouched) loads it and refuses an
unknown host or a mismatching key, with a message that says what to do. Without a
known_hosts, connections work as before, and ``doctor`` warns.

What it relies on in fabric (``contract_problems``, run by the image tests against
the real fabric): ``Connection.__init__`` leaves ``self.client``, a paramiko
SSHClient, and connects through it later (``open``).
"""

from __future__ import annotations

import os
from pathlib import Path

SSH_DIR_VAR = "HOME"


def known_hosts(environ=None) -> Path:
    environ = os.environ if environ is None else environ
    return Path(environ.get(SSH_DIR_VAR) or "~").expanduser() / ".ssh" / "known_hosts"


def entries(path: Path) -> int:
    try:
        return sum(1 for line in path.read_text().splitlines()
                   if line.strip() and not line.lstrip().startswith("#"))
    except OSError:
        return 0


def _policy_class():
    import paramiko

    class RefuseUnknownHost(paramiko.MissingHostKeyPolicy):
        """paramiko's RejectPolicy, with a message an admin can act on."""

        def __init__(self, path: Path):
            self.path = path

        def missing_host_key(self, client, hostname, key):
            raise paramiko.SSHException(
                f"host key of {hostname} ({key.get_name()}) is not in {self.path}: the "
                "worker checks biomero's SSH connections against the mounted known_hosts "
                "and refuses unknown hosts; add the cluster's key to known_hosts in the "
                "mounted directory (ssh-keyscan), or remove known_hosts to accept any key")

    return RefuseUnknownHost


def secure(client, path: Path | None = None) -> bool:
    """Make a paramiko SSHClient check host keys against known_hosts, when there is
    one. Returns whether it did."""
    path = path or known_hosts()
    if not path.is_file():
        return False
    client.load_system_host_keys(str(path))  # checked, never written back
    client.set_missing_host_key_policy(_policy_class()(path))
    return True


def patch(connection_module) -> bool:
    """Wrap ``Connection.__init__`` (idempotent). Returns True when wrapped now."""
    from .wrapping import after

    return after(connection_module.Connection, "__init__", "_host_keys",
                 lambda connection: secure(connection.client))


def contract_problems(connection_module) -> list[str]:
    """What of fabric the wrapping relies on and no longer finds (empty: all good)."""
    import inspect

    cls = getattr(connection_module, "Connection", None)
    if cls is None:
        return ["fabric.connection.Connection is gone"]
    init = getattr(cls.__init__, "__wrapped__", cls.__init__)
    try:
        source = inspect.getsource(init)
    except (OSError, TypeError):
        return ["cannot read Connection.__init__"]
    problems = []
    if "self.client = " not in source:
        problems.append("Connection.__init__ no longer sets self.client")
    if "self.client.connect(" not in inspect.getsource(cls.open):
        problems.append("Connection.open no longer connects through self.client")
    return problems
