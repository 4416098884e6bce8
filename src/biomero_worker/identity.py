"""Who the worker runs as, and whether it can write where it must.

The image's user is ``omero-server`` (uid/gid ``OMERO_UID``/``OMERO_GID`` at build
time, 1000/1000 by default, as upstream's image). It also runs under any other uid
whose group is 0 (``docker run --user 12345:0``, as OpenShift runs images): the
directories it writes belong to group 0 and are group-writable. ssh and biomero's
fabric need a passwd entry for their uid; a uid the image does not know gets one
through nss_wrapper (Debian's libnss-wrapper, as docker-library's postgres does):
copies of /etc/passwd and /etc/group with an entry added, in a directory of the temp
dir (``layout.nss_dir``), named to the processes by ``LD_PRELOAD`` and
``NSS_WRAPPER_*``. /etc/passwd stays read-only, so this works under ``--read-only``.
The preparation (startup) hands those variables to the entrypoint for the command
(the node), ``python -m biomero_worker`` puts them into its own environment for what
it runs (doctor's ssh), and the script hook into every script's.

With ``--read-only`` the directories of ``layout.writable_dirs()`` must be tmpfs or
volumes (README: "Identity"); when one is not writable the start-up names each such
directory with its owner and mode, and the node does not start.
"""

from __future__ import annotations

import glob
import os
import stat
from pathlib import Path

from . import layout

PASSWD = Path("/etc/passwd")
GROUP = Path("/etc/group")
ADDED_NAME = "omero-worker"  # the name given to a uid the image does not know
NSS_LIBRARY_GLOB = "/usr/lib/*-linux-gnu/libnss_wrapper.so"


def passwd_entry(uid: int, gid: int, home: Path) -> str:
    return f"{ADDED_NAME}:x:{uid}:{gid}:BIOMERO worker (docker run --user):{home}:/bin/bash\n"


def _ids(path: Path, field: int = 2) -> set[int]:
    """The numeric ids of a passwd or group file (the files themselves: in a process
    that nss_wrapper serves, pwd would answer from the wrapper's copy)."""
    ids = set()
    for line in path.read_text(errors="replace").splitlines():
        parts = line.split(":")
        if len(parts) > field and parts[field].isdigit():
            ids.add(int(parts[field]))
    return ids


def known(uid: int, passwd: Path = PASSWD) -> bool:
    return uid in _ids(passwd)


def nss_library() -> str | None:
    found = sorted(glob.glob(NSS_LIBRARY_GLOB))
    return found[0] if found else None


def nss_files(environ=None) -> tuple[Path, Path]:
    d = layout.nss_dir(environ)
    return d / "passwd", d / "group"


def write_nss_files(uid: int, gid: int, environ=None, passwd: Path = PASSWD,
                    group: Path = GROUP, home: Path = layout.HOME) -> str:
    """The wrapper's passwd and group files for UID (GID given an entry too when
    /etc/group has none). Returns what was done; raises OSError when the temp dir
    cannot take them."""
    from config_merge import write_atomic

    if nss_library() is None:
        raise OSError(f"uid {uid} has no entry in {passwd} and nss_wrapper is missing from "
                      "the image")
    wrapped_passwd, wrapped_group = nss_files(environ)
    wrapped_passwd.parent.mkdir(mode=0o755, exist_ok=True)
    write_atomic(wrapped_passwd, passwd.read_text() + passwd_entry(uid, gid, home))
    groups = group.read_text()
    if gid not in _ids(group):
        groups += f"{ADDED_NAME}:x:{gid}:\n"
    write_atomic(wrapped_group, groups)
    for f in (wrapped_passwd, wrapped_group):
        f.chmod(0o644)
    return f"uid {uid} has no entry in {passwd}: given one as {ADDED_NAME} (home {home}) " \
           f"through nss_wrapper ({wrapped_passwd.parent})"


def nss_environ(environ=None) -> dict[str, str]:
    """The variables that give this uid its passwd entry through nss_wrapper (empty
    when /etc/passwd knows the uid or the files were not made)."""
    uid = os.getuid()
    if known(uid):
        return {}
    wrapped_passwd, wrapped_group = nss_files(environ)
    library = nss_library()
    if library is None or not (wrapped_passwd.is_file() and wrapped_group.is_file()):
        return {}
    return {"LD_PRELOAD": library, "NSS_WRAPPER_PASSWD": str(wrapped_passwd),
            "NSS_WRAPPER_GROUP": str(wrapped_group),
            # what Python's getpass (fabric's default user) asks first
            "USER": ADDED_NAME, "LOGNAME": ADDED_NAME}


def apply_nss(environ=None) -> None:
    """Put nss_environ() into ENVIRON (default os.environ), for the programs this
    process starts; a LD_PRELOAD the deployer set is kept before the wrapper."""
    environ = os.environ if environ is None else environ
    extra = nss_environ(environ)
    preload = environ.get("LD_PRELOAD", "")
    if extra and preload:  # applied twice (a step after cli.main): still once, in place
        words = preload.split()
        if extra["LD_PRELOAD"] not in words:
            words.append(extra["LD_PRELOAD"])
        extra["LD_PRELOAD"] = " ".join(words)
    environ.update(extra)


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


def step(log, environ=None) -> int:
    """The start-up step: an unknown uid's passwd entry, then every directory the
    worker writes checked writable. LOG: a startup_log.Log."""
    uid, gid = os.getuid(), os.getgid()
    done = None
    if not known(uid):
        try:
            done = write_nss_files(uid, gid, environ)
        except OSError as exc:
            log.error(f"uid {uid} needs a passwd entry (ssh and biomero ask for one), "
                      f"which the worker could not give it: {exc}; run as the image's user, "
                      f"or build the image for this uid (make image OMERO_UID={uid} "
                      f"OMERO_GID={gid})")
            return 1
    log.info(f"uid {uid}, gid {gid}" + (f"; {done}" if done else ""))
    apply_nss(environ)  # what runs after this (ssh, a site's step) finds the entry
    problems = unwritable(layout.writable_dirs(environ))
    if problems:
        log.error(f"uid {uid} gid {gid} cannot write where the worker must:\n"
                  + "\n".join(f"  {line}" for line in problems)
                  + "\nmake each writable for this uid or group (a volume or a tmpfs; "
                  "with --read-only see the README, \"Identity\"), or run with group 0 "
                  f"(docker run --user {uid}:0), or build the image for this uid "
                  f"(make image OMERO_UID={uid} OMERO_GID={gid})")
        return 1
    return 0


def cmd_identity(args, out, err) -> int:
    from .startup_log import Log

    return step(Log("identity", out, err))


def cmd_exec(args, out, err) -> int:
    """COMMAND in the worker's environment (python -m biomero_worker set it up: VAR_FILE
    resolved, an unknown uid's passwd entry), for an admin's `docker exec`."""
    if not args.argv:
        print("exec: give a command, e.g. exec ssh localslurm", file=err)
        return 2
    out.flush()
    err.flush()
    try:
        os.execvp(args.argv[0], args.argv)
    except OSError as exc:
        print(f"exec: {args.argv[0]}: {exc.strerror}", file=err)
        return 127


def add_commands(sub) -> None:
    e = sub.add_parser("exec", help="run a command as the worker's processes run (for "
                       "docker exec under a uid the image does not know: ssh finds its "
                       "passwd entry)")
    e.add_argument("argv", nargs="...", metavar="COMMAND")
    e.set_defaults(run=cmd_exec)
    p = sub.add_parser("identity", help="give an unknown uid a passwd entry (nss_wrapper); "
                       "check that the directories the worker writes are writable")
    p.set_defaults(run=cmd_identity)
