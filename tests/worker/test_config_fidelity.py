"""Drop-in config fidelity, through the real worker and biomero's own reader:

* (the web admin's page, run, and biomero's view after each of its saves:
  tests/worker/test_web_admin_page.py, which uses ``biomero_view`` from here);
* upstream's documented override mount at /etc/slurm-config.ini is a layer;
* upstream's external-worker script mounted over /startup/99-run.sh stops with one
  line naming the variables that replace it.

biomero reads the config in a script launched through omero-py's real ProcessI.
The one thing left out of biomero is its descriptor fetch from GitHub, which this
machine cannot reach (issue: the end-to-end workflow test serves a real one)."""

from __future__ import annotations

import json

from biomero_worker import layout
from config_merge.validate import biomero_reads
from tests.worker.service import (
    RUNTIME_OVERRIDES,
    make_overrides,
    run_script,
    run_to_exit,
    start_worker,
    worker_environment,
)

ETC = str(layout.LAYER_DEFAULTS["ETC"])

# Everything from_config hands biomero's client, as the client holds it.
BIOMERO_VIEW = f"""
import json
from biomero import SlurmClient
SlurmClient.init_workflows = lambda self, force_update=False: None  # no GitHub here
client = SlurmClient.from_config(config_only=True)
names = {biomero_reads()["constructor_args"]!r}
def plain(v):  # fabric wraps dict attributes in its DataProxy
    if hasattr(v, "keys"):
        return {{k: plain(v[k]) for k in v.keys()}}
    return [plain(x) for x in v] if isinstance(v, (list, tuple)) else v
view = {{n: plain(getattr(client, n)) for n in names if hasattr(client, n)}}
print("VIEW=" + json.dumps(view, sort_keys=True, default=str))
"""


def biomero_view(worker) -> dict:
    out = run_script(worker, BIOMERO_VIEW)
    line = next(ln for ln in out.splitlines() if ln.startswith("VIEW="))
    return json.loads(line[len("VIEW="):])


def test_a_file_mounted_over_etc_slurm_config_is_a_layer_biomero_sees(
        stack, worker_image, facts, tmp_path):
    etc = tmp_path / "slurm-config-override.ini"
    etc.write_text("[SSH]\nhost = from-etc-mount\n[SLURM]\nslurm_data_bind_path = /etc-bind\n")
    etc.chmod(0o644)
    w = start_worker(stack, worker_image, facts, name="etcmount",
                     env=worker_environment(facts, name="etcmount"),
                     mounts={ETC: etc, RUNTIME_OVERRIDES: make_overrides(tmp_path)})
    try:
        logs = w.wait_started()
        assert f"20-slurm-config: ETC                {ETC} (present)" in logs, logs
        view = biomero_view(w)
        assert view["host"] == "from-etc-mount" and view["slurm_data_bind_path"] == "/etc-bind"
        code, out = w.exec("python -m biomero_worker config explain SSH.host")
        assert code == 0 and f"{ETC}:2" in out, out
    finally:
        w.remove()


def test_upstreams_external_worker_script_stops_with_one_clear_line(
        stack, worker_image, facts, tmp_path):
    # what upstream's client compose mounts: a script that starts the node with
    # OMERO.server's templates and `omero node` (the two lines that matter here)
    script = tmp_path / "99-run-external.sh"
    script.write_text("#!/bin/bash\n"
                      "sed -e s/x/y/ OMERO.server/etc/templates/ice.config > /dev/null\n"
                      "exec omero node $OMERO_WORKER_NAME start --foreground\n")
    script.chmod(0o755)
    code, logs, _ = run_to_exit(stack, worker_image, facts, name="external",
                                env=worker_environment(facts, name="external"),
                                mounts={"/startup/99-run.sh": script})
    assert code != 0, logs
    lines = [ln for ln in logs.splitlines() if "external-worker script" in ln]
    assert len(lines) == 1, logs
    assert "OMERO_WORKER_PUBLISHED_HOST" in lines[0] and "OMERO_WORKER_PORT" in lines[0]


def test_a_state_directory_that_cannot_be_written_is_named_as_such(
        stack, worker_image, facts, tmp_path):
    """A start-up failure names its real cause: a write error is not an invalid layer."""
    state = tmp_path / "state"
    state.mkdir()
    code, logs, _ = run_to_exit(stack, worker_image, facts, name="rostate",
                                env=worker_environment(facts, name="rostate"),
                                mounts={str(layout.STATE_DIR): (state, "ro"),
                                        RUNTIME_OVERRIDES: make_overrides(tmp_path)})
    assert code != 0, logs
    # the first step that writes nothing yet (05-identity) names it, before the merge
    assert (f"05-identity: ERROR:   {layout.STATE_DIR}: owner " in logs
            and "on a read-only file system" in logs), logs
    assert "invalid" not in logs.lower() and "problem(s) in the layers" not in logs
