"""Every script's stdout and stderr, also in the worker's ``var/log/scripts.log``.

omero-py's ``ProcessI.activate`` starts a script with its stdout and stderr in two
files of the process's temporary directory, which OMERO uploads when the script
ends (the user sees them in OMERO.web) and then deletes. The script hook wraps
``activate``: once omero-py started the script, a thread copies each new line of
both files, as it is written, to ``OMERODIR/var/log/scripts.log``::

    job 51 stdout: Transferring data to Slurm ...

(one ``write`` per line on a file opened for appending, so lines of concurrent
scripts do not mix). ``log_forward`` takes the file on to ``docker logs``.

What the wrapping relies on in omero-py (``contract_problems()``, tested against
the real omero-py): after ``activate`` the process has ``popen`` (``poll()``),
``stdout_path``, ``stderr_path`` and ``properties`` (``omero.job``).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time

from . import layout
from .log_forward import LineReader

INTERVAL = 0.25
DRAIN_AT_EXIT = 5.0  # seconds a finishing Processor waits for the last lines
log = logging.getLogger("script_output")
_threads: list[threading.Thread] = []


class _Copier:
    """The new lines of a script's stdout and stderr, appended to TARGET."""

    def __init__(self, job: str, streams: dict, target):
        self.job = job
        self.readers = {name: LineReader(path) for name, path in streams.items()}
        self.target = target

    def copy(self, final: bool = False) -> None:
        for name, reader in self.readers.items():
            for line in reader.lines(final):
                self._emit(name, line)

    def _emit(self, stream: str, line: str) -> None:
        data = f"job {self.job} {stream}: {line}\n".encode()
        fd = os.open(self.target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o664)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)


def _copy_while_running(process, copier: _Copier) -> None:
    try:
        while process.popen.poll() is None:
            copier.copy()
            time.sleep(INTERVAL)
        copier.copy(final=True)
    except Exception:  # the script's run must never depend on this copy
        log.exception("script output: copying to %s stopped", copier.target)


def start_copy(process) -> None:
    job = str(process.properties.get("omero.job", "?"))
    target = layout.scripts_log()
    target.parent.mkdir(parents=True, exist_ok=True)
    copier = _Copier(job, {"stdout": str(process.stdout_path),
                           "stderr": str(process.stderr_path)}, target)
    thread = threading.Thread(target=_copy_while_running, args=(process, copier),
                              name=f"script-output-{job}", daemon=True)
    thread.start()
    _threads.append(thread)


@atexit.register
def _drain() -> None:
    deadline = time.monotonic() + DRAIN_AT_EXIT
    for thread in _threads:
        thread.join(max(0.0, deadline - time.monotonic()))


def contract_problems(processor_module) -> list[str]:
    import inspect

    cls = getattr(processor_module, "ProcessI", None)
    if cls is None:
        return ["omero.processor.ProcessI is gone"]
    activate = getattr(cls, "activate", None)
    activate = getattr(activate, "__wrapped__", activate)
    try:
        src = inspect.getsource(activate).replace(" ", "")
    except (OSError, TypeError):
        return ["cannot read ProcessI.activate source"]
    return [f"ProcessI.activate no longer sets {what}" for what in
            ("self.popen=", "stdout=self.stdout", "stderr=self.stderr") if what not in src]


def patch(processor_module) -> bool:
    """Wrap ``ProcessI.activate`` (idempotent). Returns True when wrapped now."""
    from .wrapping import after

    def extra(process):
        try:
            start_copy(process)
        except Exception:  # a launch must not fail because of the copy
            log.exception("script output: not copied to %s", layout.scripts_log())

    return after(processor_module.ProcessI, "activate", "_script_output", extra)
