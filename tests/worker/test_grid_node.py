"""The worker as an OMERO.grid node, against the test stack's IceGrid registries:
it registers and runs Processors with the image's Python, a second worker joins on
a fixed port, the health check turns healthy, and the node follows its master
when that master is unresolvable, recreated at another address or gone."""

from __future__ import annotations

import time

from biomero_worker import layout
from tests.stack.services import icegrid
from tests.support.build_env import stack_image
from tests.support.wait import wait_until
from tests.worker.service import (
    RUNTIME_OVERRIDES,
    WORKER_NAME,
    icegridadmin,
    make_overrides,
    placed_processor,
    run_to_exit,
    start_worker,
    upstream_mounts,
    worker_environment,
)


def test_node_registers_and_runs_processor_with_the_image_python(worker):
    wait_until("the registry to list the node",
               lambda: WORKER_NAME in icegridadmin(worker, "node list")[1], 60, interval=1.0)
    with placed_processor(worker, app="WorkerTest", node="biomeroworker",
                          server="Processor-0") as p:
        code, cmdline = worker.exec(f"tr '\\0' ' ' < /proc/{p}/cmdline")
        assert "-m runProcessor" in cmdline, cmdline
        # omero-py and IcePy from the image's venv are what the process runs on
        code, maps = worker.exec(f"grep -o '{layout.VENV}/[^ ]*IcePy[^ ]*' "
                                 f"/proc/{p}/maps | sort -u")
        assert code == 0 and "IcePy" in maps, maps
        code, user = worker.exec(f"stat -c %U /proc/{p}")
        assert user.strip() == "omero-server"


def test_second_worker_with_fixed_port_by_configuration_and_clean_sigterm(
        stack, worker_image, facts, worker, tmp_path):
    w2 = start_worker(stack, worker_image, facts, name="biomeroworker2",
                      env=worker_environment(facts, name="biomeroworker2",
                                             OMERO_WORKER_PORT="4062",
                                             # as an external worker would: listen on
                                             # every interface, publish a host name
                                             OMERO_WORKER_PUBLISHED_HOST="biomeroworker2"),
                      mounts=upstream_mounts(tmp_path, facts))
    try:
        w2.wait_started()
        wait_until("the registry to list the second node",
                   lambda: "biomeroworker2" in icegridadmin(worker, "node list")[1], 60,
                   interval=1.0)
        # Processor-1 placed on the second node runs there
        with placed_processor(worker, app="WorkerTest2", node="biomeroworker2",
                              server="Processor-1") as p:
            code, cmdline = w2.exec(f"tr '\\0' ' ' < /proc/{p}/cmdline")
            assert "-m runProcessor" in cmdline, cmdline
        code, out = w2.exec("cat $OMERODIR/etc/biomeroworker2.cfg")
        assert "PublishedEndpoints=tcp -h biomeroworker2 -p 4062" in out, out
        code, out = w2.exec("awk '$2 ~ /:0FDE$/ && $4 == \"0A\"' /proc/net/tcp | wc -l")
        assert code == 0 and int(out.strip()) >= 1, out  # the node listens on 4062
        t0 = time.monotonic()
        w2.docker.stop(timeout=30)
        stopped_in = time.monotonic() - t0
        w2.docker.reload()
        assert w2.docker.attrs["State"]["ExitCode"] == 0, w2.logs()
        assert stopped_in < 20, stopped_in
    finally:
        w2.remove()


def test_master_unresolvable_clear_failure(stack, worker_image, facts, tmp_path):
    code, logs, _ = run_to_exit(
        stack, worker_image, facts, name="nomaster",
        env=worker_environment(facts, name="nomaster",
                               CONFIG_omero_master_host="no-such-master.invalid",
                               OMERO_RESOLVE_WAIT_SECONDS="3"),
        mounts=upstream_mounts(tmp_path, facts))
    assert code != 0, logs
    assert "master (CONFIG_omero_master_host) 'no-such-master.invalid' does not resolve" in logs


def test_node_returns_to_a_master_recreated_at_another_address(stack, worker_image, facts,
                                                                tmp_path):
    """An upgrade or `compose up` recreates the master, which may get a new address:
    the node (which names the master, never its address) registers again, without a
    worker restart."""
    alias = "movingmaster"
    first = icegrid.start(stack, alias=alias, short_timeouts=True)
    w = start_worker(stack, worker_image, facts, name="follower",
                     env=worker_environment(facts, name="follower",
                                            CONFIG_omero_master_host=alias),
                     mounts={RUNTIME_OVERRIDES: make_overrides(tmp_path)})
    try:
        w.wait_started()
        wait_until("the node to register", lambda: "follower" in
                   first.admin("node list").stdout.split(), 60, interval=1)
        old_address = address_of(stack, first.container)
        stack.docker.containers.get(first.container).remove(force=True)
        # take the freed address, so that the new master must get another one
        placeholder = (stack.container(stack_image("icegrid"), name="placeholder",
                                       service="placeholder").with_command(["sleep", "600"]))
        placeholder.start()
        second = icegrid.start(stack, alias=alias)
        assert address_of(stack, second.container) != old_address
        wait_until("the node to register with the new master", lambda: "follower" in
                   second.admin("node list").stdout.split(), 30, interval=1)
        assert w.docker.status == "running"
    finally:
        w.remove()


def address_of(stack, container: str) -> str:
    attrs = stack.docker.containers.get(container).attrs
    return attrs["NetworkSettings"]["Networks"][stack.network_name]["IPAddress"]


def test_a_refused_admin_login_is_a_warning_not_a_failed_node(worker):
    code, out = worker.exec("doctor --only node", env={"OMERO_ICEGRID_ADMIN_PASSWORD": "wrong"})
    assert code == 0 and out.startswith("WARN") and "admin login refused" in out, out


def test_doctor_fails_the_node_line_while_its_master_is_gone(stack, worker_image, facts,
                                                              tmp_path):
    alias = "vanishingmaster"
    master = icegrid.start(stack, alias=alias, short_timeouts=True)
    w = start_worker(stack, worker_image, facts, name="orphan",
                     env=worker_environment(facts, name="orphan", CONFIG_omero_master_host=alias,
                                            OMERO_ICEGRID_ADMIN_USER=master.admin_user,
                                            OMERO_ICEGRID_ADMIN_PASSWORD=master.admin_password),
                     mounts={RUNTIME_OVERRIDES: make_overrides(tmp_path)})
    try:
        w.wait_started()
        wait_until("doctor's node line to pass", lambda: w.exec("doctor --only node")[0] == 0,
                   60, interval=1)
        stack.docker.containers.get(master.container).stop(timeout=5)
        code, out = w.exec("doctor --only node --timeout 3", timeout=60)
        assert code == 1 and "FAIL" in out and "has no registry" in out, out
        # and the image's health check says so once the node notices (its keepalive)
        wait_until("health to report the lost session",
                   lambda: w.exec("biomero-worker health")[0] == 1, 90, interval=2)
        assert "lost" in w.exec("biomero-worker health")[1]
    finally:
        w.remove()


def test_the_worker_turns_healthy_and_a_site_step_after_99_does_not_replace_the_node(
        stack, worker_image, facts, tmp_path):
    steps = tmp_path / "site-steps"
    steps.mkdir()
    (steps / "zz-site.sh").write_text("#!/bin/sh\necho site step ran\n")
    (steps / "zz-site.sh").chmod(0o755)
    (steps / "zz-notes.txt").write_text("not a step\n")
    w = start_worker(stack, worker_image, facts, name="healthy",
                     env=worker_environment(facts, name="healthy"),
                     mounts={RUNTIME_OVERRIDES: make_overrides(tmp_path),
                             "/startup/zz-site.sh": steps / "zz-site.sh",
                             "/startup/zz-notes.txt": steps / "zz-notes.txt"})
    try:
        logs = w.wait_started()
        assert "site step ran" in logs and "skipping /startup/zz-notes.txt: not an executable" \
            in logs, logs

        def health():
            w.docker.reload()
            return w.docker.attrs["State"]["Health"]["Status"] == "healthy"

        wait_until("the worker's HEALTHCHECK to say healthy", health, 120, alive=w.running)
        code, out = w.exec("biomero-worker health")
        assert (code, out.strip()) == (0, "healthy")
    finally:
        w.remove()

