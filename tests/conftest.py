"""Shared pytest configuration: the fixture plugins of each suite, and the order
the test files run in.

Fixtures that start containers live next to the suite that owns them and are
registered here so that any suite (the worker tests in particular) can use them.
"""

pytest_plugins = [
    "tests.image.fixtures",
    "tests.stack.fixtures",
    "tests.worker.fixtures",
]


# The test files that take longest (each a minute or more: an image build, masters
# taken away, BIOMERO workflows, a compose project), collected first, longest first:
# `make test`'s pytest-xdist workers take files in collection order, and a long file
# started last is what the whole run then waits for (bench/results/ci.md).
LONGEST_FIRST = (
    "tests/image/test_build_script.py",
    "tests/workflow/test_workflow.py",
    "tests/workflow/test_manual.py",
    "tests/worker/test_grid_node.py",
    "tests/worker/test_worker.py",
    "tests/deploy/test_compose.py",
)


def pytest_collection_modifyitems(session, config, items):
    rank = {path: i for i, path in enumerate(LONGEST_FIRST)}
    root = config.rootpath
    items.sort(key=lambda item: rank.get(item.path.relative_to(root).as_posix(), len(rank)))
