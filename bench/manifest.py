"""The file manifest of a container's file system, read from `docker export` on
stdin: one JSON line per entry (path, type, mode, owner, size, sha256 of a file's
bytes, link target); modification times are left out, since they say when a
build ran, not what it made. Used by bench/reproducible.sh."""

from __future__ import annotations

import hashlib
import json
import sys
import tarfile


def entries(stream):
    with tarfile.open(fileobj=stream, mode="r|") as tar:
        for member in tar:
            entry = {"path": member.name, "type": member.type.decode(), "mode": member.mode,
                     "owner": f"{member.uid}:{member.gid}", "size": member.size,
                     "link": member.linkname}
            if member.isfile():
                f = tar.extractfile(member)
                entry["sha256"] = hashlib.sha256(f.read()).hexdigest()
            yield entry


def main() -> int:
    for entry in sorted(entries(sys.stdin.buffer), key=lambda e: e["path"]):
        print(json.dumps(entry, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
