"""The built worker image: user, Python payload, Ice, tidiness, secrets, config.

Every test runs against the image `make image` built (fixture `worker_image`);
commands run in fresh containers with the entrypoint skipped (`worker_exec`).
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from biomero_worker import layout
from tests.support.build_env import REPO, version
from tests.support.docker_exec import docker

VENV = str(layout.VENV)
LABEL = "org.biomero-worker"
MODULES = [
    "omero", "Ice", "IcePy", "biomero", "omero_zarr", "ezomero", "tifffile",
    "omero_metadata", "psycopg2", "blosc", "config_merge", "biomero_worker",
]


@pytest.fixture(scope="module")
def config(worker_image) -> dict:
    return json.loads(docker("image", "inspect", worker_image).stdout)[0]["Config"]


# ---- user, layout, entrypoint ------------------------------------------------

def test_runs_as_omero_server_not_root(config, worker_exec):
    assert config["User"] == "omero-server"
    ident = worker_exec("sh", "-c", "id -un; id -u; id -gn; echo $HOME").stdout.split()
    # uid 1000 as in openmicroscopy/omero-server, so shared volumes keep owners
    assert ident == ["omero-server", "1000", "omero-server", str(layout.HOME)]


def test_entrypoint_is_tini_then_startup_runner(config, worker_exec):
    assert config["Entrypoint"] == ["/usr/bin/tini", "--", "/usr/local/bin/entrypoint.sh"]
    # docker-library style: the entrypoint prepares and execs "$@"; CMD is the node
    assert config["Cmd"] == ["start-node"]
    assert config["Healthcheck"]["Test"] == ["CMD", "biomero-worker", "health"]
    worker_exec("test", "-x", "/usr/bin/tini")
    worker_exec("test", "-x", "/usr/local/bin/entrypoint.sh")
    # the image's steps are Python (startup.STEPS); /startup is there, empty, for a
    # site's own (upstream's habit)
    assert worker_exec("ls", "-A", str(layout.SITE_STEPS)).stdout == ""
    assert worker_exec("start-node", "--help").stdout.startswith("usage:")


def test_command_output_alone_on_stdout(worker_image):
    """official-images' override-cmd test: `docker run IMAGE CMD` prints on stdout
    exactly what CMD prints; the preparation's lines all go to stderr."""
    run = subprocess.run(["docker", "run", "--rm", worker_image, "echo", "hello"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "hello\n"
    # the preparation did run, every step of it (and said so on stderr), skipped nothing
    from biomero_worker.startup import STEPS

    for step in STEPS:
        assert f"\n{step.name}: " in "\n" + run.stderr, run.stderr
    assert "skipping" not in run.stderr and "ERROR" not in run.stderr


def test_omerodir_has_etc_and_writable_var(config, worker_exec):
    # the Dockerfile's ENV agrees with the layout module, the owner of the paths
    env = dict(item.split("=", 1) for item in config["Env"])
    assert env["OMERODIR"] == str(layout.OMERODIR)
    assert env["VIRTUAL_ENV"] == VENV
    assert env[layout.CONFIG_FILE_VAR] == str(layout.MERGED_DEFAULT)
    assert config["WorkingDir"] == str(layout.HOME)
    worker_exec("sh", "-c", 'touch "$OMERODIR/var/log/probe" "$OMERODIR/etc/probe"'
                f" {layout.STATE_DIR}/probe {layout.OMERO_DATA}/probe")
    # the venv is root's: the node's user cannot change it (no __pycache__ churn)
    proc = worker_exec("sh", "-c", f"touch {VENV}/lib/python3.11/site-packages/probe",
                       check=False)
    assert proc.returncode != 0


def test_the_state_directory_is_the_images_one_volume(config, worker_exec):
    """The worker's record of the web admin's saves outlives a recreated container
    (Compose carries a VOLUME over); a new volume starts with the baked merge."""
    assert config["Volumes"] == {str(layout.STATE_DIR): {}}
    worker_exec("test", "-s", str(layout.MERGED_DEFAULT))  # raises on a non-zero exit


def test_python_is_the_venv_and_debian(worker_exec):
    out = worker_exec("python", "-c", "import sys; print(sys.prefix, sys.version_info[:2])").stdout
    assert out.split()[0] == VENV
    assert "(3, 11)" in out


# ---- the Python payload ----------------------------------------------------------

def test_payload_imports(worker_exec):
    code = f"import importlib\nfor m in {MODULES!r}:\n    importlib.import_module(m)\nprint('ok')"
    assert worker_exec("python", "-c", code).stdout.strip() == "ok"


def test_ice_is_3_6_5(worker_exec):
    out = worker_exec("python", "-c", "import Ice; print(Ice.stringVersion())").stdout
    assert out.strip() == "3.6.5"


def test_pip_check_reports_only_the_recorded_pin(worker_exec, release_dir):
    recorded = [ln for ln in (release_dir / "pip-check.expected").read_text().splitlines()
                if ln and not ln.startswith("#")]
    if release_dir == REPO / "docker":  # the default release's one recorded conflict
        assert recorded == ["biomero-importer 1.4.2 has requirement ezomero==3.2.3, but you "
                            "have ezomero 1.1.1."]
    proc = worker_exec("python", "-m", "pip", "check", check=False)
    said = recorded or ["No broken requirements found."]
    assert (proc.returncode, proc.stdout.splitlines()) == (1 if recorded else 0, said), \
        proc.stdout + proc.stderr


def test_venv_matches_the_locks(worker_exec, release_dir):
    lock = "".join((release_dir / name).read_text()
                   for name in ("requirements.lock", "requirements-nodeps.lock"))
    pins = {m.group(1).lower().replace("_", "-"): m.group(2)
            for m in re.finditer(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)", lock, re.M)}
    out = worker_exec("python", "-m", "pip", "list", "--format=json").stdout
    installed = {p["name"].lower().replace("_", "-"): p["version"] for p in json.loads(out)}
    installed.pop("biomero-worker-tools")  # ours, installed apart (--no-deps)
    assert installed == pins


def test_stripped_native_modules_still_load(worker_exec):
    # every extension module and vendored library of the venv loads as a
    # shared object after strip-wheels.sh
    code = (
        "import ctypes, pathlib, sys\n"
        f"sos = [p for p in pathlib.Path('{VENV}').rglob('*.so*') if p.is_file()]\n"
        "bad = []\n"
        "for p in sorted(sos):\n"
        "    try:\n"
        "        ctypes.CDLL(str(p))\n"
        "    except OSError as e:\n"
        "        bad.append(f'{p}: {e}')\n"
        "print(len(sos)); print('\\n'.join(bad))\n"
    )
    lines = worker_exec("python", "-c", code).stdout.strip().splitlines()
    assert int(lines[0]) > 100
    # some vendored libraries need their siblings loaded first; extension
    # modules themselves must all load
    failures = [line for line in lines[1:] if ".libs/" not in line]
    assert failures == []


def test_our_packages_are_installed_not_editable_and_exactly_two(worker_exec):
    code = ("import importlib.metadata as md, biomero_worker, config_merge\n"
            "print(biomero_worker.__file__); print(config_merge.__file__)\n"
            "print(md.distribution('biomero-worker-tools').read_text('top_level.txt'))")
    lines = worker_exec("python", "-c", code).stdout.split()
    site = f"{VENV}/lib/python3.11/site-packages/"
    assert lines[0].startswith(site + "biomero_worker/")
    assert lines[1].startswith(site + "config_merge/")
    assert sorted(lines[2:]) == ["biomero_worker", "config_merge"]
    for command in ("config-merge", "doctor", "biomero-worker"):
        worker_exec(command, "--help")


# ---- Ice node ----------------------------------------------------------------

def test_icegridnode_and_icegridadmin_run(worker_exec):
    node = worker_exec("icegridnode", "--version")
    assert re.fullmatch(r"3\.7\.\d+", (node.stdout + node.stderr).strip())
    admin = worker_exec("icegridadmin", "--version")
    assert re.fullmatch(r"3\.7\.\d+", (admin.stdout + admin.stderr).strip())


def test_ssh_client_present(worker_exec):
    proc = worker_exec("ssh", "-V")
    assert "OpenSSH" in proc.stderr


# ---- tidiness ----------------------------------------------------------------------

def test_no_compiler_or_dev_package(worker_exec):
    tools = ["cc", "gcc", "g++", "c++", "clang", "cpp", "ld", "as", "make", "strip"]
    proc = worker_exec("sh", "-c", " ; ".join(f"command -v {t}" for t in tools) + " ; true")
    assert proc.stdout.strip() == ""
    packages = worker_exec("dpkg-query", "-W", "-f", "${Package}\\n").stdout.split()
    assert len(packages) > 50
    assert [p for p in packages if p.endswith("-dev") or p in
            ("build-essential", "binutils", "gcc", "g++", "python3-pip", "python3-venv")] == []


def test_no_pip_cache_wheels_or_apt_lists(worker_exec):
    proc = worker_exec(
        "sh", "-c",
        "find / -xdev \\( -path /proc -o -path /sys \\) -prune -o "
        "\\( -path '*/.cache/pip' -o -path /wheels -o -path /dist -o -name '*.whl' \\) -print; "
        "ls -A /var/lib/apt/lists | grep -v -x -e lock -e partial -e auxfiles; "
        "ls -A /var/cache/apt",
        user="root", check=False,
    )
    assert proc.stdout.strip() == ""


def test_jre_only_with_bioformats2raw(config, worker_exec):
    present = config["Labels"][f"{LABEL}.bioformats2raw"]
    assert present in ("included", "absent")
    tools = worker_exec("sh", "-c",
                        "command -v java; command -v bioformats2raw; true").stdout.split()
    if present == "included":
        assert len(tools) == 2
        worker_exec("bioformats2raw", "--version")
    else:
        assert tools == []


# ---- labels ----------------------------------------------------------------------------

def test_oci_labels(config, release_dir):
    labels = config["Labels"]
    assert labels["org.opencontainers.image.version"] == version()
    lock = (release_dir / "requirements.lock").read_text()
    biomero = re.search(r"^biomero==(\S+)", lock, re.M).group(1)
    assert labels[f"{LABEL}.biomero.version"] == biomero
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"],
                          capture_output=True, text=True).stdout.strip()
    revision = labels["org.opencontainers.image.revision"]
    assert re.fullmatch(r"[0-9a-f]{40}(-dirty)?", revision)
    assert subprocess.run(["git", "-C", str(REPO), "merge-base", "--is-ancestor",
                           revision.removesuffix("-dirty"), head]).returncode == 0
    assert labels["org.opencontainers.image.source"]
    assert re.fullmatch(r"[0-9a-f]{32}", labels[f"{LABEL}.inputs-hash"])


def test_sbom_lists_exactly_the_images_packages(config, worker_exec, release_dir):
    """CycloneDX JSON at the path layout owns and the label names: every Debian
    package dpkg has installed and every Python distribution of the venv."""
    assert config["Labels"][f"{LABEL}.sbom"] == str(layout.SBOM)
    out = worker_exec("sh", "-c", f"cat {layout.SBOM}; echo '%%%'; "
                      "dpkg-query -W -f '${db:Status-Status} ${Package} ${Version}\\n'; "
                      "echo '%%%'; python -m pip list --format=json").stdout
    sbom_text, dpkg, pip = out.split("%%%\n")
    sbom = json.loads(sbom_text)
    assert sbom["bomFormat"] == "CycloneDX" and sbom["specVersion"] == "1.5"
    assert sbom["metadata"]["component"]["version"] == version()
    assert "timestamp" not in sbom["metadata"]  # the same packages, the same bytes
    by_type: dict[str, set] = {"deb": set(), "pypi": set()}
    for c in sbom["components"]:
        by_type[c["purl"][4:].split("/")[0]].add((c["name"], c["version"]))
    debs = {tuple(line.split()[1:3]) for line in dpkg.splitlines()
            if line.startswith("installed ")}
    assert by_type["deb"] == debs
    pys = {(p["name"], p["version"]) for p in json.loads(pip)}
    assert {(n.lower().replace("_", "-"), v) for n, v in by_type["pypi"]} \
        == {(n.lower().replace("_", "-"), v) for n, v in pys}
    lock = (release_dir / "requirements.lock").read_text()
    assert ("biomero", re.search(r"^biomero==(\S+)", lock, re.M).group(1)) in by_type["pypi"]


# ---- no secrets in any layer ---------------------------------------------------------

PEM = re.compile(rb"-----BEGIN CERTIFICATE-----\s+(.+?)-----END CERTIFICATE-----", re.S)
# a PEM private key with a body (not a mere mention of the header, as in
# cryptography's source or botocore's "<a very long private key string>")
PRIVATE = re.compile(
    rb"-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----\s*(?:[A-Za-z-]+: [^\n]*\n\s*)*"
    rb"[A-Za-z0-9+/=]{40,}\s+(?:[A-Za-z0-9+/=]+\s+)*-----END"
)


def _certs(text: bytes) -> set[bytes]:
    return {base64.b64decode(b"".join(m.group(1).split())) for m in PEM.finditer(text)}


def _export(image: str):
    """Stream the image's file system (a created container's export)."""
    cid = docker("create", image).stdout.strip()
    try:
        proc = subprocess.Popen(["docker", "export", cid], stdout=subprocess.PIPE)
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            for member in tar:
                if member.isfile():
                    f = tar.extractfile(member)
                    yield member.name, f.read() if f else b""
        assert proc.wait() == 0
    finally:
        docker("rm", "-f", cid)


def test_no_private_key_or_build_ca_in_image(worker_image, worker_exec):
    # The build CA: what the host's bundle (passed to the build as a secret)
    # trusts beyond the host's and the image's Mozilla sets (the local
    # additions, e.g. a TLS-intercepting proxy's CA).
    legit = _certs(worker_exec(
        "sh", "-c", "cat /usr/share/ca-certificates/mozilla/*.crt").stdout.encode())
    assert len(legit) > 100
    host_mozilla = b"".join(p.read_bytes() for p in
                            Path("/usr/share/ca-certificates/mozilla").glob("*.crt"))
    host_bundle = Path("/etc/ssl/certs/ca-certificates.crt")
    build_ca = (_certs(host_bundle.read_bytes()) if host_bundle.exists() else set()) \
        - legit - _certs(host_mozilla)
    # distinctive fragments of each build-CA certificate, as DER and as PEM text
    needles = []
    for der in build_ca:
        needles.append(der[40:104])
        b64 = base64.b64encode(der)
        needles.append(b64[128:192])
    scanned, findings = 0, []
    roots = ("opt/", "etc/", "root/", "home/", str(layout.STATE_DIR).lstrip("/") + "/")
    for name, data in _export(worker_image):
        if not name.startswith(roots):
            continue
        scanned += 1
        if PRIVATE.search(data):
            findings.append(f"{name}: private key")
        if any(n in data for n in needles):
            findings.append(f"{name}: build CA certificate")
    assert scanned > 1000
    assert findings == []
    # and the image's trust store is Debian's, nothing added
    image_bundle = _certs(worker_exec("cat", "/etc/ssl/certs/ca-certificates.crt").stdout.encode())
    assert image_bundle and image_bundle <= legit


# ---- the baked configuration --------------------------------------------------------------

def test_baked_config_is_the_validated_merge_of_the_layers(worker_exec):
    expected = subprocess.run(
        [sys.executable, "-m", "config_merge", "merge",
         str(REPO / "config" / "base"), str(REPO / "config" / "overrides")],
        capture_output=True, text=True, cwd=REPO, check=True,
    ).stdout
    assert "[SSH]" in expected
    baked = worker_exec("cat", str(layout.MERGED_DEFAULT)).stdout
    assert baked == expected
    # /etc/slurm-config.ini is a deployer's layer (upstream's override mount): none shipped
    etc = worker_exec("test", "-e", str(layout.LAYER_DEFAULTS["ETC"]), check=False)
    assert etc.returncode == 1
    # baked by the same validated path as every start: its status file says so
    status = json.loads(worker_exec("cat", str(layout.status_path({}))).stdout)
    assert status["ok"] is True and status["errors"] == []
    # the layers themselves are in the image, as the runtime merge expects
    for role, layer in (("BASE", "base"), ("IMAGE_OVERRIDES", "overrides")):
        local = sorted(p.name for p in (REPO / "config" / layer).iterdir())
        in_image = worker_exec("ls", "-A", str(layout.LAYER_DEFAULTS[role])).stdout.split()
        assert in_image == local


def test_running_python_leaves_the_venv_unchanged(worker_image):
    # the node's user runs scripts: no __pycache__ (or anything) lands in the venv
    cid = docker("create", "--entrypoint", "python", worker_image, "-c",
                 f"import importlib\nfor m in {MODULES!r}:\n    importlib.import_module(m)"
                 ).stdout.strip()
    try:
        docker("start", "-a", cid)
        changed = docker("diff", cid).stdout.split("\n")
    finally:
        docker("rm", "-f", cid)
    assert [line for line in changed if VENV in line] == []


def test_payload_computes_after_strip_and_trim(worker_exec, release_dir):
    # the stripped native modules and the venv without test suites still work
    # (PyWavelets: scikit-image before 0.25 needed it, so a release may not have it)
    wavelets = "pywavelets==" in (release_dir / "requirements.lock").read_text()
    code = """
import numpy as np, scipy.ndimage, scipy.stats, skimage.filters, pandas as pd
import dask.array as da, zarr, blosc, yaml, psycopg2.extensions
import ome_zarr.io, omero.gateway, biomero.slurm_client, eventsourcing_sqlalchemy
a = np.random.default_rng(0).random((64, 64))
assert abs(scipy.ndimage.gaussian_filter(a, 2).mean() - a.mean()) < 1e-2
assert 0.3 < skimage.filters.threshold_otsu(a) < 0.7
assert pd.DataFrame({"a": [1, 2]}).sum().a == 3
assert int(da.ones((10, 10), chunks=5).sum().compute()) == 100
packed = blosc.compress(b"x" * 1000, typesize=1)
assert len(packed) < 100 and blosc.decompress(packed) == b"x" * 1000
if WAVELETS:
    import pywt
    assert pywt.dwt([1, 2, 3, 4], "db1")[0].shape == (2,)
z = zarr.zeros((4, 4), chunks=(2, 2)); z[:] = 1
assert z[:].sum() == 16 and yaml.safe_load("a: 1") == {"a": 1}
assert scipy.stats.norm.cdf(0) == 0.5
print("ok")
"""
    code = f"WAVELETS = {wavelets}\n" + code
    assert worker_exec("python", "-c", code).stdout.strip() == "ok"
