"""Every script Processor-0 receives finds what it imports in the image's Python:
OMERO's standard scripts and OMERO.figure's (their published wheels, hash-pinned in
docker/script-sources.lock, fetched by `make script-sources` before the tests: no
network here) and BIOMERO's (biomero-scripts' own list, ../shared). Top-level and
guarded imports alike: a guarded import is a feature (Figure_To_Pdf's reportlab)."""

from __future__ import annotations

import ast
import json
import sys
import zipfile

from tests.support.build_env import REPO
from tests.support.docker_exec import docker
from tests.support.upstream_corpus import CORPUS

SOURCES = REPO / ".build" / "script-sources"
# Guarded imports deliberately not provided, and why.
LEFT_OUT = {
    "Image": "the pre-Pillow PIL module name, tried only when `from PIL import Image` "
             "fails; Pillow is in",
    "ImageDraw": "likewise (Figure_To_Pdf's fallback to the old PIL names)",
}


def imported(source: str) -> set[str]:
    """Top-level names of every module SOURCE imports, anywhere in it."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def published_scripts() -> dict[str, set[str]]:
    wheels = sorted(SOURCES.glob("*.whl"))
    assert len(wheels) == 2, f"{SOURCES}: run `make script-sources` (make test does)"
    found = {}
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as z:
            for name in z.namelist():
                # omero/<kind>_scripts/X.py (omero-scripts), .../scripts/omero/... (figure)
                if "_scripts/" in name and name.endswith(".py") and \
                        not name.endswith("__init__.py"):
                    found[f"{wheel.name.split('-')[0]}:{name}"] = imported(z.read(name).decode())
    return found


def biomero_scripts() -> dict[str, set[str]]:
    needs = json.loads((CORPUS.parent / "biomero-scripts-needs.json").read_text())["scripts"]
    return {f"biomero-scripts:{k}": set(v["imports_at_top_level"])
            | set(v["imports_guarded_or_inside_functions"]) for k, v in needs.items()}


def missing_in_image(image: str, modules: set[str]) -> set[str]:
    code = ("import importlib.util, json, sys\n"
            "print(json.dumps([m for m in json.loads(sys.argv[1]) "
            "if importlib.util.find_spec(m) is None]))")
    out = docker("run", "--rm", "--entrypoint", "python", image, "-c", code,
                 json.dumps(sorted(modules))).stdout
    return set(json.loads(out))


def test_every_script_finds_every_module_it_imports(worker_image):
    scripts = {**published_scripts(), **biomero_scripts()}
    assert any("Figure_To_Pdf" in s for s in scripts) and len(scripts) > 30
    stdlib = set(sys.stdlib_module_names)
    wanted = {m for mods in scripts.values() for m in mods} - stdlib - set(LEFT_OUT)
    absent = missing_in_image(worker_image, wanted)
    assert {s: sorted(m & absent) for s, m in scripts.items() if m & absent} == {}
    # the deliberately absent really are absent and really are imported somewhere
    assert set(LEFT_OUT) <= {m for mods in scripts.values() for m in mods}


def test_figure_to_pdf_has_what_its_pdf_export_imports(worker_image):
    out = docker("run", "--rm", "--entrypoint", "python", worker_image, "-c",
                 "import reportlab, markdown, pkg_resources, biomero_importer; "
                 "from reportlab.pdfgen import canvas; print('ok')").stdout
    assert out.strip() == "ok"


def test_every_variable_biomero_reads_would_reach_a_script(worker_image):
    """Fails when a biomero release reads an environment variable
    (biomero.constants.slurm_env) that the script environment would not pass, but
    for the ones it must not (script_env.DENY: BIOMERO_DETACHED_WORKFLOWS)."""
    code = ("from biomero_worker import biomero_contract, script_env\n"
            "names = biomero_contract.env_names()\n"
            "print(len(names), [n for n in names if n not in script_env.DENY\n"
            "                   and not script_env.select({n: 'x'})])")
    out = docker("run", "--rm", "--entrypoint", "python", worker_image, "-c", code).stdout
    count, missing = out.split(" ", 1)
    assert int(count) > 10 and missing.strip() == "[]", out


def test_the_importer_hand_off_needs_no_ezomero_and_the_scripts_ezomero_calls_fit(worker_image):
    """The evidence for the one overridden pin (docker/README.md): the modules
    SLURM_Import_Results.py uses of biomero_importer import cleanly with ezomero 1.1.1
    and never call ezomero, and the script's own ezomero call binds to 1.1.1."""
    code = """
import inspect
import biomero_importer.utils.ingest_tracker as tracker, biomero_importer.utils.initialize as init
print("EZOMERO_IN_HAND_OFF=%s" % any("ezomero" in inspect.getsource(m) for m in (tracker, init)))
import ezomero
inspect.signature(ezomero.post_map_annotation).bind(
    conn=None, object_type="Dataset", object_id=1, kv_dict={}, ns="ns", across_groups=False)
print("POST_MAP_ANNOTATION_BINDS=True")
"""
    out = docker("run", "--rm", "--entrypoint", "python", worker_image, "-c", code).stdout
    assert "EZOMERO_IN_HAND_OFF=False" in out and "POST_MAP_ANNOTATION_BINDS=True" in out, out
