"""The worker's logs reach `docker logs`, each line prefixed with the file it comes
from (the node's, the Processor's, every script's), the log files stay, the log
level (CONFIG_omero_logging_level, as upstream's compose sets it) really changes
the Processor's and the scripts' logging, and no secret shows. Real node, real
registry, omero-py's real Processor server and ProcessI."""

from __future__ import annotations

import re
import uuid

from biomero_worker import layout
from tests.support.wait import wait_until
from tests.worker.service import (
    SECRET_TOKEN,
    WORKER_NAME,
    icegridadmin,
    placed_processor,
    run_script,
)

LOGGING_SCRIPT = """
import logging, sys
logging.basicConfig(level=logging.DEBUG, stream=sys.stdout, format="%(levelname)s %(message)s")
print("{marker} printed")
logging.debug("{marker} debug record")
logging.info("{marker} info record")
logging.warning("{marker} warning record")
sys.stderr.write("{marker} on stderr\\n")
"""


def test_a_line_a_script_printed_reaches_docker_logs_with_its_job(worker):
    marker = "marker-" + uuid.uuid4().hex[:8]
    run_script(worker, LOGGING_SCRIPT.format(marker=marker), job="501")
    logs = worker.wait_for_log(f"[scripts.log] job 501 stderr: {marker} on stderr", 30)
    assert f"[scripts.log] job 501 stdout: {marker} printed" in logs
    # and the file stays for OMERO's tools
    code, out = worker.exec(f"grep -c {marker} {layout.scripts_log()}")
    assert code == 0 and int(out.strip()) >= 4, out


def test_the_log_level_drops_a_scripts_records_below_it(worker):
    marker = "marker-" + uuid.uuid4().hex[:8]
    # the Processor's environment is the node's: the variable as the node has it
    out = run_script(worker, LOGGING_SCRIPT.format(marker=marker), job="502",
                     env={"CONFIG_omero_logging_level": "WARNING"})
    assert f"WARNING {marker} warning record" in out and f"{marker} printed" in out
    assert f"{marker} info record" not in out and f"{marker} debug record" not in out, out
    out = run_script(worker, LOGGING_SCRIPT.format(marker=marker), job="503")  # 10: all
    assert f"DEBUG {marker} debug record" in out and f"INFO {marker} info record" in out


def test_the_nodes_and_the_processors_lines_reach_docker_logs_at_the_level_set(worker):
    logs = worker.wait_for_log(f"[{WORKER_NAME}.err] ", 30)
    assert "established session with replica" in logs
    with placed_processor(worker, app="LogTest", node=WORKER_NAME, server="Processor-0"):
        # IceGrid.Node.PropertiesOverride put the worker's level on the server. Its
        # Admin object answers once the started process has set up its communicator,
        # which on a loaded machine comes a moment after the pid.
        def level():
            code, out = icegridadmin(worker, "server property Processor-0 omero.logging.level")
            return out.strip() if code == 0 else None

        assert wait_until("Processor-0's Admin object to answer", level, 60, interval=1) == "10"
        # (omero-py's Server reads it to configure its logging, then, with no OMERO
        # server here, waits for one: its first lines are what it can say)
        wait_until("the Processor's first lines in docker logs",
                   lambda: any("on startup" in ln for ln in worker.logs().splitlines()
                               if ln.startswith("[Processor-0.log] ")), 60, interval=0.5)


ENV_DUMP = re.compile(r"\[scripts\.log\] job \S+ stdout: ENV=\{")


def test_no_secret_in_docker_logs(worker, facts):
    """Whatever ran so far plus a script that logs at DEBUG while biomero reads its
    configuration: none of the stack's secrets in the container's log.

    Except what a script printed on purpose: other tests' scripts that print their
    whole environment (``ENV=...``: SQLALCHEMY_URL, which biomero needs, among it)
    may have run on this worker first, in an order pytest-xdist chooses."""
    marker = "marker-" + uuid.uuid4().hex[:8]
    run_script(worker, f"""
import logging, os, sys
logging.basicConfig(level=logging.DEBUG, stream=sys.stdout)
from biomero import SlurmClient
SlurmClient.init_workflows = lambda self, force_update=False: None  # no GitHub here
SlurmClient.from_config(config_only=True)
print("{marker}", sorted(os.environ))
""", job="504")
    logs = worker.wait_for_log(f"[scripts.log] job 504 stdout: {marker}", 30)
    logs = "\n".join(ln for ln in logs.splitlines() if not ENV_DUMP.match(ln))
    secrets = [facts.db_password, facts.admin_password, SECRET_TOKEN]
    secrets += [ln for ln in facts.ssh_key.read_text().splitlines()
                if len(ln) > 20 and "PRIVATE KEY" not in ln]
    leaked = [s for s in secrets if s in logs]
    assert not leaked, f"{len(leaked)} secret(s) in docker logs"
