"""What exactly is in the image: a CycloneDX 1.5 JSON SBOM written at build time.

Components: every Debian package dpkg has installed (``pkg:deb``) and every Python
distribution of the venv (``pkg:pypi``), this project's own included. The image
build runs ``python -m biomero_worker sbom`` in its last step and ships the file at
``layout.SBOM`` (the image's label ``org.biomero-worker.sbom`` names it).

Reproducible by construction: no timestamp, components sorted, and the serial
number derived from the content, so the same packages give the same bytes
(``make bench-reproducible`` compares two builds).
"""

from __future__ import annotations

import hashlib
import json
import re
import sysconfig
import uuid
from collections import Counter
from importlib import metadata
from pathlib import Path
from urllib.parse import quote

from . import layout

DPKG_STATUS = Path("/var/lib/dpkg/status")
OS_RELEASE = Path("/etc/os-release")


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def debian_packages(status: Path = DPKG_STATUS) -> list[dict]:
    """Installed packages of a dpkg status file: name, version, architecture."""
    packages = []
    for stanza in status.read_text(encoding="utf-8", errors="replace").split("\n\n"):
        fields = {}
        for line in stanza.splitlines():
            if line and not line[0].isspace() and ":" in line:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
        if fields.get("Status", "").endswith(" installed") and "Package" in fields:
            packages.append({"name": fields["Package"], "version": fields.get("Version", ""),
                             "arch": fields.get("Architecture", "")})
    return packages


def python_distributions(site: str | None = None) -> list[dict]:
    site = site or sysconfig.get_path("purelib")
    seen = {}
    for dist in metadata.distributions(path=[site]):
        name = dist.metadata["Name"]
        if name:
            seen[_normalize(name)] = {"name": name, "version": dist.version,
                                      "license": (dist.metadata.get("License-Expression")
                                                  or "").strip()}
    return list(seen.values())


def distro(os_release: Path = OS_RELEASE) -> str:
    fields = dict(line.split("=", 1) for line in os_release.read_text().splitlines()
                  if "=" in line)
    ident = fields.get("ID", "debian").strip('"')
    version = fields.get("VERSION_ID", "").strip('"')
    return f"{ident}-{version}" if version else ident


def document(image_version: str, debs: list[dict], pys: list[dict], distro_id: str) -> dict:
    components = []
    for p in debs:
        # purl: the version percent-encoded (epoch ':', '+' and '~' of Debian versions)
        purl = (f"pkg:deb/debian/{p['name']}@{quote(p['version'], safe='.-_')}"
                f"?arch={p['arch']}&distro={distro_id}")
        components.append({"type": "library", "bom-ref": purl, "name": p["name"],
                           "version": p["version"], "purl": purl})
    for p in pys:
        purl = f"pkg:pypi/{_normalize(p['name'])}@{quote(p['version'], safe='.-_')}"
        c = {"type": "library", "bom-ref": purl, "name": p["name"], "version": p["version"],
             "purl": purl}
        if p.get("license"):
            c["licenses"] = [{"expression": p["license"]}]
        components.append(c)
    components.sort(key=lambda c: c["purl"])
    body = json.dumps(components, sort_keys=True).encode()
    serial = uuid.uuid5(uuid.NAMESPACE_URL, "sha256:" + hashlib.sha256(body).hexdigest())
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": f"urn:uuid:{serial}",
        "version": 1,
        "metadata": {
            "component": {"type": "container", "bom-ref": "biomero-worker",
                          "name": "biomero-worker", "version": image_version},
            "tools": {"components": [{"type": "application", "name": "biomero_worker.sbom",
                                      "version": image_version}]},
        },
        "components": components,
    }


def write(path: Path, image_version: str) -> dict:
    doc = document(image_version, debian_packages(), python_distributions(), distro())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    tmp.chmod(0o644)
    tmp.replace(path)
    return doc


def cmd_sbom(args, out, err) -> int:
    doc = write(Path(args.output), args.image_version)
    kinds = Counter(c["purl"].split("/")[0] for c in doc["components"])
    print(f"sbom: {args.output}: " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())),
          file=err)
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("sbom", help="(image build) write the CycloneDX SBOM: Debian "
                       "packages and the venv's Python distributions")
    p.add_argument("--output", default=str(layout.SBOM))
    p.add_argument("--image-version", default="unknown")
    p.set_defaults(run=cmd_sbom)
