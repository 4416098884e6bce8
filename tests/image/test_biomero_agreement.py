"""biomero itself is the reference for what a config means: run inside the image,
where biomero 2.8.3 is, against upstream's real files (../shared, mounted
read-only; never copied into the project)."""

from __future__ import annotations

import json

from tests.support import build_env
from tests.support import upstream_corpus as corpus
from tests.support.docker_exec import docker

# For every file: does our validator find an error, does biomero fail to build its
# client (from_config with only the descriptor fetch left out, its repository
# check kept: biomero_worker.biomero_contract.builds_client).
AGREEMENT = r"""
import json, os, sys
from config_merge import ConfigError, check, merge_layers
from biomero_worker.biomero_contract import builds_client
for name in sorted(os.listdir("/corpus")):
    if name in {names!r}:
        continue
    path = "/corpus/" + name
    try:
        errors = [str(e) for e in check(merge_layers([path]))[0]]
    except ConfigError as exc:
        errors = [str(d) for d in exc.diagnostics]
    print(json.dumps({{"file": name, "errors": errors, "biomero": builds_client(path)}}))
"""


def test_validate_errors_exactly_where_biomero_fails_on_every_upstream_file(worker_image):
    src = corpus.require()
    out = docker("run", "--rm", "-v", f"{src}:/corpus:ro", "--entrypoint", "python",
                 worker_image, "-c", AGREEMENT.format(names=sorted(corpus.DATA_FILES))).stdout
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == len(corpus.files()) > 100
    disagree = [(r["file"], r["errors"][:2], r["biomero"]) for r in rows
                if bool(r["errors"]) != bool(r["biomero"])]
    assert disagree == []
    assert any(r["biomero"] for r in rows)  # the corpus does hold files biomero refuses


def test_what_the_validator_knows_is_what_the_installed_biomero_reads(worker_image,
                                                                      image_biomero):
    """Fails when a biomero release reads a key its biomero_reads.json does not list:
    regenerate it with `make biomero-reads` (BIOMERO_VERSION=x.y.z for another release).
    The image's validator uses that release's file."""
    asked = json.loads(docker("run", "--rm", "--entrypoint", "python", worker_image,
                              "-m", "biomero_worker", "biomero-reads").stdout)
    ours = json.loads(build_env.biomero_reads_file(image_biomero).read_text())
    assert asked == ours
    used = json.loads(docker("run", "--rm", "--entrypoint", "python", worker_image, "-c",
                             "import json; from config_merge.validate import biomero_reads; "
                             "print(json.dumps(biomero_reads()))").stdout)
    assert used == ours


def test_biomero_refuses_a_non_github_repository_as_the_validator_says(worker_image, tmp_path):
    layer = tmp_path / "gitlab.ini"
    layer.write_text("[SSH]\nhost = h\n[MODELS]\nx = x\nx_job = j.sh\n"
                     "x_repo = https://gitlab.com/o/r/tree/v1\n")
    layer.chmod(0o644)
    run = ["run", "--rm", "-v", f"{layer}:/l.ini:ro", "--entrypoint"]
    biomero = docker(*run, "python", worker_image, "-m", "biomero_worker", "biomero-builds",
                     "/l.ini", check=False)
    assert biomero.returncode == 1 and "ValueError: Invalid GitHub URL" in biomero.stdout
    ours = docker(*run, "config-merge", worker_image, "validate", "/l.ini", check=False)
    assert ours.returncode == 1 and "/l.ini:6: MODELS.x_repo: not a GitHub" in ours.stderr
