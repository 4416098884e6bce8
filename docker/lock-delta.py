"""What a variant build (`make image BIOMERO_VERSION=x.y.z`) must add to the wheels
the default locks already gave, and what it must take away.

    python3 lock-delta.py DEFAULT_DIR VARIANT_DIR OUT_DIR WHEELS_DIR

DEFAULT_DIR and VARIANT_DIR each hold requirements.lock and
requirements-nodeps.lock (pip-compile's format: `name==version \\` followed by its
`--hash=` lines). Writes OUT_DIR/delta.lock: the variant's requirement blocks,
hashes included, whose name==version the default locks do not pin (so pip still
checks every file it downloads). Deletes from WHEELS_DIR every wheel the default
locks pinned and the variant's do not. Prints what it did.
"""

import re
import sys
from pathlib import Path

LOCKS = ("requirements.lock", "requirements-nodeps.lock")
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def blocks(directory: Path) -> dict[tuple[str, str], str]:
    """{(canonical name, version): the requirement's lines} of both locks."""
    found = {}
    for lock in LOCKS:
        current = None
        for line in (directory / lock).read_text().splitlines():
            m = PIN.match(line)
            if m:
                current = (canonical(m[1]), m[2])
                found[current] = line + "\n"
            elif current and line.startswith("    --hash="):
                found[current] += line + "\n"
            elif not line.startswith(" "):
                current = None
    return found


def wheel_pin(path: Path) -> tuple[str, str]:
    name, version = path.name.split("-")[:2]
    return canonical(name), version


def main(default_dir: str, variant_dir: str, out_dir: str, wheels_dir: str) -> int:
    default, variant = blocks(Path(default_dir)), blocks(Path(variant_dir))
    added = [pin for pin in variant if pin not in default]
    dropped = {pin for pin in default if pin not in variant}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "delta.lock").write_text("".join(variant[pin] for pin in added))
    removed = []
    for wheel in sorted(Path(wheels_dir).glob("*.whl")):
        if wheel_pin(wheel) in dropped:
            wheel.unlink()
            removed.append(wheel.name)
    print("lock-delta: adds " + (", ".join(f"{n}=={v}" for n, v in added) or "nothing"))
    print("lock-delta: removes " + (", ".join(removed) or "nothing"))
    # zeroc-ice's wheel is not here yet: the ice-wheel stage builds it
    missing = {pin for pin in dropped - {wheel_pin(Path(w)) for w in removed}
               if pin[0] != "zeroc-ice"}
    if missing:
        print("lock-delta: no wheel found for "
              + ", ".join(f"{n}=={v}" for n, v in sorted(missing)), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
