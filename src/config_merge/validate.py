"""Check a merged result the way biomero will use it, with biomero's own semantics.

ERRORS are what makes biomero 2.8 fail to build its client (``from_config``) or what
it would certainly do wrong; WARNINGS are what biomero accepts but an admin most
likely did not mean. Only errors stop the worker. Each problem is a Diagnostic that
names the layer and line that introduced the value (or deleted it).

What biomero reads comes from biomero itself: ``biomero_reads.json`` is made by
``python -m biomero_worker biomero-reads`` in the image (``make biomero-reads``),
and an image test fails when the installed biomero reads something it does not
list. The rules biomero applies to what it reads whole (``[MODELS]`` and
``[WORKFLOWS]`` taken together, ``sbatch_*`` in ``[SLURM]``, ``[CONVERTERS]``) are
written here, each next to the biomero behaviour it mirrors.
"""

from __future__ import annotations

import configparser
import difflib
import json
import re
from functools import cache
from importlib import resources

from . import namespace
from .diagnostics import Diagnostic
from .masking import mask_urls, shown
from .merge import MergeResult
from .text import breaks_word

ANALYTICS_FLAGS = ("track_workflows", "enable_job_accounting", "enable_job_progress",
                   "enable_workflow_analytics")
# Sections that are not biomero's but are expected in its file.
FOREIGN_SECTIONS = {"changelog"}  # OMERO.biomero's admin page writes it on every save
_JOB_PARAM = re.compile(r"(.+)_job_(.+)")  # biomero's own pattern for `<wf>_job_<opt>`
_INLINE_COMMENT = re.compile(r"\s[#;]")
MAX_EXPANSION = 64 * 1024  # characters of one interpolated value


def references(raw: str) -> tuple[list[str], int]:
    """The names of RAW's `%(name)s` references (as a regex `%\\(([^)]*)\\)s` finds
    them) and the length of what is left around them. One pass with str.find: that
    regex rescans to the end of the value from every `%(` with no `)` after it."""
    names: list[str] = []
    literal, pos = 0, 0
    while (start := raw.find("%(", pos)) >= 0:
        end = raw.find(")", start + 2)
        if end < 0:  # no `)` anywhere after: no reference starts from here on
            break
        if raw.startswith("s", end + 1):
            names.append(raw[start + 2:end])
            literal += start - pos
            pos = end + 2
        else:  # every `%(` before this `)` fails the same way
            literal += end + 1 - pos
            pos = end + 1
    return names, literal + len(raw) - pos


def ssh_host_problem(host: str) -> str | None:
    """Why HOST cannot be [SSH] host (None: it can). biomero hands it to fabric as
    data, `[user@]host[:port]`; the worker's own ssh commands (doctor) would take a
    leading '-' for an option, and no host name or ~/.ssh/config alias holds a blank
    or a control character."""
    if host.startswith("-"):
        return (f"{shown(host)} starts with '-', which ssh takes for an option: give "
                "a host name or an alias of ~/.ssh/config")
    if breaks_word(host):
        return (f"{shown(host)} holds a blank or a control character: give a host name "
                "or an alias of ~/.ssh/config")
    return None


def is_converter_key(key: str) -> bool:
    """`<from>_to_<to>`: no blank, `_to_` with something on each side (a regex
    `\\S+_to_\\S+` backtracks quadratically on a long key of `_to_`s)."""
    cut = key.find("_to_", 1)
    return cut >= 0 and cut + 4 < len(key) and not any(c.isspace() for c in key)


class _ExpansionSize:
    """How long a value of SECTION becomes once configparser's BasicInterpolation has
    expanded it, computed from the raw values (each once) without expanding them."""

    def __init__(self, parser: configparser.ConfigParser, section: str | None):
        own = parser._sections[section] if section else {}  # noqa: SLF001
        self.values = {**parser.defaults(), **own}  # None: [DEFAULT] alone
        self.memo: dict[str, int] = {}

    def of(self, key: str, depth: int = 0) -> int:
        if key in self.memo:
            return self.memo[key]
        raw = self.values.get(key) or ""
        if depth > configparser.MAX_INTERPOLATION_DEPTH:
            return 0  # configparser itself stops here (InterpolationDepthError)
        self.memo[key] = 0  # a cycle counts nothing (configparser reports it)
        refs, size = references(raw)
        for ref in refs:
            size += self.of(ref.lower(), depth + 1)
            if size > MAX_EXPANSION:
                break
        self.memo[key] = size
        return size


def _interpolation_problem(exc: configparser.InterpolationError) -> str:
    """What is wrong, in words that quote no value (configparser's own messages
    quote the raw value, password included)."""
    if isinstance(exc, configparser.InterpolationMissingOptionError):
        return f"%({exc.reference})s names no key"
    if isinstance(exc, configparser.InterpolationDepthError):
        return "references nest too deep"
    return "a '%' is not followed by '%' or '(NAME)s'"


@cache
def biomero_reads() -> dict:
    """What biomero's from_config reads (generated from biomero; see the module doc)."""
    return json.loads(resources.files(__package__).joinpath("biomero_reads.json").read_text())


def validate(result: MergeResult) -> list[Diagnostic]:
    """The errors: empty means biomero builds its client from this config."""
    return check(result)[0]


def check(result: MergeResult) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """(errors, warnings) of the merged result."""
    v = _Validator(result)
    v.run()
    return v.errors, v.warnings


class _Validator:
    def __init__(self, result: MergeResult):
        self.result = result
        self.doc = result.document
        self.prov = result.provenance
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        schema = biomero_reads()
        self.keys = {s: set(k) for s, k in schema["keys"].items()}
        self.booleans = set(schema["booleans"])
        self.integers = set(schema["integers"])
        self.whole = set(schema["whole_sections"])
        self.parser = configparser.ConfigParser(allow_no_value=True)

    def run(self) -> None:
        try:
            self.parser.read_string(self.result.text)
        except configparser.Error as exc:  # the merge produced something unreadable
            self.errors.append(Diagnostic("<merged>", 0, f"configparser cannot read the result: "
                                                         f"{mask_urls(str(exc).splitlines()[0])}"))
            return
        self.check_interpolation()
        self.check_ssh()
        self.check_workflows()
        self.check_typed()
        self.check_gpu()
        self.check_known_keys()
        self.check_converters()
        self.check_default()
        self.check_values()

    # -- where to point ------------------------------------------------------------
    def event(self, section: str, key: str | None = None, near: str | None = None):
        return (self.prov.last(section, key) if key else None) \
            or (near and self.prov.last(section, near)) or self.prov.last(section)

    def add(self, into: list, section: str, key: str | None, message: str,
            near: str | None = None) -> None:
        event = self.event(section, key, near)
        file, line = (event.file, event.line) if event else (
            self.result.files[0] if self.result.files else "<no layers>", 0)
        into.append(Diagnostic(file, line, message, section, key))

    def error(self, section, key, message, near=None) -> None:
        self.add(self.errors, section, key, message, near)

    def warn(self, section, key, message, near=None) -> None:
        self.add(self.warnings, section, key, f"warning: {message}", near)

    def raw(self, section: str, key: str) -> str | None:
        return self.parser._sections.get(section, {}).get(key)  # noqa: SLF001

    def has(self, section: str, key: str) -> bool:
        return key in self.parser._sections.get(section, {})  # noqa: SLF001

    # -- checks --------------------------------------------------------------------
    def check_interpolation(self) -> None:
        # biomero reads with BasicInterpolation: items() of a section it reads whole,
        # get() of a key it reads, raise on a bad '%'. Elsewhere it never looks.
        # A value's expansion is measured before configparser expands it: a few
        # hundred bytes of %(k)s%(k)s... nested nine deep expand to gigabytes.
        # [DEFAULT] keys are measured too, alone and as each section sees them: biomero
        # reads them in every section it reads whole (items() expands them all).
        too_big: set[tuple[str, str]] = set()
        for section in [None, *self.parser.sections()]:
            sizes = _ExpansionSize(self.parser, section)
            own = self.parser._sections[section] if section else {}  # noqa: SLF001
            for key in sizes.values:
                where = section if key in own else "DEFAULT"
                if (where, key) not in too_big and sizes.of(key) > MAX_EXPANSION:
                    too_big.add((where, key))
                    self.error(where, key, f"interpolation expands it to more than "
                                           f"{MAX_EXPANSION} characters: biomero would run "
                                           "out of memory reading it (%(key)s references)")
        for section in self.parser.sections():
            for key in self.parser._sections[section]:  # noqa: SLF001
                if (section, key) in too_big:
                    continue
                try:
                    self.parser.get(section, key)
                except configparser.InterpolationError as exc:
                    read = section in self.whole or key in self.keys.get(section, ())
                    message = (f"interpolation: {_interpolation_problem(exc)} in "
                               f"{shown(self.raw(section, key), key)} (write a literal % as %%)")
                    if read:
                        self.error(section, key, message)
                    else:
                        self.warn(section, key, message + "; biomero does not read it")

    def check_ssh(self) -> None:
        host = self.raw("SSH", "host")
        if not host:
            self.warn("SSH", "host", "not set: biomero connects to host 'slurm' (its "
                                     "default); set the SSH host alias of your cluster")
        elif problem := ssh_host_problem(host):
            if host.startswith("-"):  # an option to the worker's own ssh (doctor)
                self.error("SSH", "host", problem)
            else:  # biomero builds its client with it (upstream's docs have one with an
                # inline comment), fails only when it connects; doctor never runs ssh on it
                self.warn("SSH", "host", problem + "; biomero would fail to connect")

    def workflow_items(self) -> list[tuple[str, str, str | None]]:
        """(section, key, value) as biomero combines them: the workflow sections in
        the order it reads them (namespace, asked of biomero: MODELS, then WORKFLOWS
        updating it), an existing key keeping its place, a new one appended."""
        combined: dict[str, tuple[str, str | None]] = {}
        for section in namespace.shared():
            for key, value in self.parser._sections.get(section, {}).items():  # noqa: SLF001
                combined[key] = (section, value)
        return [(s, k, v) for k, (s, v) in combined.items()]

    def check_workflows(self) -> None:
        items = self.workflow_items()
        paths, repos, jobs = {}, {}, {}
        for section, key, value in items:
            if key.endswith("_repo"):
                repos[key[:-5]] = (section, key, value)
            elif key.endswith("_job"):
                jobs[key[:-4]] = (section, key, value)
            elif key.endswith("_use_gpu"):
                continue
            elif m := _JOB_PARAM.match(key):
                # biomero appends to the list its `<wf>_job` key started: a parameter
                # before (or without) that key is a KeyError in from_config
                if m.group(1) not in jobs:
                    self.error(section, key, f"{m.group(1)}_job is not set before it: "
                                             f"biomero fails reading it (KeyError); set "
                                             f"{m.group(1)}_job first")
            else:
                paths[key] = (section, key, value)
        for name, (section, key, value) in repos.items():
            problem = self.repo_problem(value)
            if problem:
                self.error(section, key, problem)
            if name not in jobs:
                self.warn(section, f"{name}_job", f"workflow {name!r} has a repository but no "
                                                  f"{name}_job: running it fails", near=key)
            if name not in paths:
                self.warn(section, name, f"workflow {name!r} has a repository but no path "
                                         f"key {name!r}: setting up its image fails", near=key)
        for name, (section, key, value) in paths.items():
            if name not in repos:
                self.warn(section, key, f"{key!r} has no {key}_repo: biomero offers no "
                                        f"workflow for it")
            elif value is None:
                self.warn(section, key, "has no value: biomero would put the image under "
                                        "'None'")

    @staticmethod
    def repo_problem(value: str | None) -> str | None:
        """biomero's check before it fetches a descriptor (extract_parts_from_url)."""
        if value is None:
            return "has no value: biomero needs a GitHub repository URL here"
        parts = value.split("/")
        if len(parts) < 5 or parts[2] != "github.com":
            return (f"not a GitHub repository URL ({shown(value)}): biomero fetches descriptors "
                    "only from https://github.com/<owner>/<repo>[/tree/<version>] and "
                    "refuses this (ValueError)")
        return None

    def check_typed(self) -> None:
        for name in sorted(self.booleans):
            section, key = name.split(".", 1)
            if self.has(section, key):
                value = self.raw(section, key)
                if value is None or value.lower() not in configparser.ConfigParser.BOOLEAN_STATES:
                    self.error(section, key, f"not a boolean: {shown(value, key)}: biomero fails "
                                             "reading it (use true or false)")
        for name in sorted(self.integers):
            section, key = name.split(".", 1)
            value = self.raw(section, key)
            if value not in (None, "") and not re.fullmatch(r"\s*[-+]?\d+\s*", value):
                self.warn(section, key, f"not a whole number: {shown(value, key)}: biomero "
                                        "ignores it and uses its default")

    def check_gpu(self) -> None:
        if self.raw("SLURM", "gpu_gres") and self.raw("SLURM", "gpu_gpus"):
            self.error("SLURM", "gpu_gpus", "gpu_gres and gpu_gpus are both set: biomero "
                                            "refuses that (set one of them)")

    def check_known_keys(self) -> None:
        for section in self.parser.sections():
            known = self.keys.get(section)
            if known is None:  # a section biomero reads whole, or not at all
                if section not in self.whole and section not in FOREIGN_SECTIONS:
                    self.warn(section, None, f"biomero never reads [{section}] (fine if "
                                             "another tool does)")
                continue
            for key in self.parser._sections[section]:  # noqa: SLF001
                # [SLURM] is also read whole, for its sbatch_<option> keys
                if key in known or (section == "SLURM" and key.startswith("sbatch_")):
                    continue
                hint = difflib.get_close_matches(key, sorted(known), n=1)
                self.warn(section, key, "biomero never reads this key"
                          + (f" (did you mean {hint[0]}?)" if hint else ""))

    def check_converters(self) -> None:
        for key in self.parser._sections.get("CONVERTERS", {}):  # noqa: SLF001
            if not is_converter_key(key):
                self.warn("CONVERTERS", key, "converter keys look like <from>_to_<to>, "
                                             "e.g. zarr_to_tiff")

    def check_default(self) -> None:
        # configparser copies [DEFAULT] keys into every section: in [MODELS] biomero
        # takes each one for a workflow.
        for key in self.parser.defaults():
            self.warn("DEFAULT", key, "configparser adds [DEFAULT] keys to every section "
                                      "(biomero takes them for workflows in [MODELS]): move "
                                      "it to its section")

    def check_values(self) -> None:
        for section in self.parser.sections():
            for key, value in self.parser._sections[section].items():  # noqa: SLF001
                if value and _INLINE_COMMENT.search(value):
                    self.warn(section, key, f"{shown(value, key)}: configparser keeps an inline "
                                            "comment as part of the value; put the comment "
                                            "on a line of its own")
                if value == "" or value is None:
                    self.check_blanking(section, key)

    def check_blanking(self, section: str, key: str) -> None:
        """An empty value that hides what an earlier layer set."""
        events = self.prov.history(section, key)
        last = events[-1] if events else None
        earlier = [e for e in events[:-1] if e.action != "delete" and e.value]
        if last and earlier and last.action != "delete":
            self.warn(section, key, f"empty here, which blanks {shown(earlier[-1].value, key)} "
                                    f"set at {earlier[-1].file}:{earlier[-1].line}; delete the "
                                    f"line to keep that value (or !{key} to remove the key)")
