"""What biomero itself makes of a slurm-config, asked of biomero (it is in the image's
venv), never re-derived by hand.

* ``reads()``: every (section, key) ``SlurmClient.from_config`` looks up one by one,
  and the sections it reads whole (workflows, converters, sbatch options): recorded
  by running ``from_config`` on a parser that notes what it is asked, with the
  constructor replaced by a recorder, so nothing connects or fetches.
* ``workflow_sections()``: the sections biomero folds into one set of workflows, in
  the order it reads them (on a key in both, the last one's value wins): asked by
  putting a probe key in each section read whole and seeing which arrive as workflows.
* ``builds_client(path)``: whether biomero can build its client from a file, and
  the error when it cannot: ``from_config`` with only the network left out (the
  descriptor fetch), but with the repository check biomero makes before fetching
  (``convert_url`` on every workflow's ``_repo``).
* ``Reads.analytics_tables``: the tables biomero's analytics creates, so that a start
  finds them present without loading biomero.
* ``env_names()``: the environment variables biomero reads (``biomero.constants.slurm_env``).
* ``Reads.defaults``: what ``from_config`` passes for a setting the config leaves out
  (its text values with nothing set), e.g. the [SLURM] paths and the zip command;
  the worker asks them of the record (``recorded_defaults``), never copies them.
"""

from __future__ import annotations

import configparser
import contextlib
import logging
from dataclasses import dataclass, field

from . import analytics_db

# configparser's unnamed section where this Python has one, else None
_UNNAMED_SECTION = getattr(configparser, "_UNNAMED_SECTION", None)


class _RecordingParser(configparser.ConfigParser):
    """A ConfigParser that notes each option asked for and each section read whole."""

    def __init__(self):
        super().__init__(allow_no_value=True)
        self.asked: set[tuple[str, str]] = set()
        self.booleans: set[tuple[str, str]] = set()
        self.whole: set[str] = set()

    def get(self, section, option, **kwargs):  # getboolean comes through here too
        self.asked.add((section, option.lower()))
        return super().get(section, option, **kwargs)

    def getboolean(self, section, option, **kwargs):
        self.booleans.add((section, option.lower()))
        return super().getboolean(section, option, **kwargs)

    def items(self, section=_UNNAMED_SECTION, **kwargs):
        if isinstance(section, str):
            self.whole.add(section)
            return super().items(section, **kwargs)
        return super().items(**kwargs)


@dataclass
class Reads:
    version: str
    keys: dict[str, list[str]] = field(default_factory=dict)  # section -> keys, sorted
    booleans: list[str] = field(default_factory=list)  # SECTION.key read with getboolean
    integers: list[str] = field(default_factory=list)  # SECTION.key biomero turns into int
    whole_sections: list[str] = field(default_factory=list)
    constructor_args: list[str] = field(default_factory=list)
    workflow_sections: list[str] = field(default_factory=list)  # read order: last wins
    defaults: dict[str, str] = field(default_factory=dict)  # constructor arg -> default
    analytics_tables: list[str] = field(default_factory=list)  # analytics_db.schema_tables

    def as_dict(self) -> dict:
        return {"biomero_version": self.version, "keys": self.keys,
                "booleans": self.booleans, "integers": self.integers,
                "whole_sections": self.whole_sections,
                "constructor_args": self.constructor_args,
                "workflow_sections": self.workflow_sections, "defaults": self.defaults,
                "analytics_tables": self.analytics_tables}


@contextlib.contextmanager
def _quiet():
    log = logging.getLogger("biomero")
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        log.setLevel(level)


SECTIONS = ("SSH", "SLURM", "MODELS", "WORKFLOWS", "CONVERTERS", "ANALYTICS")


def _run_from_config(values: dict[tuple[str, str], str]) -> tuple[_RecordingParser, dict]:
    """from_config on a recording parser holding VALUES, the constructor replaced by
    a recorder (no cache, no fetch, no connection). (parser, constructor kwargs)."""
    from biomero import SlurmClient

    parser = _RecordingParser()
    for section in SECTIONS:  # present, so that items() of each is asked, not skipped
        parser.add_section(section)
    for (section, key), value in values.items():
        parser.set(section, key, value)
    captured = {}

    class Recorder(SlurmClient):
        def __init__(self, **kwargs):
            captured.update(kwargs)

        @classmethod
        def load_config(cls, configfile=""):
            return parser

    with _quiet():
        Recorder.from_config(config_only=True)
    return parser, captured


def reads() -> Reads:
    """Ask biomero which settings ``from_config`` reads, and as what."""
    from importlib.metadata import version

    parser, captured = _run_from_config({})
    asked = sorted(parser.asked)
    # A second run with every key set: a key whose same-named constructor argument
    # comes back as the int 7 is one biomero converts to int.
    probe = {sk: ("true" if sk in parser.booleans else "7") for sk in asked}
    _, typed = _run_from_config(probe)
    keys: dict[str, set[str]] = {}
    for section, key in asked:
        keys.setdefault(section, set()).add(key)
    return Reads(version=version("biomero"),
                 keys={s: sorted(k) for s, k in sorted(keys.items())},
                 booleans=sorted(f"{s}.{k}" for s, k in parser.booleans),
                 integers=sorted(f"{s}.{k}" for s, k in asked
                                 if type(typed.get(k)) is int and typed[k] == 7),
                 whole_sections=sorted(parser.whole),
                 constructor_args=sorted(captured),
                 workflow_sections=workflow_sections(sorted(parser.whole)),
                 defaults={k: v for k, v in sorted(captured.items()) if isinstance(v, str)},
                 analytics_tables=analytics_db.schema_tables())


def workflow_sections(whole: list[str]) -> list[str]:
    """The sections of WHOLE whose keys biomero takes as workflows, in the order it
    reads them: each holds a key of its own and a key all of them share, each set to
    the section's name; the shared key's value tells which section biomero read last."""
    probe = {}
    for section in whole:
        probe[(section, f"zzprobe{section.lower()}_repo")] = section
        probe[(section, "zzprobeshared_repo")] = section
    _, captured = _run_from_config(probe)
    repos = captured.get("slurm_model_repos") or {}
    found = [s for s in whole if f"zzprobe{s.lower()}" in repos]
    last = repos.get("zzprobeshared")
    return [s for s in found if s != last] + ([last] if last in found else [])


def builds_client(path: str) -> str | None:
    """None when biomero builds its client from PATH alone (nothing fetched, nothing
    connected), else the error it raises, as text."""
    from biomero import SlurmClient

    class Offline(SlurmClient):
        def init_workflows(self, force_update=False):
            # biomero's own check before it fetches a descriptor, nothing else
            for repo in (self.slurm_model_repos or {}).values():
                self.convert_url(repo)

        def get_or_create_github_session(self):
            return None

        @classmethod
        def load_config(cls, configfile=""):
            cfg = configparser.ConfigParser(allow_no_value=True)
            cfg.read(path)
            return cfg

    try:
        with _quiet():
            Offline.from_config(config_only=True)
    except Exception as exc:  # whatever biomero raises is the answer
        return f"{type(exc).__name__}: {exc}"
    return None


def recorded(field_name: str):
    """A field of Reads as recorded from the image's biomero (biomero_reads.json, made
    by `make biomero-reads`; a test checks it against the installed biomero)."""
    from config_merge.validate import biomero_reads

    return biomero_reads()[field_name]


def recorded_defaults() -> dict[str, str]:
    return recorded("defaults")


def env_names() -> list[str]:
    from biomero.constants import slurm_env

    return sorted(v for k, v in vars(slurm_env).items()
                  if k.isupper() and isinstance(v, str))


def cmd_reads(args, out, err) -> int:
    import json

    print(json.dumps(reads().as_dict(), indent=1, sort_keys=True), file=out)
    return 0


def cmd_builds(args, out, err) -> int:
    failures = 0
    for path in args.files:
        why = builds_client(path)
        failures += why is not None
        print(f"{path}: {'ok' if why is None else 'FAILS: ' + why.splitlines()[0]}", file=out)
    return 1 if failures else 0


def add_commands(sub) -> None:
    sub.add_parser("biomero-reads", help="what the installed biomero's from_config reads "
                   "(JSON; config_merge/biomero_reads.json is made from it)").set_defaults(
                       run=cmd_reads)
    p = sub.add_parser("biomero-builds", help="whether biomero builds its client from each "
                       "FILE (offline: nothing fetched, nothing connected)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(run=cmd_builds)
