"""Run our code after a library's method, without editing the library: the one way
the script hook extends omero-py and fabric (script_env, ssh_host_keys)."""

from __future__ import annotations

from collections.abc import Callable


def after(cls, name: str, marker: str, extra: Callable) -> bool:
    """Make ``cls.name`` call the original, then ``extra(self)``. Idempotent (the
    wrapper carries MARKER); the original stays reachable as ``__wrapped__``.
    Returns True when wrapped now."""
    original = getattr(cls, name)
    if getattr(original, marker, False):
        return False

    def wrapper(self, *args, **kwargs):
        original(self, *args, **kwargs)
        extra(self)

    wrapper.__wrapped__ = original
    wrapper.__doc__ = original.__doc__
    wrapper.__name__ = original.__name__
    setattr(wrapper, marker, True)
    setattr(cls, name, wrapper)
    return True
