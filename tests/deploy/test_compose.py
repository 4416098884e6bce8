"""deploy/compose.yaml with the Compose tool of this machine (docker-compose 1.29):
per-run secrets (deploy/make-secrets.sh), `up -d`, the worker turns `healthy`
(its image's HEALTHCHECK, after its neighbours' through `service_healthy`), `doctor`
passes in it, `down -v` removes everything. The neighbours are the test stack's
images: the compose file says so."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import uuid

import pytest

from tests.support import build_env
from tests.support.build_env import REPO
from tests.support.docker_exec import docker
from tests.support.wait import wait_until

COMPOSE_FILE = REPO / "deploy" / "compose.yaml"
WORKER = "biomeroworker"


def compose_tool() -> list[str]:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    pytest.fail("no Compose tool (docker-compose or docker compose) on this machine",
                pytrace=False)


def images() -> dict[str, str]:
    """The compose file's image variables, as build.env names the images."""
    prefix, tag = build_env.get("STACK_IMAGE_PREFIX"), build_env.get("STACK_IMAGE_TAG")
    return {"BIOMERO_WORKER_IMAGE": build_env.worker_image(),
            **{f"BIOMERO_STACK_{s.upper()}_IMAGE": f"{prefix}{s}:{tag}"
               for s in ("slurm", "icegrid", "postgres")}}


def test_the_compose_files_default_images_are_build_envs():
    text = COMPOSE_FILE.read_text()
    defaults = dict(re.findall(r"\$\{(BIOMERO_[A-Z_]+_IMAGE):-([^}]+)\}", text))
    expected = images()
    expected["BIOMERO_WORKER_IMAGE"] = f"{build_env.get('IMAGE')}:latest"
    assert defaults == expected


@pytest.fixture(scope="module")
def compose_images() -> dict[str, str]:
    """The images the compose file runs, as the test passes them: present in the engine,
    or the test fails. Never built here (`make test` builds them first; a run of this
    suite alone must not start a build in a shared engine)."""
    wanted = images()
    missing = [tag for tag in wanted.values()
               if docker("image", "inspect", tag, check=False, timeout=60).returncode != 0]
    if missing:
        pytest.fail(f"images missing: {', '.join(missing)}: build them with "
                    "`make image stack-images`", pytrace=False)
    return wanted


@pytest.fixture
def deployment(tmp_path, compose_images):
    secrets = tmp_path / "secrets"
    made = subprocess.run([str(REPO / "deploy" / "make-secrets.sh"), str(secrets)],
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    project = f"biomero-deploy-{uuid.uuid4().hex[:8]}"
    base = [*compose_tool(), "--project-name", project, "--env-file",
            str(secrets / "compose.env"), "-f", str(COMPOSE_FILE)]
    env = {**os.environ, **compose_images}

    def run(*args, timeout=300, check=True):
        proc = subprocess.run([*base, *args], capture_output=True, text=True, env=env,
                              timeout=timeout)
        if check:
            assert proc.returncode == 0, f"{args}: {proc.stdout}\n{proc.stderr}"
        return proc

    try:
        yield run, secrets
    finally:
        down = run("down", "-v", "--remove-orphans", timeout=300, check=False)
        label = f"label=com.docker.compose.project={project}"
        leftovers = {kind: docker(*ls, "--filter", label, check=False).stdout.split()
                     for kind, ls in (("containers", ("ps", "-aq")),
                                      ("volumes", ("volume", "ls", "-q")),
                                      ("networks", ("network", "ls", "-q")))}
        assert down.returncode == 0, f"down -v failed: {down.stdout}\n{down.stderr}"
        assert not any(leftovers.values()), f"left behind by down -v: {leftovers}"


def container_id(run, service) -> str:
    return run("ps", "-q", service).stdout.strip()


def inspect(cid: str) -> dict:
    return json.loads(docker("inspect", cid).stdout)[0]


def health(cid: str) -> str:
    return inspect(cid)["State"]["Health"]["Status"]


def not_restarted(cid: str) -> None:
    """For the wait: a worker that stopped (and was restarted by its policy) failed
    its start-up; waiting on is hopeless."""
    found = inspect(cid)
    state = found["State"]
    if state["Status"] not in ("created", "running") or found["RestartCount"]:
        raise AssertionError(f"the worker failed its start-up: {state['Status']}, restarted "
                             f"{found['RestartCount']} time(s) by its policy")


def test_compose_up_reaches_healthy_and_doctor_passes(deployment):
    run, _ = deployment
    try:
        run("up", "-d", timeout=600)
        cid = container_id(run, WORKER)
        wait_until("the worker to turn healthy", lambda: health(cid) == "healthy", 300,
                   alive=lambda: not_restarted(cid), interval=2.0)
        # the Slurm paths of the worker's config, made over its own ssh (BIOMERO's
        # init script would), then the full check
        paths = run("exec", "-T", WORKER, "python", "-c",
                    "import configparser, os; c = configparser.ConfigParser(); "
                    "c.read(os.environ['BIOMERO_SLURM_CONFIG_FILE']); "
                    "print(' '.join(v for k, v in c['SLURM'].items() "
                    "if k.startswith('slurm_') and k.endswith('_path') and v))").stdout
        run("exec", "-T", WORKER, "ssh", "localslurm", "mkdir", "-p", *paths.split())
        doctor = run("exec", "-T", WORKER, "doctor", check=False)
        assert doctor.returncode == 0, doctor.stdout + doctor.stderr
        from biomero_worker.doctor import Doctor

        for check in Doctor.CHECKS:  # every check has its line, none fails
            assert re.search(rf"^(OK|INFO|WARN)\s+{check}\s", doctor.stdout, re.M), \
                doctor.stdout
        assert inspect(cid)["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
    except Exception as exc:  # the failure, with every service's log attached
        logs = run("logs", "--no-color", "--tail", "200", timeout=120, check=False)
        raise AssertionError(f"{exc}\n--- docker-compose logs (last 200 lines each):\n"
                             f"{logs.stdout}{logs.stderr}") from exc
