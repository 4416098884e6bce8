"""The worker as a neighbour of the test stack: the real worker image started on the
stack's network the way upstream's compose file starts its `biomeroworker` service
(same variables, same mounts). Used by the worker tests and by `make bench-worker`.

The container is a stack container (tests/stack): created on the stack network with
the worker's name as host name and alias, removed with the stack, its log attached
to failing tests, every exec bounded in time.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import textwrap
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from biomero_worker import layout
from tests.stack.session import Stack
from tests.support.wait import wait_until

WORKER_NAME = "biomeroworker"
SSH_ALIAS = "localslurm"  # the [SSH] host of config/base, resolved by ~/.ssh/config
RUNTIME_OVERRIDES = str(layout.LAYER_DEFAULTS["RUNTIME_OVERRIDES"])
SSH_MOUNT = str(layout.SSH_MOUNT)
SLURM_TEST_ROOT = "/data/biomero-worker-test"
SLURM_PATHS = {
    "slurm_data_path": f"{SLURM_TEST_ROOT}/data",
    "slurm_images_path": f"{SLURM_TEST_ROOT}/singularity_images/workflows",
    "slurm_converters_path": f"{SLURM_TEST_ROOT}/singularity_images/converters",
    "slurm_script_path": f"{SLURM_TEST_ROOT}/slurm-scripts",
}
# In the worker's environment, never allow-listed: must not reach scripts.
SECRET_TOKEN = "not-for-scripts-" + uuid.uuid4().hex[:8]
HTTPS_PROXY = "http://proxy.invalid:3128"
# What start-node prints just before it becomes icegridnode: preparation is done.
STARTED = "start-node: exec icegridnode"


@dataclass
class StackFacts:
    """What the worker needs to know about the test stack (tests/stack handles)."""
    network: str
    sqlalchemy_url: str  # in-network, with password
    db_password: str
    ssh_key: Path  # private key authorised for the Slurm user on the login node
    ssh_host: str  # in-network name of the Slurm login node
    ssh_user: str
    master: str  # in-network name of the IceGrid registry
    admin_user: str
    admin_password: str
    known_hosts: Path | None = None


@contextlib.contextmanager
def temporary_stack(prefix: str):
    """Outside pytest (`make demo`, the benchmarks): every service of a new test
    stack, in a temporary directory; yields (stack, {service: handle}, facts, that
    directory). Containers, network, volumes and the directory go afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    stack = Stack(tmp / "stack")
    try:
        up = stack.up()
        yield stack, up, stack_facts(stack.network_name, up["postgres"], up["slurm"],
                                     up["icegrid"]), tmp
    finally:
        stack.down()
        shutil.rmtree(tmp, ignore_errors=True)


def stack_facts(network: str, postgres, slurm, registry) -> StackFacts:
    return StackFacts(
        network=network, sqlalchemy_url=postgres.sqlalchemy_url,
        db_password=postgres.password, ssh_key=Path(slurm.private_key),
        ssh_host=slurm.host, ssh_user=slurm.user, master=registry.host,
        admin_user=registry.admin_user, admin_password=registry.admin_password,
        known_hosts=Path(slurm.ssh_dir) / "known_hosts")


@dataclass
class Worker:
    container: object  # tests.stack.container.StackContainer, started
    mounts: dict[str, Path] = field(default_factory=dict)

    @property
    def docker(self):
        """The docker SDK container (wait, stop, reload, attrs)."""
        return self.container.get_wrapped_container()

    def exec(self, cmd, env=None, user=None, timeout: float = 180) -> tuple[int, str]:
        """Run CMD (list, or shell string) in the worker, bounded; (exit code, output)."""
        r = self.container.exec(cmd, env=env, user=user, timeout=timeout)
        return r.exit_code, r.stdout + r.stderr

    def python(self, code: str, env=None):
        return self.exec(["python", "-c", code], env=env)

    def logs(self) -> str:
        return self.container.log_text()

    def running(self) -> None:
        """Raise (with the log) when the container is no longer running."""
        self.docker.reload()
        if self.docker.status == "exited":
            raise AssertionError(f"the worker exited:\n{self.logs()}")

    def wait_for_log(self, needle: str, timeout: float = 60) -> str:
        wait_until(f"{needle!r} in the worker's log", lambda: needle in self.logs(),
                   timeout, alive=self.running, interval=0.5)
        return self.logs()

    def wait_started(self, timeout: float = 180) -> str:
        return self.wait_for_log(STARTED, timeout)

    def run_to_exit(self, timeout: float = 120) -> tuple[int, str]:
        """Wait for the container to stop; (exit code, log)."""
        code = self.docker.wait(timeout=timeout)["StatusCode"]
        return code, self.logs()

    def remove(self) -> None:
        self.docker.remove(force=True, v=True)  # and its anonymous volumes (the VOLUME)


def make_ssh_mount(tmp: Path, facts: StackFacts) -> Path:
    """Like `~/.ssh:/tmp/.ssh:ro` on a deployer's machine: a key, its .pub, and a
    config naming the [SSH] host alias. Modes here are deliberately loose (644):
    the 10-mount-ssh step must fix them in the copy."""
    d = tmp / "ssh"
    d.mkdir()
    key = d / "id_ed25519"
    shutil.copyfile(facts.ssh_key, key)
    pub = Path(str(facts.ssh_key) + ".pub")
    if pub.exists():
        shutil.copyfile(pub, d / "id_ed25519.pub")
    if facts.known_hosts and facts.known_hosts.exists():
        shutil.copyfile(facts.known_hosts, d / "known_hosts")
    (d / "config").write_text(
        f"Host {SSH_ALIAS}\n"
        f"    HostName {facts.ssh_host}\n"
        f"    User {facts.ssh_user}\n"
        "    IdentityFile ~/.ssh/id_ed25519\n")
    for f in d.iterdir():
        f.chmod(0o644)
    d.chmod(0o755)
    return d


def make_overrides(tmp: Path) -> Path:
    """The runtime layer directory: Slurm paths of the test cluster. Files are added
    and removed by tests while the worker runs."""
    d = tmp / "overrides.d"
    d.mkdir()
    d.chmod(0o755)
    body = "[SLURM]\n" + "".join(f"{k}={v}\n" for k, v in SLURM_PATHS.items())
    (d / "10-test-cluster.ini").write_text(body)
    return d


def upstream_mounts(tmp: Path, facts: StackFacts) -> dict[str, Path]:
    """The mounts of upstream's compose service, made in TMP: the SSH directory
    (read-only) and a runtime layer directory with the test cluster's paths."""
    return {SSH_MOUNT: make_ssh_mount(tmp, facts), RUNTIME_OVERRIDES: make_overrides(tmp)}


def worker_environment(facts: StackFacts, name: str = WORKER_NAME, **extra) -> dict:
    env = {
        "CONFIG_omero_master_host": facts.master,
        "OMERO_WORKER_NAME": name,
        "SQLALCHEMY_URL": facts.sqlalchemy_url,
        "PERSISTENCE_MODULE": "eventsourcing_sqlalchemy",
        "OMERO_ICEGRID_ADMIN_USER": facts.admin_user,
        "OMERO_ICEGRID_ADMIN_PASSWORD": facts.admin_password,
        "HTTPS_PROXY": HTTPS_PROXY,
        "NO_PROXY": "localhost,database,master",
        "SECRET_TOKEN": SECRET_TOKEN,
        "BIOMERO_DB_WAIT_SECONDS": "60",
        "CONFIG_omero_logging_level": "10",  # as upstream's compose sets it
    }
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


def start_worker(stack, image: str, facts: StackFacts, *, name: str = WORKER_NAME,
                 env: dict | None = None, mounts: dict | None = None,
                 command: list[str] | None = None, **run) -> Worker:
    """docker run, the compose way; mounts as {container_path: host_path or
    (host_path, mode)}; RUN: more of docker run's options (user, read_only, tmpfs)."""
    mounts = mounts or {}
    container = stack.container(image, name=f"{name}-{uuid.uuid4().hex[:6]}",
                                aliases=[name], service="worker")
    for path, options in run.pop("tmpfs", {}).items():
        container.tmpfs[path] = options  # testcontainers passes them to docker as they are
    container.with_kwargs(hostname=name, **run)
    for key, value in (env or {}).items():
        container.with_env(key, value)
    for inside, host in mounts.items():
        # the SSH mount read-only, as upstream mounts it; (path, "ro") for others
        host, mode = host if isinstance(host, tuple) else (host, "ro" if inside == SSH_MOUNT
                                                           else "rw")
        container.with_volume_mapping(str(host), inside, mode)
    if command:
        container.with_command(command)
    container.start()
    return Worker(container, {k: (v[0] if isinstance(v, tuple) else v)
                              for k, v in mounts.items()})


def run_to_exit(stack, image, facts, *, timeout=120, **kw) -> tuple[int, str, float]:
    """Start a worker container and wait for it to stop: (exit code, log, seconds)."""
    t0 = time.monotonic()
    w = start_worker(stack, image, facts, **kw)
    try:
        code, log = w.run_to_exit(timeout)
        return code, log, time.monotonic() - t0
    finally:
        w.remove()


# How Processor-0 starts a script: omero-py's real ProcessI (with the venv's
# script_env hook), its real make_env/activate/Popen. Python source run in the
# worker, by run_script below and by scripts that launch sub-scripts as OMERO would
# (tests/workflow/scripts/run_workflow.py).
PROCESSI_LAUNCH = """
import sys as _sys, threading as _threading, time as _time, types as _types
import omero.processor as _processor


def launch_script(text, job, timeout):
    \"\"\"TEXT run as Processor-0 runs a script: (exit code, stdout, stderr).\"\"\"
    ctx = _types.SimpleNamespace(stop_event=_threading.Event(), communicator=None)
    proc = _processor.ProcessI(ctx, _sys.executable,
                               {"omero.user": "worker-test", "omero.job": job}, None)
    proc.script_path.write_text(text)
    proc.activate()
    deadline = _time.monotonic() + timeout
    while proc.popen.poll() is None:
        if _time.monotonic() > deadline:
            proc.popen.kill()
            raise SystemExit(f"script (job {job}) still running after {timeout} s")
        _time.sleep(0.1)
    return proc.popen.returncode, proc.stdout_path.text(), proc.stderr_path.text()
"""
# run_script's launcher: the script's stdout, then its stderr after a marker.
PROCESSI_RUNNER = """
import logging
logging.getLogger("script_env").addHandler(logging.StreamHandler(_sys.stdout))
rc, out, err = launch_script({script!r}, {job!r}, 300)
print(out)
print("---stderr---")
print(err)
print("---rc=%d---" % rc)
"""


def run_script(worker: Worker, script: str, env=None, job: str = "4242") -> str:
    """Launch SCRIPT through omero-py's ProcessI in the worker; its stdout (the
    Processor's log lines included), asserting it exited 0."""
    code, out = worker.exec(
        ["bash", "-c", 'cd "$OMERODIR" && exec python -c "$RUNNER"'],
        env={"RUNNER": PROCESSI_LAUNCH + PROCESSI_RUNNER.format(
            script=textwrap.dedent(script), job=job), **(env or {})})
    assert code == 0, out
    assert "---rc=0---" in out, out
    return out.split("---stderr---")[0]


# -- the grid node, through the registry -------------------------------------------
def icegridadmin(worker, command: str, timeout_ms=5000):
    return worker.exec(
        f'icegridadmin "--Ice.Config={layout.OMERODIR}/etc/internal.cfg" '
        f'--Ice.Override.ConnectTimeout={timeout_ms} '
        f'-u "$OMERO_ICEGRID_ADMIN_USER" -p "$OMERO_ICEGRID_ADMIN_PASSWORD" -e "{command}"')


@contextlib.contextmanager
def placed_processor(worker, *, app: str, node: str, server: str):
    """Place `server` on `node` with OMERO's Processor descriptor (through the
    registry, from inside `worker`), yield its pid once the node started it,
    and remove the application afterwards."""
    code, out = worker.exec(
        f"cat > /tmp/{app}.xml <<'EOF'\n"
        + PROCESSOR_DESCRIPTOR.format(app=app, node=node, server=server,
                                      omerodir=layout.OMERODIR) + "EOF\n")
    assert code == 0, out
    code, out = icegridadmin(worker, f"application add /tmp/{app}.xml")
    assert code == 0, out
    try:
        def pid():
            c, o = icegridadmin(worker, f"server pid {server}")
            return o.strip() if c == 0 and o.strip().isdigit() else None
        yield wait_until(f"the node to start {server}", pid, 60, interval=1.0)
    finally:
        icegridadmin(worker, f"application remove {app}")


PROCESSOR_DESCRIPTOR = """<icegrid>
  <application name="{app}">
    <node name="{node}">
      <server id="{server}" exe="python" activation="always" pwd="{omerodir}"
              deactivation-timeout="3">
        <option>-m</option>
        <option>runProcessor</option>
        <env>OMERO_STARTUP_WAIT=120000</env>
        <adapter name="ProcessorAdapter" endpoints="tcp"/>
      </server>
    </node>
  </application>
</icegrid>
"""
