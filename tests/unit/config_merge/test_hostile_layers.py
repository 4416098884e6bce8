"""Layers that would stall or exhaust a reader are refused up front, each with an
error naming the file (and line or key), in bounded time and memory."""

from __future__ import annotations

import os
import subprocess

import pytest

from config_merge import ConfigError, check, merge_layers, write_atomic
from config_merge.layers import MAX_LAYER_BYTES
from config_merge.validate import MAX_EXPANSION
from tests.support.hostile_layers import bomb


def test_a_fifo_named_like_a_layer_is_an_error_not_a_hang(tmp_path):
    fifo = tmp_path / "x.ini"
    os.mkfifo(fifo)
    for paths in ([tmp_path], [fifo]):  # in a layer directory, or given itself
        with pytest.raises(ConfigError) as exc:
            merge_layers(paths)
        assert str(exc.value) == f"{fifo}:0: not a regular file (a FIFO): a layer must be a file"


def test_an_oversized_layer_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "big.ini"
    big.write_text("[SLURM]\n" + "# padding\n" * (MAX_LAYER_BYTES // 10 + 1))
    with pytest.raises(ConfigError, match=r"big.ini:0: \d+ bytes: larger than the 1024 KiB"):
        merge_layers([big])


def test_a_nul_byte_is_named_with_its_line(tmp_path):
    layer = tmp_path / "nul.ini"
    layer.write_bytes(b"[SSH]\nhost=a\x00b\n")
    with pytest.raises(ConfigError, match=r"nul.ini:2: holds a NUL byte"):
        merge_layers([layer])


def test_an_interpolation_bomb_is_an_error_naming_the_key(tmp_path):
    layer = tmp_path / "bomb.ini"
    layer.write_text(bomb())
    assert layer.stat().st_size < 700
    errors, _ = check(merge_layers([layer]))
    assert f"{layer}:2: SLURM.k0: interpolation expands it to more than {MAX_EXPANSION}" \
        in [str(e) for e in errors][0]


def test_small_expansions_are_fine(tmp_path):
    layer = tmp_path / "ok.ini"
    layer.write_text(bomb(levels=2, fanout=3))
    assert check(merge_layers([layer]))[0] == []  # (warnings: keys biomero never reads)


def test_the_bomb_is_refused_in_bounded_time_from_the_command_line(tmp_path, cli):
    layer = tmp_path / "bomb.ini"
    layer.write_text(bomb())
    proc = cli("validate", layer)  # would run for minutes and gigabytes unbounded
    assert proc.returncode == 1 and "SLURM.k0: interpolation expands" in proc.stderr


def test_output_to_a_device_writes_to_it_and_leaves_it_a_device():
    write_atomic("/dev/null", "[SSH]\nhost = h\n")
    assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null")
    assert subprocess.run(["test", "-c", "/dev/null"]).returncode == 0
