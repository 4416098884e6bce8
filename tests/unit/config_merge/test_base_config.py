"""The shipped config: the base validates and reads as biomero reads it; the overrides
directory applies nothing by default; the README example works when pasted."""

import configparser
import os
import re
import subprocess

from config_merge import merge_layers, validate

from ..conftest import ROOT, run_cli

BASE = ROOT / "config" / "base" / "slurm-config.ini"
OVERRIDES = ROOT / "config" / "overrides"
WORKFLOWS = ["cellpose", "stardist", "stardist5d", "cellexpansion", "spotcounting",
             "nuclei_measurements", "aggregates_measurements"]


def biomero_reads(path):
    parser = configparser.ConfigParser(allow_no_value=True)  # exactly biomero's reader
    assert parser.read([path]) == [str(path)]
    return parser


def test_base_validates_from_the_command_line():
    proc = run_cli("validate", "--strict", "config/base/slurm-config.ini", cwd=ROOT)
    assert (proc.returncode, proc.stderr) == (0, "")


def test_base_reads_as_biomero_reads_it():
    parser = biomero_reads(BASE)
    assert parser.get("SSH", "host") == "localslurm"
    assert parser.getboolean("ANALYTICS", "track_workflows") is True
    for section in parser.sections():  # BasicInterpolation survives every value
        for key in parser.options(section):
            parser.get(section, key)
    assert all(parser.get("SLURM", key).startswith("/") for key in
               ("slurm_data_path", "slurm_images_path", "slurm_converters_path",
                "slurm_script_path"))


def test_base_ships_the_upstream_workflows():
    parser = biomero_reads(BASE)
    for name in WORKFLOWS:
        assert parser.get("MODELS", name) == name
        assert parser.get("MODELS", f"{name}_repo").startswith("https://github.com/")
        assert parser.get("MODELS", f"{name}_job") == f"jobs/{name}.sh"


def test_base_holds_no_database_url():
    assert not biomero_reads(BASE).has_option("ANALYTICS", "sqlalchemy_url")


def test_overrides_directory_applies_nothing_by_default():
    assert sorted(OVERRIDES.glob("*.ini")) == []
    result = merge_layers([BASE, OVERRIDES])
    assert result.text == BASE.read_text()


def test_example_site_layer_validates_strictly():
    result = merge_layers([BASE, OVERRIDES / "example-site.ini.example"], strict=True)
    assert validate(result) == []
    assert "stardist5d" not in result.to_dict()["MODELS"]


def test_readme_example_works_when_pasted_into_a_shell(tmp_path):
    readme = (OVERRIDES / "README.md").read_text()
    # Run it as written, but in this test's own directory instead of /tmp.
    script = re.search(r"```sh\n(.*?)```", readme, re.S).group(1).replace("/tmp/", f"{tmp_path}/")
    shown = re.search(r"deleted it; .*?```\n(.*?)```", readme, re.S).group(1).replace(
        "/tmp/", f"{tmp_path}/")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout == shown
    merged = biomero_reads(tmp_path / "slurm-config.ini")
    assert not any(key.startswith("stardist") for key in merged.options("MODELS"))
    assert merged.get("MODELS", "cellpose_job_mem") == "20GB"
    assert merged.get("MODELS", "myseg_repo").startswith("https://")


def test_validate_accepts_a_workflows_tuning_of_a_base_workflow_and_names_a_gitlab_repo(
        tmp_path):
    base = "config/base/slurm-config.ini"
    tuning = tmp_path / "tuning.ini"
    tuning.write_text("[WORKFLOWS]\ncellpose_job_mem=20GB\n")
    proc = run_cli("validate", base, tuning, cwd=ROOT)
    assert (proc.returncode, proc.stderr) == (0, "")
    gitlab = tmp_path / "gitlab.ini"
    gitlab.write_text("[MODELS]\ncellpose_repo=https://gitlab.com/lab/cellpose/tree/v1\n")
    proc = run_cli("validate", base, gitlab, cwd=ROOT)
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"{gitlab}:2: MODELS.cellpose_repo: not a GitHub repository URL")
