"""doctor's `cluster-tools` check in the running worker, against the test stack's
Slurm login node over the worker's own ssh: every tool there, then perl taken away
on the login node, then git required by a slurm_script_repo. And the zip command
doctor probes is the one biomero 2.8.3 itself would run, asked of biomero."""

from __future__ import annotations

import json
import textwrap

from tests.support.doctor_output import tool_lines
from tests.worker.service import RUNTIME_OVERRIDES, SSH_ALIAS

TOOLS = ("sbatch", "sacct", "7z", "perl", "strings", "grep")  # 7z: p7zip-full there
# what biomero 2.9 runs there besides with its defaults (singularity: the stand-in)
TOOLS_2_9 = ("nohup", "apptainer/singularity", "awk", "sort")
TOKEN = "tok3n-never-printed"


def release_tools(worker) -> tuple[str, ...]:
    """The tools doctor must find for the worker's biomero release (asked of it)."""
    code, out = worker.exec(["python", "-c", "from biomero_worker import cluster_tools, "
                             "doctor; print(cluster_tools.release_at_least("
                             "doctor.biomero_release(), (2, 9)))"])
    assert code == 0, out
    return TOOLS + (TOOLS_2_9 if out.strip() == "True" else ())


def cluster_tools(worker) -> tuple[int, str]:
    code, out = worker.exec("doctor --only cluster-tools", timeout=60)
    print(out)
    return code, out


def test_doctor_finds_every_tool_biomero_runs_on_the_test_cluster(worker):
    tools = release_tools(worker)
    code, out = cluster_tools(worker)
    assert code == 0, out
    assert out.startswith(f"OK    cluster-tools   {len(tools)} tools biomero runs over SSH on "
                          f"{SSH_ALIAS}: all present"), out
    found = tool_lines(out)
    for tool in tools:
        assert found.get(tool, ("absent",))[0] == "ok", f"{tool} not ok:\n{out}"
    assert found["sacct"][1].endswith("answers `sacct -n -X -j 1 -o JobId`"), out
    assert "7-Zip" in found["7z"][1] and "biomero runs 7z, else 7za" in found["7z"][1], out
    assert found["git"][0] == "unused", out  # the test config has no slurm_script_repo


def test_perl_missing_on_the_login_node_fails_and_says_why(worker, slurm):
    tools = release_tools(worker)
    moved = slurm.exec("mv /usr/bin/perl /usr/bin/perl.off", role="slurmctld")
    assert moved.exit_code == 0, moved.output
    try:
        # what biomero's ssh user finds there now
        assert slurm.ssh("command -v perl").exit_code != 0
        code, out = cluster_tools(worker)
        assert code == 1, out
        assert out.startswith(f"FAIL  cluster-tools   missing: perl (of {len(tools)} tools "
                              f"biomero runs over SSH on {SSH_ALIAS})"), out
        status, detail = tool_lines(out)["perl"]
        assert status == "missing", out
        assert detail == (f"perl is not on {SSH_ALIAS}'s PATH: biomero reads where a job's "
                          "data is from the job log with `perl -wne`"), out
        assert all(tool_lines(out)[t][0] == "ok" for t in tools if t != "perl"), out
        assert "doctor: 1 required check(s) failed: cluster-tools" in out
    finally:
        back = slurm.exec("mv /usr/bin/perl.off /usr/bin/perl", role="slurmctld")
    assert back.exit_code == 0, back.output
    assert cluster_tools(worker)[0] == 0


def test_git_is_required_once_slurm_script_repo_is_set_and_its_url_never_shown(worker):
    layer = worker.mounts[RUNTIME_OVERRIDES] / "50-script-repo.ini"
    layer.write_text(f"[SLURM]\nslurm_script_repo=https://ci:{TOKEN}@example.invalid/s.git\n")
    layer.chmod(0o644)
    try:
        code, out = worker.exec("python -m biomero_worker config refresh --force")
        assert code == 0, out
        code, out = cluster_tools(worker)
        assert code == 0, out
        assert out.startswith(f"OK    cluster-tools   {len(release_tools(worker)) + 1} tools "
                              "biomero runs over SSH on "
                              f"{SSH_ALIAS}: all present"), out
        status, detail = tool_lines(out)["git"]
        assert status == "ok" and "(git version " in detail, out
        assert TOKEN not in out
    finally:
        layer.unlink()
        code, out = worker.exec("python -m biomero_worker config refresh --force")
    assert code == 0, out
    assert tool_lines(cluster_tools(worker)[1])["git"][0] == "unused"


# The zip command (and whether it is Info-ZIP) and the script repository: what doctor
# derives from a config and the environment, next to what biomero's from_config hands
# its client and what biomero makes of that zip command.
AGREEMENT = textwrap.dedent("""
    import configparser, json, os, types
    from biomero import SlurmClient
    from biomero_worker import biomero_contract, cluster_tools
    cases = {cases}
    rows = []
    for values, env in cases:
        os.environ.pop(cluster_tools.ZIP_ENV, None)
        os.environ.update(env)
        given = {{("SLURM", k): v for k, v in values.items()}}
        _, client = biomero_contract._run_from_config(given)
        cfg = configparser.ConfigParser(allow_no_value=True)
        cfg.read_dict({{"SLURM": values}})
        # biomero's Info-ZIP rule, on just the attribute it reads
        infozip = SlurmClient._uses_infozip(
            types.SimpleNamespace(slurm_zip_cmd=client["slurm_zip_cmd"]))
        plan = cluster_tools.plan(cfg, os.environ)
        rows.append({{"case": [values, env],
                     "biomero": [client["slurm_zip_cmd"], infozip,
                                 bool(client["slurm_script_repo"])],
                     "doctor": [cluster_tools.zip_command(cfg, os.environ).value,
                                any(t.key == "unzip" for t in plan.tools),
                                cluster_tools.script_repo_set(cfg)]}})
    print("ROWS=" + json.dumps(rows))
""")
CASES = [
    ({}, {}),
    ({"slurm_zip_cmd": ""}, {}),
    ({"slurm_zip_cmd": "7za"}, {}),
    ({"slurm_zip_cmd": "/opt/p7zip/bin/7za -mmt=2"}, {}),
    ({"slurm_zip_cmd": "zip"}, {}),
    ({"slurm_zip_cmd": "/usr/local/bin/zip -q"}, {}),
    ({"slurm_zip_cmd": "zipx"}, {}),
    ({"slurm_zip_cmd": "7za"}, {"BIOMERO_SLURM_ZIP_CMD": "7z"}),
    ({"slurm_zip_cmd": "7za"}, {"BIOMERO_SLURM_ZIP_CMD": ""}),
    ({}, {"BIOMERO_SLURM_ZIP_CMD": "zip"}),
    ({"slurm_script_repo": ""}, {}),
    ({"slurm_script_repo": "https://github.com/o/r"}, {}),
]


def test_doctor_probes_the_zip_command_and_repository_biomero_would_use(worker):
    code, out = worker.python(AGREEMENT.format(cases=repr(CASES)))
    assert code == 0, out
    rows = json.loads(next(ln for ln in out.splitlines() if ln.startswith("ROWS="))[5:])
    assert len(rows) == len(CASES)
    disagree = [r for r in rows if r["biomero"] != r["doctor"]]
    assert disagree == [], disagree
