"""biomero_worker.sbom on given inputs; the image's own SBOM against dpkg and pip in
tests/image/test_image.py."""

from __future__ import annotations

import json

from biomero_worker import sbom

STATUS = """Package: libc6
Status: install ok installed
Architecture: amd64
Version: 2.36-9+deb12u10
Description: GNU C Library
 continued description: with a colon

Package: removed-one
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0

Package: perl-base
Status: install ok installed
Architecture: amd64
Version: 1:5.36.0-7+deb12u2
"""


def test_installed_debian_packages_only(tmp_path):
    status = tmp_path / "status"
    status.write_text(STATUS)
    assert sbom.debian_packages(status) == [
        {"name": "libc6", "version": "2.36-9+deb12u10", "arch": "amd64"},
        {"name": "perl-base", "version": "1:5.36.0-7+deb12u2", "arch": "amd64"}]


def test_document_is_sorted_encoded_and_the_same_for_the_same_packages(tmp_path):
    status = tmp_path / "status"
    status.write_text(STATUS)
    debs = sbom.debian_packages(status)
    pys = [{"name": "Zarr", "version": "2.18.3", "license": ""},
           {"name": "biomero", "version": "2.8.3", "license": "Apache-2.0"}]
    doc = sbom.document("1.2.3", debs, pys, "debian-12")
    purls = [c["purl"] for c in doc["components"]]
    assert purls == sorted(purls)
    assert "pkg:deb/debian/perl-base@1%3A5.36.0-7%2Bdeb12u2?arch=amd64&distro=debian-12" in purls
    assert "pkg:pypi/zarr@2.18.3" in purls
    biomero = next(c for c in doc["components"] if c["name"] == "biomero")
    assert biomero["licenses"] == [{"expression": "Apache-2.0"}]
    again = sbom.document("1.2.3", list(reversed(debs)), list(reversed(pys)), "debian-12")
    assert json.dumps(again, sort_keys=True) == json.dumps(doc, sort_keys=True)
    other = sbom.document("1.2.3", debs[:1], pys, "debian-12")
    assert other["serialNumber"] != doc["serialNumber"]
