"""The SSH mount's copy into ~/.ssh (ssh_mount): the one owner of the modes and of
the message for a mount the worker cannot read, used by the start-up step and by
doctor's ssh-keys check."""

from __future__ import annotations

import os
import stat

import pytest

from biomero_worker import doctor, ssh_mount
from biomero_worker.startup_log import Log


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def mount(tmp_path):
    src = tmp_path / "-mount"  # a name that would be an option on a command line
    src.mkdir()
    for name in ("id_ed25519", "id_ed25519.pub", "known_hosts", "config", ".hidden_key"):
        (src / name).write_text(f"{name}\n")
        (src / name).chmod(0o666)  # loose, as a host's files may be: the copy fixes them
    (src / "subdir").mkdir()
    return src


def test_copies_with_the_modes_ssh_insists_on(mount, tmp_path):
    dest = tmp_path / "home" / ".ssh"
    lines = []
    copied = ssh_mount.copy(mount, dest, log=lines.append)
    assert mode(dest) == 0o700
    assert {f.name: mode(f) for f in dest.iterdir()} == {
        "id_ed25519": 0o600, ".hidden_key": 0o600, "id_ed25519.pub": 0o644,
        "known_hosts": 0o644, "config": 0o644}
    assert (dest / "id_ed25519").read_text() == "id_ed25519\n"
    assert "id_ed25519(600)" in copied and "subdir" not in " ".join(copied)
    # names only, never contents
    assert lines == [f"~/.ssh <- {' '.join(copied)}"] and "id_ed25519\n" not in lines[0]


def test_the_copy_mirrors_the_mount_a_removed_key_is_gone(mount, tmp_path):
    dest = tmp_path / ".ssh"
    ssh_mount.copy(mount, dest, log=lambda m: None)
    (mount / "id_ed25519").unlink()
    ssh_mount.copy(mount, dest, log=lambda m: None)
    assert not (dest / "id_ed25519").exists() and (dest / "known_hosts").exists()


def test_no_mount_and_an_empty_mount_are_said(tmp_path):
    lines = []
    assert ssh_mount.copy(tmp_path / "absent", tmp_path / ".ssh", log=lines.append) == []
    (tmp_path / "empty").mkdir()
    assert ssh_mount.copy(tmp_path / "empty", tmp_path / ".ssh", log=lines.append) == []
    assert "no " in lines[0] and "doctor will say so" in lines[0]
    assert "is empty" in lines[1]


def test_an_unreadable_mount_is_named_with_owner_mode_and_fix(mount, tmp_path, monkeypatch):
    # the tests run as root, who reads anything: access is refused here by hand; the
    # worker test (tests/worker, uid 1000 and an admin's mode-700 mount) is the real one
    monkeypatch.setattr(ssh_mount.os, "access", lambda path, how: False)
    with pytest.raises(ssh_mount.UnreadableMount) as exc:
        ssh_mount.copy(mount, tmp_path / ".ssh", log=lambda m: None)
    assert f"the mounted directory {mount} (owner uid {os.getuid()}, mode 755)" in str(exc.value)
    assert "chmod a+rX" in str(exc.value)


def test_the_unreadable_message_is_one_text_for_the_step_and_doctor(tmp_path):
    # doctor's ssh-keys check says what the start-up step says, from one function
    text = ssh_mount.unreadable(tmp_path, "the mounted directory")
    assert text.startswith(f"the mounted directory {tmp_path} (owner uid {os.getuid()}, mode ")
    assert "cannot be read by" in text and f"(uid {os.getuid()})" in text
    assert f"mode {ssh_mount.PRIVATE_MODE:o})" in text


@pytest.mark.parametrize("name, want", [("id_rsa", 0o600), ("id_rsa.pub", 0o644),
                                        ("known_hosts", 0o644), ("known_hosts.old", 0o644),
                                        ("config", 0o644), ("authorized_keys", 0o644),
                                        ("known_hosts2", 0o600), ("cluster_key", 0o600)])
def test_modes_by_name(name, want):
    assert ssh_mount.mode_for(name) == want


def test_doctor_judges_the_copy_by_the_same_modes(mount, tmp_path):
    home = tmp_path / "home"
    ssh_mount.copy(mount, home / ".ssh", log=lambda m: None)
    (home / ".ssh" / "known_hosts").chmod(0o666)
    doc = doctor.Doctor(timeout=2, environ={"HOME": str(home), "BIOMERO_SSH_MOUNT": str(mount)})
    doc.home = home
    result = doc.check_ssh_keys()
    assert result.status == doctor.FAIL
    assert f"{home / '.ssh' / 'known_hosts'} has mode 666, must be 644" in result.detail


def test_the_step_logs_through_the_one_log_helper(mount, tmp_path, capsys, monkeypatch):
    from biomero_worker import startup

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("BIOMERO_SSH_MOUNT", str(mount))
    mount_ssh = next(s for s in startup.STEPS if s.name == "10-mount-ssh")
    assert mount_ssh.run(Log("10-mount-ssh")) == 0
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("10-mount-ssh: ~/.ssh <- ")
