"""`python -m worker_config refresh|layers|status` — the worker's runtime config.

refresh [--force]  merge the layers into the file biomero reads (only when a layer
                   changed, unless --force); exit 1 naming FILE:LINE when a layer is
                   invalid (the last good merged file is kept).
layers             the layer order, with present/absent.
status             the outcome of the last refresh.
explain [SECTION[.KEY]]  where each value came from, over the worker's own layers
                   (config-merge explain with the runtime layer list filled in).
"""

from __future__ import annotations

import argparse
import sys

from . import layers, merged_path, read_status, refresh


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m worker_config")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_refresh = sub.add_parser("refresh")
    p_refresh.add_argument("--force", action="store_true")
    p_refresh.add_argument("--quiet", action="store_true")
    sub.add_parser("layers")
    sub.add_parser("status")
    p_explain = sub.add_parser("explain")
    p_explain.add_argument("target", nargs="?")
    args = parser.parse_args(argv)

    if args.cmd == "explain":
        from config_merge import ConfigError, explain

        from . import merge

        try:
            result = merge()
        except ConfigError as exc:
            for d in exc.diagnostics:
                print(d, file=sys.stderr)
            return 1
        print(explain(result, args.target))
        return 0

    if args.cmd == "layers":
        for lay in layers():
            print(f"{lay.role:18} {lay.path} ({'present' if lay.present() else 'absent'})")
        print(f"{'-> MERGED':18} {merged_path()}")
        return 0
    if args.cmd == "status":
        status = read_status()
        if not status:
            print(f"no refresh recorded for {merged_path()}")
            return 1
        print(f"ok={status.get('ok')} checked_at={status.get('checked_at')} "
              f"merged_at={status.get('merged_at')}")
        for line in status.get("errors", []):
            print(f"error: {line}")
        for line in status.get("warnings", []):
            print(f"warning: {line}")
        return 0 if status.get("ok") else 1

    try:
        outcome = refresh(force=args.force)
    except OSError as exc:
        print(f"slurm-config: cannot write {merged_path()}: {exc}", file=sys.stderr)
        return 1
    for line in outcome.warnings:
        print(f"warning: {line}", file=sys.stderr)
    if not outcome.ok:
        for line in outcome.errors:
            print(line, file=sys.stderr)
        print(f"slurm-config: {len(outcome.errors)} problem(s); {outcome.merged} left unchanged",
              file=sys.stderr)
        return 1
    if not args.quiet:
        what = "written" if outcome.changed else "unchanged"
        print(f"slurm-config: {outcome.merged} {what} "
              f"({sum(1 for lay in layers() if lay.present())} layers present)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
