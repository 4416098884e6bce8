"""Layered slurm-config merging for the BIOMERO worker: tombstones, provenance, validation.

Layers are ini files, or directories whose ``*.ini`` files apply in lexical order.
Later layers override keys in place; new keys go to the end of their section and new
sections to the end of the file, in each layer's order. Keys match case-insensitively
(as configparser does), section names case-sensitively. Tombstones delete:
``!KEY``, ``!PATTERN`` (shell wildcards, ``!stardist*``) inside a section, and a
``[!SECTION]`` header for a whole section (a later ``[SECTION]`` starts it afresh).
A tombstone that deletes nothing is a warning, an error with ``strict``. The comment
lines directly above a deleted key or section go with it; tombstones never reach
the output.

Python API (for startup scripts)::

    from config_merge import merge_layers, validate, write_atomic, explain, ConfigError

    try:
        result = merge_layers(["/etc/biomero/base.ini", "/etc/biomero/overrides"], strict=False)
    except ConfigError as exc:          # malformed layer, missing path, strict warnings
        for d in exc.diagnostics:       # Diagnostic(file, line, message, section, key)
            print(d)                    # "FILE:LINE: SECTION.KEY: message"
        raise SystemExit(1)
    for w in result.warnings:           # tombstones that deleted nothing
        print(w)
    problems = validate(result)         # list[Diagnostic]; empty means biomero can use it
    errors, warnings = check(result)    # and what biomero accepts but is most likely a mistake
    write_atomic("/etc/slurm-config.ini", result.text)

``MergeResult`` has ``text`` (the merged ini), ``warnings``, ``provenance``
(``.history(section, key)`` -> list of ``Event(action, file, line, value, via)``),
``files`` (layer files in applied order), ``to_dict()`` (settings as configparser
reads them, before interpolation) and ``document`` (the merged model). The text
also parses with ConfigUpdater, as OMERO.biomero's admin page reads it (tested).
``merge_parsed([parse_text(text, name), ...])`` merges in-memory layers.
``explain(result, "MODELS.cellpose_job_mem")`` renders the history as text.

Command line: ``config-merge merge|explain|validate`` (or ``python -m config_merge``);
exit 0 ok, 1 invalid input or failed validation, 2 usage error.
"""

from . import namespace
from .diagnostics import ConfigError, Diagnostic
from .explain import explain
from .merge import MergeResult, merge_layers, merge_parsed, read_layers
from .output import write_atomic
from .provenance import Event, Provenance
from .syntax import parse_text, read_layer_file
from .validate import check, validate

__all__ = [
    "ConfigError",
    "Diagnostic",
    "Event",
    "MergeResult",
    "Provenance",
    "explain",
    "merge_layers",
    "namespace",
    "merge_parsed",
    "read_layers",
    "parse_text",
    "read_layer_file",
    "check",
    "validate",
    "write_atomic",
]
