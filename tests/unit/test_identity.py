"""biomero_worker.identity on the host (a passwd file and directories of its own);
the real uids, --read-only and tmpfs in tests/worker/test_identity.py."""

from __future__ import annotations

import re

import pytest

from biomero_worker import identity, layout
from tests.support.build_env import REPO


def unknown(uid):
    raise KeyError(uid)


def test_an_unknown_uid_gets_a_passwd_entry_with_the_workers_home(tmp_path):
    passwd = tmp_path / "passwd"
    passwd.write_text("root:x:0:0:root:/root:/bin/bash\n")
    done = identity.ensure_passwd_entry(12345, 0, passwd, lookup=unknown)
    assert "uid 12345 added" in done
    assert passwd.read_text().splitlines()[-1].split(":") == [
        "omero-worker", "x", "12345", "0", "BIOMERO worker (docker run --user)",
        str(layout.HOME), "/bin/bash"]


def test_a_known_uid_leaves_passwd_alone(tmp_path):
    passwd = tmp_path / "passwd"
    passwd.write_text("x\n")
    assert identity.ensure_passwd_entry(0, 0, passwd, lookup=lambda uid: object()) is None
    assert passwd.read_text() == "x\n"


def refuse(path, mode):  # the host runs these tests as root, who may write anything
    return False


def test_a_passwd_it_may_not_write_names_both_fixes(tmp_path):
    passwd = tmp_path / "passwd"
    passwd.write_text("")
    with pytest.raises(PermissionError, match=r"--user 777:0.*OMERO_UID=777"):
        identity.ensure_passwd_entry(777, 777, passwd, lookup=unknown, access=refuse)
    assert passwd.read_text() == ""


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
