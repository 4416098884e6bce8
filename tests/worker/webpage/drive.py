"""Drive OMERO.biomero's admin page as an admin's browser does: GET the config, change
it, POST all of it back. Runs in the web container (tests/worker/web_page.py), with the
page's wheels on PYTHONPATH and biomero from the image. argv[1]: JSON
{"changes": {SECTION: {key: value}}, "removed": {SECTION: [key]}, "get": bool}.
Prints the page's answers as one JSON line; exit 1 when the page refused."""

import json
import sys
import types
from types import SimpleNamespace
from unittest.mock import MagicMock


def stub_modules():
    """As omero-biomero's own tests do (omero_biomero/tests/conftest.py): omero-web's
    login decorator a no-op, and modules the admin view never calls put in
    sys.modules: the Leica file browser that omero_biomero.settings imports."""
    sys.modules.setdefault("omeroweb", types.ModuleType("omeroweb"))
    sys.modules.setdefault("omeroweb.webclient", types.ModuleType("omeroweb.webclient"))
    decorators = types.ModuleType("omeroweb.webclient.decorators")
    decorators.login_required = lambda *a, **k: (lambda fn: fn)
    decorators.render_response = lambda *a, **k: (lambda fn: fn)
    sys.modules["omeroweb.webclient.decorators"] = decorators
    leica = types.ModuleType("convertleica_file_browser")
    helpers = types.ModuleType("convertleica_file_browser.ci_leica_converters_helpers")
    helpers.read_leica_file = lambda *a, **k: None
    sys.modules["convertleica_file_browser"] = leica
    sys.modules["convertleica_file_browser.ci_leica_converters_helpers"] = helpers


def admin_conn():
    """An OMERO connection of an admin, as the package's tests fake it."""
    user = MagicMock()
    user.getName.return_value = "admin"
    user.getId.return_value = 1
    conn = MagicMock()
    conn.getUser.return_value = user
    conn.isAdmin.return_value = True
    return conn


def the_view():
    """The undecorated view, as the package's tests take it."""
    from omero_biomero import admin_views

    fn = admin_views.admin_config
    while hasattr(fn, "__wrapped__"):
        fn = fn.__wrapped__
    return fn


def main(request: dict) -> int:
    stub_modules()
    from django.conf import settings

    settings.configure(DEFAULT_CHARSET="utf-8")
    view = the_view()
    got = view(SimpleNamespace(method="GET"), conn=admin_conn())
    shown = json.loads(got.content)
    if got.status_code != 200 or request.get("get"):
        print(json.dumps({"get": got.status_code, "shown": shown}))
        return 0 if got.status_code == 200 else 1
    config = shown["config"]
    deleted = []
    for section, keys in request.get("changes", {}).items():
        config.setdefault(section, {}).update(keys)
    for section, keys in request.get("removed", {}).items():
        for key in keys:
            config.get(section, {}).pop(key, None)
            deleted.append({"section": section, "option": key})
    body = json.dumps({"config": config, "deleted": deleted}).encode()
    saved = view(SimpleNamespace(method="POST", body=body), conn=admin_conn())
    print(json.dumps({"get": got.status_code, "mode": shown.get("config_mode"),
                      "post": saved.status_code, "answer": json.loads(saved.content)}))
    return 0 if saved.status_code == 200 else 1


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))
