"""Check a merged result the way biomero will use it. Each problem is a Diagnostic
that names the layer and line that introduced the offending value (or deleted the
missing one)."""

from __future__ import annotations

import configparser
import re
from urllib.parse import urlsplit

from .diagnostics import Diagnostic
from .merge import MergeResult

MODEL_SECTIONS = ("MODELS", "WORKFLOWS")
ANALYTICS_FLAGS = ("track_workflows", "enable_job_accounting", "enable_job_progress", "enable_workflow_analytics")
_CONVERTER_KEY = re.compile(r"\S+_to_\S+")  # <from>_to_<to>, both non-empty
# Key suffixes that belong to a model <name>; `_job_<param>` are extra sbatch options.
_ATTRIBUTE = re.compile(r"(?P<model>.+?)_(?P<attr>repo|job|use_gpu|job_.+)")


def validate(result: MergeResult) -> list[Diagnostic]:
    """Return every problem found in the merged result; empty means biomero can use it."""
    return _Validator(result).run()


class _Validator:
    def __init__(self, result: MergeResult):
        self.result = result
        self.doc = result.document
        self.prov = result.provenance
        self.problems: list[Diagnostic] = []

    def run(self) -> list[Diagnostic]:
        self.check_ssh()
        for name in MODEL_SECTIONS:
            if name in self.doc.index:
                self.check_models(name)
        self.check_analytics()
        self.check_converters()
        self.check_default()
        self.check_interpolation()
        return self.problems

    # -- where to point ------------------------------------------------------------
    def at_key(self, section: str, key: str, message: str, near: str | None = None) -> None:
        """Report at the last event of `key` (its setting, or its deletion), else of the
        `near` key, else of the section (its creation or deletion)."""
        event = self.prov.last(section, key) or (near and self.prov.last(section, near)) or self.prov.last(section)
        self.report(event, section, key, message)

    def report(self, event, section, key, message) -> None:
        file, line = (event.file, event.line) if event else (self.fallback_file(), 0)
        self.problems.append(Diagnostic(file, line, message, section, key))

    def fallback_file(self) -> str:
        return self.result.files[0] if self.result.files else "<no layers>"

    def value(self, section: str, key: str) -> str | None:
        item = self.doc.index[section].index.get(key) if section in self.doc.index else None
        return None if item is None else item.value

    # -- checks ----------------------------------------------------------------------
    def check_ssh(self) -> None:
        if not self.value("SSH", "host"):
            self.at_key("SSH", "host", "missing: set the SSH host alias biomero connects to")

    def check_models(self, section_name: str) -> None:
        section = self.doc.index[section_name]
        order = {item.name: n for n, item in enumerate(section.live_items())}
        models = []
        for name in order:
            owner = self._owner(name, order)
            if owner is None and _ATTRIBUTE.fullmatch(name):
                model = _ATTRIBUTE.fullmatch(name)["model"]
                gone = self.prov.last(section_name, model)
                why = f" (deleted at {gone.file}:{gone.line} by {gone.via})" if gone and gone.action == "delete" else ""
                self.at_key(section_name, name, f"orphan: no model {model!r} in [{section_name}]{why}")
            elif owner is None:
                models.append(name)
            elif name.startswith(f"{owner}_job_") and order.get(f"{owner}_job", -1) > order[name]:
                self.at_key(section_name, name, f"comes before {owner}_job, where biomero ignores it: move it after")
        for model in models:
            repo, job = self.value(section_name, f"{model}_repo"), self.value(section_name, f"{model}_job")
            if repo is None:
                self.at_key(section_name, f"{model}_repo", f"missing: model {model!r} needs it", near=model)
            elif urlsplit(repo).scheme not in ("http", "https") or not urlsplit(repo).netloc:
                self.at_key(section_name, f"{model}_repo", f"not an http(s) URL: {repo!r}")
            if job is None:
                self.at_key(section_name, f"{model}_job", f"missing: model {model!r} needs it", near=model)

    @staticmethod
    def _owner(name: str, present) -> str | None:
        """The model an attribute key belongs to: the longest `<model>` prefix present."""
        for suffix in ("_repo", "_job", "_use_gpu"):
            if name.endswith(suffix) and name[: -len(suffix)] in present:
                return name[: -len(suffix)]
        # `<model>_job_<param>`: try every `_job_` split, longest model name first.
        parts = name.split("_job_")
        for i in range(len(parts) - 1, 0, -1):
            model = "_job_".join(parts[:i])
            if model in present:
                return model
        return None

    def check_analytics(self) -> None:
        for flag in ANALYTICS_FLAGS:
            value = self.value("ANALYTICS", flag)
            if value is not None and value.lower() not in configparser.ConfigParser.BOOLEAN_STATES:
                self.at_key("ANALYTICS", flag, f"not a boolean: {value!r} (use True or False)")

    def check_converters(self) -> None:
        section = self.doc.index.get("CONVERTERS")
        for item in section.live_items() if section else ():
            if not _CONVERTER_KEY.fullmatch(item.name):
                self.at_key("CONVERTERS", item.name, "converter keys look like <from>_to_<to>, e.g. zarr_to_tiff")

    def check_default(self) -> None:
        # configparser copies [DEFAULT] keys into every section: in [MODELS] biomero
        # would take each one for a workflow.
        section = self.doc.index.get("DEFAULT")
        for item in section.live_items() if section else ():
            self.at_key("DEFAULT", item.name, "configparser adds [DEFAULT] keys to every section "
                                              "(biomero would see them in [MODELS]): move it to its section")

    def check_interpolation(self) -> None:
        # biomero reads with BasicInterpolation: a literal '%' must be written '%%'.
        parser = configparser.ConfigParser(allow_no_value=True)
        try:
            parser.read_string(self.result.text)
        except configparser.Error as exc:  # the merge produced something unreadable
            self.problems.append(Diagnostic("<merged>", 0, f"configparser cannot read the result: {exc}"))
            return
        for section in parser.sections():
            for key in parser.options(section):
                try:
                    parser.get(section, key)
                except configparser.InterpolationError as exc:
                    self.at_key(section, key, f"interpolation: {exc.message.splitlines()[0]} (write a literal % as %%)")
