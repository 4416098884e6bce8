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


@pytest.fixture
def deployment(tmp_path, worker_image, stack_images):
    secrets = tmp_path / "secrets"
    made = subprocess.run([str(REPO / "deploy" / "make-secrets.sh"), str(secrets)],
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    project = f"biomero-deploy-{uuid.uuid4().hex[:8]}"
    base = [*compose_tool(), "--project-name", project, "--env-file",
            str(secrets / "compose.env"), "-f", str(COMPOSE_FILE)]
    env = {**os.environ, **images()}

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
        leftovers = docker("ps", "-aq", "--filter", f"label=com.docker.compose.project={project}",
                           check=False).stdout.split()
        assert down.returncode == 0 and not leftovers, f"down failed: {down.stderr}"


def container_id(run, service) -> str:
    return run("ps", "-q", service).stdout.strip()


def health(cid: str) -> str:
    state = json.loads(docker("inspect", cid).stdout)[0]["State"]
    if state["Status"] != "running":
        raise AssertionError(f"{cid} is {state['Status']} (exit {state.get('ExitCode')})")
    return state["Health"]["Status"]


def test_compose_up_reaches_healthy_and_doctor_passes(deployment):
    run, _ = deployment
    run("up", "-d", timeout=600)
    cid = container_id(run, WORKER)
    try:
        wait_until("the worker to turn healthy", lambda: health(cid) == "healthy", 300,
                   interval=2.0)
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
        for check in ("config", "host-keys", "ssh", "slurm", "slurm-paths", "database",
                      "registry", "node"):
            assert re.search(rf"^OK\s+{check}\s", doctor.stdout, re.M), doctor.stdout
        config = json.loads(docker("inspect", cid).stdout)[0]
        assert config["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
    except Exception:  # the services' logs, for the report
        print(run("logs", "--no-color", "--tail", "200", timeout=120, check=False).stdout)
        raise
