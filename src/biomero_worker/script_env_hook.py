"""Imported at interpreter start by the venv's ``biomero-script-env.pth``.

Installs a meta-path finder that waits for ``omero.processor`` to be imported and
then wraps ``ProcessI.make_env`` (see ``biomero_worker.script_env``). Nothing else is imported
here, so a script's start-up stays as fast as before; any failure is reported on
stderr and leaves omero-py untouched rather than breaking the interpreter.
Set ``BIOMERO_SCRIPT_ENV_HOOK=0`` to disable it.
"""

import os
import sys

TARGET = "omero.processor"


class _PatchingLoader:
    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        try:
            from biomero_worker import script_env

            script_env.patch(module)
        except Exception as exc:  # never break omero-py's import
            print(f"script_env: could not wrap ProcessI.make_env: {exc!r}", file=sys.stderr)

    def __getattr__(self, name):  # get_code, get_source, ... for tools that ask
        return getattr(self.loader, name)


class _Finder:
    @staticmethod
    def find_spec(fullname, path, target=None):
        if fullname != TARGET:
            return None
        for finder in sys.meta_path:
            if isinstance(finder, _Finder) or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _PatchingLoader(spec.loader)
                return spec
        return None


def install():
    if os.environ.get("BIOMERO_SCRIPT_ENV_HOOK", "1") == "0":
        return
    if any(isinstance(f, _Finder) for f in sys.meta_path):
        return
    if TARGET in sys.modules:  # imported before us (not at interpreter start)
        from biomero_worker import script_env

        script_env.patch(sys.modules[TARGET])
        return
    sys.meta_path.insert(0, _Finder())


try:
    install()
except Exception as _exc:  # pragma: no cover - defensive
    print(f"script_env: hook not installed: {_exc!r}", file=sys.stderr)


PTH_NAME = "biomero-script-env.pth"
PTH_LINE = f"import {__name__}\n"
