"""biomero's analytics database, as the worker sees it: settings, wait, schema.

Settings come from the merged slurm-config ``[ANALYTICS]`` exactly as biomero reads
them (``track_workflows`` etc. default to true; ``SQLALCHEMY_URL`` in the environment
wins over ``sqlalchemy_url``). Passwords never reach output: URLs are rendered with
the password hidden, and any error text is scrubbed of it.
"""

from __future__ import annotations

import configparser
import logging
import os
import re
import time
import warnings
from dataclasses import dataclass

from config_merge.validate import ANALYTICS_FLAGS as FLAGS

from . import env_settings

DEFAULT_WAIT = 60
PREFIX = "analytics-db"


@dataclass
class Settings:
    url: str | None  # with password: never print
    flags: dict[str, bool]
    source: str  # where the URL came from

    @property
    def tracking(self) -> bool:
        return self.flags["track_workflows"]

    def safe_url(self) -> str:
        return mask(self.url) if self.url else "(none)"


def settings(cfg: configparser.ConfigParser | None = None, environ=None) -> Settings:
    environ = os.environ if environ is None else environ
    if cfg is None:
        from . import runtime_config

        cfg = runtime_config.read_merged(environ)
    flags = {f: cfg.getboolean("ANALYTICS", f, fallback=True) for f in FLAGS}
    url, source = environ.get("SQLALCHEMY_URL"), "SQLALCHEMY_URL"
    if not url:
        url = cfg.get("ANALYTICS", "sqlalchemy_url", fallback=None) or None
        source = "[ANALYTICS] sqlalchemy_url"
    return Settings(url=url, flags=flags, source=source)


class UnusableURL(ValueError):
    """The database URL cannot be used; the message holds no part of it but the scheme."""


HINT = ("write it as postgresql+psycopg2://USER:PASSWORD@HOST:PORT/DATABASE and "
        "percent-encode @ : / % in the password (%40 %3A %2F %25)")


def precheck(url: str) -> str | None:
    """Why URL cannot be parsed unambiguously (without parsing it), else None. An
    unencoded '@' or '/' in the password makes the parser split the URL elsewhere,
    and its error would then quote a piece of the password."""
    scheme, sep, rest = url.partition("://")
    if not sep or not scheme:
        return "it has no scheme:// part"
    userinfo, at, _ = rest.rpartition("@")
    if at and userinfo.count("@"):
        return "it has more than one '@' (an unencoded '@' in the password?)"
    if at and "/" in userinfo:
        return "its user or password holds an unencoded '/'"
    return None


def parse(url: str, source: str = "SQLALCHEMY_URL"):
    """The URL as SQLAlchemy reads it; raises UnusableURL with a message that
    quotes none of it."""
    why = precheck(url)
    if why is None:
        try:
            from sqlalchemy.engine import make_url

            parsed = make_url(url)
            if parsed.host:
                return parsed
            why = "it names no host"
        except Exception:  # noqa: BLE001 - its text may quote the password
            why = "SQLAlchemy cannot parse it"
    raise UnusableURL(f"the database URL ({source}) cannot be used: {why}; {HINT}")


def mask(url: str) -> str:
    """URL for a message, its password hidden (config_merge.masking's rule); one that
    SQLAlchemy cannot parse is not shown at all (its password may stand anywhere)."""
    from config_merge.masking import mask_urls

    try:
        parse(url)
    except UnusableURL:
        return "(unusable URL)"
    return mask_urls(url)


def secret_parts(url: str) -> set[str]:
    """The password as written and as decoded, and, when the URL cannot be parsed,
    every piece of what stands between :// and the host."""
    from urllib.parse import quote, unquote

    parts: set[str] = set()
    try:
        password = parse(url).password
    except UnusableURL:
        password = None
    if password:
        parts |= {password, quote(password, safe=""), unquote(password)}
    userinfo = url.partition("://")[2].rpartition("@")[0]
    if userinfo:
        secret = userinfo.partition(":")[2]  # after the user name
        pieces = [secret] + re.split(r"[:@/]", secret)
        parts |= {p for p in pieces if len(p) >= 3}
        parts |= {unquote(p) for p in set(parts) if len(unquote(p)) >= 3}
    return parts


def scrub(text: str, url: str | None) -> str:
    """Remove the password (raw, encoded, decoded, and its pieces) from a message."""
    if not url:
        return text
    for part in sorted(secret_parts(url), key=len, reverse=True):
        text = text.replace(part, "***")
    return text


def error_text(exc: BaseException, url: str | None) -> str:
    """An error's first line (its repr when it has no text), the password removed."""
    text = str(exc).strip()
    return scrub(text.splitlines()[0] if text else repr(exc), url)


def connect_once(url: str, timeout: int = 3):
    """One psycopg2 connection (the driver biomero's URL names). Caller closes."""
    import psycopg2

    u = parse(url)
    return psycopg2.connect(host=u.host, port=u.port or 5432, user=u.username,
                            password=u.password, dbname=u.database,
                            connect_timeout=timeout)


def wait(url: str, limit: float, interval: float = 2.0, log=print) -> None:
    """Until the database accepts a login, at most ``limit`` seconds. Raises
    TimeoutError with the limit and the last (scrubbed) error."""
    deadline = time.monotonic() + limit
    attempt = 0
    while True:
        attempt += 1
        try:
            connect_once(url, timeout=max(1, min(5, int(limit)))).close()
            return
        except Exception as exc:  # psycopg2.OperationalError and friends
            last = error_text(exc, url)
        if time.monotonic() + interval > deadline:
            raise TimeoutError(
                f"database {mask(url)} not reachable within {limit:g} s "
                f"(BIOMERO_DB_WAIT_SECONDS={limit:g}, {attempt} attempts): {last}")
        if attempt == 1:
            log(f"waiting for database {mask(url)} (up to {limit:g} s): {last}")
        time.sleep(interval)


def tables(url: str) -> list[str]:
    conn = connect_once(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT table_name FROM information_schema.tables "
                        "WHERE table_schema = current_schema() ORDER BY 1")
            return [r[0] for r in cur.fetchall()]
    finally:
        conn.close()


def schema_tables() -> list[str]:
    """Tables biomero's analytics creates (its own names): the WorkflowTracker's
    event store and the view tables (created together by EngineManager). Asked of
    biomero when its record is made (biomero_contract: importing biomero.database
    costs a second, too much for every start)."""
    from biomero.database import JobProgressView, JobView, TaskExecution, WorkflowProgressView

    return ["workflowtracker_events"] + [
        t.__tablename__ for t in (JobView, JobProgressView, WorkflowProgressView, TaskExecution)]


def expected_tables(s: Settings) -> list[str]:
    """schema_tables() as recorded from the image's biomero; none when tracking is off."""
    if not s.tracking:
        return []
    from . import biomero_contract

    return biomero_contract.recorded("analytics_tables")


def initialise(s: Settings, host: str = "slurm") -> None:
    """biomero's own initialisation (SlurmClient.initialize_analytics_system),
    without touching SSH or GitHub: a config-only client with the analytics flags."""
    from biomero import SlurmClient

    client = SlurmClient(host=host, config_only=True)
    client.track_workflows = s.flags["track_workflows"]
    client.enable_job_accounting = s.flags["enable_job_accounting"]
    client.enable_job_progress = s.flags["enable_job_progress"]
    client.enable_workflow_analytics = s.flags["enable_workflow_analytics"]
    client.sqlalchemy_url = s.url
    client.initialize_analytics_system(reset_tables=False)


def step(log) -> int:
    """The start-up step (LOG: a startup_log.Log): wait for the database (bounded by
    BIOMERO_DB_WAIT_SECONDS, default 60) and initialise biomero's schema; a no-op when
    workflow tracking is off."""
    s = settings()
    if not s.tracking:
        log.info("[ANALYTICS] track_workflows is off: no database needed")
        return 0
    if not s.url:
        log.error("workflow tracking is on but no database is configured: set "
                  "SQLALCHEMY_URL or [ANALYTICS] sqlalchemy_url (or track_workflows = false)")
        return 1
    try:
        parse(s.url, s.source)
    except UnusableURL as exc:
        log.error(str(exc))
        return 1
    try:
        limit = env_settings.seconds("BIOMERO_DB_WAIT_SECONDS", DEFAULT_WAIT)
    except env_settings.SettingError as exc:
        log.error(str(exc))
        return 1
    try:
        wait(s.url, limit, log=log.info)
    except TimeoutError as exc:
        log.error(str(exc))
        return 1
    # biomero creates what is missing at every client it builds (a script's too), and
    # nothing when all is there: a restart then need not load biomero at all
    try:
        missing = [t for t in expected_tables(s) if t not in tables(s.url)]
    except Exception as exc:  # the database answered the wait: say what failed now
        log.error(f"listing the tables of {s.safe_url()} failed: {error_text(exc, s.url)}")
        return 1
    if not missing:
        log.info(f"analytics schema present in {s.safe_url()} (from {s.source})")
        return 0
    # biomero and eventsourcing log at INFO; keep their chatter (never the URL) out.
    # The config-only client used here has no workflows on purpose: its warnings
    # about that would mislead, as would SQLAlchemy's about re-declared records.
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    logging.getLogger("biomero.slurm_client").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="eventsourcing_sqlalchemy")
    try:
        initialise(s)
    except Exception as exc:
        log.error(f"initialising biomero's analytics schema in {s.safe_url()} failed: "
                  f"{scrub(f'{type(exc).__name__}: {exc}', s.url)}")
        return 1
    log.info(f"analytics schema ready in {s.safe_url()} (from {s.source})")
    return 0


def cmd_init(args, out, err) -> int:
    from .startup_log import Log

    return step(Log(PREFIX, out, err))


def add_commands(sub) -> None:
    sub.add_parser("db-init", help="wait for the analytics database (bounded) and "
                   "initialise biomero's schema").set_defaults(run=cmd_init)
