"""Merge rules: order, case, tombstones, warnings/strict, comments, provenance."""

import configparser

import pytest

from config_merge import ConfigError, merge_layers


def read(text):
    parser = configparser.ConfigParser(allow_no_value=True, interpolation=None)
    parser.read_string(text)
    return {s: dict(parser.items(s, raw=True)) for s in parser.sections()}


def merged(write, *texts, strict=False):
    paths = [write(f"layer{n}.ini", text) for n, text in enumerate(texts)]
    return merge_layers(paths, strict=strict)


def test_later_layer_overrides_in_place_and_appends_new_keys_and_sections_in_layer_order(write):
    result = merged(
        write,
        "[A]\na = 1\nb = 2\n\n[B]\nc = 3\n",
        "[B]\nz = 26\nc = 33\ny = 25\n[NEW2]\nn = 2\n[A]\nx = 24\na = 11\n[NEW1]\nm = 1\n",
    )
    assert result.text == (
        "[A]\na = 11\nb = 2\nx = 24\n\n[B]\nc = 33\nz = 26\ny = 25\n"
        "\n[NEW2]\nn = 2\n[NEW1]\nm = 1\n"
    )


def test_keys_match_case_insensitively_and_sections_case_sensitively(write):
    result = merged(write, "[MODELS]\nCellpose = 1\n",
                    "[MODELS]\ncellpose = 2\n[models]\ncellpose = 3\n")
    assert result.to_dict() == {"MODELS": {"cellpose": "2"}, "models": {"cellpose": "3"}}
    assert read(result.text) == result.to_dict()


def test_override_keeps_the_comments_of_the_overridden_key(write):
    result = merged(write, "[S]\n# why a\na = 1\n", "[S]\n# new comment\na = 2\n")
    assert result.text == "[S]\n# why a\na = 2\n"


def test_multiline_override_replaces_all_value_lines(write):
    result = merged(write, "[S]\na = one\n  two\nb = 1\n", "[S]\na = three\n")
    assert result.text == "[S]\na = three\nb = 1\n"
    assert read(result.text) == {"S": {"a": "three", "b": "1"}}


def test_key_tombstone_deletes_the_key_and_the_comment_directly_above(write):
    base = ("[S]\n# kept: detached by a blank line\n\n# about a\n# more about a\na = 1\n"
            "# about b\nb = 2\n")
    result = merged(write, base, "[S]\n!A\n")
    assert result.text == "[S]\n# kept: detached by a blank line\n\n# about b\nb = 2\n"


def test_pattern_tombstone_deletes_every_matching_key(write):
    base = "[MODELS]\nstardist = s\nstardist_repo = r\nstardist5d = s5\ncellpose = c\nstar = x\n"
    result = merged(write, base, "[MODELS]\n!stardist*\n!st?r\n")
    assert result.to_dict() == {"MODELS": {"cellpose": "c"}}
    assert result.warnings == []


def test_pattern_matches_case_insensitively(write):
    result = merged(write, "[S]\nStarDist = 1\nother = 2\n", "[S]\n!STARDIST*\n")
    assert result.to_dict() == {"S": {"other": "2"}}


def test_section_tombstone_deletes_the_section_and_the_comments_above_it(write):
    base = "[A]\na = 1\n\n# about B\n[B]\nb = 1\n# B's closing comment\n\n[C]\nc = 1\n"
    result = merged(write, base, "[!B]\n")
    assert result.text == "[A]\na = 1\n\n[C]\nc = 1\n"


def test_section_restarts_afresh_after_its_tombstone_in_a_later_layer(write):
    result = merged(write, "[A]\na = 1\n[B]\nold = 1\n[C]\nc = 1\n", "[!B]\n", "[B]\nnew = 2\n")
    assert result.to_dict() == {"A": {"a": "1"}, "C": {"c": "1"}, "B": {"new": "2"}}
    assert result.text.index("[C]") < result.text.index("[B]")  # a new section goes last


def test_section_restarts_afresh_in_the_same_layer(write):
    result = merged(write, "[B]\nold = 1\n", "[!B]\n[B]\nnew = 2\n")
    assert result.to_dict() == {"B": {"new": "2"}}


def test_delete_then_readd_in_a_later_layer_restores_the_key_at_the_end(write):
    result = merged(write, "[S]\na = 1\nb = 2\n", "[S]\n!a\n", "[S]\na = 1\n")
    assert result.text == "[S]\nb = 2\na = 1\n"


def test_tombstones_never_reach_the_output(write):
    result = merged(write, "[S]\na = 1\nb = 2\n[T]\nt = 1\n", "[S]\n!a\n!b*\n[!T]\n")
    assert "!" not in result.text
    assert result.to_dict() == {"S": {}}


def test_tombstone_first_in_the_first_layer_is_applied_and_dropped(write):
    result = merged(write, "[S]\na = 1\n!a\nb = 2\n")
    assert result.text == "[S]\nb = 2\n"


@pytest.mark.parametrize(
    "override, message",
    [
        ("[S]\n!missing\n",
         "layer1.ini:2: S.missing: warning: tombstone !missing deletes nothing: no such key"),
        ("[S]\n!zz*\n", "layer1.ini:2: S.zz*: warning: tombstone !zz* matches no key"),
        ("[!T]\n",
         "layer1.ini:1: T: warning: section tombstone [!T] deletes nothing: no such section"),
        ("[T]\n!k\n",
         "layer1.ini:2: T.k: warning: tombstone !k deletes nothing: no such key "
         "(no section [T])"),
    ],
)
def test_tombstone_without_target_warns_and_fails_under_strict(write, tmp_path, override, message):
    result = merged(write, "[S]\na = 1\n", override)
    assert [str(w).replace(f"{tmp_path}/", "") for w in result.warnings] == [message]
    assert result.to_dict() == {"S": {"a": "1"}}
    with pytest.raises(ConfigError) as info:
        merged(write, "[S]\na = 1\n", override, strict=True)
    assert [str(d).replace(f"{tmp_path}/", "") for d in info.value.diagnostics] == [
        message.replace("warning: ", "")]


def test_a_block_of_tombstones_only_does_not_create_its_section(write):
    result = merged(write, "[S]\na = 1\n", "[T]\n!k\n")
    assert "[T]" not in result.text


def test_an_empty_section_header_creates_the_section_as_configparser_does(write):
    result = merged(write, "[S]\na = 1\n", "[T]\n")
    assert read(result.text) == {"S": {"a": "1"}, "T": {}}


def test_directory_layer_applies_its_ini_files_in_lexical_order(write, tmp_path):
    write("base.ini", "[S]\nk = base\n")
    write("site/20-b.ini", "[S]\nk = b\n")
    write("site/10-a.ini", "[S]\nk = a\nonly_a = 1\n")
    write("site/30-ignored.ini.example", "[S]\nk = example\n")
    write("site/.hidden.ini", "[S]\nk = hidden\n")
    write("site/notes.txt", "not an ini\n")
    result = merge_layers([tmp_path / "base.ini", tmp_path / "site"])
    assert result.to_dict() == {"S": {"k": "b", "only_a": "1"}}
    assert [p.rsplit("/", 1)[1] for p in result.files] == ["base.ini", "10-a.ini", "20-b.ini"]


def test_missing_layer_path_is_an_error(tmp_path):
    with pytest.raises(ConfigError) as info:
        merge_layers([tmp_path / "nope.ini"])
    assert str(info.value) == f"{tmp_path}/nope.ini:0: layer not found: no such file or directory"


def test_errors_of_all_layers_are_reported_together(write):
    with pytest.raises(ConfigError) as info:
        merged(write, "[S]\nbad\n", "[S]\nalso bad\n")
    assert [(d.file.rsplit("/", 1)[1], d.line) for d in info.value.diagnostics] == [
        ("layer0.ini", 2), ("layer1.ini", 2)]


def test_base_layout_survives_byte_for_byte(write):
    base = "; header\n\n[A]\n# c\nkey=v\n  cont\n\n\n[B]\nx : y\n# trailing\n"
    assert merged(write, base).text == base
    assert merged(write, base, base).text == base


def test_sections_from_another_file_are_separated_by_a_blank_line(write):
    result = merged(write, "[A]\na = 1\n", "[B]\nb = 1\n")
    assert result.text == "[A]\na = 1\n\n[B]\nb = 1\n"


def test_new_keys_go_after_a_sections_closing_comments_and_before_its_blank_lines(write):
    base = "[A]\nlast = 1\n# example: last_mem = 2\n\n[B]\n"
    assert merged(write, base, "[A]\nnew = 1\n").text == (
        "[A]\nlast = 1\n# example: last_mem = 2\nnew = 1\n\n[B]\n")


def test_provenance_records_set_override_and_delete_with_file_and_line(write):
    base = write("base.ini", "[S]\na = 1\nb = 2\n")
    site = write("site.ini", "[S]\n\na = 10\n!b\n")
    result = merge_layers([base, site])
    assert [(e.action, e.file, e.line, e.value, e.via)
            for e in result.provenance.history("S", "A")] == [
        ("set", str(base), 2, "1", None),
        ("override", str(site), 3, "10", None),
    ]
    assert [(e.action, e.file, e.line, e.via) for e in result.provenance.history("S", "b")] == [
        ("set", str(base), 3, None),
        ("delete", str(site), 4, "!b"),
    ]


def test_section_tombstone_is_recorded_on_every_key_it_deleted(write):
    result = merged(write, "[S]\na = 1\nb = 2\n", "[T]\n[!S]\n")
    for key in ("a", "b"):
        last = result.provenance.history("S", key)[-1]
        assert (last.action, last.line, last.via) == ("delete", 2, "[!S]")


def test_indented_keys_and_headers_are_unindented_so_they_cannot_join_a_value(write):
    result = merged(write, "[S]\na = 1\n", "[S]\n  b = 2\n    more\n  [T]\n  t = 1\n")
    assert result.text == "[S]\na = 1\nb = 2\n    more\n\n[T]\nt = 1\n"
    assert read(result.text) == {"S": {"a": "1", "b": "2\nmore"}, "T": {"t": "1"}}


def test_broken_link_in_a_layer_directory_is_reported_not_skipped(write, tmp_path):
    write("site/10-a.ini", "[S]\nk = a\n")
    (tmp_path / "site" / "20-gone.ini").symlink_to(tmp_path / "nowhere.ini")
    with pytest.raises(ConfigError) as info:
        merge_layers([tmp_path / "site"])
    assert str(info.value) == (f"{tmp_path}/site/20-gone.ini:0: a symbolic link to "
                               f"'{tmp_path}/nowhere.ini', which does not exist")


def test_configmap_style_directory_uses_the_linked_ini_files(write, tmp_path):
    write("cm/..2026_01_01/10-site.ini", "[S]\nk = site\n")
    (tmp_path / "cm" / "..data").symlink_to("..2026_01_01")
    (tmp_path / "cm" / "10-site.ini").symlink_to("..data/10-site.ini")
    assert merge_layers([tmp_path / "cm"]).to_dict() == {"S": {"k": "site"}}


def test_workflow_sections_are_one_namespace_as_biomero_reads_them(write):
    """biomero reads [MODELS] and [WORKFLOWS] as one set (biomero_reads.json, asked of
    biomero): a key tombstone in either deletes from both; a section tombstone
    deletes its own section only; one history per key, naming each event's section."""
    from config_merge import explain, namespace

    assert namespace.shared() == ("MODELS", "WORKFLOWS")
    result = merged(write, "[MODELS]\nsd = a\nsd_repo = r1\ncp = c\n",
                    "[WORKFLOWS]\nsd_repo = r2\nsd5 = b\n", "[MODELS]\n!sd*\n")
    assert result.to_dict() == {"MODELS": {"cp": "c"}, "WORKFLOWS": {}}
    assert result.warnings == []
    history = [(e.action, e.section) for e in result.provenance.history("MODELS", "sd_repo")]
    assert history == [("set", "MODELS"), ("set", "WORKFLOWS"), ("delete", "MODELS"),
                       ("delete", "WORKFLOWS")]
    assert explain(result, "WORKFLOWS.sd_repo") == explain(result, "MODELS.sd_repo")
    assert "[WORKFLOWS]" in explain(result, "MODELS.sd_repo")
    gone = merged(write, "[MODELS]\na = 1\n", "[WORKFLOWS]\nb = 2\n", "[!MODELS]\n")
    assert gone.to_dict() == {"WORKFLOWS": {"b": "2"}}


def test_explain_shows_the_value_of_the_section_biomero_reads_last(write):
    from config_merge import explain

    result = merged(write, "[WORKFLOWS]\nx = from-workflows\n", "[MODELS]\nx = from-models\n")
    assert explain(result, "MODELS.x").splitlines()[0] == "[WORKFLOWS] x = from-workflows"


def test_a_workflow_tombstone_that_matches_in_neither_section_warns(write):
    result = merged(write, "[MODELS]\na = 1\n", "[WORKFLOWS]\n!zz*\n")
    assert [w.message for w in result.warnings] == ["warning: tombstone !zz* matches no key"]
