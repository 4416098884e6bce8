"""Build stages only (on PYTHONPATH while a wheel is compiled from its sdist): an
extension's C/C++ sources compiled on every core.

setuptools compiles the sources of one extension one after another, and zeroc-ice's
IcePy has some hundred C++ files: on one core that was the longest step of a cold
build. ``Compiler.compile`` is wrapped so that each per-source ``_compile`` call it
makes goes to a thread pool (each runs the compiler as its own process) and the
wrapper returns once all have finished, re-raising the first failure. Nothing else
of the build changes; the objects and the wheel are the same.
"""

import os
from concurrent.futures import ThreadPoolExecutor


def _parallel(original):
    def compile(self, *args, **kwargs):
        futures = []
        compile_one = self._compile
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            self._compile = lambda *a, **k: futures.append(pool.submit(compile_one, *a, **k))
            try:
                objects = original(self, *args, **kwargs)
            finally:
                del self._compile
            for future in futures:
                future.result()
        return objects

    compile.__wrapped__ = original
    return compile


# setuptools' distutils is loaded twice, as `setuptools._distutils.*` and, through
# its import shim, as `distutils.*` (what setup.py scripts use): two module objects,
# two Compiler classes, both wrapped.
for _name in ("setuptools._distutils.ccompiler", "distutils.ccompiler"):
    try:
        _module = __import__(_name, fromlist=["CCompiler"])
    except ImportError:  # another layout: that one compiles serially, as before
        continue
    _cls = _module.CCompiler
    if not hasattr(_cls.compile, "__wrapped__"):
        _cls.compile = _parallel(_cls.compile)
