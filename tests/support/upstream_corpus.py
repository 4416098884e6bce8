"""Upstream's real slurm-config files and the combinations upstream deployments make
(../shared/upstream-slurm-configs beside the clone, as CI has it). Read from there,
never copied into the project. A missing corpus fails the tests that need it."""

from __future__ import annotations

import configparser
import json
from pathlib import Path

from tests.support.build_env import REPO

CORPUS = REPO.parent / "shared" / "upstream-slurm-configs"
DATA_FILES = {"CASES.json", "MANIFEST.json", "README.md"}


def require() -> Path:
    if not CORPUS.is_dir():
        raise AssertionError(f"the upstream corpus is missing: {CORPUS} (CI has ../shared "
                             "beside the clone)")
    return CORPUS


def files() -> list[Path]:
    return sorted(p for p in require().iterdir() if p.name not in DATA_FILES)


def cases() -> list[tuple[str, list[Path]]]:
    """(id, layer files in order) for every combination CASES.json lists."""
    data = json.loads((require() / "CASES.json").read_text())
    return [(f"{kind}{i}", [CORPUS / name for name in combo])
            for kind, combos in sorted(data.items()) for i, combo in enumerate(combos)]


def biomero_reads(*paths: Path | str) -> configparser.ConfigParser:
    """What biomero 2.8.3's reader makes of these files, in order."""
    cfg = configparser.ConfigParser(allow_no_value=True)
    cfg.read([str(p) for p in paths])
    return cfg


def raw(cfg: configparser.ConfigParser) -> dict[str, dict[str, str | None]]:
    """Every section's keys and raw values (no interpolation, no [DEFAULT] copies)."""
    return {s: dict(cfg._sections[s]) for s in cfg.sections()}  # noqa: SLF001
