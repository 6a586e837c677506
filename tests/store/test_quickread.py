"""The sqlite3 lane of `tocsin check list`: the store's own query, the same records."""

import sqlite3
import uuid
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from tests.conftest import BACKEND, settings_for
from tocsin.config import Settings, sqlite_path
from tocsin.domain.checks import Status
from tocsin.domain.records import CheckRecord, NewCheck
from tocsin.domain.schedule import Maintenance, cron_schedule, period_schedule
from tocsin.store.checks import LIST_CHECKS, insert_check, list_checks, save_states
from tocsin.store.database import Database, read_sqlite
from tocsin.store.projects import default_project
from tocsin.store.quickread import LIST_CHECKS_SQL, read_checks
from tocsin.store.schema import VERSION_TABLE

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)

sqlite_only = pytest.mark.skipif(BACKEND != "sqlite", reason="the sqlite3 lane is SQLite's")


def test_the_sql_is_the_stores_query_compiled_for_sqlite() -> None:
    assert str(LIST_CHECKS.compile(dialect=sqlite.dialect())) == LIST_CHECKS_SQL


def add_checks(connection: sa.Connection) -> list[CheckRecord]:
    """Checks that use every column a record is made of."""
    project_id = default_project(connection, T0)
    plain = NewCheck(period_schedule(timedelta(hours=1)), timedelta(hours=1), name="plain")
    rich = NewCheck(
        cron_schedule("0 2 * * 1-5", "Europe/Berlin"),
        timedelta(minutes=30),
        name="nightly",
        slug="nightly",
        tags="db prod",
        description="the backup",
        manual_resume=True,
        methods="POST",
        tz="Europe/Berlin",
        maintenance=Maintenance(frozenset({0, 4}), time(23, 0), time(2, 30), "Europe/Berlin"),
    )
    first = insert_check(connection, project_id, plain, T0)
    second = insert_check(connection, project_id, rich, T0 + timedelta(seconds=1))
    pinged = replace(
        second.state,
        status=Status.UP,
        last_ping=T0 + timedelta(minutes=5, microseconds=7),
        last_start=T0 + timedelta(minutes=4),
        last_start_rid=uuid.uuid4(),
        last_duration=timedelta(seconds=61.5),
    )
    save_states(connection, [(second.id, pinged, 3)], T0 + timedelta(minutes=5))
    return [first, second]


@sqlite_only
async def test_the_lane_reads_the_records_the_store_reads(
    database: Database, settings: Settings
) -> None:
    await database.write_with(add_checks)
    records = read_checks(settings)
    assert records == await database.read_with(list_checks)
    assert records is not None
    assert [r.name for r in records] == ["plain", "nightly"]
    assert records[1].state.maintenance is not None
    assert records[1].state.last_duration == timedelta(seconds=61.5)
    assert records == read_sqlite(settings, list_checks)


def test_other_databases_are_not_the_lanes() -> None:
    assert read_checks(settings_for("postgresql://tocsin@127.0.0.1:1/tocsin")) is None


def test_a_url_with_driver_options_is_left_to_the_full_road(settings: Settings) -> None:
    url = settings.database_url + "?timeout=5"
    if sqlite_path(url) is None:
        pytest.skip("the test database is not SQLite")
    assert read_checks(settings_for(url)) is None


def test_a_missing_database_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "nothing.db"
    assert read_checks(settings_for(f"sqlite:///{path}")) is None
    assert not path.exists()


def test_a_database_without_the_newest_schema_is_left_to_the_full_road(tmp_path: Path) -> None:
    path = tmp_path / "tocsin.db"
    sqlite3.connect(path).close()  # a file, but no Tocsin schema
    assert read_checks(settings_for(f"sqlite:///{path}")) is None
    with sqlite3.connect(path) as connection:
        connection.execute(f"CREATE TABLE {VERSION_TABLE} (version_num VARCHAR(32))")
        connection.execute(f"INSERT INTO {VERSION_TABLE} VALUES ('0001')")
    assert read_checks(settings_for(f"sqlite:///{path}")) is None
