"""Property-based tests (hypothesis) of the merge engine against configparser,
which is how biomero reads the result."""

from __future__ import annotations

import configparser

from configupdater import ConfigUpdater
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config_merge import merge_parsed, parse_text

SECTION_NAMES = ["SSH", "SLURM", "MODELS", "models", "Extra"]
KEY_NAMES = ["host", "cellpose", "cellpose_job", "stardist", "stardist5d", "x1", "long_key_name"]
PATTERNS = ["stardist*", "cell?ose", "x[0-9]", "*_job"]

value_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="%\r\n"),
    max_size=12,
).map(str.strip)
keys = st.sampled_from(KEY_NAMES).flatmap(lambda k: st.sampled_from([k, k.upper(), k.title()]))
COMMENTS = ["# a comment\n", "; another\n", "\n", "  # indented comment\n"]


@st.composite
def entry(draw, tombstones: bool, comments: list[str]):
    key = draw(keys)
    pre = "".join(draw(st.lists(st.sampled_from(comments), max_size=3)))
    if tombstones and draw(st.integers(0, 3)) == 0:
        return pre, ("del", draw(st.sampled_from([key.lower()] + PATTERNS)))
    delimiter = draw(st.sampled_from([" = ", "=", ": "]))
    # A continuation line starting with # or ; would be a comment, not value.
    continuation = value_text.filter(lambda v: v and not v.startswith(("#", ";")))
    # "" is a blank line inside the value (configparser keeps it when more follows).
    lines = draw(st.lists(continuation | st.just(""), min_size=0, max_size=3))
    while lines and not lines[-1]:
        lines.pop()
    first = draw(value_text)
    if lines:  # a multi-line value; the first line must be non-empty to carry on
        first = first or "v"
        text = f"{key}{delimiter}{first}\n" + "".join(f"    {line}\n" if line else "\n"
                                                     for line in lines)
        value = "\n".join([first, *lines])
    else:
        text = f"{key}{delimiter}{first}\n"
        value = first
    return pre, ("set", key, value, text)


@st.composite
def layer(draw, tombstones: bool = False, comments: list[str] = COMMENTS):
    """(text, ops): ops is the list of what the text means, for the reference model."""
    names = draw(st.lists(st.sampled_from(SECTION_NAMES), unique=True, max_size=4))
    parts, ops = [draw(st.sampled_from(["", "# layer header\n\n"]))], []
    for name in names:
        if tombstones and draw(st.integers(0, 4)) == 0:
            parts.append(f"[!{name}]\n")
            ops.append(("drop", name))
            if draw(st.booleans()):
                continue
        parts.append(f"[{name}]\n")
        block = []
        seen = set()
        for pre, op in draw(st.lists(entry(tombstones, comments), max_size=5)):
            token = op[1].lower() if op[0] == "set" else "!" + op[1]
            if token in seen:  # one key once per section and file, as configparser demands
                continue
            seen.add(token)
            parts.append(pre + (op[3] if op[0] == "set" else f"!{op[1]}\n"))
            block.append(op)
        ops.append(("section", name, block))
        parts.append(draw(st.sampled_from(["", "\n"])))
    return "".join(parts), ops


def read(text):
    parser = configparser.ConfigParser(allow_no_value=True, interpolation=None)
    parser.read_string(text)
    return {s: dict(parser.items(s, raw=True)) for s in parser.sections()}


def read_all(texts):
    """biomero today: configparser reading the files one after another."""
    parser = configparser.ConfigParser(allow_no_value=True, interpolation=None)
    for text in texts:
        parser.read_string(text)
    return {s: dict(parser.items(s, raw=True)) for s in parser.sections()}


def reference(layers_ops):
    """The intended meaning of a list of layers, as plain dicts."""
    from fnmatch import fnmatchcase

    state: dict[str, dict[str, str]] = {}
    for ops in layers_ops:
        for op in ops:
            if op[0] == "drop":
                state.pop(op[1], None)
                continue
            _, name, block = op
            if not block:
                state.setdefault(name, {})
            for item in block:
                if item[0] == "set":
                    state.setdefault(name, {})[item[1].lower()] = item[2]
                elif name in state:
                    for key in [k for k in state[name] if fnmatchcase(k, item[1].lower())]:
                        del state[name][key]
    return state


def merge(*texts):
    return merge_parsed([parse_text(text, f"layer{n}.ini") for n, text in enumerate(texts)])


relaxed = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@relaxed
@given(layer())
def test_reader_agrees_with_configparser(generated):
    text, _ = generated
    parsed = parse_text(text)
    assert {s.name: {e.name: e.value for e in s.entries} for s in parsed.sections} == read(text)


@relaxed
@given(layer())
def test_merging_a_layer_alone_or_onto_itself_changes_nothing(generated):
    text, _ = generated
    assert merge(text).text == text
    assert merge(text, text).text == text


@relaxed
@given(st.lists(layer(), min_size=1, max_size=4))
def test_without_tombstones_biomero_reads_the_merge_as_it_reads_the_layers(generated):
    texts = [text for text, _ in generated]
    assert read(merge(*texts).text) == read_all(texts)


@relaxed
@given(st.lists(layer(tombstones=True), min_size=1, max_size=4))
def test_output_read_by_configparser_equals_the_expected_dict(generated):
    result = merge(*[text for text, _ in generated])
    expected = reference([ops for _, ops in generated])
    assert read(result.text) == expected
    assert result.to_dict() == expected
    # no tombstone line survives (a value may well contain "[!" or "!"); lines as
    # configparser sees them: split at "\n" only, not at str.splitlines()'s \x85 & co
    assert not [ln for ln in result.text.split("\n") if ln.startswith(("!", "[!"))]


@relaxed
@given(layer(), st.data())
def test_deleting_then_re_adding_a_key_restores_it(generated, data):
    text, _ = generated
    before = read(text)
    present = [(s, k) for s, keys in before.items() for k, v in keys.items() if "\n" not in v]
    if not present:
        return
    section, key = data.draw(st.sampled_from(present))
    value = before[section][key]
    result = merge(text, f"[{section}]\n!{key}\n", f"[{section}]\n{key} = {value}\n")
    assert read(result.text) == before
    assert result.warnings == []


@relaxed
# configupdater (unlike configparser) reads an indented "# comment" line as a valueless
# key, so this property holds for inputs without indented comments.
@given(st.lists(layer(tombstones=True, comments=COMMENTS[:3]), min_size=1, max_size=3))
def test_configupdater_round_trips_the_merge_unchanged(generated):
    result = merge(*[text for text, _ in generated])
    # as OMERO.biomero's admin page reads the file
    updater = ConfigUpdater(allow_no_value=True, strict=True)
    updater.read_string(result.text)
    assert str(updater) == result.text
    assert updater.to_dict() == result.to_dict()
