"""Reading an up-to-date SQLite database with the standard library's sqlite3 alone.

`tocsin check list` on SQLite goes by this lane (tocsin.launcher): no SQLAlchemy,
whose import alone costs most of a short command's time. The SQL is the text
SQLAlchemy compiles from the store's own query (`store.checks.LIST_CHECKS`; a test
keeps the two equal), rows become records through the same mapping
(`store.rows.record_from_values`), and the connection gets the same pragmas and the
same explicit `BEGIN` as every other SQLite connection (`sqlite_pragmas`).

Anything this lane does not cover answers None, and the caller takes the full road,
which gives the same answer or the same error: a database that is not SQLite, is
missing, or is not at the code's schema revision.
"""

import sqlite3
from pathlib import Path

from tocsin.config import Settings, sqlite_path
from tocsin.domain.records import CheckRecord
from tocsin.store.rows import record_from_values, sqlite_time, sqlite_uuid
from tocsin.store.schema import NEWEST_REVISION, VERSION_TABLE

SQLITE_PAGE_SIZE = 2048

# store.checks.LIST_CHECKS compiled for SQLite (tests/store/test_quickread.py).
LIST_CHECKS_SQL = (
    "SELECT checks.id, checks.project_id, checks.uuid, checks.token, checks.name, "
    "checks.slug, checks.tags, checks.description, checks.n_pings, checks.created, "
    "checks.alert_after, checks.kind, checks.period, checks.cron, checks.tz, checks.grace, "
    "checks.status, checks.last_ping, checks.last_start, checks.last_start_rid, "
    "checks.last_duration, checks.manual_resume, checks.methods, checks.maintenance_days, "
    "checks.maintenance_from, checks.maintenance_to, checks.maintenance_tz, "
    "checks.run_min_duration, checks.run_max_duration, checks.run_min_interval, "
    "checks.run_interval_from_starts, checks.failure_threshold, checks.recovery_threshold, "
    "checks.failure_streak, checks.success_streak, checks.missed_due, checks.last_run, "
    "checks.start_kw, checks.success_kw, checks.failure_kw, checks.filter_subject, "
    "checks.filter_body, checks.filter_http_body, checks.filter_default_fail, checks.kw_regex \n"
    "FROM checks ORDER BY checks.created, checks.id"
)


def sqlite_pragmas(synchronous: str, wal_limit: int) -> list[str]:
    return [
        # Pings update scattered rows (a check each, its entry in the pings index), and
        # every page a transaction touches is written whole to the WAL: 2 KB pages halve
        # what a ping writes. Only a new, empty database takes it, and only before WAL.
        f"page_size = {SQLITE_PAGE_SIZE}",
        "journal_mode = WAL",
        f"synchronous = {synchronous}",
        # A WAL that starts again from its beginning (store.fastpath.wal.Checkpointer) is cut back
        # to this size by its next commit; without it the file would keep the largest
        # size it ever reached.
        f"journal_size_limit = {wal_limit}",
        # Writers from other processes (CLI, a separate watcher) wait instead of failing.
        "busy_timeout = 10000",
        "foreign_keys = ON",
    ]


def read_checks(settings: Settings) -> list[CheckRecord] | None:
    """Every check, as `store.checks.list_checks` reads them; None when this lane can't
    answer (see the module's docstring). sqlite3's errors are the caller's."""
    path = sqlite_path(settings.database_url)
    if path is None or "?" in settings.database_url or not Path(path).is_file():
        return None  # not SQLite, driver options in the URL, or no file
    # mode=rw: never create a database, even if the file goes away meanwhile.
    connection = sqlite3.connect(
        Path(path).absolute().as_uri() + "?mode=rw", uri=True, isolation_level=None
    )
    try:
        for pragma in sqlite_pragmas(settings.sqlite_synchronous, settings.sqlite_wal_limit):
            connection.execute(f"PRAGMA {pragma}")
        connection.execute("BEGIN")
        try:
            if revision(connection) != NEWEST_REVISION:
                return None
            rows = connection.execute(LIST_CHECKS_SQL).fetchall()
            return [record_from_values(row, sqlite_time, sqlite_uuid) for row in rows]
        finally:
            connection.execute("ROLLBACK")
    finally:
        connection.close()


def revision(connection: sqlite3.Connection) -> str | None:
    """The database's schema revision, as `store.schema.schema_revision` reads it."""
    has_table = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (VERSION_TABLE,)
    ).fetchone()
    if has_table is None:
        return None
    found = connection.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchone()
    return None if found is None or found[0] is None else str(found[0])
