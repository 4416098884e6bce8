"""doctor's `cluster-tools` and `slurm-paths` checks: only the ssh boundary is faked. `Doctor.ssh`
runs the command it is given with a shell of this machine, whose PATH is a directory the
test fills: links to real programs (perl, strings, grep, git, timeout) and small
stand-ins for what a Slurm login node has and this machine has not (sbatch, sacct,
7z/7za) or for a broken tool. So the probe script itself runs, every time; the
config is a real merge of layers (worker_layout)."""

from __future__ import annotations

import argparse
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from biomero_worker import cluster_tools, doctor, runtime_config
from tests.support.build_env import REPO
from tests.support.doctor_output import tool_lines

REAL = ("perl", "strings", "grep", "git", "timeout")
POSIX_SHELL = "dash"  # a login shell that is not bash (Debian's /bin/sh)
if missing_here := [t for t in (*REAL, POSIX_SHELL) if shutil.which(t) is None]:
    pytest.fail(f"these tests need {', '.join(missing_here)} on this machine", pytrace=False)

HOST = "localslurm"  # [SSH] host of config/base
BANNER_7Z = "7-Zip [64] 16.02 : Copyright (c) 1999-2016 Igor Pavlov : 2016-05-21"
BANNER_7ZA = "7-Zip (a) 16.02 : Copyright (c) 1999-2016 Igor Pavlov : 2016-05-21"
SECRET = "tok3n-not-for-logs"


class Cluster:
    """The login node's PATH (a directory), the worker's config layers, and doctor."""

    def __init__(self, tmp: Path, layout: dict, monkeypatch):
        self.bin = tmp / "login-node-bin"
        self.bin.mkdir()
        self.home = tmp / "home-slurm"
        self.home.mkdir()
        self.layers = layout["RUNTIME_OVERRIDES"]
        self.layers.mkdir()
        self.shell = "/bin/bash"
        self.sent: list[str] = []  # the commands doctor sent over "ssh"
        self.mangle = None  # the probe's CompletedProcess -> another (a cut connection)
        self.unreachable = False  # ssh itself fails, as for an unknown host
        monkeypatch.delenv(cluster_tools.ZIP_ENV, raising=False)
        # the release doctor asks the venv for: the default's, unless a test says
        monkeypatch.setattr(doctor, "biomero_release", lambda: "2.8.3")
        monkeypatch.setattr(doctor.Doctor, "ssh", lambda doc, command: self._ssh(doc, command))
        for tool in REAL:
            self.link(tool)
        self.fake("sbatch", 'echo "slurm-wlm 22.05.8"')
        self.fake("sacct", "exit 0")
        self.fake("7z", f'echo; echo "{BANNER_7Z}"; echo; echo "Usage: 7z <command> ..."')

    def _ssh(self, doc, command: str) -> subprocess.CompletedProcess:
        """What `ssh -o BatchMode=yes HOST COMMAND` does: COMMAND run by the login
        shell in the user's home, its output and exit status returned."""
        self.sent.append(command)
        if self.unreachable:
            return subprocess.CompletedProcess(["ssh", HOST, command], 255, "",
                                               f"ssh: Could not resolve hostname {HOST}\n")
        r = subprocess.run([self.shell, "-c", command], capture_output=True, text=True,
                           env={"PATH": str(self.bin), "HOME": str(self.home)},
                           cwd=self.home,
                           stdin=subprocess.DEVNULL, timeout=doc.timeout * 2)
        return self.mangle(r) if self.mangle and command != "true" else r

    def link(self, tool: str) -> None:
        (self.bin / tool).symlink_to(shutil.which(tool))

    def fake(self, tool: str, body: str) -> None:
        path = self.bin / tool
        path.unlink(missing_ok=True)
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)

    def remove(self, tool: str) -> None:
        (self.bin / tool).unlink()

    def layer(self, text: str) -> None:
        (self.layers / "50-test.ini").write_text(text)

    def doctor(self, timeout: float = 6, only: str = "cluster-tools") -> tuple[int, str]:
        assert runtime_config.refresh(force=True).ok
        out = io.StringIO()
        code = doctor.run(argparse.Namespace(only=only, skip="", timeout=timeout),
                          out, io.StringIO())
        return code, out.getvalue()

    @property
    def probe(self) -> str:
        """The probe script (the one command after ssh's own `true`)."""
        probes = [c for c in self.sent if c != "true"]
        assert len(probes) == 1, probes  # one round trip
        return probes[0]


@pytest.fixture
def cluster(tmp_path, worker_layout, monkeypatch):
    return Cluster(tmp_path, worker_layout, monkeypatch)


def first(out: str) -> str:
    return out.splitlines()[0]


def all_present(cluster, count: int) -> tuple[str, dict]:
    """doctor's cluster-tools passing with COUNT tools: (its output, its tool lines)."""
    code, out = cluster.doctor()
    assert code == 0, out
    assert first(out) == (f"OK    cluster-tools   {count} tools biomero runs over SSH on "
                          f"{HOST}: all present")
    return out, tool_lines(out)


# -- all there ------------------------------------------------------------------------
def test_all_present_is_ok_with_one_line_per_tool(cluster):
    out, t = all_present(cluster, 6)
    assert list(t) == ["sbatch", "sacct", "7z", "perl", "strings", "grep", "git"], out
    assert all(s == "ok" for name, (s, _) in t.items() if name != "git"), out
    assert t["sbatch"][1] == f"{cluster.bin}/sbatch (slurm-wlm 22.05.8)"
    assert t["sacct"][1] == f"{cluster.bin}/sacct answers `sacct -n -X -j 1 -o JobId`"
    assert t["7z"][1] == (f"{cluster.bin}/7z, 7-Zip [64] 16.02 "
                          "(slurm_zip_cmd unset: biomero runs 7z, else 7za)")
    assert t["grep"][1] == f"{cluster.bin}/grep, -P lookarounds work"
    assert t["git"] == ("unused", "not needed: [SLURM] slurm_script_repo is empty "
                                  "(biomero writes the job scripts itself)")
    # lines continue under the check's name, as run() prints further lines
    assert out.splitlines()[1].startswith(" " * 24 + "sbatch ")
    assert cluster.probe  # exactly one probe round trip


def test_the_probe_runs_in_a_posix_login_shell_too(cluster):
    cluster.shell = shutil.which(POSIX_SHELL)
    code, out = cluster.doctor()
    assert code == 0 and first(out).endswith("all present"), out


def test_a_login_banner_on_stdout_is_ignored(cluster):
    def banner(r):
        return subprocess.CompletedProcess(r.args, r.returncode,
                                           "Welcome to the cluster\tbe nice\nsbatch\n" + r.stdout,
                                           r.stderr)
    cluster.mangle = banner
    code, out = cluster.doctor()
    assert code == 0, out


# -- missing or broken ----------------------------------------------------------------
def test_perl_missing_fails_naming_why_biomero_needs_it(cluster):
    cluster.remove("perl")
    code, out = cluster.doctor()
    assert code == 1, out
    assert first(out) == (f"FAIL  cluster-tools   missing: perl (of 6 tools biomero runs "
                          f"over SSH on {HOST})")
    status, detail = tool_lines(out)["perl"]
    assert status == "missing"
    assert detail == (f"perl is not on {HOST}'s PATH: biomero reads where a job's data is "
                      "from the job log with `perl -wne`")
    assert out.rstrip().endswith("doctor: 1 required check(s) failed: cluster-tools")


def test_strings_and_perl_missing_are_both_named(cluster):
    cluster.remove("perl")
    cluster.remove("strings")
    code, out = cluster.doctor()
    assert code == 1 and "missing: perl, strings (of 6 tools" in first(out), out
    assert "`tail … | strings` (binutils)" in tool_lines(out)["strings"][1]


def test_grep_without_perl_regexps_is_broken(cluster):
    real = shutil.which("grep")
    cluster.fake("grep", 'for a in "$@"; do case $a in -*P*) '
                         'echo "grep: Perl matching not supported in a '
                         '--disable-perl-regexp build" >&2; exit 2;; esac; done\n'
                         f'exec {real} "$@"')
    code, out = cluster.doctor()
    assert code == 1 and "broken: grep" in first(out), out
    status, detail = tool_lines(out)["grep"]
    assert status == "broken"
    assert detail.startswith(f'{cluster.bin}/grep exits 2: "grep: Perl matching not supported')
    assert "`grep -oP` lookarounds (GNU grep with PCRE)" in detail
    # the probe is a real lookaround, not only `command -v grep`
    assert "(?<=_)v[0-9.]+(?=\\.sif)" in cluster.probe


def test_grep_that_ignores_lookarounds_is_broken(cluster):
    cluster.fake("grep", 'echo "w_v1.2.sif"')  # exits 0, matches nothing the way -P does
    code, out = cluster.doctor()
    assert code == 1, out
    assert tool_lines(out)["grep"][1].startswith(
        f'{cluster.bin}/grep printed "w_v1.2.sif" instead of "v1.2"')


def test_sacct_without_accounting_reports_its_last_error_line(cluster):
    cluster.fake("sacct", 'echo "sacct: error: Sending PersistInit msg: Connection refused" >&2\n'
                          'echo "sacct: error: Problem talking to the database: '
                          'Connection refused" >&2\nexit 1')
    code, out = cluster.doctor()
    assert code == 1 and "broken: sacct" in first(out), out
    status, detail = tool_lines(out)["sacct"]
    assert status == "broken"
    assert detail == (f'{cluster.bin}/sacct exits 1: "sacct: error: Problem talking to the '
                      'database: Connection refused": biomero polls job state with '
                      '`sacct -n -o JobId,State,End -X -j JOB`, which needs Slurm accounting '
                      '(slurmdbd)')


def test_sacct_that_hangs_is_bounded_on_the_login_node(cluster):
    cluster.fake("sacct", f"exec {shutil.which('sleep')} 30")
    code, out = cluster.doctor(timeout=2)  # 1 s per program there
    assert code == 1, out
    assert tool_lines(out)["sacct"] == ("broken", f"{cluster.bin}/sacct gave no answer within 1 s: "
                                             "biomero polls job state with `sacct -n -o "
                                             "JobId,State,End -X -j JOB`, which needs Slurm "
                                             "accounting (slurmdbd)")
    assert tool_lines(out)["perl"][0] == "ok"  # the other tools were still probed


def test_sbatch_missing(cluster):
    cluster.remove("sbatch")
    code, out = cluster.doctor()
    assert code == 1 and "missing: sbatch" in first(out), out
    assert "biomero submits every job with sbatch" in tool_lines(out)["sbatch"][1]


# -- git, only with slurm_script_repo ---------------------------------------------------
def test_git_required_when_slurm_script_repo_is_set_and_missing(cluster):
    cluster.layer(f"[SLURM]\nslurm_script_repo=https://ci:{SECRET}@example.org/scripts.git\n")
    cluster.remove("git")
    code, out = cluster.doctor()
    assert code == 1, out
    assert first(out) == (f"FAIL  cluster-tools   missing: git (of 7 tools biomero runs over "
                          f"SSH on {HOST})")
    assert tool_lines(out)["git"] == ("missing", f"git is not on {HOST}'s PATH: [SLURM] "
                                            "slurm_script_repo is set: biomero clones it "
                                            "(setup_job_scripts) and pulls it (`git -C … pull`)")
    assert SECRET not in out and SECRET not in cluster.probe  # never shown, never sent


def test_git_required_when_slurm_script_repo_is_set_and_present(cluster):
    cluster.layer("[SLURM]\nslurm_script_repo=https://example.org/scripts.git\n")
    code, out = cluster.doctor()
    assert code == 0 and first(out).endswith("7 tools biomero runs over SSH on "
                                             f"{HOST}: all present"), out
    status, detail = tool_lines(out)["git"]
    assert status == "ok" and detail.startswith(f"{cluster.bin}/git (git version "), out


def test_git_not_required_when_slurm_script_repo_is_unset(cluster):
    cluster.remove("git")
    code, out = cluster.doctor()
    assert code == 0, out
    assert tool_lines(out)["git"][0] == "unused"
    assert "git --version" not in cluster.probe


# -- biomero 2.9: what it runs on the login node besides --------------------------------
@pytest.fixture
def cluster_2_9(cluster, monkeypatch):
    monkeypatch.setattr(doctor, "biomero_release", lambda: "2.9.0b15")
    for var in ("BIOMERO_IMAGE_PULL_VIA_SBATCH", "BIOMERO_REMOTE_SHALLOW_ZARR"):
        monkeypatch.delenv(var, raising=False)
    for tool in ("awk", "sort", "nohup"):
        cluster.link(tool)
    cluster.fake("apptainer", "exit 0")
    return cluster


def test_biomero_2_9_probes_what_its_defaults_run_on_the_login_node(cluster_2_9):
    out, t = all_present(cluster_2_9, 10)
    assert list(t)[7:] == ["nohup", "apptainer/singularity", "awk", "sort"], out
    assert t["nohup"] == ("ok", f"{cluster_2_9.bin}/nohup ([SLURM] slurm_image_pull_via_sbatch "
                                "unset: biomero's default)")
    assert t["apptainer/singularity"] == ("ok", f"{cluster_2_9.bin}/apptainer ([SLURM] "
                                                "remote_shallow_zarr unset: biomero's default)")


def test_biomero_2_9_without_a_container_runtime_on_the_login_node_fails(cluster_2_9):
    cluster_2_9.remove("apptainer")
    code, out = cluster_2_9.doctor()
    assert code == 1, out
    assert first(out).startswith("FAIL  cluster-tools   missing: apptainer/singularity (of 10")
    assert tool_lines(out)["apptainer/singularity"] == (
        "missing", f"neither apptainer nor singularity is on {HOST}'s PATH: biomero reads the "
                   "remote shallower image's labels on the login node (`inspect --json "
                   "--labels`) and checks pulled images there ([SLURM] remote_shallow_zarr "
                   "unset: biomero's default)")
    cluster_2_9.fake("singularity", "exit 0")
    assert cluster_2_9.doctor()[0] == 0


def test_biomero_2_9_settings_decide_as_biomero_reads_them(cluster_2_9, monkeypatch):
    # the environment wins with one of biomero's words; the config otherwise
    cluster_2_9.layer("[SLURM]\nslurm_image_pull_via_sbatch = yes\nremote_shallow_zarr = true\n")
    monkeypatch.setenv("BIOMERO_REMOTE_SHALLOW_ZARR", "Off")
    for tool in ("apptainer", "nohup", "awk", "sort"):
        cluster_2_9.remove(tool)
    code, out = cluster_2_9.doctor()
    assert code == 0, out
    t = tool_lines(out)
    assert t["nohup"] == ("unused", "not needed: images are pulled by a Slurm job "
                                    "([SLURM] slurm_image_pull_via_sbatch)")
    assert t["apptainer/singularity"] == ("unused", "not needed on the login node: no remote "
                                                    "shallowing (BIOMERO_REMOTE_SHALLOW_ZARR=Off)")
    assert "awk" not in t and "sort" not in t
    monkeypatch.setenv("BIOMERO_REMOTE_SHALLOW_ZARR", "maybe")  # not biomero's word: config
    assert cluster_2_9.doctor()[0] == 1


def test_the_default_release_probes_none_of_2_9s_tools(cluster):
    code, out = cluster.doctor()
    assert code == 0 and not ({"nohup", "awk", "sort", "apptainer/singularity"}
                              & set(tool_lines(out))), out


# -- the zip command biomero is configured with -----------------------------------------
def test_default_zip_command_falls_back_to_7za_as_biomero_does(cluster):
    cluster.remove("7z")
    cluster.fake("7za", f'echo "{BANNER_7ZA}"')
    code, out = cluster.doctor()
    assert code == 0, out
    assert tool_lines(out)["7za"] == ("ok", f"{cluster.bin}/7za, 7-Zip (a) 16.02 (slurm_zip_cmd "
                                       "unset: biomero runs 7z, else 7za)")


def test_default_zip_command_prefers_7z(cluster):
    cluster.fake("7za", f'echo "{BANNER_7ZA}"')
    code, out = cluster.doctor()
    assert code == 0 and "7z" in tool_lines(out) and "7za" not in tool_lines(out), out


def test_default_zip_command_with_neither_names_what_there_is(cluster):
    cluster.remove("7z")
    cluster.fake("7zz", 'echo "7-Zip (z) 23.01 (x64)"')
    code, out = cluster.doctor()
    assert code == 1 and "missing: 7z/7za" in first(out), out
    status, detail = tool_lines(out)["7z/7za"]
    assert status == "missing"
    assert detail.startswith(f"neither 7z nor 7za is on {HOST}'s PATH (found "
                             f"{cluster.bin}/7zz: set slurm_zip_cmd to one): biomero packs")


@pytest.mark.parametrize("configured, present, expect", [
    ("7za", "7za", "ok"),
    ("7z", "7za", "missing"),  # biomero calls 7z as configured: a 7za does not help
    ("7za", "7z", "missing"),
    ("7z", "7z", "ok"),
])
def test_configured_7zip_is_the_one_accepted(cluster, configured, present, expect):
    cluster.remove("7z")
    cluster.fake(present, f'echo "{BANNER_7ZA if present == "7za" else BANNER_7Z}"')
    cluster.layer(f"[SLURM]\nslurm_zip_cmd={configured}\n")
    code, out = cluster.doctor()
    status, detail = tool_lines(out)[configured]
    assert (code, status) == ((0, "ok") if expect == "ok" else (1, "missing")), out
    if expect == "ok":
        assert detail.startswith(f"{cluster.bin}/{configured}, 7-Zip ")
        assert detail.endswith(f"(slurm_zip_cmd={configured})")
    else:
        assert detail.startswith(f"{configured} is not on {HOST}'s PATH (found "
                                 f"{cluster.bin}/{present}: set slurm_zip_cmd to one, or "
                                 "leave it empty for 7z, else 7za): biomero packs job results")


def test_the_environment_variable_wins_over_the_config_as_in_biomero(cluster, monkeypatch):
    cluster.remove("7z")
    cluster.fake("7za", f'echo "{BANNER_7ZA}"')
    cluster.layer("[SLURM]\nslurm_zip_cmd=7z\n")
    monkeypatch.setenv(cluster_tools.ZIP_ENV, "7za")
    code, out = cluster.doctor()
    assert code == 0, out
    assert tool_lines(out)["7za"][1].endswith("(BIOMERO_SLURM_ZIP_CMD=7za)")


def test_a_zip_command_that_is_not_7zip_is_broken(cluster):
    cluster.layer("[SLURM]\nslurm_zip_cmd=/opt/tools/7z\n")
    cluster.fake("7z", "echo 'usage: something else'")  # not the configured one: no matter
    code, out = cluster.doctor()
    assert code == 1 and tool_lines(out)["7z"][0] == "missing", out
    assert tool_lines(out)["7z"][1].startswith(f"/opt/tools/7z is not an executable file on {HOST}")
    cluster.layer(f"[SLURM]\nslurm_zip_cmd={cluster.bin}/7z -mmt=2\n")
    code, out = cluster.doctor()
    assert code == 1, out
    assert tool_lines(out)["7z"] == (
        "broken", f"{cluster.bin}/7z does not say it is 7-Zip (exit 0: \"usage: something "
                  "else\"): biomero packs job results (`a -y … -tzip`) and unpacks inputs "
                  f"(`x -y -o…`) with it (slurm_zip_cmd={cluster.bin}/7z -mmt=2)")


def test_info_zip_needs_zip_and_the_unzip_beside_it(cluster):
    cluster.layer("[SLURM]\nslurm_zip_cmd=zip\n")
    cluster.fake("zip", "exit 0")
    code, out = cluster.doctor()
    assert code == 1 and "missing: unzip (of 7 tools" in first(out), out
    assert tool_lines(out)["zip"] == ("ok", f"{cluster.bin}/zip (slurm_zip_cmd=zip)")
    assert "biomero unpacks inputs with unzip" in tool_lines(out)["unzip"][1]
    cluster.fake("unzip", "exit 0")
    code, out = cluster.doctor()
    assert code == 0, out


def test_a_zip_command_with_shell_syntax_is_a_warning_not_run(cluster):
    cluster.layer("[SLURM]\nslurm_zip_cmd=$(touch /tmp/should-not-run; echo 7z)\n")
    code, out = cluster.doctor()
    assert code == 0 and first(out).startswith("WARN  cluster-tools   6 tools"), out
    assert tool_lines(out)["zip"][0] == "unchecked"
    assert "touch" not in cluster.probe


@pytest.mark.parametrize("value, why", [
    ("'7z -mmt=2", "cannot be split into words (No closing quotation)"),
    ("   ", "blank, biomero would run no program"),
])
def test_a_zip_command_no_shell_could_run_fails_without_probing_it(cluster, monkeypatch,
                                                                     value, why):
    monkeypatch.setenv(cluster_tools.ZIP_ENV, value)
    code, out = cluster.doctor()
    assert code == 1 and "broken: zip" in first(out), out
    assert tool_lines(out)["zip"] == ("broken", f"{cluster_tools.ZIP_ENV}={value}: {why}"
                                 + (": every zip command biomero builds with it fails"
                                    if "split" in why else ""))
    assert not [ln for ln in cluster.probe.splitlines()  # no zip probe sent
                if ln.startswith(("_bw_7zip ", "if _bw_have 7z"))]


# -- the probe's output -----------------------------------------------------------------
def test_incomplete_probe_output_fails_with_the_exit_status(cluster):
    def cut(r):  # the connection dropped after three tools
        kept = "".join(r.stdout.splitlines(keepends=True)[:3])
        return subprocess.CompletedProcess(r.args, 255, kept,
                                           f"Connection to {HOST} closed by remote host.\n")
    cluster.mangle = cut
    code, out = cluster.doctor()
    assert code == 1, out
    assert first(out) == ("FAIL  cluster-tools   probe output incomplete (exit 255; no line "
                          f"for perl, strings, grep): Connection to {HOST} closed by remote "
                          "host.")
    t = tool_lines(out)
    assert t["sbatch"][0] == "ok" and t["perl"] == ("?", "no answer from the probe"), out


def test_output_without_the_end_marker_is_incomplete(cluster):
    def no_end(r):
        return subprocess.CompletedProcess(r.args, 0, r.stdout.replace(cluster_tools.END, ""),
                                           "")
    cluster.mangle = no_end
    code, out = cluster.doctor()
    assert code == 1, out
    assert first(out).endswith("probe output incomplete (exit 0; no end marker, or a tool "
                               "answered twice)")


def test_a_shell_that_cannot_run_the_probe_is_incomplete(cluster):
    def csh(r):
        return subprocess.CompletedProcess(r.args, 1, "", "Illegal variable name.\n")
    cluster.mangle = csh
    code, out = cluster.doctor()
    assert code == 1, out
    assert "probe output incomplete (exit 1; no line for sbatch, sacct, 7z/7za, perl, " \
           "strings, grep): Illegal variable name." in first(out)


# -- doctor's frame -----------------------------------------------------------------------
def test_not_probed_when_ssh_does_not_work(cluster):
    cluster.unreachable = True
    code, out = cluster.doctor()
    assert code == 1
    assert first(out) == "FAIL  cluster-tools   not checked: ssh does not work (see ssh)"
    assert cluster.sent == ["true"]


def test_cluster_tools_comes_right_after_slurm_paths():
    checks = doctor.Doctor.CHECKS
    assert checks[checks.index("slurm-paths") + 1] == "cluster-tools"


# -- slurm-paths: the [SLURM] paths biomero uses, one line each -----------------------
def paths_layer(cluster, tmp_path, make=("data", "images", "converters", "scripts")):
    keys = {"data": "slurm_data_path", "images": "slurm_images_path",
            "converters": "slurm_converters_path", "scripts": "slurm_script_path"}
    for name in make:
        (tmp_path / name).mkdir()
    cluster.layer("[SLURM]\n" + "".join(f"{k}={tmp_path / n}\n" for n, k in keys.items()))


def test_slurm_paths_all_there_one_line_each(cluster, tmp_path):
    paths_layer(cluster, tmp_path)
    code, out = cluster.doctor(only="slurm-paths")
    assert code == 0, out
    assert out.startswith("OK    slurm-paths     4 paths biomero uses on localslurm: all there")
    lines = [ln.split() for ln in out.splitlines()[1:5]]
    assert [(ln[0], ln[1]) for ln in lines] == [
        ("slurm_data_path", "ok"), ("slurm_images_path", "ok"),
        ("slurm_converters_path", "ok"), ("slurm_script_path", "ok")], out
    assert str(tmp_path / "data") + ":" in out


def test_a_missing_slurm_path_fails_naming_it_and_what_biomero_puts_there(cluster, tmp_path):
    paths_layer(cluster, tmp_path, make=("data", "images", "scripts"))
    code, out = cluster.doctor(only="slurm-paths")
    assert code == 1, out
    assert out.startswith("FAIL  slurm-paths     missing: slurm_converters_path (of 4 paths")
    assert "SLURM_Init_environment" in out.splitlines()[0]
    line = next(ln for ln in out.splitlines()[1:] if "slurm_converters_path " in ln)
    assert "missing" in line and "converter images" in line, line


def test_relative_slurm_paths_are_under_the_login_users_home(cluster, tmp_path):
    # biomero's defaults (my-scratch/...) are relative: its commands run in the home
    cluster.layer("[SLURM]\n" + "".join(f"!{k}\n" for k in doctor.slurm_paths()))
    for p in doctor.slurm_paths().values():
        (cluster.home / p).mkdir(parents=True, exist_ok=True)
    code, out = cluster.doctor(only="slurm-paths")
    assert code == 0, out



# -- one list of checks: Doctor.CHECKS --------------------------------------------------
def test_the_docstring_describes_every_check_in_the_reports_order():
    described = re.findall(r"^  ([a-z0-9-]+)\s", doctor.__doc__, re.M)
    assert described == doctor.Doctor.CHECKS


def test_every_check_has_its_method_and_the_informational_ones_are_checks():
    for name in doctor.Doctor.CHECKS:
        assert callable(getattr(doctor.Doctor, "check_" + name.replace("-", "_"), None)), name
    assert set(doctor.Doctor.INFORMATION) <= set(doctor.Doctor.CHECKS)


def test_the_documented_example_shows_every_check_in_the_reports_order():
    text = (REPO / "startup.d" / "README.md").read_text()
    example = text.split("## doctor", 1)[1].split("```", 2)[1]
    shown = [ln.split()[1] for ln in example.splitlines()
             if ln.split() and ln.split()[0] in ("OK", "FAIL", "WARN", "SKIP", "INFO")]
    assert shown == doctor.Doctor.CHECKS  # the whole report, in its order
