"""Every exec into a container (and every docker CLI call), bounded in time.

The docker SDK's exec_run has no timeout: a hung command would hang the whole
session. Here the docker CLI runs the command under a host-side limit; on
expiry the exec is killed inside the container too (``timeout`` there) and the
test fails with what the command had printed. Environment values go to the
CLI's environment and only their names onto its command line, so no secret
shows in a process list.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass

DEFAULT_TIMEOUT = 120.0


@dataclass(frozen=True)
class ExecResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def check(self, what: str = "command") -> ExecResult:
        if self.exit_code != 0:
            raise AssertionError(f"{what} exited {self.exit_code}\nstdout:\n{self.stdout}\n"
                                 f"stderr:\n{self.stderr}")
        return self


class ExecTimeout(AssertionError):
    pass


def docker_exec(container: str, command: str | list[str], *, timeout: float = DEFAULT_TIMEOUT,
                user: str | None = None, env: dict[str, str] | None = None,
                workdir: str | None = None) -> ExecResult:
    """Run COMMAND (a list, or a string for ``bash -c``) in CONTAINER (name or id)."""
    argv = ["bash", "-c", command] if isinstance(command, str) else list(command)
    # The container-side limit ends the process even when the CLI is killed.
    argv = ["timeout", "-k", "5", f"{timeout:g}", *argv]
    cli = ["docker", "exec"]
    if user:
        cli += ["--user", user]
    if workdir:
        cli += ["--workdir", workdir]
    child_env = dict(os.environ)
    for key, value in (env or {}).items():
        cli += ["-e", key]
        child_env[key] = value
    try:
        proc = subprocess.run([*cli, container, *argv], capture_output=True, text=True,
                              env=child_env, timeout=timeout + 15, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise ExecTimeout(f"exec in {container} did not finish within {timeout:g} s: "
                          f"{argv[4:]!r}\n{exc.stdout or ''}{exc.stderr or ''}") from None
    if proc.returncode == 124:
        raise ExecTimeout(f"exec in {container} timed out after {timeout:g} s: {argv[4:]!r}\n"
                          f"{proc.stdout}{proc.stderr}")
    return ExecResult(proc.returncode, proc.stdout, proc.stderr)


def docker(*args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run the docker CLI, capturing text output; fail with its stderr."""
    proc = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"docker {' '.join(args)} exited {proc.returncode}\n"
            f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        )
    return proc
