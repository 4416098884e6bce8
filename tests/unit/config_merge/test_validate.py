"""Validation of the merged result with biomero's semantics: an ERROR where biomero
2.8 fails to build its client (or would certainly do the wrong thing), a WARNING
where it accepts what an admin most likely did not mean. Each names the layer and
line that introduced it. (Agreement with biomero itself on upstream's real files:
tests/image/test_biomero_agreement.py.)"""

import pytest

from config_merge import check, merge_layers, validate
from config_merge.validate import biomero_reads

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


def found(write, *overrides, base=GOOD):
    paths = [write("base.ini", base)] + [write(f"site{n}.ini", o) for n, o in enumerate(overrides)]
    prefix = f"{paths[0].parent}/"
    errors, warnings = check(merge_layers(paths))
    return ([str(p).replace(prefix, "") for p in errors],
            [str(p).replace(prefix, "") for p in warnings])


def test_a_good_config_has_no_problems(write):
    assert found(write) == ([], [])


def test_workflows_section_tunes_a_models_workflow(write):
    # biomero reads [MODELS] and [WORKFLOWS] as one set: --mem=20GB for cellpose
    assert found(write, "[WORKFLOWS]\ncellpose_job_mem = 20GB\n") == ([], [])


@pytest.mark.parametrize("override, expected", [
    ("[MODELS]\ncellpose_repo = https://gitlab.com/x/y\n",
     "site0.ini:2: MODELS.cellpose_repo: not a GitHub repository URL ('https://gitlab.com/x/y')"),
    ("[MODELS]\ncellpose_repo = git@github.com:x/y\n",
     "site0.ini:2: MODELS.cellpose_repo: not a GitHub repository URL"),
    ("[MODELS]\nghost_job_mem = 1GB\n",
     "site0.ini:2: MODELS.ghost_job_mem: ghost_job is not set before it: biomero fails"),
    ("[MODELS]\n!cellpose_job\ncellpose_job = jobs/c.sh\n",
     "base.ini:15: MODELS.cellpose_job_mem: cellpose_job is not set before it"),
    ("[ANALYTICS]\nenable_job_progress = maybe\n",
     "site0.ini:2: ANALYTICS.enable_job_progress: not a boolean: 'maybe'"),
    ("[SSH]\ninline_ssh_env =\n", "site0.ini:2: SSH.inline_ssh_env: not a boolean: ''"),
    ("[SLURM]\nslurm_data_path = /data/100%\n",
     "site0.ini:2: SLURM.slurm_data_path: interpolation: a '%' is not followed by '%' or "
     "'(NAME)s' in '/data/100%' (write a literal % as %%)"),
    ("[SLURM]\ngpu_gres = gpu:1\ngpu_gpus = 1\n",
     "site0.ini:3: SLURM.gpu_gpus: gpu_gres and gpu_gpus are both set"),
])
def test_errors_are_where_biomero_fails(write, override, expected):
    errors, _ = found(write, override)
    assert any(e.startswith(expected) for e in errors), errors


@pytest.mark.parametrize("override, expected", [
    ("[SSH]\n!host\n", "site0.ini:2: SSH.host: warning: not set: biomero connects to host 'slurm'"),
    ("[SLURM]\nslurm_data_path = /data  # scratch\n",
     "site0.ini:2: SLURM.slurm_data_path: warning: '/data  # scratch': configparser keeps an "
     "inline"),
    ("[SLURM]\nslurm_dta_path = /x\n",
     "site0.ini:2: SLURM.slurm_dta_path: warning: biomero never reads this key (did you mean "
     "slurm_data_path?)"),
    ("[SSH]\nhost =\n", "site0.ini:2: SSH.host: warning: empty here, which blanks 'localslurm' "
                        "set at base.ini:2"),
    ("[MODELS]\n!cellpose_repo\n",
     "base.ini:12: MODELS.cellpose: warning: 'cellpose' has no cellpose_repo"),
    ("[MODELS]\n!cellpose_job*\n", "site0.ini:2: MODELS.cellpose_job: warning: workflow "
                                    "'cellpose' has a repository but no cellpose_job"),
    ("[MODELS]\n!cellpose\n", "site0.ini:2: MODELS.cellpose: warning: workflow 'cellpose' has "
                              "a repository but no path key"),
    ("[CONVERTERS]\nzarr2tiff = img:1\n",
     "site0.ini:2: CONVERTERS.zarr2tiff: warning: converter keys look like <from>_to_<to>"),
    ("[DEFAULT]\nuser = me\n", "site0.ini:2: DEFAULT.user: warning: configparser adds [DEFAULT]"),
    ("[SLURM]\nsacct_days_ago = week\n",
     "site0.ini:2: SLURM.sacct_days_ago: warning: not a whole number: 'week'"),
    ("[UI]\nmax_batch_jobs = 100\n", "site0.ini:1: UI: warning: biomero never reads [UI]"),
    ("[changelog]\n# saved by the web UI\n", None),
])
def test_warnings_are_what_biomero_accepts_but_is_likely_a_mistake(write, override, expected):
    errors, warnings = found(write, override)
    assert errors == []
    if expected is None:
        assert warnings == []
    else:
        assert any(w.startswith(expected) for w in warnings), warnings


def test_errors_alone_come_from_validate(write):
    paths = [write("base.ini", GOOD), write("site.ini", "[SSH]\n!host\n")]
    assert validate(merge_layers(paths)) == []


def test_sbatch_options_in_slurm_are_read_by_biomero(write):
    assert found(write, "[SLURM]\nsbatch_account = lab\n") == ([], [])


def test_escaped_percent_and_references_are_fine(write):
    assert found(write, "[SLURM]\nsbatch_a = 100%%\nsbatch_b = %(sbatch_a)s/x\n") == ([], [])


def test_bad_interpolation_where_biomero_never_looks_is_a_warning(write):
    errors, warnings = found(write, "[UI]\nlabel = 100%\n")
    assert errors == [] and any("interpolation" in w and "does not read it" in w
                                for w in warnings)


def test_what_biomero_reads_comes_from_biomero():
    reads = biomero_reads()
    assert reads["biomero_version"] and "host" in reads["keys"]["SSH"]
    assert {"MODELS", "WORKFLOWS", "CONVERTERS"} <= set(reads["whole_sections"])
    assert "SSH.inline_ssh_env" in reads["booleans"]


def test_every_releases_record_of_what_biomero_reads_has_the_defaults_fields():
    """A field added to the record (biomero_contract) is regenerated for every committed
    release (`make biomero-reads BIOMERO_VERSION=x.y.z`), or that release's image
    validates with a record that lacks it."""
    import json

    from tests.support import build_env

    default = build_env.biomero_reads_file(build_env.default_biomero())
    releases = sorted((build_env.REPO / "docker" / "locks").glob("biomero-*"))
    assert releases
    for release in releases:
        record = build_env.biomero_reads_file(release.name.removeprefix("biomero-"))
        assert sorted(json.loads(record.read_text())) == \
            sorted(json.loads(default.read_text())), record
