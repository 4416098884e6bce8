"""The build's inputs have one list, docker/Dockerfile.dockerignore's `!` lines: the
build context is what they let in, and docker/build-image.sh hashes exactly those
files (its no-op check). Every file the Dockerfile copies or mounts from the context
must be on that list, or a change to it would neither reach the build nor rebuild."""

from __future__ import annotations

import re
import subprocess

from tests.support.build_env import REPO

DOCKERFILE = REPO / "docker" / "Dockerfile"


def allowed() -> list[str]:
    lines = (REPO / "docker" / "Dockerfile.dockerignore").read_text().splitlines()
    return [line[1:] for line in lines if line.startswith("!")]


def context_sources() -> set[str]:
    """Every COPY source and bind-mount source taken from the build context (not from
    another stage), ${LOCKS} as the default build has it."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    sources = set()
    for line in text.splitlines():
        words = line.split()
        if words[:1] == ["COPY"] and not any(w.startswith("--from=") for w in words):
            sources.update(w for w in words[1:-1] if not w.startswith("--"))
        for mount in re.findall(r"--mount=(\S+)", line):
            options = dict(o.split("=", 1) for o in mount.split(",") if "=" in o)
            if options.get("type") == "bind" and "from" not in options:
                sources.add(options["source"])
    found = set()
    for s in sources:
        # ${LOCKS}: docker/ by default, docker/locks/biomero-x.y.z/ for a variant
        for locks in ("docker", "docker/locks/biomero-x.y.z"):
            path = s.replace("${LOCKS}", locks).rstrip("/")
            if "[" in path:  # `file.jso[n]`: optional (a glob), absent from the default
                path = re.sub(r"\[(.)\]", r"\1", path)
                if locks == "docker" and not (REPO / path).exists():
                    continue
            found.add(path)
    return found


def covered(source: str, entries: list[str]) -> bool:
    return any(source == e or source.startswith(e + "/") or e.startswith(source + "/")
               for e in entries)


def test_everything_the_dockerfile_takes_from_the_context_is_a_declared_input():
    sources = context_sources()
    assert "docker/entrypoint.sh" in sources and "src" in sources  # the parse found them
    assert [s for s in sorted(sources) if not covered(s, allowed())] == []


def test_every_declared_input_exists_and_is_used():
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout.splitlines()
    sources = context_sources()
    for entry in allowed():
        if entry in ("docker/fetch", "docker/Dockerfile"):  # downloads; the build file
            continue
        assert any(t == entry or t.startswith(entry + "/") for t in tracked), entry
        assert covered(entry, sorted(sources)), f"{entry} is let in but never used"


def test_the_build_script_reads_its_inputs_from_that_list():
    script = (REPO / "docker" / "build-image.sh").read_text()
    assert "done <docker/Dockerfile.dockerignore" in script
    assert "docker/start-node.sh" not in script and "startup.d" not in script
