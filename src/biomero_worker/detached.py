"""biomero's detached workflows (2.9+) need a supervisor this image does not have.

With ``BIOMERO_DETACHED_WORKFLOWS`` true, a BIOMERO workflow script does not run the
workflow: it records a launcher task in the tracking database and returns, and a
supervisor inside the processor is expected to claim and run it. This worker runs
omero-py's own processor, which has no supervisor, so such a run would stay queued
for ever with nothing saying so. Hence: ``start-node`` refuses to start the node,
``doctor`` fails its ``detached`` check, the health check is unhealthy, and scripts
never see the variable (script_env drops it).

"True" is decided as biomero decides it (``biomero.detached.detached_mode_enabled``
in 2.9: the value, lower-cased, is one of 1/true/yes/on); any other value leaves
biomero in its ordinary, attached mode. Only ``os.environ`` is read: this module is
imported by the HEALTHCHECK and must stay cheap (no biomero import).
"""

from __future__ import annotations

import os

VAR = "BIOMERO_DETACHED_WORKFLOWS"
TRUE_WORDS = ("1", "true", "yes", "on")


def requested(environ=None) -> bool:
    """Whether biomero would run its workflow scripts detached with this environment."""
    environ = os.environ if environ is None else environ
    return environ.get(VAR, "false").lower() in TRUE_WORDS


def refusal(environ=None) -> str | None:
    """Why the node must not start (None: nothing against it). The value is not
    quoted back: only whether biomero reads it as true."""
    if not requested(environ):
        return None
    return (f"{VAR} is true, but this image has no detached-workflow supervisor: every "
            "workflow a script queues would wait for ever and never run. Unset "
            f"{VAR} (or set it to false) for this worker; detached mode needs a "
            "processor with a supervisor (docker/README.md, 'Detached workflows')")

