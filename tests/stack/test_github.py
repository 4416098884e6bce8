"""The stand-in for github.com: a client on the stack network, trusting only the
session's CA, fetches what a test published, as biomero fetches a workflow's
descriptor; without that CA the certificate is refused; what was not published is
a 404."""

import base64
import json
import secrets

import pytest

from tests.support.build_env import stack_image
from tests.support.wait import wait_until

CA_IN_CLIENT = "/tmp/github-ca.pem"
# Run in the client container: python3 -c FETCH URL [CAFILE]; prints one JSON line.
# No CAFILE: the default trust store (this image has none: no ca-certificates).
FETCH = """
import base64, json, ssl, sys, urllib.error, urllib.request
url, cafile = sys.argv[1], (sys.argv[2:] or [None])[0]
context = ssl.create_default_context(cafile=cafile)
try:
    with urllib.request.urlopen(url, context=context, timeout=10) as r:
        out = {"status": r.status, "body": base64.b64encode(r.read()).decode()}
except urllib.error.HTTPError as e:
    out = {"status": e.code}
except urllib.error.URLError as e:
    out = {"error": type(e.reason).__name__, "reason": str(e.reason)}
print(json.dumps(out))
"""
DESCRIPTOR = json.dumps({"name": "stand-in workflow", "schema-version": "0.5.0",
                         "container-image": {"image": "example/w", "type": "singularity"}},
                        indent=2).encode()


@pytest.fixture(scope="module")
def client(stack, github):
    """A container on the stack network (the server's image, not its server) with the
    session's CA at CA_IN_CLIENT."""
    c = (stack.container(stack_image("github"), name=f"github-client-{secrets.token_hex(3)}",
                         service="github-client")
         .with_kwargs(entrypoint=["sleep", "infinity"], healthcheck={"test": ["NONE"]})
         .with_file(CA_IN_CLIENT, github.ca_pem))
    c.start()
    yield c
    c.stop()


@pytest.fixture
def repo(github):
    """A freshly published repository: (org, repo, ref)."""
    org, name, ref = f"org-{secrets.token_hex(3)}", "workflow", "v1.2.3"
    github.publish(org, name, ref, {"descriptor.json": DESCRIPTOR})
    return org, name, ref


def fetch(client, url: str, cafile: str | None = CA_IN_CLIENT) -> dict:
    res = client.exec(["python3", "-c", FETCH, url, *([cafile] if cafile else [])],
                      timeout=30).check("fetch")
    return json.loads(res.stdout)


def path_of(url: str) -> str:
    return url.removeprefix("https://github.com")


def test_a_published_file_is_fetched_with_only_the_sessions_ca(github, client, repo):
    url = github.raw_url(*repo, "descriptor.json")
    assert url == f"https://github.com/{repo[0]}/workflow/raw/v1.2.3/descriptor.json"
    got = fetch(client, url)
    assert got.get("status") == 200, got
    assert base64.b64decode(got["body"]) == DESCRIPTOR
    wait_until("the fetch in the server's request log",
               lambda: ("GET", path_of(url), 200) in github.requests(), 5)


def test_without_the_ca_the_certificate_is_refused(github, client, repo):
    url = github.raw_url(*repo, "descriptor.json")
    got = fetch(client, url, cafile=None)
    assert got.get("error") == "SSLCertVerificationError", got
    assert "certificate verify failed" in got["reason"]
    assert not [r for r in github.requests() if r[1] == path_of(url)]  # never asked


def test_what_was_not_published_is_a_404(github, client, repo):
    org, name, ref = repo
    for url in (github.raw_url(org, name, ref, "missing.json"),
                github.raw_url(org, name, "other-ref", "descriptor.json"),
                f"https://github.com/{org}/{name}/raw/{ref}/",  # no directory listing
                github.raw_url(org, name, ref, "../../../../../etc/passwd")):
        assert fetch(client, url) == {"status": 404}, url
    wait_until("the 404 in the server's request log",
               lambda: ("GET", f"/{org}/{name}/raw/{ref}/missing.json", 404)
               in github.requests(), 5)


def test_the_handle_names_the_repository_as_biomeros_config_does(github, stack):
    assert github.repo_url("org", "repo", "v1") == "https://github.com/org/repo/tree/v1"
    assert github.ca_file.read_bytes() == github.ca_pem
    assert b"PRIVATE KEY" not in github.ca_pem
    assert [p.name for p in github.ca_file.parent.iterdir()] == ["ca.pem"]
    container = stack.docker.containers.get(github.container)
    assert "PRIVATE KEY" not in container.logs().decode()
    with pytest.raises(ValueError):
        github.publish("org", "repo", "v1", {"../escape": b""})
