"""A STAND-IN for github.com (no GitHub is reachable here): in-network
``https://github.com`` (alias ``github.com``, also ``github``), serving only what the
tests publish, as ``/<org>/<repo>/raw/<ref>/<file>`` (the URLs biomero fetches a
workflow's ``descriptor.json`` from).

Its certificate (DNS:github.com) is signed by a CA made per stack, in memory; the
CA's key is dropped once it has signed, so nothing else can be signed by it. A
client trusts the stand-in only with that CA: ``ca_pem``, or ``ca_file`` (under the
stack's workdir, to mount into a worker). ``requests()`` lists what was fetched."""

from __future__ import annotations

import io
import re
import tarfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

import docker
from tests.stack.container import HOST_ADDRESS
from tests.support.build_env import stack_image

FIXTURE = "github"
HOST = "github.com"
ALIASES = (HOST, "github")
PORT = 443
ROOT = "/srv/github"  # the server's document root (images/github/serve.py)
# Long enough for a session or a `make stack-up` left running a day; no longer.
VALIDITY = timedelta(days=2)
_REQUEST = re.compile(r"^REQUEST (\S+) (\S+) (\d{3})$")


@dataclass(frozen=True)
class GitHub:
    ca_pem: bytes = field(repr=False)
    ca_file: Path
    container: str
    host_port: int
    client: docker.DockerClient = field(repr=False, compare=False)
    host: str = HOST
    port: int = PORT

    def repo_url(self, org: str, repo: str, ref: str) -> str:
        """The repository as biomero's config names it (a workflow's ``_repo``)."""
        return f"https://{self.host}/{org}/{repo}/tree/{ref}"

    def raw_url(self, org: str, repo: str, ref: str, path: str) -> str:
        """Where biomero fetches PATH of that repository at REF from."""
        return f"https://{self.host}/{org}/{repo}/raw/{ref}/{path}"

    def publish(self, org: str, repo: str, ref: str, files: dict[str, bytes]) -> None:
        """Serve FILES ({relative path: content}) as ``raw_url(org, repo, ref, path)``;
        a file published again is replaced."""
        for what, value in (("org", org), ("repo", repo)):
            if "/" in value:
                raise ValueError(f"{what} has a slash: {value!r}")
        for value in (org, repo, ref, *files):
            if any(part in ("", ".", "..") for part in value.split("/")):
                raise ValueError(f"not a plain relative path: {value!r}")
        base = PurePosixPath(org, repo, "raw", ref)
        paths = {(base / name): data for name, data in files.items()}
        dirs = sorted({d for p in paths for d in p.parents if d != PurePosixPath(".")})
        now = time.time()
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            for d in dirs:  # root-owned, readable by the server's user
                info = tarfile.TarInfo(str(d))
                info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, now
                tar.addfile(info)
            for p, data in paths.items():
                info = tarfile.TarInfo(str(p))
                info.size, info.mode, info.mtime = len(data), 0o644, now
                tar.addfile(info, io.BytesIO(data))
        if not self.client.containers.get(self.container).put_archive(ROOT, buf.getvalue()):
            raise AssertionError(f"{self.container}: copying {sorted(files)} into {base} "
                                 "failed")

    def requests(self) -> list[tuple[str, str, int]]:
        """(method, path, status) of every request answered so far, oldest first."""
        out = self.client.containers.get(self.container).logs(stdout=True, stderr=False)
        return [(m[1], m[2], int(m[3])) for line in out.decode(errors="replace").splitlines()
                if (m := _REQUEST.match(line))]


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_certificates(session: str) -> tuple[bytes, bytes, bytes]:
    """(CA certificate, server certificate, server key), PEM: a fresh CA whose key
    signs one certificate for github.com, then is dropped with this frame."""
    now = datetime.now(UTC)
    start, end = now - timedelta(minutes=5), now + VALIDITY
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"biomero-stack test CA {session}")
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (x509.CertificateBuilder()
          .subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(start).not_valid_after(end)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False,
                                       decipher_only=False), critical=True)
          .add_extension(ca_ski, critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(_name(HOST)).issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                ca_ski), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    return (ca.public_bytes(pem), cert.public_bytes(pem),
            key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))


def start(stack) -> GitHub:
    ca_pem, cert_pem, key_pem = make_certificates(stack.session)
    ca_file = stack.workdir / "github" / "ca.pem"
    ca_file.parent.mkdir(exist_ok=True)
    ca_file.write_bytes(ca_pem)
    ca_file.chmod(0o644)  # public; readable by whichever user mounts it
    c = (stack.container(stack_image("github"), name="github", aliases=ALIASES,
                         service="github")
         .publish(PORT)
         .with_secret("github.crt", cert_pem)
         .with_secret("github.key", key_pem)
         .ready_when_healthy(30))
    c.start()
    return GitHub(ca_pem=ca_pem, ca_file=ca_file, container=c.name,
                  host_port=c.host_port(PORT), client=stack.docker)


def describe(gh: GitHub) -> dict:
    return {"in-network": f"https://{gh.host} (a stand-in: serves what tests publish "
                          f"under {ROOT} of {gh.container})",
            "CA": f"{gh.ca_file}  (mount into a worker and trust it)",
            "from here": f"curl --cacert {gh.ca_file} --resolve {gh.host}:{gh.host_port}:"
                         f"{HOST_ADDRESS} https://{gh.host}:{gh.host_port}/<org>/<repo>/raw/"
                         "<ref>/descriptor.json"}
