"""Layer files that would stall or exhaust a naive reader, and what the worker must
answer to each (host tests in tests/unit, the real worker in tests/worker)."""

from __future__ import annotations

import os
from pathlib import Path

KINDS = ("fifo", "bomb", "oversized", "ssh-option", "default-bomb", "blank-line", "directory")
WITNESS = "/tmp/hostile-x"  # what the ssh-option layer's ProxyCommand would create


def bomb(levels: int = 9, fanout: int = 10) -> str:
    """Under 700 bytes that configparser expands to fanout**levels characters."""
    lines = ["[SLURM]"] + [f"k{i}=" + f"%(k{i + 1})s" * fanout for i in range(levels)]
    return "\n".join(lines + [f"k{levels}=xxxxxxxxxx"]) + "\n"


def write(kind: str, path: Path) -> str:
    """Make PATH a hostile layer of KIND; return what the error names (FILE:LINE...)."""
    if kind == "fifo":
        os.mkfifo(path)
        return f"{{dir}}/{path.name}:0: not a regular file (a FIFO)"
    if kind == "bomb":
        path.write_text(bomb())
        return f"{{dir}}/{path.name}:2: SLURM.k0: interpolation expands it"
    if kind == "oversized":
        path.write_text("[SLURM]\n" + "# padding line\n" * 80_000)
        return "KiB limit of a layer"
    if kind == "ssh-option":
        path.write_text(f"[SSH]\nhost = -oProxyCommand=touch {WITNESS}\n")
        return f"{{dir}}/{path.name}:2: SSH.host: '-oProxyCommand=touch {WITNESS}' starts with '-'"
    if kind == "default-bomb":
        path.write_text(default_bomb())
        return f"{{dir}}/{path.name}:2: DEFAULT.k0: interpolation expands it"
    if kind == "blank-line":
        path.write_text(blank_line())
        return f"{{dir}}/{path.name}:2: expected KEY = VALUE, got 'a "
    if kind == "directory":  # `-v missing-host-file:.../overrides.d/x.ini`
        path.mkdir()
        return (f"{{dir}}/{path.name}:0: a directory where a layer file belongs (Docker "
                "creates a directory when the host file does not exist")
    raise ValueError(kind)


def remove(path: Path) -> None:
    """Take a hostile layer away again (a file, a FIFO or a directory)."""
    if path.is_dir():
        path.rmdir()
    else:
        path.unlink()


# -- second round (issue 20): inputs that backtracking parsers, careless quoting and
# Docker's mount habits turn against the worker ---------------------------------------
SECRET = "Pw0rd-never-logged"  # a password no message may show, in any spelling
ENCODED_URL = f"postgresql://biomero:{SECRET}%40x%3Ay@db:5432/biomero"  # %-encoded @ and :


def blank_line(blanks: int = 1_000_000) -> str:
    """`a`, a million blanks, `b`: under 1 MiB, hours for a backtracking option regex."""
    return "[SLURM]\na" + " " * blanks + "b\n"


def blank_key(blanks: int = 1_000_000) -> str:
    """The same with a delimiter: a key configparser itself would split for hours."""
    return "[SLURM]\na" + " " * blanks + "b = 1\n"


def reference_storm(count: int = 400_000) -> str:
    """`%(` repeated, no `)`: a `%\\(([^)]*)\\)s` regex rescans the rest from each."""
    return "[SLURM]\nslurm_data_path = " + "%(" * count + "\n"


def default_bomb() -> str:
    """bomb() placed in [DEFAULT], which configparser expands in every section."""
    return bomb().replace("[SLURM]", "[DEFAULT]") + "[MODELS]\n"
