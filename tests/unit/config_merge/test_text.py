"""The one rule for what a value may hold where it becomes part of another program's
line (config_merge.text), as the validator and the worker apply it."""

from __future__ import annotations

import pytest

from biomero_worker import node, omero_config
from config_merge.text import breaks_line, breaks_word
from config_merge.validate import ssh_host_problem


@pytest.mark.parametrize("value, word, line", [
    ("localslurm", False, False), ("10.0.0.2", False, False), ("", False, False),
    ("pass word", True, False), ("wörd", False, False),
    ("a\nb", True, True), ("a\rb", True, True), ("a\x00b", True, True),
    ("a\x7fb", True, True), ("a\u2028b", True, True), ("a\tb", True, True),
])
def test_words_and_lines(value, word, line):
    assert breaks_word(value) is word and breaks_line(value) is line


@pytest.mark.parametrize("value", ["a b", "a\nb", "a\x1bb"])
def test_the_validator_and_the_node_refuse_the_same_hosts(value):
    assert ssh_host_problem(value) is not None
    with pytest.raises(node.NodeConfigError):
        node._word({"OMERO_WORKER_HOST": value}, "OMERO_WORKER_HOST")


def test_a_config_value_may_hold_blanks_but_not_a_line_break():
    assert omero_config.config_properties({"CONFIG_omero_x": "a b"}) == {"omero.x": "a b"}
    with pytest.raises(omero_config.ConfigValueError):
        omero_config.config_properties({"CONFIG_omero_x": "a\u2028b"})
