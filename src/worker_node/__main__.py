"""`python -m worker_node omero-config|node-config` (used by startup.d).

omero-config  CONFIG_* -> OMERODIR/etc/grid/config.xml
node-config   resolve master and worker (bounded), write etc/internal.cfg,
              etc/<OMERO_WORKER_NAME>.cfg and etc/ice.config; prints the
              icegridnode --Ice.Config=... value on the last line of stdout.
"""

from __future__ import annotations

import sys

from . import NodeConfigError, apply_omero_config, write_node_config


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["omero-config"]:
        apply_omero_config(log=lambda m: print(f"50-omero-config: {m}", file=sys.stderr))
        return 0
    if argv == ["node-config"]:
        try:
            info = write_node_config(log=lambda m: print(f"99-run: {m}", file=sys.stderr))
        except NodeConfigError as exc:
            print(f"99-run: {exc}", file=sys.stderr)
            return 1
        print(info["config"])
        return 0
    print("usage: python -m worker_node omero-config|node-config", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
