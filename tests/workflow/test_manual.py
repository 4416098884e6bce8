"""The worker's manual, as written: each command that upstream's worker documentation
(NL-BIOMERO's "BIOMERO Worker Container" page, sections "Configuration Testing",
"Eventsourcing" and "Troubleshooting") tells an admin to type in the worker, run
with `docker exec` in a worker on the test stack, after one real workflow.

The commands are copied here from that page (the strings below, one per code block).
Where one cannot work as written, README.md ("Commands from upstream's worker
documentation") says what to use instead, and the test runs that replacement (named
*_INSTEAD, next to the original it replaces).

One worker, one workflow: the end-to-end suite's site (tests/workflow/conftest.py),
whose github.com stand-in serves the configured workflow's descriptor, which
`SlurmClient.from_config()` fetches as it starts.
"""

from __future__ import annotations

import re
import uuid

import pytest

from tests.support.docker_exec import docker
from tests.support.wait import wait_until
from tests.workflow import e2e

# -- "Configuration Testing" -----------------------------------------------------------
SSH = "ssh localslurm"  # "SSH alias for HPC cluster in config.ini"
VALIDATE = ('python -c "from biomero.slurm_client import SlurmClient; '
            'client = SlurmClient.from_config(); print(client.validate())"')
# "Test Analytics Database", option 1 (direct configuration)
ANALYTICS_DIRECT = """\
from biomero import SlurmClient
slurmClient = SlurmClient(track_workflows=True, enable_job_accounting=False, enable_job_progress=True, enable_workflow_analytics=False)
slurmClient.initialize_analytics_system(True)
print('Analytics system initialized')
"""  # noqa: E501 - biomero's README snippet, kept verbatim
# Option 1 connects to biomero's default host, `slurm`, not to the [SSH] host alias.
ANALYTICS_DIRECT_INSTEAD = ANALYTICS_DIRECT.replace(
    "SlurmClient(track_workflows", "SlurmClient(host='localslurm', track_workflows")
# option 2 (from the config file), then "Inspect workflow notifications"
FROM_CONFIG = """\
from biomero import SlurmClient
slurmClient = SlurmClient.from_config()
slurmClient.workflowTracker.notification_log.section_size = 100
"""
INSPECT = """\
from pprint import pprint
notifications = slurmClient.workflowTracker.notification_log.select(54, 10)
if notifications:
    print(f'Found {len(notifications)} workflow notifications')
    [pprint(i.__dict__) for i in notifications]
else:
    print('No workflow notifications found')
"""
# -- "Eventsourcing" -------------------------------------------------------------------
PULL = """\
from biomero import WorkflowTracker
# Process events from the start (use any leader name if desired)
slurmClient.workflowTracker.pull_and_process(
    leader_name=WorkflowTracker.__name__, start=1
)
"""
# WorkflowTracker is the leader (an eventsourcing Application): it has no
# pull_and_process. Its followers (biomero's views) have, but one asked to start at 1
# fails on the events it has already processed (IntegrityError). Processing from the
# start is what biomero's reset does: drop the views, replay every event into them.
PULL_INSTEAD = """\
slurmClient.initialize_analytics_system(reset_tables=True)
"""
FIRST_PAGE = """\
# Read the first page of notifications
slurmClient.workflowTracker.notification_log.select(start=1, limit=10)
"""
AGGREGATE = """\
# Load an aggregate by its UUID
slurmClient.workflowTracker.repository.get('747fc951-15ca-4b56-a19e-418e1db97d14')
"""
# -- "Troubleshooting" -----------------------------------------------------------------
DIAGNOSTICS = "omero admin diagnostics"  # "Check OMERO.grid node status"

TRACEBACK = "Traceback (most recent call last)"
# What an attempt to reach OMERO's upgrade service leaves in the output.
UPGRADE_CALL = re.compile(r"upgrade\.openmicroscopy|NameResolution|Failed to resolve|"
                          r"Max retries|ConnectionError|check failed", re.I)


def python_session(*blocks: str, show: str = "") -> str:
    """BLOCKS as an admin types them into `python` in the worker, one after the other;
    SHOW: an expression printed at the end (the REPL echoes a block's last value)."""
    return "\n".join(blocks) + (f"\nprint('SHOW', repr({show}))\n" if show else "")


@pytest.fixture(scope="module")
def site(e2e_site):
    """The end-to-end worker, once its node holds its registry session."""
    worker, _ = e2e_site
    wait_until("the worker healthy", lambda: worker.exec(["biomero-worker", "health"])[0] == 0,
               120, alive=worker.running, interval=1)
    return worker


def python(worker, code: str):
    return worker.exec(["python", "-c", code])


# -- Configuration Testing -------------------------------------------------------------
def test_ssh_localslurm_reaches_the_cluster(site):
    """What an admin types after `ssh localslurm`, given as its input."""
    code, out = site.exec(["bash", "-c", f"printf 'sinfo --version\\nexit\\n' | {SSH}"])
    assert code == 0, out
    assert re.search(r"^slurm(-wlm)? \d+\.\d+", out, re.M), out


def test_slurm_client_from_config_validates(site):
    code, out = site.exec(["bash", "-c", VALIDATE])
    assert code == 0, out
    assert re.search(r"^True$", out, re.M), out  # (biomero's warnings go to stderr)


def test_analytics_system_initialises(site, postgres):
    code, out = python(site, ANALYTICS_DIRECT_INSTEAD)
    assert code == 0, out
    assert re.search(r"^Analytics system initialized$", out, re.M), out
    # initialize_analytics_system(True) dropped and made biomero's view tables again
    for table in ("biomero_workflow_progress_view", "biomero_job_progress_view",
                  "biomero_task_execution", "biomero_job_view"):
        e2e.view_rows(postgres, table)  # raises when the table is missing


@pytest.fixture(scope="module")
def workflow(site):
    """One workflow through the worker (after the analytics system was reset)."""
    account = e2e.run_workflow(site, threshold=0.5)
    assert account.completed, account.result
    return account


def _notification_ids(postgres, start: int, limit: int) -> list[int]:
    """The ids a notification log's select(START, LIMIT) should return."""
    with postgres.connect() as conn:
        return [r[0] for r in conn.execute(
            "SELECT id FROM workflowtracker_events WHERE id >= %s ORDER BY id LIMIT %s",
            [start, limit]).fetchall()]


def test_workflow_notifications_are_read_back(site, workflow, postgres):
    code, out = python(site, python_session(FROM_CONFIG, INSPECT))
    assert code == 0 and TRACEBACK not in out, out
    expected = len(_notification_ids(postgres, 54, 10))
    if expected:
        assert f"Found {expected} workflow notifications" in out, out
        assert "'originator_id': UUID(" in out and "'topic': 'biomero." in out, out
    else:
        assert "No workflow notifications found" in out, out


def test_first_page_of_notifications_is_the_workflows_start(site, workflow, postgres):
    code, out = python(site, python_session(FROM_CONFIG, FIRST_PAGE, show=(
        "[(n.id, n.topic.rsplit('.', 1)[-1]) for n in "
        "slurmClient.workflowTracker.notification_log.select(start=1, limit=10)]")))
    assert code == 0 and TRACEBACK not in out, out
    page = eval(out.split("SHOW ", 1)[1].strip().splitlines()[0])  # noqa: S307 - ours
    assert [i for i, _ in page] == _notification_ids(postgres, 1, 10) and len(page) == 10, page
    assert all(isinstance(topic, str) and topic for _, topic in page), page


def test_pull_and_process_as_written_names_its_mistake(site, workflow):
    code, out = python(site, python_session(FROM_CONFIG, PULL))
    assert code != 0 and "'WorkflowTracker' object has no attribute 'pull_and_process'" in out, out


def test_events_are_processed_again_from_the_start(site, workflow, postgres):
    tasks = e2e.workflow_tasks(postgres, workflow.wf_id)
    with postgres.connect() as conn:  # what the views knew of the run is lost
        conn.execute("DELETE FROM biomero_task_execution WHERE task_id::text = ANY(%s)",
                     [list(tasks)])
    assert [r for r in e2e.view_rows(postgres, "biomero_task_execution")
            if str(r["task_id"]) in tasks] == []
    code, out = python(site, python_session(FROM_CONFIG, PULL_INSTEAD))
    assert code == 0 and TRACEBACK not in out, out
    rows = [r for r in e2e.view_rows(postgres, "biomero_task_execution")
            if str(r["task_id"]) in tasks]
    assert sorted(r["task_name"] for r in rows) == sorted(tasks.values()), rows


def test_an_aggregate_is_loaded_by_its_id(site, workflow):
    # the page's id is an example: the workflow's own id takes its place
    block = AGGREGATE.replace("747fc951-15ca-4b56-a19e-418e1db97d14", str(workflow.wf_id))
    show = block.strip().splitlines()[-1]
    code, out = python(site, python_session(FROM_CONFIG, block, show=(
        f"(type({show}).__name__, {show}.name, str({show}.id))")))
    assert code == 0 and TRACEBACK not in out, out
    kind, name, ident = eval(out.split("SHOW ", 1)[1].strip().splitlines()[0])  # noqa: S307
    assert (kind, name, ident) == ("WorkflowRun", "SLURM_Run_Workflow",
                                   str(uuid.UUID(workflow.wf_id))), out


# -- Troubleshooting: "Check OMERO.grid node status" -----------------------------------
def test_omero_admin_diagnostics_reports_the_node(site):
    code, out = site.exec(["bash", "-c", DIAGNOSTICS])
    assert code == 0 and TRACEBACK not in out, out
    versions = dict(line.split("=", 1) for line in python(site, (
        "import sys, Ice, importlib.metadata as m\n"
        "print('python=' + sys.version.split()[0])\nprint('ice=' + Ice.stringVersion())\n"
        "for d in ('omero-py', 'biomero'): print(d + '=' + m.version(d))"))[1].split())
    rows = {m[0]: m[1] for m in re.findall(r"^\w+:\s+(.+?)\s{2,}(\S.*)$", out, re.M)}
    assert rows["python -V"].startswith(versions["python"]), out
    assert rows["OMERO.py"] == versions["omero-py"] and rows["biomero"] == versions["biomero"]
    assert rows["Ice (IcePy)"] == versions["ice"] == "3.6.5", out
    assert re.match(r"3\.7\.\d+ ", rows["icegridnode --version"]), out
    assert rows["name"] == f"{e2e.WORKER_NAME} (OMERO_WORKER_NAME)", out
    assert rows["registry"].startswith("OK ") and rows["registered"].startswith("OK "), out
    assert rows["check"].startswith("off (omero.upgrades.url not set"), out
    assert "doctor" in out.strip().splitlines()[-1], out
    assert not UPGRADE_CALL.search(out), out


def test_omero_py_still_offers_what_the_worker_wraps(site):
    """Fails when a future omero-py changes what omero_cli relies on; and omero-py's
    files are as shipped (RECORD)."""
    code, out = python(site, (
        "import base64, hashlib, importlib.metadata as md\n"
        "from biomero_worker import omero_cli\n"
        "print('PROBLEMS=%s' % omero_cli.contract_problems())\n"
        "dist = md.distribution('omero-py')\n"
        "for f in dist.files:\n"
        "    if str(f) in ('omero/plugins/admin.py', 'omero/cli.py',"
        " 'omero/util/upgrade_check.py'):\n"
        "        d = base64.urlsafe_b64encode(hashlib.sha256(f.locate().read_bytes())"
        ".digest()).rstrip(b'=').decode()\n"
        "        print('PRISTINE', f, f.hash.value == d)\n"))
    assert code == 0 and "PROBLEMS=[]" in out, out
    assert out.count("PRISTINE") == 3 and "False" not in out, out


# -- no call to OMERO's upgrade service unless a deployer asks -------------------------
def _diagnostics_offline(image: str, *env: str) -> str:
    """`omero admin diagnostics` in a worker container without any network."""
    args = ["run", "--rm", "--network", "none"]
    for e in env:
        args += ["-e", e]
    proc = docker(*args, image, "bash", "-c", DIAGNOSTICS + " 2>&1", check=False, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_diagnostics_makes_no_outbound_call_unless_asked(worker_image):
    out = _diagnostics_offline(worker_image)
    assert TRACEBACK not in out and "check" in out, out
    assert re.search(r"^Upgrade:\s+check\s+off \(omero\.upgrades\.url not set; "
                     r"CONFIG_omero_upgrades_url=URL turns it on\)$", out, re.M), out
    assert not UPGRADE_CALL.search(out), out
    # Without a master the report says so and points at doctor (no traceback).
    assert re.search(r"^Node:\s+master\s+no answer: CONFIG_omero_master_host is not set "
                     r".*; run `doctor`$", out, re.M), out
    # A deployer who asks gets the check: the same command then tries the URL given
    # (and, without a network, says that it failed) - what the assertions above
    # would have caught.
    url = "http://upgrade.invalid/"
    asked = _diagnostics_offline(worker_image, f"CONFIG_omero_upgrades_url={url}")
    assert re.search(rf"^Upgrade:\s+check\s+check failed: \w+ \(asked {re.escape(url)}",
                     asked, re.M), asked
    assert TRACEBACK not in asked, asked


def test_checkupgrade_calls_nobody_unless_asked(worker_image):
    """OMERO's other entry to the check, `omero admin checkupgrade` (exit 2: the check
    failed), with the worker's hook and without it (omero-py as shipped)."""
    def checkupgrade(*env: str):
        args = ["run", "--rm", "--network", "none", "-e", "CONFIG_omero_master_host=master"]
        for e in env:
            args += ["-e", e]
        return docker(*args, worker_image, "bash", "-c", "omero admin checkupgrade 2>&1",
                      check=False, timeout=180)

    off = checkupgrade()
    assert off.returncode == 0 and not UPGRADE_CALL.search(off.stdout), off.stdout
    shipped = checkupgrade("BIOMERO_SCRIPT_ENV_HOOK=0")
    assert shipped.returncode == 2 and "upgrade.openmicroscopy" in shipped.stdout, shipped.stdout
