"""`python -m analytics_db init` — wait for the analytics database (bounded by
BIOMERO_DB_WAIT_SECONDS, default 60) and initialise biomero's schema. No-op when
[ANALYTICS] track_workflows is off. Exit 1 with a clear message otherwise."""

from __future__ import annotations

import logging
import os
import sys
import warnings

from . import DEFAULT_WAIT, initialise, scrub, settings, wait

PREFIX = "30-analytics-db:"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv != ["init"]:
        print("usage: python -m analytics_db init", file=sys.stderr)
        return 2
    s = settings()
    if not s.tracking:
        print(f"{PREFIX} [ANALYTICS] track_workflows is off: no database needed")
        return 0
    if not s.url:
        print(f"{PREFIX} workflow tracking is on but no database is configured: set "
              "SQLALCHEMY_URL or [ANALYTICS] sqlalchemy_url (or track_workflows = false)",
              file=sys.stderr)
        return 1
    raw = os.environ.get("BIOMERO_DB_WAIT_SECONDS", str(DEFAULT_WAIT))
    try:
        limit = float(raw)
    except ValueError:
        print(f"{PREFIX} BIOMERO_DB_WAIT_SECONDS={raw!r} is not a number", file=sys.stderr)
        return 1
    try:
        wait(s.url, limit, log=lambda m: print(f"{PREFIX} {m}", flush=True))
    except TimeoutError as exc:
        print(f"{PREFIX} {exc}", file=sys.stderr)
        return 1
    # biomero and eventsourcing log at INFO; keep their chatter (never the URL) out.
    # The config-only client used here has no workflows on purpose: its warnings
    # about that would mislead, as would SQLAlchemy's about re-declared records.
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    logging.getLogger("biomero.slurm_client").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="eventsourcing_sqlalchemy")
    try:
        initialise(s)
    except Exception as exc:
        print(f"{PREFIX} initialising biomero's analytics schema in {s.safe_url()} failed: "
              f"{scrub(f'{type(exc).__name__}: {exc}', s.url)}", file=sys.stderr)
        return 1
    print(f"{PREFIX} analytics schema ready in {s.safe_url()} (from {s.source})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
