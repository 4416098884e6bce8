"""The README's layout table matches the tree: every path it names exists, and every
top-level entry and every package under src/ is named."""

from __future__ import annotations

import re
import subprocess

from tests.support.build_env import REPO


def layout_rows() -> list[str]:
    text = (REPO / "README.md").read_text()
    table = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    return [line for line in table.splitlines() if line.startswith("| `")]


def named_paths() -> set[str]:
    names = set()
    for row in layout_rows():
        first_cell = row.split("|")[1]
        names |= {n.rstrip("/") for n in re.findall(r"`([^`]+)`", first_cell)}
    return names


def test_every_named_path_exists():
    names = named_paths()
    assert len(names) > 10
    missing = [n for n in names if not any(REPO.glob(n))]
    assert missing == []


def test_every_top_level_entry_and_package_is_named():
    tracked = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO,
                             capture_output=True, text=True, check=True).stdout.split()
    top = {t.split("/")[0] for t in tracked} - {".gitignore", "README.md"}
    names = named_paths()
    covered = {n.split("/")[0] for n in names}
    assert sorted(top - covered) == []
    packages = {p.parent.name for p in (REPO / "src").glob("*/__init__.py")}
    assert packages == {"config_merge", "biomero_worker"}
    assert {f"src/{p}" for p in packages} <= names
    suites = {p.name for p in (REPO / "tests").iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert {f"tests/{s}" for s in suites} <= names


def test_the_worker_packages_index_names_every_module():
    """The module index has one owner, biomero_worker's docstring (the README points
    there): it names every module of the package and nothing else."""
    import biomero_worker

    index = biomero_worker.__doc__.split("Modules, one job each", 1)[1].split("\n\n")[0]
    named = set(re.findall(r"^  (\w+)\s", index, re.M))
    modules = {p.stem for p in (REPO / "src" / "biomero_worker").glob("*.py")
               if not p.stem.startswith("__")}
    assert named == modules


def test_the_readme_names_every_dockerfile_stage_in_order():
    """The docker/ row lists the Dockerfile's stages as the Dockerfile has them."""
    stages = re.findall(r"^FROM \S+ AS (\S+)", (REPO / "docker" / "Dockerfile").read_text(), re.M)
    row = next(line for line in (REPO / "README.md").read_text().splitlines()
               if line.startswith("| `docker/` |"))
    listed = re.findall(r"`([\w-]+)`", row.split("(stages", 1)[1].split(")", 1)[0])
    assert listed == stages
