"""Who the worker runs as, and whether it can write where it must.

The image's user is ``omero-server`` (uid/gid ``OMERO_UID``/``OMERO_GID`` at build
time, 1000/1000 by default, as upstream's image). It also runs under any other uid
whose group is 0 (``docker run --user 12345:0``, as OpenShift runs images): the
directories it writes belong to group 0 and are group-writable, and, since ssh and
biomero's fabric need a passwd entry for their uid, one is added to /etc/passwd
(group 0 may write that file, as is usual for such images) for a uid that has none.

With ``--read-only`` the directories of ``layout.writable_dirs()`` must be tmpfs or
volumes (README: "Identity"); when one is not writable the start-up names each such
directory with its owner and mode, and the node does not start.
"""

from __future__ import annotations

import os
import pwd
import stat
from pathlib import Path

from . import layout

PASSWD = Path("/etc/passwd")
ADDED_NAME = "omero-worker"  # the name given to a uid the image does not know


def passwd_entry(uid: int, gid: int, home: Path) -> str:
    return f"{ADDED_NAME}:x:{uid}:{gid}:BIOMERO worker (docker run --user):{home}:/bin/bash\n"


def ensure_passwd_entry(uid: int, gid: int, passwd: Path = PASSWD, home: Path = layout.HOME,
                        lookup=pwd.getpwuid, access=os.access) -> str | None:
    """Add a passwd entry for UID if it has none. Returns what was done (None:
    nothing needed); raises PermissionError with the reason when it cannot."""
    try:
        lookup(uid)
        return None
    except KeyError:
        pass
    if not access(passwd, os.W_OK):
        raise PermissionError(
            f"uid {uid} has no entry in {passwd}, which ssh and biomero need, and gid {gid} "
            f"may not add one: run with group 0 (docker run --user {uid}:0) or build the "
            f"image for this uid (make image OMERO_UID={uid} OMERO_GID={gid})")
    with open(passwd, "a") as f:
        f.write(passwd_entry(uid, gid, home))
    return f"uid {uid} added to {passwd} as {ADDED_NAME} (home {home})"


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def unwritable(dirs, access=os.access) -> list[str]:
    """One line per directory the process cannot create files in (or create)."""
    problems = []
    for d in dirs:
        target = _nearest_existing(d)
        if access(target, os.W_OK | os.X_OK):
            continue
        st = target.stat()
        what = str(d) if target == d else f"{d} (to be created in {target})"
        read_only = os.statvfs(target).f_flag & os.ST_RDONLY
        problems.append(f"{what}: owner {st.st_uid}:{st.st_gid}, mode "
                        f"{stat.S_IMODE(st.st_mode):o}"
                        + (", on a read-only file system" if read_only else ""))
    return problems


def check(environ=None, log=print) -> int:
    uid, gid = os.getuid(), os.getgid()
    try:
        done = ensure_passwd_entry(uid, gid)
    except PermissionError as exc:
        log(f"identity: {exc}")
        return 1
    name = pwd.getpwuid(uid).pw_name
    log(f"identity: uid {uid} ({name}), gid {gid}" + (f"; {done}" if done else ""))
    problems = unwritable(layout.writable_dirs(environ))
    if problems:
        log(f"identity: uid {uid} gid {gid} cannot write where the worker must:")
        for line in problems:
            log(f"identity:   {line}")
        log("identity: make each writable for this uid or group (a volume or a tmpfs; "
            "with --read-only see the README, \"Identity\"), or run with group 0")
        return 1
    return 0


def cmd_identity(args, out, err) -> int:
    return check(log=lambda m: print(m, file=err))


def add_commands(sub) -> None:
    sub.add_parser("identity", help="add a passwd entry for an unknown uid; check that "
                   "the directories the worker writes are writable").set_defaults(
                       run=cmd_identity)
