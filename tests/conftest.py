"""Shared pytest configuration: the fixture plugins of each suite.

Fixtures that start containers live next to the suite that owns them and are
registered here so that any suite (the worker tests in particular) can use them.
"""

pytest_plugins = [
    "tests.image.fixtures",
    "tests.stack.fixtures",
    "tests.worker.fixtures",
]
