"""The cluster's host key on biomero's own SSH connections (fabric/paramiko, which
by itself accepts any key): checked against the known_hosts the admin mounts, with
doctor saying what is missing."""

from __future__ import annotations

from tests.worker.service import run_script

CONNECT = """
from biomero import SlurmClient
SlurmClient.init_workflows = lambda self, force_update=False: None  # no GitHub here
client = SlurmClient.from_config(config_only=True)
try:
    print("RESULT=" + client.run("echo connected-$(hostname)", hide=True).stdout.strip())
except Exception as exc:
    print("REFUSED=%s: %s" % (type(exc).__name__, exc))
"""


KNOWN_HOSTS = "~/.ssh/known_hosts"


def biomero_connects(worker) -> str:
    out = run_script(worker, CONNECT)
    return next(ln for ln in out.splitlines() if ln.startswith(("RESULT=", "REFUSED=")))


def test_biomero_connects_when_the_mounted_known_hosts_has_the_clusters_key(worker, facts):
    assert biomero_connects(worker) == "RESULT=connected-slurmctld"
    code, out = worker.exec("doctor --only host-keys")
    assert code == 0 and out.startswith("OK") and f"{facts.ssh_host} known" in out, out


def test_biomero_refuses_a_changed_host_key(worker, facts):
    # the same names, another key: what a spoofed or rebuilt login node looks like
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    other = Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode().split()[1]
    code, out = worker.exec(f"cp {KNOWN_HOSTS} /tmp/kh && sed -i -E "
                            f"'s|ssh-ed25519 [A-Za-z0-9+/=]+|ssh-ed25519 {other}|' {KNOWN_HOSTS}")
    assert code == 0, out
    try:
        answer = biomero_connects(worker)
        assert answer.startswith("REFUSED=BadHostKeyException"), answer
        assert f"'{facts.ssh_host}' does not match" in answer
    finally:
        worker.exec(f"cp /tmp/kh {KNOWN_HOSTS}")


def test_biomero_refuses_an_unknown_host_and_says_what_to_do(worker, facts):
    host = facts.ssh_host  # what ~/.ssh/config resolves the [SSH] host alias to
    code, out = worker.exec(f"cp {KNOWN_HOSTS} /tmp/kh && grep -v -w {host} /tmp/kh > "
                            f"{KNOWN_HOSTS}; test -s /tmp/kh")
    assert code == 0, out
    try:
        answer = biomero_connects(worker)
        assert answer.startswith(f"REFUSED=SSHException: host key of {host}"), answer
        assert "known_hosts" in answer and "ssh-keyscan" in answer
        code, out = worker.exec("doctor --only host-keys")
        assert code == 1 and f"has no key for {host}" in out, out
    finally:
        worker.exec(f"cp /tmp/kh {KNOWN_HOSTS}")


def test_without_known_hosts_biomero_connects_and_doctor_warns(worker):
    code, out = worker.exec(f"mv {KNOWN_HOSTS} /tmp/kh")
    assert code == 0, out
    try:
        assert biomero_connects(worker) == "RESULT=connected-slurmctld"
        code, out = worker.exec("doctor --only host-keys")
        assert code == 0 and out.startswith("WARN") and "accept any host key" in out, out
    finally:
        worker.exec(f"mv /tmp/kh {KNOWN_HOSTS}")


def test_host_key_wrapping_contract_with_the_real_fabric(worker):
    code, out = worker.python(
        "import fabric.connection as C\n"
        "from biomero_worker import ssh_host_keys\n"
        "print('PROBLEMS=%s' % ssh_host_keys.contract_problems(C))\n"
        "print('PATCHED=%s' % getattr(C.Connection.__init__, '_host_keys', False))\n")
    assert code == 0 and "PROBLEMS=[]" in out and "PATCHED=True" in out, out

