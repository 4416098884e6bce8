"""The environment of scripts launched by the Processor, without copying processor.py.

omero-py's ``omero.processor.ProcessI.make_env`` builds each script's environment
from an empty dict plus a fixed list (PATH, HOME, LANG, PYTHONPATH, ...), so proxies
and the analytics database URL never reach a script. Upstream NL-BIOMERO overwrites
``processor.py`` to forward a handful more. Here a ``.pth`` file in the worker's venv
runs ``import biomero_worker.script_env_hook`` at interpreter start; the hook waits (an import hook,
nothing imported eagerly) until ``omero.processor`` is imported and then wraps
``ProcessI.make_env``: omero-py's own method runs first, then the variables on the
allow-list are added (never replacing one omero-py set), and the runtime
slurm-config is re-merged so that an edit to a runtime layer applies to this run.

Allow-list: ``DEFAULT_ALLOW`` (proxies, biomero's variables, the importer hand-off's)
plus the names or shell patterns in
``BIOMERO_SCRIPT_ENV_ALLOW`` (separated by commas or whitespace). Nothing else from
the worker's environment reaches a script, and never ``DENY``
(``BIOMERO_DETACHED_WORKFLOWS``: no supervisor here, see detached.py).

What the hook relies on in omero-py (checked by ``contract_problems()``, which the
tests run against the real omero-py in the image):
  * ``ProcessI.make_env(self)`` exists and takes no other argument;
  * it leaves ``self.env``, an ``omero.util.Environment`` with ``set(key, value)``
    and ``__call__() -> dict`` (the dict handed to Popen as ``env``);
  * ``ProcessI.__init__`` calls ``self.make_env()``.
"""

from __future__ import annotations

import fnmatch
import inspect
import logging
import os
import re

from . import detached, layout

PROXY_VARS = ["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "FTP_PROXY"]
# What BIOMERO's scripts and biomero read from their environment (beyond what
# omero-py passes itself, e.g. OMERODIR); the tests derive the need from biomero's
# slurm_env and from biomero-scripts' own list, and fail when this falls short.
BIOMERO_VARS = ["SQLALCHEMY_URL", "PERSISTENCE_MODULE", "BIOMERO_*",
                "GPU_PARTITION", "GPU_GRES", "GPU_GPUS",  # biomero.constants.slurm_env
                "PROCESSED_DATA_FOLDER"]  # slurm_env from 2.9 on
IMPORTER_VARS = ["IMPORTER_ENABLED", "INGEST_TRACKING_DB_URL", "OMERO_BIOMERO_*",
                 "OMERO_DATA_DIR", "USE_INPLACE_ATTACHMENTS"]  # the BIOMERO.importer hand-off
DEFAULT_ALLOW = PROXY_VARS + [v.lower() for v in PROXY_VARS] + BIOMERO_VARS + IMPORTER_VARS
ALLOW_VAR = "BIOMERO_SCRIPT_ENV_ALLOW"
# Never passed, whatever the allow-list says: with it true, biomero's scripts queue
# runs for a supervisor this processor does not have (detached.py).
DENY = [detached.VAR]
# Always set in a script's environment: biomero's authoritative-file mode, so the
# merged config is the only one it reads (see runtime_config).
CONFIG_VAR = layout.CONFIG_FILE_VAR

log = logging.getLogger("script_env")


def allow_patterns(environ=None) -> list[str]:
    environ = os.environ if environ is None else environ
    extra = [p for p in re.split(r"[\s,]+", environ.get(ALLOW_VAR, "")) if p]
    return DEFAULT_ALLOW + extra


def select(environ=None) -> dict[str, str]:
    """The variables of ``environ`` that the allow-list lets through, secrets given
    as ``VAR_FILE`` read (file_env): a script gets ``VAR``, never the file's name."""
    from . import file_env

    environ = dict(os.environ if environ is None else environ)
    try:
        file_env.apply(environ)
    except file_env.SecretFileError as exc:
        log.error("script env: %s; scripts get none of those secrets", exc)
        for var in file_env.SECRET_VARS:
            environ.pop(var, None)
            environ.pop(var + file_env.SUFFIX, None)
    patterns = allow_patterns(environ)
    chosen = {k: v for k, v in environ.items()
              if k not in DENY and any(fnmatch.fnmatchcase(k, p) for p in patterns)}
    # an unknown uid's passwd entry (nss_wrapper): ssh and fabric in scripts need it
    from . import identity

    return {**chosen, **identity.nss_environ(environ)}


def extend(env, environ=None) -> list[str]:
    """Add the allowed variables to an ``omero.util.Environment``; omero-py's own
    values win. Returns the names added."""
    current = env()
    for key in DENY:
        if key in current:  # omero-py never sets it; should one ever, it is not true here
            env.set(key, "false")
    added = []
    for key, value in sorted(select(environ).items()):
        if key not in current:
            env.set(key, value)
            added.append(key)
    return added


def set_log_level(env, environ=None) -> None:
    """The worker's CONFIG_omero_logging_level, as the level a script logs at (the
    script hook applies it)."""
    from . import env_settings, script_env_hook

    try:
        level = env_settings.log_level(environ)
    except env_settings.SettingError as exc:
        log.error("script env: %s; scripts log as they choose", exc)
        return
    if level is not None:
        env.set(script_env_hook.LOG_LEVEL_VAR, str(level))


def refresh_config(env, environ=None) -> None:
    """Re-merge the runtime slurm-config (only if a layer changed) and point the
    script at the merged file. A bad edit keeps the last good file and is logged."""
    try:
        from . import runtime_config

        outcome = runtime_config.refresh(environ)
        if not outcome.ok:
            log.error("slurm-config: a layer is invalid; scripts keep the last good "
                      "merge (%s): %s", outcome.merged, "; ".join(outcome.errors))
        elif outcome.changed:
            log.info("slurm-config: re-merged into %s", outcome.merged)
        env.set(CONFIG_VAR, str(outcome.merged))
    except TimeoutError as exc:  # bounded: the launch goes on with the last merge
        log.error("slurm-config: %s; scripts keep the last good merge", exc)
        env.set(CONFIG_VAR, str(layout.merged_path(environ)))
    except Exception:  # a launch must not fail because of the config refresh
        log.exception("slurm-config: refresh failed; scripts keep the last merge")
        env.set(CONFIG_VAR, str(layout.merged_path(environ)))


def contract_problems(processor_module) -> list[str]:
    """What of omero-py the hook relies on and no longer finds (empty: all good)."""
    problems = []
    cls = getattr(processor_module, "ProcessI", None)
    if cls is None:
        return ["omero.processor.ProcessI is gone"]
    make_env = getattr(cls, "make_env", None)
    make_env = getattr(make_env, "__wrapped__", make_env)
    if make_env is None:
        return ["ProcessI.make_env is gone"]
    params = list(inspect.signature(make_env).parameters)
    if params != ["self"]:
        problems.append(f"ProcessI.make_env signature is now ({', '.join(params)})")
    try:
        init_src = inspect.getsource(cls.__init__)
        if "self.make_env()" not in init_src:
            problems.append("ProcessI.__init__ no longer calls self.make_env()")
        act_src = inspect.getsource(cls.activate).replace(" ", "")
        if "env=self.env()" not in act_src:
            problems.append("ProcessI.activate no longer passes env=self.env() to Popen")
    except (OSError, TypeError):
        problems.append("cannot read ProcessI source")
    import omero.util

    environment = getattr(omero.util, "Environment", None)
    if environment is None:
        problems.append("omero.util.Environment is gone")
    else:
        for attr in ("set", "__call__"):
            if not callable(getattr(environment, attr, None)):
                problems.append(f"omero.util.Environment.{attr} is gone")
    return problems


def patch(processor_module) -> bool:
    """Wrap ``ProcessI.make_env`` (idempotent). Returns True when wrapped now."""
    from .wrapping import after

    def extra(process):
        added = extend(process.env)
        set_log_level(process.env)
        refresh_config(process.env)
        log.debug("script env: added %s", ", ".join(added) or "nothing")

    return after(processor_module.ProcessI, "make_env", "_script_env", extra)
