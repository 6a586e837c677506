from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.schema import CreateIndex

from tests.conftest import BACKEND, settings_for
from tocsin.config import ConfigError, Settings
from tocsin.domain.records import CheckRecord, NewCheck
from tocsin.domain.schedule import period_schedule
from tocsin.store.checks import insert_check, list_checks
from tocsin.store.database import Database, async_url, read_sqlite
from tocsin.store.projects import default_project
from tocsin.store.tables import checks, metadata

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("sqlite:///data/tocsin.db", "sqlite+aiosqlite"),
        ("sqlite+aiosqlite:////var/lib/tocsin.db", "sqlite+aiosqlite"),
        ("postgresql://tocsin:secret@db.internal/tocsin", "postgresql+asyncpg"),
        ("postgres://tocsin@db/tocsin", "postgresql+asyncpg"),
        ("postgresql+asyncpg://tocsin@db:5433/tocsin", "postgresql+asyncpg"),
    ],
)
def test_the_url_forms_people_write_pick_the_async_driver(given: str, driver: str) -> None:
    assert async_url(given).drivername == driver


@pytest.mark.parametrize(
    ("given", "complaint"),
    [
        ("mysql://root@localhost/tocsin", "unsupported database 'mysql'"),
        ("sqlite://", "SQLite needs a file path"),
        ("sqlite:///:memory:", "SQLite needs a file path"),
        ("not a url", "cannot parse"),
    ],
)
def test_unusable_urls_are_refused_with_the_variable_named(given: str, complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint) as error:
        async_url(given)
    assert str(error.value).startswith("TOCSIN_DATABASE_URL: ")


# --- the synchronous road for short readers on SQLite ------------------------------------------

sqlite_only = pytest.mark.skipif(BACKEND != "sqlite", reason="the synchronous road is SQLite's")


def add_check(connection: sa.Connection, name: str) -> CheckRecord:
    project_id = default_project(connection, T0)
    hourly = period_schedule(timedelta(hours=1))
    spec = NewCheck(schedule=hourly, grace=timedelta(hours=1), name=name)
    return insert_check(connection, project_id, spec, T0)


@sqlite_only
async def test_the_synchronous_road_reads_what_the_async_road_wrote(
    database: Database, settings: Settings
) -> None:
    await database.write_with(add_check, "db backup")
    assert [r.name for r in read_sqlite(settings, list_checks)] == ["db backup"]
    assert read_sqlite(settings, list_checks) == await database.read_with(list_checks)


def pragmas(connection: sa.Connection) -> list[object]:
    names = ("foreign_keys", "busy_timeout", "journal_mode", "synchronous")
    return [connection.exec_driver_sql(f"PRAGMA {name}").scalar() for name in names]


@sqlite_only
async def test_the_synchronous_road_sets_the_same_pragmas_and_begins_itself(
    database: Database, settings: Settings
) -> None:
    async with database.read() as connection:
        on_the_async_road = await connection.run_sync(pragmas)
    assert read_sqlite(settings, pragmas) == on_the_async_road
    assert read_sqlite(settings, lambda c: c.exec_driver_sql("SELECT 1") and in_transaction(c))


def in_transaction(connection: sa.Connection) -> bool:
    """Whether the driver's connection has begun a transaction (ours, not pysqlite's)."""
    return bool(getattr(connection.connection.dbapi_connection, "in_transaction", False))


def test_the_synchronous_road_is_for_sqlite_only() -> None:
    settings = settings_for("postgresql://tocsin@db/tocsin")
    with pytest.raises(ValueError, match="needs a SQLite database"):
        read_sqlite(settings, list_checks)


async def test_partial_indexes_get_their_condition_on_postgresql_too() -> None:
    database = Database(settings_for("postgresql://tocsin@db/tocsin"))  # connects to nothing
    on_postgresql = database.engine.dialect
    await database.close()
    on_sqlite = sa.create_engine("sqlite://").dialect
    for index in (ix for table in metadata.tables.values() for ix in table.indexes):
        condition = ddl(index, on_sqlite).partition(" WHERE ")[2]
        assert ddl(index, on_postgresql).partition(" WHERE ")[2] == condition
    alert_after = next(ix for ix in checks.indexes if ix.name == "ix_checks_alert_after")
    assert ddl(alert_after, on_postgresql).endswith(" WHERE alert_after IS NOT NULL")


def ddl(index: sa.Index, dialect: sa.Dialect) -> str:
    return str(CreateIndex(index).compile(dialect=dialect))
