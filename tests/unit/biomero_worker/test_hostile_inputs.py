"""Hostile inputs, second round (issue 20): a configured value never becomes a
command-line option or a config line of its own, no message quotes a password, no
parse takes forever, a mount mistake is named with its likely cause, doctor's own
settings are checked, repeated warnings are summarised.

Real parts throughout: OpenSSH's ssh and ssh-keygen, configparser, the worker's
CLI in a subprocess. A parse that would backtrack for hours runs in a subprocess
whose generous timeout is the guard; the assertions are on what it answers."""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from biomero_worker import analytics_db, doctor, node, omero_config, runtime_config
from config_merge import check, merge_layers
from tests.support import hostile_layers
from tests.support.build_env import REPO
from tests.support.hostile_layers import ENCODED_URL, SECRET

if missing_here := [t for t in ("ssh", "ssh-keygen") if shutil.which(t) is None]:
    pytest.fail(f"these tests need {', '.join(missing_here)} on this machine", pytrace=False)

GUARD = 300  # seconds: minutes for the linear code on a busy machine, hours without it
DOCKER_CAUSE = "Docker creates a directory when the host file does not exist"


def run_python(code: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """CODE in a fresh interpreter with src/ on the path, bounded by GUARD."""
    env = dict(os.environ if env is None else env, PYTHONPATH=str(REPO / "src"))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=GUARD)


def worker_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ if env is None else env, PYTHONPATH=str(REPO / "src"))
    return subprocess.run([sys.executable, "-m", "biomero_worker", *args], capture_output=True,
                          text=True, env=env, timeout=GUARD, stdin=subprocess.DEVNULL)


def messages(layers) -> list[str]:
    errors, warnings = check(merge_layers(layers))
    return [str(d) for d in errors + warnings]


# -- 1. a configured value never becomes a command-line option ------------------------
def test_an_ssh_host_that_ssh_would_read_as_an_option_is_an_error(write):
    layer = write("site.ini", "[SSH]\nhost = -oProxyCommand=touch /tmp/x\n")
    errors, _ = check(merge_layers([layer]))
    assert any(str(e).startswith(f"{layer}:2: SSH.host: ") and "starts with '-'" in str(e)
               for e in errors), errors


@pytest.mark.parametrize("host", ["slurm -oProxyCommand=x", "slurm\x1b[2J",
                                  "localslurm  # SSH alias (upstream's docs write this)"])
def test_an_ssh_host_with_a_blank_or_control_character_is_a_warning(write, host):
    """biomero builds its client with such a host (it fails only when it connects;
    upstream's documentation has one, an inline comment): a warning, as
    test_biomero_agreement requires; doctor never hands it to ssh (below)."""
    layer = write("site.ini", f"[SSH]\nhost = {host}\n")
    errors, warnings = check(merge_layers([layer]))
    assert not [e for e in errors if "SSH.host" in str(e)], errors
    assert any(str(w).startswith(f"{layer}:2: SSH.host: ")
               and "holds a blank or a control character" in str(w) for w in warnings)


def test_doctor_never_hands_a_hostile_host_to_ssh(tmp_path, worker_layout):
    """A merged file with such a host (written before the rule, or by hand): doctor's
    checks refuse it; the real ssh would run the ProxyCommand."""
    witness = tmp_path / "x"
    worker_layout["MERGED"].write_text(f"[SSH]\nhost = -oProxyCommand=touch {witness}\n")
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True, mode=0o700)
    (home / ".ssh" / "known_hosts").write_text("")
    env = dict(os.environ, HOME=str(home), BIOMERO_SSH_MOUNT=str(tmp_path / "no-mount"))
    doc = doctor.Doctor(timeout=4, environ=env)
    for check_name in ("ssh", "host-keys", "ssh-keys", "slurm"):
        result = doc.run(check_name)
        assert result.status == doctor.FAIL and "starts with '-'" in result.detail, result
    assert not witness.exists()


def test_doctor_puts_the_host_after_double_dash(tmp_path, worker_layout, monkeypatch):
    worker_layout["MERGED"].write_text("[SSH]\nhost = nosuch.invalid\n")
    sent = []
    real = doctor.Doctor.command

    def spy(doc, argv):
        sent.append(argv)
        return real(doc, argv)

    monkeypatch.setattr(doctor.Doctor, "command", spy)
    doc = doctor.Doctor(timeout=2, environ=dict(os.environ))
    doc.run("ssh")
    doc.ssh_settings()
    assert [a[a.index("--") + 1] for a in sent if a[0] == "ssh"] == ["nosuch.invalid"] * 2


# -- 2. no variable adds a line to an Ice or OMERO config file -------------------------
NODE_ENV = {"CONFIG_omero_master_host": "master", "OMERO_WORKER_NAME": "w1",
            "OMERO_WORKER_PORT": "4064"}


@pytest.mark.parametrize("var", ["CONFIG_omero_ports_registry", "CONFIG_omero_ports_tcp",
                                 "CONFIG_omero_ports_prefix", "OMERO_WORKER_PUBLISHED_HOST",
                                 "OMERO_WORKER_HOST", "CONFIG_omero_master_host"])
def test_a_newline_in_a_node_variable_is_refused_naming_it(var):
    env = {**NODE_ENV, var: "4061\nHostile.Injected=1"}
    with pytest.raises(node.NodeConfigError) as exc:
        node.render(node.settings(env), "10.0.0.2")
    assert var in str(exc.value) and "Hostile" not in str(exc.value)


@pytest.mark.parametrize("var", ["OMERO_ICEGRID_ADMIN_USER", "OMERO_ICEGRID_ADMIN_PASSWORD"])
def test_doctor_writes_no_admin_credential_holding_a_line_break(var, monkeypatch):
    """doctor's node check writes the registry's admin account into a property file
    for icegridadmin: a line break would add properties of its own."""
    monkeypatch.setattr(doctor, "_node_running", lambda: True)
    env = {"OMERO_WORKER_NAME": "w", "CONFIG_omero_master_host": "master",
           var: "x\nIce.Trace.Network=3"}
    result = doctor.Doctor(timeout=1, environ=env).run("node")
    assert result.status == "FAIL" and var in result.detail
    assert "Ice.Trace" not in result.detail


def test_a_blank_in_a_host_would_add_an_endpoint_option_and_is_refused():
    with pytest.raises(node.NodeConfigError, match="OMERO_WORKER_PUBLISHED_HOST holds a blank"):
        node.settings({**NODE_ENV, "OMERO_WORKER_PUBLISHED_HOST": "h -p 1"})


def test_a_control_character_in_a_config_variable_is_refused_before_anything_is_written(
        tmp_path, monkeypatch):
    monkeypatch.setenv("OMERODIR", str(tmp_path))
    monkeypatch.setenv("CONFIG_omero_ports_registry", "4061\nHostile.Injected=1")
    monkeypatch.setenv("CONFIG_omero_db_pass", "se\x1bcret")
    err = io.StringIO()
    assert omero_config.cmd_apply(argparse.Namespace(), io.StringIO(), err) == 1
    text = err.getvalue()
    assert "CONFIG_omero_db_pass, CONFIG_omero_ports_registry" in text, text
    assert "Hostile" not in text and "cret" not in text
    assert not (tmp_path / "etc").exists()


# -- 3. no message quotes a password ------------------------------------------------------
# Each case: layers (earlier first) and what the message about it says. The secret
# is in every spelling: as written, percent-encoded, in an unparsable URL.
QUOTING_CASES = {
    "interpolation, secret key": (
        [f"[ANALYTICS]\nsqlalchemy_url = {ENCODED_URL}\n"],
        "ANALYTICS.sqlalchemy_url: interpolation: a '%' is not followed"),
    "interpolation, URL in another key": (
        [f"[SLURM]\nslurm_data_path = https://u:{SECRET}%40@h/x\n"],
        "SLURM.slurm_data_path: interpolation: a '%' is not followed"),
    "inline comment, secret key": (
        [f"[ANALYTICS]\nsqlalchemy_url = postgresql://u:{SECRET}@db/x  # prod\n"],
        "configparser keeps an inline comment"),
    "inline comment, URL": (
        [f"[SLURM]\nslurm_data_path = https://u:{SECRET}@h/x  # prod\n"],
        "'https://u:***@h/x  # prod': configparser keeps an inline comment"),
    "blanking": (
        [f"[ANALYTICS]\nsqlalchemy_url = postgresql://u:{SECRET}@db/x\n",
         "[ANALYTICS]\nsqlalchemy_url =\n"],
        "empty here, which blanks '***' set at"),
    "not a boolean": (
        [f"[ANALYTICS]\ntrack_workflows = postgresql://u:{SECRET}@db/x\n"],
        "not a boolean: 'postgresql://u:***@db/x'"),
    "not a GitHub URL": (
        [f"[MODELS]\nx = x\nx_job = j.sh\nx_repo = https://u:{SECRET}@gitlab.com/o/r\n"],
        "not a GitHub repository URL ('https://u:***@gitlab.com/o/r')"),
    "unparsable URL": (
        [f"[SLURM]\nslurm_data_path = db://u:p@{SECRET}/x:y@h/db  # c\n"],
        "'db://u:***@h/db  # c'"),
}


@pytest.mark.parametrize("case", QUOTING_CASES)
def test_no_message_quotes_a_password(write, case):
    texts, expected = QUOTING_CASES[case]
    layers = [write(f"{i}.ini", text) for i, text in enumerate(texts)]
    found = messages(layers)
    assert any(expected in m for m in found), found
    assert not any(SECRET in m or "Pw0rd" in m for m in found), found


def test_a_bad_line_is_quoted_masked_and_cut(write):
    layer = write("x.ini", f"[https://u:{SECRET}@h/{'y' * 300}] x\n")
    with pytest.raises(Exception) as exc:
        merge_layers([layer])
    assert "bad section header" in str(exc.value) and SECRET not in str(exc.value)
    assert "characters)" in str(exc.value) and len(str(exc.value)) < 400


@pytest.mark.parametrize("url", [
    f"postgresql://biomero:{SECRET}@db/x",
    ENCODED_URL,
    f"postgresql://u:{SECRET}@what/ever@db/x",  # unencoded '@' and '/': no parser takes it
    f"postgresql+psycopg2://u:{SECRET}:more@db:5432/x?sslmode=require",
])
def test_one_masking_function_for_urls(url):
    from config_merge.masking import mask_urls, shown

    for text in (mask_urls(f"see {url} now"), shown(url), shown(url, "sqlalchemy_url")):
        assert SECRET not in text and "***" in text, text
    assert SECRET not in analytics_db.mask(url)  # "(unusable URL)" when SQLAlchemy refuses it


# -- 4. every parse is linear -------------------------------------------------------------
def test_a_long_blank_run_in_a_line_is_an_error_in_linear_time(write, cli):
    layer = write("blank.ini", hostile_layers.blank_line())
    assert layer.stat().st_size < 1024 * 1024
    r = run_python(f"from config_merge import merge_layers, ConfigError\n"
                   f"try: merge_layers([{str(layer)!r}])\n"
                   f"except ConfigError as e: print(e)\n")
    assert f"{layer}:2: expected KEY = VALUE, got 'a    " in r.stdout, r.stderr
    assert "(1000002 characters)" in r.stdout and len(r.stdout) < 400


def test_a_key_configparser_would_split_for_hours_never_reaches_it(write):
    layer = write("key.ini", hostile_layers.blank_key())
    r = run_python(f"from config_merge import merge_layers, ConfigError\n"
                   f"try: merge_layers([{str(layer)!r}])\n"
                   f"except ConfigError as e: print(e)\n")
    assert f"{layer}:2: a key of 1000002 characters (at most 256)" in r.stdout, r.stderr


def test_a_storm_of_unclosed_references_is_validated_in_linear_time(write):
    layer = write("refs.ini", hostile_layers.reference_storm())
    r = run_python("from config_merge import check, merge_layers\n"
                   f"errors, _ = check(merge_layers([{str(layer)!r}]))\n"
                   "print(*errors, sep='\\n')\n")
    # (800 KB of text: longer than any value may expand to, said so)
    assert f"{layer}:2: SLURM.slurm_data_path: interpolation expands it to more than" \
        in r.stdout, r.stderr


def test_the_size_limit_holds_for_what_is_read_not_what_stat_says(tmp_path):
    """/proc/self/environ: stat says 0 bytes; this one holds over 1 MiB."""
    env = {f"BIG{i}": "x" * 120_000 for i in range(10)}
    r = run_python("from config_merge import merge_layers, ConfigError\n"
                   "try: merge_layers(['/proc/self/environ'])\n"
                   "except ConfigError as e: print(e)\n", env={"PATH": os.environ["PATH"], **env})
    assert r.stdout.strip() == ("/proc/self/environ:0: more than 1048576 bytes: larger than "
                                "the 1024 KiB limit of a layer"), r.stdout + r.stderr


def test_an_interpolation_bomb_in_default_is_an_error_and_never_merged(worker_layout):
    (worker_layout["RUNTIME_OVERRIDES"]).mkdir()
    layer = worker_layout["RUNTIME_OVERRIDES"] / "bomb.ini"
    layer.write_text(hostile_layers.default_bomb())
    outcome = runtime_config.refresh(force=True)
    assert not outcome.ok
    assert any(e.startswith(f"{layer}:2: DEFAULT.k0: interpolation expands it to more than")
               for e in outcome.errors), outcome.errors
    assert not worker_layout["MERGED"].exists()


# -- 5. mount mistakes are named with their likely cause ----------------------------------
@pytest.mark.parametrize("role", ["WEBADMIN", "ETC", "LEGACY"])
def test_a_directory_where_a_layer_file_belongs_is_an_error(worker_layout, role):
    worker_layout[role].mkdir(parents=True)  # what `-v missing-host-file:...` makes
    outcome = runtime_config.refresh(force=True)
    assert not outcome.ok and not worker_layout["MERGED"].exists()
    assert f"{worker_layout[role]}:0: a directory where the {role} layer file belongs " \
           f"({DOCKER_CAUSE}; create the file on the host)" in outcome.errors, outcome.errors


def test_a_directory_named_like_a_layer_in_overrides_is_an_error(worker_layout):
    (worker_layout["RUNTIME_OVERRIDES"] / "x.ini").mkdir(parents=True)
    outcome = runtime_config.refresh(force=True)
    assert [e for e in outcome.errors if DOCKER_CAUSE in e] == [
        f"{worker_layout['RUNTIME_OVERRIDES']}/x.ini:0: a directory where a layer file "
        f"belongs ({DOCKER_CAUSE}; create the file on the host)"], outcome.errors


def test_a_looping_and_a_dangling_link_are_each_named(worker_layout):
    d = worker_layout["RUNTIME_OVERRIDES"]
    d.mkdir()
    (d / "10-ok.ini").write_text("[SSH]\nhost = a\n")
    (d / "20-loop.ini").symlink_to("20-loop.ini")
    worker_layout["ETC"].parent.mkdir()
    worker_layout["ETC"].symlink_to("/nonexistent/slurm-config.ini")
    outcome = runtime_config.refresh(force=True)
    assert set(outcome.errors) == {
        f"{d}/20-loop.ini:0: a symbolic link that loops (it leads back to itself)",
        f"{worker_layout['ETC']}:0: a symbolic link to '/nonexistent/slurm-config.ini', "
        "which does not exist"}, outcome.errors


def test_a_file_name_that_is_not_utf8_is_a_clear_error(worker_layout):
    d = worker_layout["RUNTIME_OVERRIDES"]
    d.mkdir()
    Path(os.fsdecode(os.fsencode(d) + b"/x\xff.ini")).write_text("[SSH]\nhost = a\n")
    r = worker_cli("config", "refresh", "--force")
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert f"{d}/x\\xff.ini:0: the file name is not UTF-8" in r.stderr, r.stderr


# -- 6. doctor's own settings and the key's contents ---------------------------------------
@pytest.mark.parametrize("raw", ["inf", "nan", "1e309", "abc", "-1", "0"])
def test_doctor_timeout_is_checked_like_the_wait_settings(raw):
    for args, env, name in ((["--timeout", raw], {}, "--timeout"),
                            ([], {"DOCTOR_TIMEOUT": raw}, "DOCTOR_TIMEOUT")):
        r = worker_cli("doctor", "--only", "script-env", *args, env={**os.environ, **env})
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert f"{name}={raw!r}" in r.stderr, r.stderr


@pytest.fixture
def key_home(tmp_path, worker_layout):
    assert runtime_config.refresh(force=True).ok
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True, mode=0o700)
    env = dict(os.environ, HOME=str(home), BIOMERO_SSH_MOUNT=str(tmp_path / "no-mount"))
    return home / ".ssh" / "id_ed25519", doctor.Doctor(timeout=10, environ=env)


def _keygen(path: Path, passphrase: str) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-f", str(path)],
                   check=True, stdin=subprocess.DEVNULL, timeout=60)


def test_a_private_key_that_parses_is_ok(key_home):
    key, doc = key_home
    _keygen(key, "")
    # (the whole check also wants the key ssh -G names, under the real user's home)
    assert doc.key_problem(key) is None
    assert f"{key} " not in doc.run("ssh-keys").detail


def test_a_garbage_private_key_fails(key_home):
    key, doc = key_home
    key.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nbm90IGEga2V5\n")
    key.chmod(0o600)
    result = doc.run("ssh-keys")
    assert result.status == doctor.FAIL, result
    assert f"{key} is not a private key ssh can read" in result.detail, result


def test_an_encrypted_private_key_is_named_encrypted_not_garbage(key_home):
    key, doc = key_home
    _keygen(key, "a passphrase")
    result = doc.run("ssh-keys")
    assert result.status == doctor.FAIL, result
    assert f"{key} is encrypted with a passphrase" in result.detail, result


# -- 7. repeated warnings are summarised ----------------------------------------------------
def test_thousands_of_warnings_are_summarised_everywhere_they_are_printed(worker_layout):
    d = worker_layout["RUNTIME_OVERRIDES"]
    d.mkdir()
    (d / "many.ini").write_text("[SLURM]\n" + "".join(f"unknown_{i} = 1\n" for i in range(2000)))
    err = io.StringIO()
    code = runtime_config.cmd_refresh(argparse.Namespace(force=True, quiet=True),
                                      io.StringIO(), err)
    lines = err.getvalue().splitlines()
    assert code == 0 and len(lines) < 20, f"{len(lines)} lines"
    from config_merge.summary import FIRST

    summary = f"... and {2000 - FIRST} more: biomero never reads this key"
    # each line through the start-up's log helper: "slurm-config: WARNING: ..."
    assert f"slurm-config: WARNING: {summary}" in lines
    assert lines.index(f"slurm-config: WARNING: {summary}") == FIRST, lines
    out = io.StringIO()
    runtime_config.cmd_status(argparse.Namespace(), out, io.StringIO())
    assert summary in out.getvalue().splitlines() and len(out.getvalue().splitlines()) < 20
    result = doctor.Doctor(environ=dict(os.environ)).run("config")
    assert summary in result.detail.splitlines() and "2000 warnings" in result.detail
    assert len(result.detail.splitlines()) < 20
