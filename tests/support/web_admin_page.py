"""A stand-in for OMERO.biomero's admin page, for the unit tests only: the page
itself (omero-biomero 1.6.1 and 1.7.0b10, ``admin_views.admin_config``) runs in
tests/worker/test_web_admin_page.py, which also checks, save by save, that this
stand-in writes what the page writes. What it does, as the page's code does:

* SHOW (GET): what biomero's reader gives (layered: the web container's
  /etc/slurm-config.ini, /OMERO/slurm-config.ini, then the admin's file; with
  BIOMERO_SLURM_CONFIG_FILE: that file alone), interpolated, [DEFAULT] keys copied
  in, [MODELS] and [WORKFLOWS] folded into one WORKFLOWS ([WORKFLOWS] winning);
* SAVE (POST of everything shown, with the admin's changes, minus what the admin
  removed): with ConfigUpdater, every posted key set in the admin's file (a key
  without a value becomes an empty value); the workflows go to the file's workflow
  section ([WORKFLOWS], else [MODELS], else a new [WORKFLOWS]); keys of that section
  and of [CONVERTERS] that were not posted are removed, as are explicit deletions;
  a comment is added to a [changelog] section.
"""

from __future__ import annotations

import configparser
from pathlib import Path

from configupdater import ConfigUpdater

WORKFLOW_SECTIONS = ("MODELS", "WORKFLOWS")


def shown(view: list[Path], admin: Path, authoritative: bool = False
          ) -> dict[str, dict[str, str]]:
    """What the page displays: the web container's files, then the admin's file."""
    cfg = configparser.ConfigParser(allow_no_value=True)
    cfg.read([str(p) for p in ([admin] if authoritative else [*view, admin])])
    out = {s: {k: ("" if v is None else v) for k, v in cfg.items(s)}
           for s in cfg.sections() if s not in WORKFLOW_SECTIONS}
    workflows = {}
    for section in WORKFLOW_SECTIONS:
        if cfg.has_section(section):
            workflows.update({k: ("" if v is None else v) for k, v in cfg.items(section)})
    if workflows:
        out["WORKFLOWS"] = workflows
    return out


def save(view: list[Path], admin: Path, changes: dict[str, dict[str, str]],
         removed: dict[str, list[str]] | None = None, user: str = "root",
         authoritative: bool = False) -> None:
    """An admin opens the page, changes CHANGES ({section: {key: value}}), removes
    REMOVED ({section: [key]}: dropped from the post, and sent as explicit deletions
    outside the workflows), saves."""
    posted = shown(view, admin, authoritative)
    for section, keys in changes.items():
        section = "WORKFLOWS" if section in WORKFLOW_SECTIONS else section
        posted.setdefault(section, {}).update(keys)
    deleted = []
    for section, keys in (removed or {}).items():
        section = "WORKFLOWS" if section in WORKFLOW_SECTIONS else section
        for key in keys:
            posted.get(section, {}).pop(key, None)
            deleted.append((section, key))
    doc = ConfigUpdater()
    if admin.exists():
        doc.read(str(admin))
    target = next((s for s in ("WORKFLOWS", "MODELS") if s in doc), "WORKFLOWS")
    for section, keys in posted.items():
        if section == "changelog":
            continue
        section = target if section in WORKFLOW_SECTIONS else section
        if section not in doc:
            doc.add_section(section)
        for key, value in keys.items():
            doc.set(section, key, value)
        if section in (target, "CONVERTERS"):
            for key in list(doc[section].keys()):
                if key not in keys:
                    del doc[section][key]
    for section, key in deleted:
        section = target if section in WORKFLOW_SECTIONS else section
        if section in doc and key in doc[section]:
            del doc[section][key]
    if "changelog" not in doc:
        doc.add_section("changelog")
    doc["changelog"].add_after.comment(f"Config updated by {user} via the web UI (test)")
    admin.write_text(str(doc))


def written(text: str) -> dict[str, dict[str, str | None]]:
    """A saved file's settings, without the page's changelog (it holds a time)."""
    cfg = configparser.ConfigParser(allow_no_value=True, interpolation=None)
    cfg.read_string(text)
    return {s: dict(cfg._sections[s]) for s in cfg.sections() if s != "changelog"}  # noqa: SLF001
