"""Command line: `config-merge merge|explain|validate` (also `python -m config_merge`).

Exit codes: 0 ok, 1 invalid input or failed validation, 2 usage error.
Diagnostics go to stderr as `FILE:LINE: SECTION.KEY: message`.
"""

from __future__ import annotations

import argparse
import os
import sys

from .diagnostics import ConfigError
from .explain import explain
from .merge import merge_layers
from .output import write_atomic
from .validate import check

USAGE_ERROR = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="config-merge",
        description="Merge layered slurm-config.ini files with tombstones, provenance and "
                    "validation.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    strict_help = "treat a tombstone that deletes nothing as an error"

    merge = sub.add_parser("merge", help="merge LAYERs (files or dirs of *.ini) into one ini")
    merge.add_argument("--strict", action="store_true", help=strict_help)
    merge.add_argument("-o", "--output", metavar="OUT",
                       help="write here atomically (default: stdout)")
    merge.add_argument("layers", nargs="+", metavar="LAYER")

    exp = sub.add_parser("explain", help="show where each value came from",
                         usage="config-merge explain [--strict] [SECTION[.KEY]] -- LAYER...")
    exp.add_argument("--strict", action="store_true", help=strict_help)
    exp.add_argument("target", nargs="?", metavar="SECTION[.KEY]")

    val = sub.add_parser("validate", help="merge, then check the result as biomero will use it")
    val.add_argument("--strict", action="store_true", help=strict_help)
    val.add_argument("layers", nargs="+", metavar="LAYER")
    return parser


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = _parser()
    # explain takes an optional positional before the layers, so the layers follow
    # `--`; split there ourselves because argparse would hand them to SECTION[.KEY].
    if argv and argv[0] == "explain" and "-h" not in argv and "--help" not in argv:
        if "--" not in argv:
            parser.error("explain: put the layers after --, e.g. explain MODELS -- base.ini site/")
        cut = argv.index("--")
        args = parser.parse_args(argv[:cut])
        args.layers = argv[cut + 1:]
        if not args.layers:
            parser.error("explain: no LAYER after --")
        return args
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    try:
        return _run(_parse(sys.argv[1:] if argv is None else argv))
    except BrokenPipeError:
        # The reader went away (`| head`): no traceback. Point stdout at devnull so
        # the interpreter's final flush does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _run(args: argparse.Namespace) -> int:
    try:
        result = merge_layers(args.layers, strict=args.strict)
    except ConfigError as exc:
        _print(exc.diagnostics)
        return 1
    _print(result.warnings)
    if args.command == "merge":
        if args.output is None:
            sys.stdout.write(result.text)
            return 0
        try:
            write_atomic(args.output, result.text)
        except OSError as exc:
            print(f"{args.output}:0: cannot write output: {exc.strerror or exc}", file=sys.stderr)
            return 1
        return 0
    if args.command == "explain":
        text = explain(result, args.target)
        if not text:
            print(f"config-merge: {args.target}: not set or deleted by any layer", file=sys.stderr)
            return 1
        sys.stdout.write(text)
        return 0
    errors, warnings = check(result)
    _print(errors + warnings)
    return 1 if errors else 0


def _print(diagnostics) -> None:
    for diagnostic in diagnostics:
        print(diagnostic, file=sys.stderr)
