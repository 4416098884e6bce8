"""The test stack's neighbours: one module here per image directory under
tests/stack/images (same name). Adding a neighbour = one image directory + one module.

A service module defines:
  FIXTURE              the pytest fixture name that hands out its handle
  start(stack)         start it on the stack (its containers from stack.container),
                       wait until ready, return its handle
  describe(handle)     {what: how to reach it} for `make stack-up`
"""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path

IMAGES = Path(__file__).resolve().parents[1] / "images"


@cache
def names() -> tuple[str, ...]:
    """The services, by their image directories (the one list of them)."""
    found = tuple(sorted(p.name for p in IMAGES.iterdir() if (p / "Dockerfile").is_file()))
    missing = [n for n in found if not (Path(__file__).parent / f"{n}.py").is_file()]
    if missing:
        raise RuntimeError(f"tests/stack/images/{missing[0]} has no module "
                           f"tests/stack/services/{missing[0]}.py")
    return found


def module(name: str):
    return importlib.import_module(f"{__name__}.{name}")
