"""Validation of the merged result as biomero will use it; each problem names the
layer and line that introduced it."""

import pytest

from config_merge import merge_layers, validate

GOOD = """
[SSH]
host = localslurm

[ANALYTICS]
track_workflows = True
enable_job_accounting = no

[CONVERTERS]
zarr_to_tiff = some/image:1.0

[MODELS]
cellpose = cellpose
cellpose_repo = https://github.com/example/W_Cellpose/tree/v1.0.0
cellpose_job = jobs/cellpose.sh
cellpose_job_mem = 15GB
cellpose_use_gpu = True
"""


def problems(write, *overrides, base=GOOD):
    paths = [write("base.ini", base)] + [write(f"site{n}.ini", o) for n, o in enumerate(overrides)]
    prefix = f"{paths[0].parent}/"
    return [str(p).replace(prefix, "") for p in validate(merge_layers(paths))]


def test_a_good_config_has_no_problems(write):
    assert problems(write) == []


@pytest.mark.parametrize(
    "override, expected",
    [
        ("[SSH]\n!host\n", "site0.ini:2: SSH.host: missing: set the SSH host alias biomero connects to"),
        ("[SSH]\nhost =\n", "site0.ini:2: SSH.host: missing: set the SSH host alias biomero connects to"),
        ("[!SSH]\n", "site0.ini:1: SSH.host: missing: set the SSH host alias biomero connects to"),
        ("[MODELS]\n!cellpose_repo\n", "site0.ini:2: MODELS.cellpose_repo: missing: model 'cellpose' needs it"),
        ("[MODELS]\n!cellpose_job\n", "site0.ini:2: MODELS.cellpose_job: missing: model 'cellpose' needs it"),
        ("[MODELS]\ncellpose_repo = git@github.com:x/y\n",
         "site0.ini:2: MODELS.cellpose_repo: not an http(s) URL: 'git@github.com:x/y'"),
        ("[MODELS]\n!cellpose\n", "base.ini:13: MODELS.cellpose_repo: orphan: no model 'cellpose' in [MODELS] "
                                   "(deleted at site0.ini:2 by !cellpose)"),
        ("[MODELS]\nghost_job_mem = 1GB\n", "site0.ini:2: MODELS.ghost_job_mem: orphan: no model 'ghost' in [MODELS]"),
        ("[MODELS]\n!cellpose_job\ncellpose_job = jobs/c.sh\n",
         "base.ini:15: MODELS.cellpose_job_mem: comes before cellpose_job, where biomero ignores it: move it after"),
        ("[ANALYTICS]\nenable_job_progress = maybe\n",
         "site0.ini:2: ANALYTICS.enable_job_progress: not a boolean: 'maybe' (use True or False)"),
        ("[CONVERTERS]\nzarr2tiff = img:1\n",
         "site0.ini:2: CONVERTERS.zarr2tiff: converter keys look like <from>_to_<to>, e.g. zarr_to_tiff"),
        ("[DEFAULT]\nuser = me\n", "site0.ini:2: DEFAULT.user: configparser adds [DEFAULT] keys to every section "
                                    "(biomero would see them in [MODELS]): move it to its section"),
        ("[SLURM]\nslurm_data_path = /data/100%\n",
         "site0.ini:2: SLURM.slurm_data_path: interpolation: '%' must be followed by '%' or '(', found: '%' "
         "(write a literal % as %%)"),
    ],
)
def test_each_problem_names_the_layer_and_line_that_introduced_it(write, override, expected):
    assert expected in problems(write, override)


def test_orphan_check_reports_every_orphan_of_a_deleted_model(write):
    found = problems(write, "[MODELS]\n!cellpose\n")
    assert [p.split(": ")[1] for p in found] == [
        "MODELS.cellpose_repo", "MODELS.cellpose_job", "MODELS.cellpose_job_mem", "MODELS.cellpose_use_gpu"]


def test_deleting_a_whole_model_with_a_pattern_is_valid(write):
    assert problems(write, "[MODELS]\n!cellpose*\n") == []


def test_workflows_section_is_checked_like_models(write):
    assert problems(write, "[WORKFLOWS]\nflow = flow\nflow_job = jobs/flow.sh\n") == [
        "site0.ini:2: WORKFLOWS.flow_repo: missing: model 'flow' needs it"]


def test_escaped_percent_and_references_are_fine(write):
    assert problems(write, "[SLURM]\na = 100%%\nb = %(a)s/x\n") == []


def test_missing_reference_is_reported(write):
    found = problems(write, "[SLURM]\nb = %(nope)s\n")
    assert len(found) == 1 and found[0].startswith("site0.ini:2: SLURM.b: interpolation:")
