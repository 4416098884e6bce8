"""The Slurm cluster behind SSH, as biomero uses it: login with the session's key,
sbatch, sacct from the accounting database, job output on the shared /data."""

import secrets

import paramiko
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.stack.container import HOST_ADDRESS
from tests.stack.services.slurm import NODES as SLURM_NODES
from tests.support.docker_exec import docker
from tests.support.wait import wait_until


def test_ssh_with_the_session_key_reaches_the_login_node(slurm):
    res = slurm.ssh("id -un; hostname; echo $HOME").check("ssh")
    assert res.stdout.split() == ["slurm", "slurmctld", "/home/slurm"]


def test_known_hosts_pins_the_login_node_under_its_aliases(slurm):
    known = slurm.ssh_dir.joinpath("known_hosts").read_text()
    host_key = slurm.exec("cat /etc/ssh/ssh_host_ed25519_key.pub").check().stdout.split()[1]
    assert f"localslurm,slurmctld ssh-ed25519 {host_key}" in known
    assert f"[{HOST_ADDRESS}]:{slurm.host_port} ssh-ed25519 {host_key}" in known
    assert "Host localslurm slurmctld" in slurm.ssh_dir.joinpath("config").read_text()


def test_a_key_that_was_not_authorised_is_refused(slurm):
    other = paramiko.Ed25519Key.from_private_key(
        __import__("io").StringIO(_openssh_private(Ed25519PrivateKey.generate())))
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    with pytest.raises(paramiko.AuthenticationException):
        client.connect(HOST_ADDRESS, port=slurm.host_port, username="slurm", pkey=other,
                       look_for_keys=False, allow_agent=False, timeout=10)
    client.close()


def _openssh_private(key) -> str:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                             serialization.NoEncryption()).decode()


def test_both_compute_nodes_are_idle(slurm):
    # a node can show `unk` for a moment while its slurmd re-registers
    def states():
        out = slurm.ssh("sinfo -h -N -o '%N %t'").check("sinfo").stdout.split()
        return dict(zip(out[::2], out[1::2], strict=False))

    wait_until("every node idle", lambda: states() == {n: "idle" for n in SLURM_NODES}, 30,
               interval=1)


def test_sbatch_completes_sacct_reports_it_and_output_is_on_data(slurm):
    workdir = f"/data/stack-test-{secrets.token_hex(4)}"
    submit = slurm.ssh(
        f"mkdir -p {workdir} && sbatch --parsable --chdir={workdir} "
        f"--output={workdir}/%j.out --wrap hostname").check("sbatch")
    job = submit.stdout.strip().split(";")[0]
    assert job.isdigit(), submit

    def finished():
        state = slurm.ssh(f"sacct -n -o JobId,State -X -j {job}").check("sacct").stdout.split()
        return state if state[1:2] in (["COMPLETED"], ["FAILED"], ["CANCELLED"],
                                       ["TIMEOUT"]) else None

    assert wait_until(f"job {job} to finish", finished, 90, interval=1) == [job, "COMPLETED"]

    output = slurm.ssh(f"cat {workdir}/{job}.out").check("read output").stdout.strip()
    assert output in SLURM_NODES
    # The output was written on the compute node, into the volume shared with it.
    on_node = slurm.exec(f"cat {workdir}/{job}.out", role=output).check().stdout.strip()
    assert on_node == output


def test_the_tools_biomero_runs_over_ssh_are_there(slurm):
    res = slurm.ssh(
        "set -e; git --version; 7z i >/dev/null && echo 7z-ok; perl -e 'print qq(perl-ok\\n)'; "
        "echo 'job 12' | grep -oP '(?<=job )\\d+'; squeue -h -o %i | wc -l").check("tools")
    lines = res.stdout.split("\n")
    assert lines[0].startswith("git version")
    assert lines[1:4] == ["7z-ok", "perl-ok", "12"]


def test_no_secret_is_in_the_image_or_the_environment(slurm, stack):
    ctld = stack.docker.containers.get(slurm.containers["slurmctld"])
    munge_key = slurm.exec("base64 -w0 /etc/munge/munge.key").check().stdout
    assert len(munge_key) > 1000
    env = " ".join(ctld.attrs["Config"]["Env"])
    assert munge_key not in env and slurm.public_key.split()[1] not in env
    # A fresh container of the same image, entrypoint bypassed: no key of any kind.
    listing = docker("run", "--rm", "--entrypoint", "bash", ctld.image.id, "-c",
                     "ls -A /etc/munge /run/secrets; ls /etc/ssh").stdout.split()
    assert "munge.key" not in listing and "authorized_keys" not in listing
    assert not [f for f in listing if f.startswith("ssh_host_")]


def test_sftp_puts_and_gets_files_as_biomero_does(slurm, tmp_path):
    local = tmp_path / "payload.txt"
    payload = f"payload {secrets.token_hex(8)}\n"
    local.write_text(payload)
    remote = f"/data/stack-sftp-{secrets.token_hex(4)}.txt"
    with slurm.ssh_client() as client, client.open_sftp() as sftp:
        sftp.put(str(local), remote)
        back = tmp_path / "back.txt"
        sftp.get(remote, str(back))
    assert back.read_text() == payload
    assert slurm.exec(f"stat -c %U {remote}").check().stdout.strip() == "slurm"
