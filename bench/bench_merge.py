"""Benchmark: merge 50 layers of 2,000 keys each (target: under 2 s).

Generates the layers in a temp directory: layer 0 is a commented base of 2,000 keys in
10 sections; every later layer overrides 1,000 existing keys, adds 980 new ones and
deletes 20 (10 `!KEY`, 10 `!PATTERN*`). Times the API (`merge_layers` + `write_atomic`)
and the CLI end to end (`python -m config_merge merge -o OUT`), best of N runs, and
prints the figures; with --markdown FILE also writes them and the command used.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from configupdater import ConfigUpdater  # noqa: E402

from config_merge import merge_layers, validate, write_atomic  # noqa: E402

SECTIONS = 10


def make_layers(directory: Path, layers: int, keys: int) -> list[Path]:
    per_section = keys // SECTIONS
    paths = []
    base = [f"# base layer: {keys} keys\n"]
    for s in range(SECTIONS):
        base.append(f"\n# section {s}\n[S{s}]\n")
        for k in range(per_section):
            base.append(f"# what key_{k} does\nkey_{k} = base value {s}.{k}\n")
    paths.append(directory / "layer-000.ini")
    paths[-1].write_text("".join(base))
    for n in range(1, layers):
        lines = [f"# layer {n}\n"]
        for s in range(SECTIONS):
            lines.append(f"[S{s}]\n")
            for k in range(per_section // 2):  # override existing keys
                lines.append(f"key_{(k + n) % per_section} = layer {n} value\n")
            for k in range(per_section // 2 - 2):  # new keys
                lines.append(f"# added by layer {n}\nl{n}_key_{k} = new {n}.{k}\n")
            lines.append(f"!l{n - 1}_key_0\n" if n > 1 else f"!key_{per_section - 1}\n")
            lines.append(f"!l{n - 1}_key_1*\n" if n > 1 else f"!key_{per_section - 2}*\n")
        paths.append(directory / f"layer-{n:03d}.ini")
        paths[-1].write_text("".join(lines))
    return paths


def best_of(runs: int, fn) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=50)
    parser.add_argument("--keys", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--markdown", type=Path, help="also write the figures here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        paths = make_layers(tmp, args.layers, args.keys)
        out = tmp / "merged.ini"
        total_lines = sum(len(p.read_text().splitlines()) for p in paths)

        def api():
            result = merge_layers(paths)
            write_atomic(out, result.text)

        api_s = best_of(args.runs, api)
        result = merge_layers(paths)
        validate_s = best_of(args.runs, lambda: validate(result))
        env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
        cli = [sys.executable, "-m", "config_merge", "merge", "-o", str(out), *map(str, paths)]
        cli_s = best_of(args.runs, lambda: subprocess.run(cli, env=env, check=True))
        keys_out = sum(len(v) for v in result.to_dict().values())
        # Why config_merge reads layers itself: configupdater's parser alone, on the
        # same files (no merging), for comparison. One run: it is slow.
        texts = [p.read_text() for p in paths]

        def configupdater_parse():
            for text in texts:
                ConfigUpdater(allow_no_value=True, strict=True).read_string(text)

        cu_s = best_of(1, configupdater_parse)

    report = [
        f"Merging {args.layers} layers x {args.keys} keys ({total_lines} input lines, "
        f"{keys_out} keys in the output), best of {args.runs}:",
        "",
        "| step | seconds |",
        "|---|---|",
        f"| merge_layers + write_atomic (API) | {api_s:.3f} |",
        f"| validate (on the merged result) | {validate_s:.3f} |",
        f"| `python -m config_merge merge -o OUT` (CLI, incl. interpreter start) | {cli_s:.3f} |",
        f"| for comparison: configupdater parsing the same layers, no merge (1 run) | {cu_s:.3f} |",
        "",
        f"Target: under 2 s. Python {platform.python_version()}, {os.cpu_count()} CPUs.",
    ]
    print("\n".join(report))
    if args.markdown:
        command = (f"python bench/bench_merge.py --layers {args.layers} --keys {args.keys} "
                   f"--runs {args.runs}")
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(
            "# bench-merge: layered config merge\n\n"
            f"Command (from the repository root, via `make bench-merge`):\n\n    {command}\n\n"
            + "\n".join(report) + "\n"
        )
    return 0 if cli_s < 2.0 else 1


if __name__ == "__main__":
    sys.exit(main())
