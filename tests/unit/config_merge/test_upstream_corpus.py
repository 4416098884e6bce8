"""Upstream's real files as acceptance tests of the merge: for every file and every
combination upstream deployments make, our merge, read back as biomero reads it,
equals biomero's reader on the layers themselves."""

from __future__ import annotations

import configparser

import pytest

from config_merge import ConfigError, merge_layers
from tests.support import upstream_corpus as corpus


def readable_by_biomero(paths) -> bool:
    try:
        corpus.biomero_reads(*paths)
        return True
    except configparser.Error:
        return False


def merged_as_biomero_reads(paths):
    result = merge_layers([str(p) for p in paths])
    cfg = configparser.ConfigParser(allow_no_value=True)
    cfg.read_string(result.text)
    return corpus.raw(cfg)


def agree(paths) -> None:
    if not readable_by_biomero(paths):
        with pytest.raises(ConfigError):
            merge_layers([str(p) for p in paths])
        return
    assert merged_as_biomero_reads(paths) == corpus.raw(corpus.biomero_reads(*paths))


@pytest.mark.parametrize("path", corpus.files() if corpus.CORPUS.is_dir() else [None],
                         ids=lambda p: p.name[:60] if p else "missing")
def test_every_upstream_file_merges_as_biomero_reads_it(path):
    corpus.require()
    agree([path])


@pytest.mark.parametrize("case", corpus.cases() if corpus.CORPUS.is_dir() else [None],
                         ids=lambda c: c[0] if c else "missing")
def test_every_upstream_combination_merges_as_biomero_reads_it(case):
    corpus.require()
    agree(case[1])
