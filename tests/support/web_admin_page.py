"""A stand-in for OMERO.biomero's admin page (2.1.0), which runs in the web container
(Django, omero-web: not on this machine). It does what the page does to the file it
shares with the worker, so the worker's handling of that file is tested against the
page's real habits:

* the page SHOWS what configparser(allow_no_value=True) reads from the web
  container's /etc/slurm-config.ini, /OMERO/slurm-config.ini and ~/slurm-config.ini
  (the admin's file), every section, interpolated, [DEFAULT] keys copied in;
* on SAVE it posts every section it shows, with the admin's changes, and writes the
  admin's file with ConfigUpdater: each posted key set (a key without a value becomes
  an empty value), [MODELS] and [CONVERTERS] keys not posted removed, and a comment
  added to a [changelog] section.
"""

from __future__ import annotations

import configparser
from pathlib import Path

from configupdater import ConfigUpdater


def shown(view: list[Path], admin: Path) -> dict[str, dict[str, str]]:
    """What the page displays: the web container's files, then the admin's file."""
    cfg = configparser.ConfigParser(allow_no_value=True)
    cfg.read([str(p) for p in [*view, admin]])
    return {s: {k: ("" if v is None else v) for k, v in cfg.items(s)} for s in cfg.sections()}


def save(view: list[Path], admin: Path, changes: dict[str, dict[str, str]],
         user: str = "root") -> None:
    """An admin opens the page, changes CHANGES ({section: {key: value}}), saves."""
    posted = shown(view, admin)
    for section, keys in changes.items():
        posted.setdefault(section, {}).update(keys)
    doc = ConfigUpdater()
    if admin.exists():
        doc.read(str(admin))
    for section, keys in posted.items():
        if section == "changelog":
            continue
        if section not in doc:
            doc.add_section(section)
        for key, value in keys.items():
            doc.set(section, key, value)
        if section in ("MODELS", "CONVERTERS"):
            for key in list(doc[section].keys()):
                if key not in keys:
                    del doc[section][key]
    if "changelog" not in doc:
        doc.add_section("changelog")
    doc["changelog"].add_after.comment(f"Config updated by {user} via the web UI (test)")
    admin.write_text(str(doc))
