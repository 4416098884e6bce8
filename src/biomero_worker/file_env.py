"""``VAR_FILE`` for the variables that carry secrets, with docker-library's rules
(its images' ``file_env``): a deployer sets either ``VAR`` or ``VAR_FILE`` (a file,
typically a Compose or Kubernetes secret under ``/run/secrets``), never both; the
file's trailing newlines are not part of the value.

Resolved in Python, at every entry into the worker's code (``python -m
biomero_worker``, hence every start-up step, ``doctor`` and the health check; and
the script hook, which hands scripts the resolved value): a ``docker exec`` never
passes through the entrypoint, so resolving there would leave admins' commands
with other values than the node's. Messages name the variables and the file,
never the value.
"""

from __future__ import annotations

import os
import stat

# The variables a deployer may give as VAR_FILE: each carries a password.
SECRET_VARS = ("SQLALCHEMY_URL", "INGEST_TRACKING_DB_URL", "OMERO_ICEGRID_ADMIN_PASSWORD")
SUFFIX = "_FILE"
MAX_BYTES = 64 * 1024  # a URL or a password; more is a mount mistake


class SecretFileError(ValueError):
    """A VAR_FILE setting is unusable; the message names the variable, not the value."""


def _read(var: str, path: str) -> str:
    name = f"{var}{SUFFIX}"
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise SecretFileError(f"{name}={path}: no such file (is the secret mounted there?)"
                              ) from None
    except OSError as exc:
        raise SecretFileError(f"{name}={path}: {exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise SecretFileError(f"{name}={path} is a directory, not a file (Docker creates a "
                              "directory when the host file of a bind mount does not exist: "
                              "create the file on the host)")
    if not stat.S_ISREG(st.st_mode):
        raise SecretFileError(f"{name}={path} is not a regular file")
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise SecretFileError(f"{name}={path} cannot be read by uid {os.getuid()}: "
                              f"{exc.strerror}") from None
    if len(data) > MAX_BYTES:
        raise SecretFileError(f"{name}={path} holds more than {MAX_BYTES} bytes: not a secret "
                              "value (wrong file mounted?)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SecretFileError(f"{name}={path} is not UTF-8 text") from None
    value = text.rstrip("\r\n")
    if any(c in value for c in "\0\r\n"):
        raise SecretFileError(f"{name}={path} holds more than one line; give the value alone")
    if not value:
        raise SecretFileError(f"{name}={path} is empty")
    return value


def resolved(environ) -> dict[str, str]:
    """The secret variables' values ENVIRON gives, VAR_FILE read where set.
    Raises SecretFileError naming every unusable setting."""
    values, problems = {}, []
    for var in SECRET_VARS:
        path = environ.get(var + SUFFIX)
        if path is None:
            if var in environ:
                values[var] = environ[var]
            continue
        if var in environ:
            problems.append(f"both {var} and {var}{SUFFIX} are set: give one of them")
            continue
        try:
            values[var] = _read(var, path)
        except SecretFileError as exc:
            problems.append(str(exc))
    if problems:
        raise SecretFileError("; ".join(problems))
    return values


def apply(environ=None) -> None:
    """Put the resolved values into ENVIRON (default os.environ) and drop the
    VAR_FILE names, so that what reads VAR — biomero, psycopg2, doctor — sees it."""
    environ = os.environ if environ is None else environ
    values = resolved(environ)
    for var in SECRET_VARS:
        environ.pop(var + SUFFIX, None)
    environ.update(values)
