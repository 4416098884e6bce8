"""Any uid of group 0 (`docker run --user 12345:0`, as OpenShift runs images) and
`--read-only` with a tmpfs on each directory the worker writes, together too: the
worker starts, doctor passes (ssh and biomero need the passwd entry nss_wrapper
gives an unknown uid), a script runs. A uid
that cannot run it is refused at start with the fix; an unwritable directory is
named with its owner and mode."""

from __future__ import annotations

from biomero_worker import layout
from tests.worker.service import (
    SLURM_PATHS,
    SSH_ALIAS,
    run_script,
    run_to_exit,
    start_worker,
    upstream_mounts,
    worker_environment,
)

UID = 12345


def doctor_passes(w) -> str:
    # the test config's Slurm paths, made over this worker's own ssh (as the shared
    # worker fixture does)
    # through the worker's exec: a uid the image does not know has its passwd entry
    # (nss_wrapper) there, not in a bare `docker exec ssh`
    code, out = w.exec(f"biomero-worker exec ssh {SSH_ALIAS} mkdir -p "
                       + " ".join(SLURM_PATHS.values()))
    assert code == 0, out
    code, out = w.exec("doctor")
    assert code == 0, out
    return out


def test_any_uid_of_group_0_runs_the_worker(stack, worker_image, facts, tmp_path):
    w = start_worker(stack, worker_image, facts, name="anyuid", user=f"{UID}:0",
                     env=worker_environment(facts, name="anyuid"),
                     mounts=upstream_mounts(tmp_path, facts))
    try:
        w.wait_started()
        code, out = w.exec(["biomero-worker", "exec", "sh", "-c",
                            "id -un; id -u; id -g; echo $HOME"])
        assert out.split() == ["omero-worker", str(UID), "0", str(layout.HOME)], out
        out = doctor_passes(w)
        assert any(ln.startswith("OK") and ln.split()[1] == "ssh" for ln in out.splitlines())
        assert "as uid 12345" in run_script(w, "import os; print('as uid', os.getuid())")
    finally:
        w.remove()


def read_only_tmpfs(uid: int) -> dict[str, str]:
    """A tmpfs on each directory the worker writes (layout.writable_dirs), owned by
    UID and group 0, as the README's "Identity" section documents."""
    outer = layout.writable_roots()
    return {str(d): f"uid={uid},gid=0,mode={'0700' if d.name == '.ssh' else '0775'}"
            for d in outer}


def test_read_only_with_a_tmpfs_on_each_writable_directory(stack, worker_image, facts,
                                                           tmp_path):
    w = start_worker(stack, worker_image, facts, name="readonly", read_only=True,
                     tmpfs=read_only_tmpfs(1000),
                     env=worker_environment(facts, name="readonly"),
                     mounts=upstream_mounts(tmp_path, facts))
    try:
        w.wait_started()
        code, out = w.exec("touch /opt/omero/server/x")
        assert code != 0 and "Read-only file system" in out, out
        doctor_passes(w)
        assert "read-only ok" in run_script(w, "print('read-only ok')")
    finally:
        w.remove()


def test_read_only_with_an_unknown_uid_needs_no_writable_etc_passwd(stack, worker_image,
                                                                     facts, tmp_path):
    w = start_worker(stack, worker_image, facts, name="rouid", user=f"{UID}:0",
                     read_only=True, tmpfs=read_only_tmpfs(UID),
                     env=worker_environment(facts, name="rouid"),
                     mounts=upstream_mounts(tmp_path, facts))
    try:
        w.wait_started()
        code, out = w.exec("stat -c '%a %u' /etc/passwd; grep -c ':12345:' /etc/passwd")
        assert out.split()[:3] == ["644", "0", "0"], out  # root's, and no entry added
        doctor_passes(w)
        assert "as omero-worker" in run_script(
            w, "import getpass; print('as', getpass.getuser())")
    finally:
        w.remove()


def test_a_uid_outside_group_0_is_refused_with_the_fix(stack, worker_image, facts, tmp_path):
    code, log, _ = run_to_exit(stack, worker_image, facts, name="badgid", user=f"{UID}:{UID}",
                               env=worker_environment(facts, name="badgid"),
                               mounts=upstream_mounts(tmp_path, facts))
    assert code != 0, log
    assert f"docker run --user {UID}:0" in log and f"OMERO_UID={UID}" in log, log


def test_an_unwritable_directory_is_named_with_owner_and_mode(stack, worker_image, facts,
                                                              tmp_path):
    state = tmp_path / "state"
    state.mkdir(mode=0o755)  # root's, as a bind mount of an admin's directory would be
    state.chmod(0o755)
    env = worker_environment(facts, name="unwritable")
    code, log, _ = run_to_exit(stack, worker_image, facts, name="unwritable", env=env,
                               mounts={**upstream_mounts(tmp_path, facts),
                                       str(layout.STATE_DIR): state})
    assert code != 0, log
    assert f"05-identity: ERROR:   {layout.STATE_DIR}: owner 0:0, mode 755" in log, log
    assert "the worker is not started" in log
