"""The layer reader: configparser's grammar, line numbers, and clear errors."""

import configparser

import pytest

from config_merge import ConfigError, parse_text, read_layer_file


def values(layer):
    return {s.name: {e.name: e.value for e in s.entries} for s in layer.sections}


def configparser_values(text):
    parser = configparser.ConfigParser(allow_no_value=True, interpolation=None)
    parser.read_string(text)
    return {s: dict(parser.items(s, raw=True)) for s in parser.sections()}


def errors_of(text):
    with pytest.raises(ConfigError) as info:
        parse_text(text, "layer.ini")
    return [str(d) for d in info.value.diagnostics]


def test_values_match_configparser_including_multiline_and_blank_lines():
    text = (
        "[S]\n"
        "Plain = value  \n"
        "colon: also a delimiter\n"
        "empty =\n"
        "multi = first\n"
        "    second\n"
        "\n"
        "    after a blank line\n"
        "# a comment inside the value is not part of it\n"
        "    last\n"
        "\n"
        "next = n = with equals\n"
        "[Other]\n"
        "k=v\n"
    )
    assert values(parse_text(text)) == configparser_values(text)


def test_entries_keep_line_numbers_raw_lines_and_comments_above():
    layer = parse_text("# top\n\n[S]\n# about a\na = 1\n\nb = 2\n  more\n")
    a, b = layer.sections[0].entries
    assert (a.line, a.pre, a.lines) == (5, ["# about a\n"], ["a = 1\n"])
    assert (b.line, b.pre, b.lines, b.value) == (7, ["\n"], ["b = 2\n", "  more\n"], "2\nmore")
    # a blank line detaches the file's top comment from the first section
    assert layer.sections[0].pre == [] and layer.head == ["# top\n", "\n"]


def test_comment_directly_above_a_header_belongs_to_that_section():
    layer = parse_text("[A]\na=1\n\n# about B\n[B]\nb=1\n")
    first, second = layer.sections
    assert first.tail == ["\n"]
    assert second.pre == ["# about B\n"]


def test_tombstones_are_parsed_as_such():
    layer = parse_text("[S]\n!Key\n!star*\n[!T]\n")
    key, pattern = layer.sections[0].entries
    assert (key.tombstone, key.is_pattern, key.name, key.value) == (True, False, "key", None)
    assert (pattern.tombstone, pattern.is_pattern) == (True, True)
    assert layer.sections[1].tombstone and layer.sections[1].name == "T"


def test_crlf_and_bom_are_accepted(tmp_path):
    path = tmp_path / "win.ini"
    path.write_bytes(b"\xef\xbb\xbf[S]\r\nk = v\r\n")
    assert values(read_layer_file(path)) == {"S": {"k": "v"}}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("[S\nk=v\n", "layer.ini:1: bad section header '[S': expected [NAME] or [!NAME]"),
        ("[S] junk\n", "layer.ini:1: bad section header '[S] junk': expected [NAME] or [!NAME]"),
        ("[]\n", "layer.ini:1: bad section header '[]': expected [NAME] or [!NAME]"),
        ("[ S ]\n", "layer.ini:1: bad section header '[ S ]': expected [NAME] or [!NAME]"),
        ("k = v\n", "layer.ini:1: key outside a section: put a [SECTION] header above it"),
        ("[S]\njust words\n", "layer.ini:2: expected KEY = VALUE, got 'just words'"),
        ("[S]\n= v\n", "layer.ini:2: missing key before '='"),
        ("[S]\na = 1\nA = 2\n", "layer.ini:3: S.A: duplicate key (first at line 2)"),
        ("[S]\n[T]\n[S]\n", "layer.ini:3: duplicate section [S] (first at line 1)"),
        ("[S]\n!k = 1\n", "layer.ini:2: S.k: a tombstone takes no value: write !k alone"),
        ("[S]\n!\n", "layer.ini:2: empty tombstone '!': name a key or pattern"),
        ("[S]\n!k\n  more\n",
         "layer.ini:3: S.k: a tombstone takes no value: indented line continues !k"),
        ("[!S]\nk = v\n",
         "layer.ini:2: S.k: key under section tombstone [!S]: add a [S] header to set keys"),
    ],
)
def test_malformed_lines_are_reported_with_file_and_line(text, expected):
    assert errors_of(text) == [expected]


def test_every_error_of_a_file_is_reported_at_once():
    assert len(errors_of("[S]\nbad line\nother bad\n")) == 2


def test_restart_after_section_tombstone_in_one_file_is_not_a_duplicate():
    layer = parse_text("[S]\na=1\n[!S]\n[S]\nb=2\n")
    assert [(s.name, s.tombstone) for s in layer.sections] == [
        ("S", False), ("S", True), ("S", False)]


def test_a_key_and_its_tombstone_in_one_section_are_not_duplicates():
    entries = parse_text("[S]\na=1\n!a\n").sections[0].entries
    assert [e.tombstone for e in entries] == [False, True]


def test_non_utf8_file_names_the_line(tmp_path):
    path = tmp_path / "latin1.ini"
    path.write_bytes(b"[S]\nok = 1\nname = caf\xe9\n")
    with pytest.raises(ConfigError) as info:
        read_layer_file(path)
    assert [str(d) for d in info.value.diagnostics] == [f"{path}:3: not UTF-8 (byte 0xe9)"]


def test_unreadable_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError) as info:
        read_layer_file(tmp_path)  # a directory cannot be read as a file
    assert str(info.value).startswith(f"{tmp_path}:0: cannot read file:")


def test_only_universal_newlines_end_a_line_as_in_configparser():
    text = "[S]\na = x\x0cy\u2028z\x85w\nb = 1\r\nc = 2\rd = 3\n"
    assert values(parse_text(text)) == configparser_values(
        text.replace("\r\n", "\n").replace("\r", "\n"))
    assert values(parse_text(text))["S"]["a"] == "x\x0cy\u2028z\x85w"
