"""The worker image at run time, against the real test stack: PostgreSQL, a Slurm
login node over SSH, an IceGrid registry (tests/stack). Nothing is mocked, with one
stated exception: biomero fetches each workflow's descriptor from GitHub, which CI
cannot reach, so the two tests that list workflows replace only that fetch.

Here: start-up, the script environment, the runtime config layers, faults and
hostile layers. The grid node and its master are in test_grid_node.py, the host
keys of biomero's connections in test_host_keys.py."""

from __future__ import annotations

import json
import re
import textwrap

import pytest

from biomero_worker import layout
from tests.support import hostile_layers
from tests.worker.service import (
    HTTPS_PROXY,
    RUNTIME_OVERRIDES,
    SECRET_TOKEN,
    SSH_ALIAS,
    SSH_MOUNT,
    WORKER_NAME,
    make_overrides,
    make_ssh_mount,
    run_script,
    run_to_exit,
    start_worker,
    upstream_mounts,
    worker_environment,
)

OMERODIR = str(layout.OMERODIR)
MERGED = str(layout.MERGED_DEFAULT)

# Lists the configured workflows with biomero's own from_config(); only the GitHub
# descriptor fetch (init_workflows) is replaced, since CI has no GitHub access.
LIST_WORKFLOWS = """
import json
from biomero import SlurmClient
SlurmClient.init_workflows = lambda self, force_update=False: None
c = SlurmClient.from_config(config_only=True)
print("WORKFLOWS=" + json.dumps(sorted(c.slurm_model_repos)))
"""


def workflows(worker) -> list[str]:
    out = run_script(worker, LIST_WORKFLOWS)
    line = next(ln for ln in out.splitlines() if ln.startswith("WORKFLOWS="))
    return json.loads(line[len("WORKFLOWS="):])


def overrides_dir(worker):
    return worker.mounts[RUNTIME_OVERRIDES]


# -- ready ------------------------------------------------------------------------------
def test_doctor_passes_in_the_running_worker(worker):
    code, out = worker.exec("doctor")
    print(out)
    assert code == 0, out
    from biomero_worker.doctor import Doctor

    status = {ln.split()[1]: ln.split()[0] for ln in out.splitlines() if ln.split()}
    for check in Doctor.CHECKS:  # every check, and each passes or informs
        expected = "INFO" if check in Doctor.INFORMATION else "OK"
        assert status.get(check) == expected, f"{check} not {expected}:\n{out}"


def test_start_up_log_is_clean_and_node_holds_a_registry_session(worker):
    # the start-up's own lines and the node's; scripts and placed Processors (which
    # find no OMERO server here) log what other tests make them do
    own = [ln for ln in worker.logs().splitlines()
           if not ln.startswith(("[scripts.log]", "[Processor-"))]
    noisy = [ln for ln in own
             if re.search(r"error|traceback|warning|exception", ln, re.IGNORECASE)]
    assert not noisy, noisy
    code, out = worker.exec(f"cat {OMERODIR}/var/log/{WORKER_NAME}.err")
    assert code == 0 and "established session with replica" in out, out


def test_ssh_material_copied_with_strict_modes_and_never_printed(worker, facts):
    code, out = worker.exec("stat -c '%a %U %n' ~/.ssh ~/.ssh/id_ed25519 ~/.ssh/id_ed25519.pub "
                            "~/.ssh/config")
    assert code == 0, out
    modes = {line.split()[2].rsplit("/", 1)[-1]: line.split()[:2] for line in out.splitlines()}
    assert modes[".ssh"] == ["700", "omero-server"]
    assert modes["id_ed25519"] == ["600", "omero-server"]
    assert modes["id_ed25519.pub"][0] == "644" and modes["config"][0] == "644"
    key_body = [ln for ln in facts.ssh_key.read_text().splitlines() if "PRIVATE KEY" not in ln]
    logs = worker.logs()
    assert not any(chunk in logs for chunk in key_body if len(chunk) > 20)
    assert facts.db_password not in logs


def test_from_config_validates_over_ssh_and_analytics_tables_exist(worker, facts):
    # No workflows in this run, so from_config() needs no GitHub: everything real.
    layer = overrides_dir(worker) / "50-no-workflows.ini"
    layer.write_text("[!MODELS]\n")
    try:
        out = run_script(worker, """
            from biomero import SlurmClient
            c = SlurmClient.from_config()
            print("VALIDATE=%s" % c.validate())
            print("HOST=%s" % c.host)
        """)
    finally:
        layer.unlink()
    assert "VALIDATE=True" in out, out
    code, out = worker.python(
        "from biomero_worker import analytics_db as a; s = a.settings(); "
        "have = set(a.tables(s.url)); "
        "print(sorted(have)); missing = [t for t in a.expected_tables(s) if t not in have]; "
        "print('MISSING=%s' % missing)")
    assert code == 0, out
    assert "MISSING=[]" in out, out
    assert "workflowtracker_events" in out and "biomero_job_view" in out


# -- script environment -----------------------------------------------------------------
PRINT_ENV = "import json, os; print('ENV=' + json.dumps(dict(os.environ)))"


def script_env_of(worker, env=None) -> dict:
    out = run_script(worker, PRINT_ENV, env=env)
    line = next(ln for ln in out.splitlines() if ln.startswith("ENV="))
    return json.loads(line[4:])


def test_script_sees_allow_list_and_nothing_else(worker):
    env = script_env_of(worker)
    assert env["HTTPS_PROXY"] == HTTPS_PROXY
    assert env["SQLALCHEMY_URL"].startswith("postgresql")
    assert env["NO_PROXY"] and env["PERSISTENCE_MODULE"] == "eventsourcing_sqlalchemy"
    assert env["BIOMERO_SLURM_CONFIG_FILE"] == MERGED
    assert "SECRET_TOKEN" not in env
    assert "OMERO_ICEGRID_ADMIN_PASSWORD" not in env and "CONFIG_omero_master_host" not in env
    assert "ICE_CONFIG" in env and "PATH" in env  # omero-py's own variables stay


def test_allow_list_is_extended_by_configuration(worker):
    env = script_env_of(worker, env={"BIOMERO_SCRIPT_ENV_ALLOW": "SECRET_TOKEN"})
    assert env["SECRET_TOKEN"] == SECRET_TOKEN


def test_hook_contract_with_the_real_omero_py(worker):
    """Fails when a future omero-py changes what the hook relies on."""
    code, out = worker.python(textwrap.dedent("""
        import base64, hashlib, importlib.metadata as md
        import omero.processor as P
        from biomero_worker import script_env, script_output
        print("PROBLEMS=%s" % (script_env.contract_problems(P)
                               + script_output.contract_problems(P)))
        print("PATCHED=%s" % (getattr(P.ProcessI.make_env, "_script_env", False)
                              and getattr(P.ProcessI.activate, "_script_output", False)))
        # omero-py's processor.py is omero-py's: it matches the wheel's RECORD
        dist = md.distribution("omero-py")
        rec = [f for f in dist.files if str(f) == "omero/processor.py"][0]
        digest = base64.urlsafe_b64encode(hashlib.sha256(
            rec.locate().read_bytes()).digest()).rstrip(b"=").decode()
        print("PRISTINE=%s" % (rec.hash.value == digest))
    """))
    assert code == 0, out
    assert "PROBLEMS=[]" in out and "PATCHED=True" in out and "PRISTINE=True" in out, out
    # Without the hook omero-py passes none of them: the behaviour the hook extends.
    env = script_env_of(worker, env={"BIOMERO_SCRIPT_ENV_HOOK": "0"})
    assert "HTTPS_PROXY" not in env and "SQLALCHEMY_URL" not in env
    assert "SECRET_TOKEN" not in env and "PATH" in env


# -- runtime config layers --------------------------------------------------------------
def test_runtime_tombstone_applies_to_the_next_script_without_restart(worker):
    assert "stardist" in workflows(worker)
    layer = overrides_dir(worker) / "60-no-stardist.ini"
    layer.write_text("[MODELS]\n# this site has no StarDist\n!stardist*\n")
    try:
        names = workflows(worker)
        assert not [n for n in names if n.startswith("stardist")], names
        assert "cellpose" in names
        code, out = worker.exec(f"cat {MERGED}")
        assert code == 0, out
        assert "stardist" not in out, out
    finally:
        layer.unlink()
    assert "stardist" in workflows(worker)


def test_bad_runtime_edit_keeps_last_good_config_and_is_reported(worker):
    before = workflows(worker)
    layer = overrides_dir(worker) / "70-bad.ini"
    layer.write_text("[MODELS]\nthis line is not a setting\n")
    try:
        assert workflows(worker) == before  # scripts still run, on the last good merge
        # ... and the Processor's log says why (the hook logs as "script_env")
        out = run_script(worker, "print('ran')")
        assert "slurm-config: a layer is invalid; scripts keep the last good merge" in out, out
        assert f"{RUNTIME_OVERRIDES}/70-bad.ini:2" in out and "ran" in out, out
        code, out = worker.exec("doctor --only config")
        assert code == 1, out
        assert f"{RUNTIME_OVERRIDES}/70-bad.ini:2" in out, out
        code, out = worker.exec("python -m biomero_worker config status")
        assert code == 1 and "70-bad.ini:2" in out, out
    finally:
        layer.unlink()
    assert workflows(worker) == before
    code, out = worker.exec("doctor --only config")
    assert code == 0, out


def test_malformed_layer_stops_the_container_naming_file_and_line(stack, worker_image,
                                                                  facts, tmp_path):
    overrides = make_overrides(tmp_path)
    (overrides / "20-bad.ini").write_text("[SSH]\nhost=localslurm\n[MODELS\n")
    code, logs, _ = run_to_exit(
        stack, worker_image, facts, name="badconfig",
        env=worker_environment(facts, name="badconfig"),
        mounts={RUNTIME_OVERRIDES: overrides})
    assert code != 0, logs
    assert f"{RUNTIME_OVERRIDES}/20-bad.ini:3" in logs, logs
    assert "exec icegridnode" not in logs


def test_detached_workflows_stop_the_start_saying_why(stack, worker_image, facts, tmp_path):
    """BIOMERO_DETACHED_WORKFLOWS true (biomero's own reading: "yes" counts) and no
    supervisor in the image: the node never starts, and the log says what would
    happen and what to do."""
    code, logs, _ = run_to_exit(
        stack, worker_image, facts, name="detached",
        env=worker_environment(facts, name="detached", BIOMERO_DETACHED_WORKFLOWS="Yes"),
        mounts={RUNTIME_OVERRIDES: make_overrides(tmp_path)})
    assert code != 0, logs
    assert "start-node: ERROR: refusing to start the node: BIOMERO_DETACHED_WORKFLOWS is true" \
        in logs
    assert "no detached-workflow supervisor" in logs and "never run" in logs, logs
    assert "Unset BIOMERO_DETACHED_WORKFLOWS" in logs, logs
    assert "exec icegridnode" not in logs


def test_detached_workflows_reach_no_script_and_fail_doctor_and_health(worker):
    # set in a `docker exec` of the running worker (as if the node had started with it)
    env = script_env_of(worker, env={"BIOMERO_DETACHED_WORKFLOWS": "true",
                                     "BIOMERO_SCRIPT_ENV_ALLOW": "BIOMERO_DETACHED_WORKFLOWS"})
    assert "BIOMERO_DETACHED_WORKFLOWS" not in env
    assert env["BIOMERO_SLURM_CONFIG_FILE"] == MERGED  # the other BIOMERO_* still pass
    code, out = worker.exec("doctor --only detached", env={"BIOMERO_DETACHED_WORKFLOWS": "1"})
    assert code == 1 and "FAIL  detached" in out and "wait for ever" in out, out
    code, out = worker.exec("biomero-worker health", env={"BIOMERO_DETACHED_WORKFLOWS": "on"})
    assert code == 1 and out.startswith("unhealthy: BIOMERO_DETACHED_WORKFLOWS is true"), out
    code, out = worker.exec("doctor --only detached", env={"BIOMERO_DETACHED_WORKFLOWS": "false"})
    assert code == 0 and "OK    detached" in out, out


def test_config_variables_reach_omero_configuration(worker):
    code, out = worker.exec("omero config get omero.master.host")
    assert code == 0 and out.strip().splitlines()[-1] == "master", out


def test_legacy_omero_file_may_not_resurrect_a_tombstoned_key(stack, worker_image, facts,
                                                               tmp_path):
    """biomero would read /OMERO/slurm-config.ini raw: a key it defines may not be
    deleted by a later layer, or reading that file would bring the key back."""
    omero = tmp_path / "OMERO"
    omero.mkdir()
    (omero / "slurm-config.ini").write_text("[MODELS]\nstardist_job_mem=9GB\n")
    overrides = make_overrides(tmp_path)
    (overrides / "60-no-stardist.ini").write_text("[MODELS]\n!stardist*\n")
    code, logs, _ = run_to_exit(
        stack, worker_image, facts, name="legacy",
        env=worker_environment(facts, name="legacy"),
        mounts={str(layout.OMERO_DATA): omero, RUNTIME_OVERRIDES: overrides})
    assert code != 0, logs
    assert (f"{layout.OMERO_DATA}/slurm-config.ini:2: MODELS.stardist_job_mem: defined here "
            f"but deleted by {RUNTIME_OVERRIDES}/60-no-stardist.ini:2") in logs, logs


def test_web_admin_file_is_the_last_layer(stack, worker_image, facts, tmp_path):
    """The web admin's file (upstream mounts it at ~/slurm-config.ini) applies last."""
    admin = tmp_path / "webadmin.ini"
    admin.write_text("[SSH]\nhost=from-web-admin\n")
    admin.chmod(0o644)
    overrides = make_overrides(tmp_path)
    (overrides / "20-site.ini").write_text("[SSH]\nhost=from-site-layer\n")
    code, logs, _ = run_to_exit(
        stack, worker_image, facts, name="webadmin", command=[
            "python", "-c", "from biomero import SlurmClient; "
            "print('HOST=' + SlurmClient.load_config().get('SSH', 'host'))"],
        env=worker_environment(facts, name="webadmin"),
        mounts={str(layout.LAYER_DEFAULTS["WEBADMIN"]): admin, RUNTIME_OVERRIDES: overrides})
    assert code == 0, logs
    assert "HOST=from-web-admin" in logs, logs


def test_deployer_config_file_variable_gives_docker_exec_the_nodes_layers(
        stack, worker_image, facts, tmp_path):
    """Upstream's habit: BIOMERO_SLURM_CONFIG_FILE names the web admin's file. The
    start-up (through the entrypoint) and `docker exec` processes (which never pass
    through it) merge the same layers, and a script launched through the Processor
    reads the merged result, the admin's value included."""
    admin_in_container = "/srv/web/slurm-config.ini"
    admin = tmp_path / "admin.ini"
    admin.write_text("[SSH]\nhost=from-deployer-file\n")
    admin.chmod(0o644)
    w = start_worker(stack, worker_image, facts, name="deployerfile", command=["sleep", "600"],
                     env=worker_environment(facts, name="deployerfile",
                                            BIOMERO_SLURM_CONFIG_FILE=admin_in_container),
                     mounts={admin_in_container: admin,
                             RUNTIME_OVERRIDES: make_overrides(tmp_path)})
    try:
        logs = w.wait_for_log(f"slurm-config: {MERGED} ", timeout=120)  # merged
        prefix = "20-slurm-config: "
        at_start = [ln[len(prefix):] for ln in logs.splitlines() if ln.startswith(prefix)
                    and (ln.endswith(("(present)", "(absent)")) or "-> MERGED" in ln)]
        assert any(ln.startswith("WEBADMIN") and admin_in_container in ln and "(present)" in ln
                   for ln in at_start), logs
        code, out = w.exec("python -m biomero_worker config layers")
        assert code == 0 and out.splitlines() == at_start, (out, at_start)
        code, out = w.exec("doctor --only config")
        assert code == 0 and out.startswith("OK"), out
        assert f"{admin_in_container} is the web admin's layer" in out, out
        out = run_script(w, "from biomero import SlurmClient\n"
                            "print('HOST=' + SlurmClient.load_config().get('SSH', 'host'))")
        assert "HOST=from-deployer-file" in out, out
    finally:
        w.remove()


# -- faults: each gives its clear message -----------------------------------------------
def test_database_down_bounded_wait_then_clear_failure(stack, worker_image, facts,
                                                       tmp_path):
    url = "postgresql+psycopg2://biomero:Sup3rSecretPw@database:1/biomero"
    code, logs, took = run_to_exit(
        stack, worker_image, facts, name="nodb",
        env=worker_environment(facts, name="nodb", SQLALCHEMY_URL=url,
                               BIOMERO_DB_WAIT_SECONDS="4"),
        mounts={RUNTIME_OVERRIDES: make_overrides(tmp_path)})
    assert code != 0, logs
    assert "not reachable within 4 s (BIOMERO_DB_WAIT_SECONDS=4" in logs, logs
    assert "Sup3rSecretPw" not in logs
    assert took < 60, took


def test_doctor_as_command_without_ssh_key_reports_instead_of_hanging(
        stack, worker_image, facts, tmp_path):
    code, logs, took = run_to_exit(
        stack, worker_image, facts, name="nokey", command=["doctor"],
        env=worker_environment(facts, name="nokey"),
        mounts={RUNTIME_OVERRIDES: make_overrides(tmp_path)})
    assert code == 1, logs
    lines = logs.splitlines()
    assert any(ln.startswith("FAIL") and " ssh-keys " in ln and "no private key" in ln
               for ln in lines), logs
    assert any(ln.startswith("OK") and " config " in ln for ln in lines), logs
    assert any(ln.startswith("SKIP") and " node " in ln for ln in lines), logs
    assert took < 90, took


def test_wrong_key_mode_is_named(worker):
    code, out = worker.exec("chmod 644 ~/.ssh/id_ed25519 && doctor --only ssh-keys")
    try:
        assert code == 1, out
        assert "id_ed25519 has mode 644, must be 600" in out, out
    finally:
        worker.exec("chmod 600 ~/.ssh/id_ed25519")


def test_slurm_unreachable_and_database_down_reported_by_doctor(stack, worker_image,
                                                                facts, tmp_path):
    ssh = make_ssh_mount(tmp_path, facts)
    cfg = ssh / "config"
    cfg.write_text(cfg.read_text().replace(f"HostName {facts.ssh_host}",
                                           "HostName no-such-slurm.invalid"))
    url = "postgresql+psycopg2://biomero:Sup3rSecretPw@database:1/biomero"
    code, logs, took = run_to_exit(
        stack, worker_image, facts, name="noslurm", command=["doctor"],
        env=worker_environment(facts, name="noslurm", SQLALCHEMY_URL=url),
        mounts={SSH_MOUNT: ssh, RUNTIME_OVERRIDES: make_overrides(tmp_path)})
    assert code == 1, logs
    lines = logs.splitlines()
    assert any(ln.startswith("FAIL") and f" ssh {SSH_ALIAS}" in ln for ln in lines), logs
    assert any(ln.startswith("FAIL") and " slurm " in ln and "ssh does not work" in ln
               for ln in lines), logs
    assert any(ln.startswith("FAIL") and " database " in ln and "database:1" in ln
               for ln in lines), logs
    assert "Sup3rSecretPw" not in logs
    assert took < 90, took


@pytest.mark.parametrize("encoded", [False, True], ids=["raw", "percent-encoded"])
def test_no_piece_of_a_database_password_is_printed(stack, worker_image, facts, tmp_path,
                                                    encoded):
    from urllib.parse import quote

    password = "p@ss:w/rd%SECRET9"
    written = quote(password, safe="") if encoded else password
    url = f"postgresql+psycopg2://biomero:{written}@database:1/biomero"
    env = worker_environment(facts, name="pwtest", SQLALCHEMY_URL=url,
                             BIOMERO_DB_WAIT_SECONDS="2")
    outputs = []
    overrides = make_overrides(tmp_path)
    for command in (None, ["doctor", "--only", "database"]):
        code, logs, _ = run_to_exit(stack, worker_image, facts, name="pwtest", env=env,
                                    command=command, mounts={RUNTIME_OVERRIDES: overrides})
        assert code != 0, logs
        outputs.append(logs)
    everything = "\n".join(outputs)
    for piece in ("SECRET9", "p@ss", "ss:w", "w/rd", "rd%S", quote(password, safe="")):
        assert piece not in everything, everything
    if encoded:  # parsed: the failure is the unreachable database, password masked
        assert "database:1" in everything and "***" in everything
    else:  # refused before parsing, with the fix
        assert "cannot be used" in everything and "percent-encode" in everything


def test_a_worker_given_only_sqlalchemy_url_file_reaches_its_database(stack, worker_image,
                                                                    facts, tmp_path):
    """docker-library's VAR_FILE: the URL comes from a secret file (with the trailing
    newline an editor or `echo` leaves); start-up, doctor (a `docker exec`, which never
    passes through the entrypoint) and scripts all see it; the password is never shown."""
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "db_url").write_text(facts.sqlalchemy_url + "\n")
    (secrets / "db_url").chmod(0o644)
    env = worker_environment(facts, name="urlfile", SQLALCHEMY_URL=None,
                             SQLALCHEMY_URL_FILE="/run/secrets/db_url")
    worker = start_worker(stack, worker_image, facts, name="urlfile", env=env,
                          mounts={"/run/secrets": (secrets, "ro"),
                                  **upstream_mounts(tmp_path, facts)})
    try:
        worker.wait_started()
        code, out = worker.exec(["doctor", "--only", "database"])
        assert code == 0, out
        assert re.search(r"^OK\s+database\s.*reachable", out, re.M), out
        from urllib.parse import urlsplit

        assert f"@{urlsplit(facts.sqlalchemy_url).hostname}" in out, out  # the host, shown
        assert facts.db_password not in out + worker.logs()
        env_seen = script_env_of(worker)  # (printed, so into the logs: checked before)
        assert env_seen["SQLALCHEMY_URL"] == facts.sqlalchemy_url
        assert "SQLALCHEMY_URL_FILE" not in env_seen
    finally:
        worker.remove()


def test_an_ssh_mount_the_worker_cannot_read_is_named_with_the_fix(stack, worker_image, facts,
                                                                   tmp_path):
    """The admin's ~/.ssh (mode 700, the admin's uid) mounted as is."""
    ssh = make_ssh_mount(tmp_path, facts)
    ssh.chmod(0o700)  # owned by the host user running the tests, not uid 1000
    env = worker_environment(facts, name="sshmode")
    mounts = {SSH_MOUNT: ssh, RUNTIME_OVERRIDES: make_overrides(tmp_path)}
    code, logs, took = run_to_exit(stack, worker_image, facts, name="sshmode", env=env,
                                   mounts=mounts)
    assert code != 0, logs
    assert f"10-mount-ssh: ERROR: the mounted directory {SSH_MOUNT} (owner uid" in logs, logs
    assert "mode 700" in logs and "cannot be read by omero-server (uid 1000)" in logs
    assert "empty" not in logs
    code, logs, _ = run_to_exit(stack, worker_image, facts, name="sshmode", env=env,
                                mounts=mounts, command=["doctor", "--only", "ssh-keys"])
    # doctor says what the start-up step said, word for word (one owner: ssh_mount)
    said = next(ln for ln in logs.splitlines() if ln.startswith("10-mount-ssh: ERROR: "))
    assert code == 1 and f"FAIL  ssh-keys        {said.split('ERROR: ', 1)[1]}" in logs, logs


# -- hostile layers: refused in bounded time, at start, by doctor, at a script launch --
@pytest.mark.parametrize("kind", hostile_layers.KINDS)
def test_a_hostile_layer_stops_the_start_naming_it(stack, worker_image, facts, tmp_path, kind):
    overrides = make_overrides(tmp_path)
    expected = hostile_layers.write(kind, overrides / "90-hostile.ini").format(
        dir=RUNTIME_OVERRIDES)
    code, logs, took = run_to_exit(stack, worker_image, facts, name=f"hostile{kind}",
                                   env=worker_environment(facts, name=f"hostile{kind}"),
                                   mounts={RUNTIME_OVERRIDES: overrides}, timeout=90)
    assert code != 0, logs
    assert expected in logs and "Traceback" not in logs, logs
    assert "exec icegridnode" not in logs
    assert took < 60, took


@pytest.mark.parametrize("kind", hostile_layers.KINDS)
def test_a_hostile_layer_on_a_running_worker_is_reported_and_scripts_still_run(worker, kind):
    layer = overrides_dir(worker) / "90-hostile.ini"
    expected = hostile_layers.write(kind, layer).format(dir=RUNTIME_OVERRIDES)
    try:
        code, out = worker.exec("doctor --only config", timeout=60)
        assert code == 1 and expected in out, out
        out = run_script(worker, "print('ran')")  # bounded by the exec's limit
        assert "ran" in out and "scripts keep the last good merge" in out, out
        code, out = worker.exec(f"doctor --only ssh; test ! -e {hostile_layers.WITNESS}")
        assert code == 0, out  # ssh still reaches the last good host; nothing else ran
    finally:
        hostile_layers.remove(layer)
    code, out = worker.exec("doctor --only config", timeout=60)
    assert code == 0, out


# -- mount mistakes and variables that would add config lines: the start stops, naming them
@pytest.mark.parametrize("role", ["WEBADMIN", "ETC"])
def test_a_directory_mounted_where_a_layer_file_belongs_stops_the_start(
        stack, worker_image, facts, tmp_path, role):
    target = str(layout.LAYER_DEFAULTS[role])
    empty = tmp_path / "made-by-docker"  # what Docker makes of a missing host file
    empty.mkdir()
    code, logs, _ = run_to_exit(stack, worker_image, facts, name=f"dir{role.lower()}",
                                env=worker_environment(facts, name=f"dir{role.lower()}"),
                                mounts={RUNTIME_OVERRIDES: make_overrides(tmp_path),
                                        target: empty}, timeout=90)
    assert code != 0 and "Traceback" not in logs, logs
    assert (f"{target}:0: a directory where the {role} layer file belongs (Docker creates a "
            "directory when the host file does not exist; create the file on the host)"
            in logs), logs
    assert "exec icegridnode" not in logs and "edit(s) applied" not in logs


def test_a_newline_in_a_node_variable_stops_the_start_naming_it(stack, worker_image, facts,
                                                                tmp_path):
    env = worker_environment(facts, name="injected", OMERO_WORKER_PORT="4064",
                             OMERO_WORKER_PUBLISHED_HOST="worker.example\nHostile.Injected=1")
    code, logs, _ = run_to_exit(stack, worker_image, facts, name="injected", env=env,
                                mounts={RUNTIME_OVERRIDES: make_overrides(tmp_path)},
                                timeout=90)
    assert code != 0 and "Traceback" not in logs, logs
    assert "OMERO_WORKER_PUBLISHED_HOST holds a blank, a newline" in logs, logs
    assert "Hostile" not in logs and "exec icegridnode" not in logs


IMPORTER_HANDOFF = {"IMPORTER_ENABLED": "true", "INGEST_TRACKING_DB_URL": "postgresql://ingest/x",
                    "OMERO_BIOMERO_CONFIG_FILE": "/opt/omero/config.json",
                    "OMERO_BIOMERO_GROUP_MAPPINGS_FILE": "/opt/omero/groups.json",
                    "OMERO_DATA_DIR": "/data", "USE_INPLACE_ATTACHMENTS": "false",
                    "GPU_PARTITION": "gpu"}


def test_what_biomero_scripts_read_reaches_them_through_the_processor(worker):
    env = script_env_of(worker, env=IMPORTER_HANDOFF)
    assert {k: env.get(k) for k in IMPORTER_HANDOFF} == IMPORTER_HANDOFF
    code, out = worker.exec("doctor --only script-env", env=IMPORTER_HANDOFF)
    assert code == 0 and out.startswith("INFO") and "IMPORTER_ENABLED" in out, out
    assert "postgresql://ingest" not in out  # names, never values
