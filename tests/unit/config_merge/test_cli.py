"""The command line, run as `python -m config_merge` in a subprocess: exit codes
0 ok / 1 invalid / 2 usage, diagnostics on stderr, atomic output, no tracebacks."""

import pytest

BASE = ("[SSH]\nhost = h\n\n[MODELS]\n# StarDist\nstardist = s\n"
        "stardist_repo = https://github.com/o/s\nstardist_job = j.sh\n")


@pytest.fixture
def base(write):
    return write("base.ini", BASE)


def test_merge_to_stdout(cli, base, write):
    site = write("site.ini", "[MODELS]\n!stardist*\n")
    proc = cli("merge", base, site)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "[SSH]\nhost = h\n\n[MODELS]\n", "")


def test_merge_to_file_is_atomic_and_leaves_no_temp_files(cli, base, tmp_path):
    out = tmp_path / "out" / "slurm-config.ini"
    out.parent.mkdir()
    out.write_text("previous\n")
    out.chmod(0o644)
    proc = cli("merge", "-o", out, base)
    assert proc.returncode == 0, proc.stderr
    assert out.read_text() == BASE
    assert out.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in out.parent.iterdir()] == ["slurm-config.ini"]


def test_failed_merge_leaves_previous_output_untouched(cli, base, write, tmp_path):
    out = tmp_path / "out.ini"
    out.write_text("previous\n")
    bad = write("bad.ini", "[MODELS]\nnot a key line\n")
    proc = cli("merge", "-o", out, base, bad)
    assert proc.returncode == 1
    assert proc.stderr == f"{bad}:2: expected KEY = VALUE, got 'not a key line'\n"
    assert out.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.ini", "base.ini", "out.ini"]


def test_unwritable_output_is_exit_1_with_a_message(cli, base, tmp_path):
    out = tmp_path / "no-such-dir" / "out.ini"
    proc = cli("merge", "-o", out, base)
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"{out}:0: cannot write output:")
    assert "Traceback" not in proc.stderr


def test_warning_is_exit_0_and_strict_makes_it_exit_1_without_output(cli, base, write, tmp_path):
    site = write("site.ini", "[MODELS]\n!cellpose*\n")
    warning = f"{site}:2: MODELS.cellpose*: warning: tombstone !cellpose* matches no key\n"
    proc = cli("merge", base, site)
    assert (proc.returncode, proc.stderr) == (0, warning)
    out = tmp_path / "strict.ini"
    proc = cli("merge", "--strict", "-o", out, base, site)
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", warning.replace("warning: ", ""))
    assert not out.exists()


@pytest.mark.parametrize(
    "content",
    [b"[S\n", b"[S]\na=1\na=2\n", b"k=v\n", b"[S]\nword\n", b"[S]\nk=caf\xe9\n", b"\x00\xff\xfe"],
)
def test_malformed_input_is_exit_1_file_line_message_never_a_traceback(cli, write, content):
    bad = write("bad.ini", content)
    for command in (["merge"], ["validate"], ["explain", "--"]):
        proc = cli(*command, bad)
        assert proc.returncode == 1
        assert proc.stderr.startswith(f"{bad}:")
        assert "Traceback" not in proc.stderr


def test_missing_layer_is_exit_1(cli, tmp_path):
    proc = cli("validate", tmp_path / "missing.ini")
    assert (proc.returncode, proc.stderr) == (
        1, f"{tmp_path}/missing.ini:0: layer not found: no such file or directory\n")


@pytest.mark.parametrize(
    "args",
    [[], ["frobnicate"], ["merge"], ["validate"], ["merge", "--bogus", "x.ini"],
     ["explain", "x.ini"], ["explain", "--"]],
)
def test_usage_errors_are_exit_2(cli, args):
    proc = cli(*args)
    assert proc.returncode == 2
    assert "usage:" in proc.stderr


def test_validate_ok_and_failing(cli, base, write):
    assert cli("validate", base).returncode == 0
    site = write("site.ini", "[MODELS]\nstardist_repo = https://gitlab.com/o/s\n")
    proc = cli("validate", base, site)
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"{site}:2: MODELS.stardist_repo: not a GitHub repository URL")
    warned = write("warned.ini", "[SLURM]\nslurm_data_path = d  # scratch\n")
    proc = cli("validate", base, warned)
    assert proc.returncode == 0  # warnings do not fail
    assert proc.stderr.startswith(f"{warned}:2: SLURM.slurm_data_path: warning: 'd  # scratch'")


def test_explain_one_key_shows_value_and_every_layer_line(cli, base, write):
    site = write("site.ini", "[SSH]\nhost = cluster\n")
    proc = cli("explain", "SSH.host", "--", base, site)
    assert proc.returncode == 0
    assert proc.stdout == (f"[SSH] host = cluster\n    set       {base}:2  h\n"
                           f"    override  {site}:2  cluster\n")


def test_explain_a_deleted_key_says_where_it_was_deleted(cli, base, write):
    site = write("site.ini", "[MODELS]\n!stardist*\n")
    proc = cli("explain", "MODELS.stardist_job", "--", base, site)
    assert proc.stdout == (f"[MODELS] stardist_job  (deleted)\n    set       {base}:8  j.sh\n"
                           f"    deleted   {site}:2  by !stardist*\n")


def test_explain_a_section_and_everything(cli, base):
    assert cli("explain", "MODELS", "--", base).stdout.startswith(
        f"[MODELS]\n    created   {base}:4\n[MODELS] stardist = s\n    set       {base}:6  s\n")
    assert cli("explain", "--", base).stdout.startswith(
        f"[SSH]\n    created   {base}:1\n[SSH] host = h\n    set       {base}:2  h\n[MODELS]\n")


def test_explain_a_deleted_section(cli, base, write):
    site = write("site.ini", "[!SSH]\n")
    proc = cli("explain", "SSH", "--", base, site)
    assert proc.stdout == (f"[SSH]  (deleted)\n    created   {base}:1\n"
                           f"    deleted   {site}:1  by [!SSH]\n"
                           f"[SSH] host  (deleted)\n    set       {base}:2  h\n"
                           f"    deleted   {site}:1  by [!SSH]\n")


def test_explain_an_unknown_key_is_exit_1(cli, base):
    proc = cli("explain", "SSH.nope", "--", base)
    assert (proc.returncode, proc.stderr) == (
        1, "config-merge: SSH.nope: not set or deleted by any layer\n")


def test_console_script_entry_point_is_declared():
    import tomllib

    from tests.support.build_env import REPO

    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert pyproject["project"]["scripts"]["config-merge"] == "config_merge.cli:main"


def test_output_through_a_symlink_replaces_the_target_and_keeps_the_link(cli, base, tmp_path):
    real = tmp_path / "state" / "slurm-config.ini"
    real.parent.mkdir()
    real.write_text("old\n")
    link = tmp_path / "etc-slurm-config.ini"
    link.symlink_to(real)
    assert cli("merge", "-o", link, base).returncode == 0
    assert link.is_symlink() and real.read_text() == BASE
