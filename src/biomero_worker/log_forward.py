"""The worker's log files, also in ``docker logs``.

OMERO's processes write files under ``OMERODIR/var/log`` (its tools and admins read
them there): the node's ``<OMERO_WORKER_NAME>.out``/``.err``, the Processor's
``Processor-0.log``/``.out``/``.err``, and ``scripts.log`` where the Processor
copies every script's stdout and stderr (script_output). ``start-node`` runs this
follower beside the node: it copies each new line of those files to its own
stdout, the container's log, prefixed with the file's name::

    [Processor-0.log] 2026-11-25 ... processJob: Session = <hidden>, JobId = 51
    [scripts.log] job 51 stdout: Transferring data to Slurm ...

The files are followed from their end at start (a restarted container does not
repeat old lines); a file created later is read from its beginning, a truncated or
rotated one is reopened. OMERO's Processor logs the users' session keys (a key is
a login): in the node's and the Processor's lines every UUID is hidden, in the
scripts' lines a UUID that follows the word "session".

The follower ends when the node does (its parent changes).
"""

from __future__ import annotations

import fnmatch
import os
import re
import sys
import time
from pathlib import Path

from . import layout

PROCESSOR_PATTERNS = ("Processor-*.log", "Processor-*.out", "Processor-*.err")
MAX_LINE = 16384  # longer lines are cut, marked with " [...]"
UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
ANY_UUID = re.compile(UUID)
SESSION_UUID = re.compile(r"(?i)(session.{0,20}?)" + UUID)
HIDDEN = "<hidden>"


def patterns(environ=None) -> tuple[str, ...]:
    environ = os.environ if environ is None else environ
    node = environ.get("OMERO_WORKER_NAME", "").strip()
    own = tuple(layout.node_log_names(node).values()) if node else ()
    return own + PROCESSOR_PATTERNS + (layout.scripts_log(environ).name,)


def scrub(name: str, line: str) -> str:
    """LINE of file NAME with the session keys hidden."""
    if name == layout.scripts_log().name:
        return SESSION_UUID.sub(lambda m: m.group(1) + HIDDEN, line)
    return ANY_UUID.sub(HIDDEN, line)


class LineReader:
    """The complete lines appended to a file since the last call (also used by
    script_output for the scripts' stdout and stderr). A line without its newline
    yet waits for it, unless FINAL; a rotated or truncated file is read again from
    its start. Raises OSError when the file is not there at first."""

    def __init__(self, path, from_end: bool = False):
        self.path = Path(path)
        st = self.path.stat()
        self.inode = st.st_ino
        self.offset = st.st_size if from_end else 0
        self.partial = b""

    def lines(self, final: bool = False) -> list[str]:
        try:
            st = self.path.stat()
        except OSError:
            return []
        if st.st_ino != self.inode or st.st_size < self.offset:  # rotated or truncated
            self.inode, self.offset, self.partial = st.st_ino, 0, b""
        data = b""
        if st.st_size > self.offset:
            try:
                with open(self.path, "rb") as f:
                    f.seek(self.offset)
                    data = f.read(st.st_size - self.offset)
            except OSError:  # removed since (a finished script's directory)
                return []
            self.offset += len(data)
        *complete, self.partial = (self.partial + data).split(b"\n")
        if final and self.partial:
            complete, self.partial = complete + [self.partial], b""
        return [raw.decode("utf-8", "replace").rstrip("\r") for raw in complete]


class Follower:
    """Follows the files of ``directory`` whose names match PATTERNS."""

    def __init__(self, directory: Path, names: tuple[str, ...], write):
        self.directory = directory
        self.names = names
        self.write = write
        self.files: dict[str, LineReader] = {}
        self.scan(from_end=True)

    def scan(self, from_end: bool = False) -> None:
        try:
            entries = sorted(os.listdir(self.directory))
        except OSError:
            return
        for entry in entries:
            if entry in self.files or not any(fnmatch.fnmatchcase(entry, p) for p in self.names):
                continue
            path = self.directory / entry
            if path.is_file():
                try:
                    self.files[entry] = LineReader(path, from_end)
                except OSError:
                    continue

    def poll(self) -> int:
        """Copy what was written since the last poll; returns the number of lines."""
        self.scan()
        count = 0
        for name, followed in self.files.items():
            for line in followed.lines():
                if len(line) > MAX_LINE:
                    line = line[:MAX_LINE] + " [...]"
                self.write(f"[{name}] {scrub(name, line)}\n")
                count += 1
        return count


def follow(environ=None, interval: float = 0.5, out=None, ready: str = "") -> int:
    """Follow until the parent (the node) ends. READY: a file created once the
    files' current ends are taken, so that the node starts only then and none of
    its first lines is skipped as old."""
    out = sys.stdout if out is None else out

    def write(text):
        out.write(text)
        out.flush()

    parent = os.getppid()
    follower = Follower(layout.log_dir(environ), patterns(environ), write)
    if ready:
        open(ready, "x").close()
    while os.getppid() == parent:
        try:
            follower.poll()
        except BrokenPipeError:
            return 0
        time.sleep(interval)
    follower.poll()  # the node's last words
    return 0


def cmd_log_forward(args, out, err) -> int:
    return follow(out=out, ready=args.ready)


def add_commands(sub) -> None:
    p = sub.add_parser("log-forward", help="copy the node's, the Processor's and the scripts' "
                   "log files to stdout (docker logs), each line prefixed with its file"
                   )
    p.add_argument("--ready", default="", metavar="FILE",
                   help="create FILE once following (the caller waits for it)")
    p.set_defaults(run=cmd_log_forward)
