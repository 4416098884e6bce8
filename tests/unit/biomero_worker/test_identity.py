"""biomero_worker.identity on the host (a passwd file and directories of its own);
the real uids, --read-only and tmpfs in tests/worker/test_identity.py."""

from __future__ import annotations

import re

import pytest

from biomero_worker import identity, layout
from tests.support.build_env import REPO


@pytest.fixture
def etc(tmp_path, monkeypatch):
    """/etc/passwd and /etc/group of their own, the temp dir in TMP_PATH, and the
    wrapper's library found (the real one is exercised in tests/worker/test_identity)."""
    passwd, group = tmp_path / "passwd", tmp_path / "group"
    passwd.write_text("root:x:0:0:root:/root:/bin/bash\n")
    group.write_text("root:x:0:\n")
    monkeypatch.setattr(identity, "PASSWD", passwd)
    monkeypatch.setattr(identity, "GROUP", group)
    monkeypatch.setattr(identity, "nss_library", lambda: "/usr/lib/x/libnss_wrapper.so")
    return {"TMPDIR": str(tmp_path / "tmp"), "passwd": passwd, "group": group}


def test_an_unknown_uid_gets_an_entry_through_nss_wrapper_not_in_etc_passwd(etc, tmp_path):
    (tmp_path / "tmp").mkdir()
    done = identity.write_nss_files(12345, 0, {"TMPDIR": etc["TMPDIR"]}, etc["passwd"],
                                    etc["group"])
    assert "through nss_wrapper" in done
    assert etc["passwd"].read_text() == "root:x:0:0:root:/root:/bin/bash\n"  # untouched
    wrapped, group = identity.nss_files({"TMPDIR": etc["TMPDIR"]})
    assert wrapped.read_text().splitlines()[-1].split(":") == [
        "omero-worker", "x", "12345", "0", "BIOMERO worker (docker run --user)",
        str(layout.HOME), "/bin/bash"]
    assert group.read_text() == "root:x:0:\n"  # gid 0 is known: no entry added


def test_an_unknown_gid_gets_a_group_entry_too(etc, tmp_path):
    (tmp_path / "tmp").mkdir()
    identity.write_nss_files(777, 777, {"TMPDIR": etc["TMPDIR"]}, etc["passwd"], etc["group"])
    _, group = identity.nss_files({"TMPDIR": etc["TMPDIR"]})
    assert group.read_text().splitlines()[-1] == "omero-worker:x:777:"


def test_the_environment_names_the_wrapper_only_for_an_unknown_uid(etc, tmp_path,
                                                                  monkeypatch):
    env = {"TMPDIR": etc["TMPDIR"]}
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(identity.os, "getuid", lambda: 4242)
    assert identity.nss_environ(env) == {}  # files not made yet: nothing to name
    identity.write_nss_files(4242, 0, env, etc["passwd"], etc["group"])
    extra = identity.nss_environ(env)
    assert extra["LD_PRELOAD"] == "/usr/lib/x/libnss_wrapper.so"
    assert extra["NSS_WRAPPER_PASSWD"].endswith("biomero-worker-nss/passwd")
    assert extra["USER"] == "omero-worker"
    env["LD_PRELOAD"] = "/site/libsite.so"
    identity.apply_nss(env)  # a deployer's preload is kept, the wrapper after it
    assert env["LD_PRELOAD"] == "/site/libsite.so /usr/lib/x/libnss_wrapper.so"
    identity.apply_nss(env)  # again (cli.main, then the identity step): nothing lost
    assert env["LD_PRELOAD"] == "/site/libsite.so /usr/lib/x/libnss_wrapper.so"
    monkeypatch.setattr(identity.os, "getuid", lambda: 0)
    assert identity.nss_environ(env) == {}  # root is in /etc/passwd


def test_without_the_library_the_fix_is_named(etc, monkeypatch):
    monkeypatch.setattr(identity, "nss_library", lambda: None)
    with pytest.raises(OSError, match="nss_wrapper is missing"):
        identity.write_nss_files(777, 0, {"TMPDIR": etc["TMPDIR"]}, etc["passwd"],
                                 etc["group"])


def test_unwritable_directories_are_named_with_owner_and_mode(tmp_path):
    ok, locked = tmp_path / "ok", tmp_path / "locked"
    ok.mkdir()
    locked.mkdir()
    locked.chmod(0o555)
    later = ok / "made" / "at" / "start"
    problems = identity.unwritable([ok, later, locked / "sub"],
                                   access=lambda p, mode: p != locked)
    st = locked.stat()
    assert problems == [f"{locked / 'sub'} (to be created in {locked}): owner "
                        f"{st.st_uid}:{st.st_gid}, mode 555"]


def test_the_writable_directories_follow_the_layout():
    dirs = layout.writable_dirs({"OMERODIR": "/o", "TMPDIR": "/t"})
    assert {str(d) for d in dirs} >= {f"{layout.HOME}/.ssh", "/o/etc", "/o/var", "/t",
                                     str(layout.STATE_DIR)}


def test_the_readmes_read_only_example_mounts_each_writable_root():
    readme = (REPO / "README.md").read_text()
    mounted = set(re.findall(r"--tmpfs (/[^:\s]+)", readme))
    assert mounted == {str(d) for d in layout.writable_roots()}
