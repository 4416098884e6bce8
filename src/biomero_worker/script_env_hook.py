"""Imported at interpreter start by the venv's ``biomero-script-env.pth``.

Installs a meta-path finder that waits for a few modules of the libraries the worker
runs and, once one is imported, applies the worker's guarded wrapping of it:

  omero.processor    ProcessI.make_env: the script environment (script_env)
                     ProcessI.activate: the script's output, also in
                     var/log/scripts.log (script_output)
  fabric.connection  Connection's SSH client: host keys checked against a mounted
                     known_hosts (ssh_host_keys)
  omero.cli          CLI.register_only: `omero admin diagnostics` reports this
                     worker node (omero_cli)
  omero.util.upgrade_check  UpgradeCheck: off unless omero.upgrades.url is set
                     (omero_cli)

In a script, ``BIOMERO_SCRIPT_LOG_LEVEL`` (set by script_env from the worker's
``CONFIG_omero_logging_level``) drops every log record below that level, whatever
level the script gave its own handlers.

Nothing else is imported here, so a script's start-up stays as fast as before; any
failure is reported on stderr and leaves the library untouched rather than breaking
the interpreter. ``BIOMERO_SCRIPT_ENV_HOOK=0`` disables the whole hook.
"""

import importlib
import os
import sys

# module imported by a script -> [(our module, what it wraps, for messages)]
TARGETS = {
    "omero.processor": [("biomero_worker.script_env", "ProcessI.make_env"),
                        ("biomero_worker.script_output", "ProcessI.activate")],
    "fabric.connection": [("biomero_worker.ssh_host_keys", "Connection's host key policy")],
    "omero.cli": [("biomero_worker.omero_cli", "CLI.register_only (admin diagnostics)")],
    "omero.util.upgrade_check": [("biomero_worker.omero_cli", "UpgradeCheck's default URL")],
}
LOG_LEVEL_VAR = "BIOMERO_SCRIPT_LOG_LEVEL"


def _apply(name, module):
    for ours, what in TARGETS[name]:
        try:
            importlib.import_module(ours).patch(module)
        except Exception as exc:  # never break the library's import
            print(f"{ours.rsplit('.', 1)[-1]}: could not wrap {what}: {exc!r}",
                  file=sys.stderr)


def _apply_log_level():
    raw = os.environ.get(LOG_LEVEL_VAR, "")
    if raw.isdigit() and 0 < int(raw) <= 50:
        import logging

        logging.disable(int(raw) - 1)  # drops records of lower severity, everywhere


class _PatchingLoader:
    def __init__(self, loader, name):
        self.loader = loader
        self.name = name

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        _apply(self.name, module)

    def __getattr__(self, name):  # get_code, get_source, ... for tools that ask
        return getattr(self.loader, name)


class _Finder:
    @staticmethod
    def find_spec(fullname, path, target=None):
        if fullname not in TARGETS:
            return None
        for finder in sys.meta_path:
            if isinstance(finder, _Finder) or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _PatchingLoader(spec.loader, fullname)
                return spec
        return None


def install():
    if os.environ.get("BIOMERO_SCRIPT_ENV_HOOK", "1") == "0":
        return
    if any(isinstance(f, _Finder) for f in sys.meta_path):
        return
    _apply_log_level()
    for name in TARGETS:
        if name in sys.modules:  # imported before us (not at interpreter start)
            _apply(name, sys.modules[name])
    sys.meta_path.insert(0, _Finder())


try:
    install()
except Exception as _exc:  # pragma: no cover - defensive
    print(f"script_env: hook not installed: {_exc!r}", file=sys.stderr)


PTH_NAME = "biomero-script-env.pth"
PTH_LINE = f"import {__name__}\n"
