"""Upgrades: a database at every earlier revision, with data in every table it has,
migrated to the newest; every row is still there, and the application reads them.

The revisions come from Alembic's script directory, so a new migration is tested by
this file without a change here. Each table gets generic rows made from its reflected
columns (values of the column's type, unique per row, foreign keys pointing at the
parent's rows, a few columns the domain parses given values it accepts), and, where
the tables exist, a check as a person would have it: pings, a flip, a channel and an
open incident with its timeline and an alert sent. The generic rows must come out of
the upgrade exactly as they went in; the hand-written ones are then read and acted on
through the store and the services, as the running server would.
"""

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from tests.conftest import settings_for
from tests.helpers import T0, FakeClock, send_pings
from tocsin.domain.checks import Action, Status
from tocsin.services import incidents as incident_service
from tocsin.services.context import Standalone
from tocsin.store import checks as check_store
from tocsin.store import incidents as incident_store
from tocsin.store import pings as ping_store
from tocsin.store.database import Database
from tocsin.store.migrate import alembic_config, migrate, pending_revisions
from tocsin.store.tables import metadata

ROWS = 2  # generic rows a table: two, so that unique columns and keys must differ


def revisions_oldest_first() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


REVISIONS = revisions_oldest_first()

# Columns whose text the domain parses as it reads a row; any other column takes a
# generic value of its type.
DOMAIN_VALUES: dict[tuple[str, str], Any] = {
    ("checks", "kind"): "simple",
    ("checks", "period"): 3600,
    ("checks", "cron"): None,
    ("checks", "tz"): "UTC",
    ("checks", "status"): "up",
    ("checks", "methods"): "",
    ("checks", "maintenance_days"): "",
    ("checks", "maintenance_from"): None,
    ("checks", "maintenance_to"): None,
    ("checks", "maintenance_tz"): "UTC",
    ("pings", "kind"): "success",
    ("flips", "old_status"): "new",
    ("flips", "new_status"): "up",
    ("incidents", "status"): "resolved",
    ("channels", "kind"): "webhook",
    ("channels", "config"): '{"url": "https://hooks.example/generic"}',
    ("memberships", "role"): "member",
    ("invitations", "role"): "member",
}

# Values a migration changes on purpose: (table, column) -> (the migration, old -> new).
# Rows written before it must come out of the upgrade changed so, and no other way.
RENAMED: dict[tuple[str, str], tuple[str, dict[Any, Any]]] = {
    ("incidents", "status"): ("0011", {"started": "open"}),
}


def word(revision: str, table: str, column: str, newest: str) -> Any:
    """The value a column held for `newest` at `revision`, before a rename reached it."""
    migration, renames = RENAMED[(table, column)]
    if REVISIONS.index(revision) >= REVISIONS.index(migration):
        return newest
    return next(old for old, new in renames.items() if new == newest)


Rows = dict[str, list[tuple[Any, ...]]]


@dataclass(frozen=True)
class Shape:
    """A table as it was at the old revision: its columns, typed, and its key."""

    table: sa.TableClause
    key: list[str]


@dataclass(frozen=True)
class Written:
    """Every row of every table as written at the old revision, and the hand-written
    check's uuid and incident's id (None before the tables existed)."""

    shapes: list[Shape]
    rows: Rows
    check_uuid: uuid.UUID
    incident_id: int | None


@pytest.fixture
def empty_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all: a new SQLite file, or the PostgreSQL test
    database with its schema dropped (the next test's fixture finds the schema
    migrated to the newest again, as this test leaves it, or rebuilds it)."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'upgraded.db'}"
        return
    asyncio.run(drop_schema(database_url))
    yield database_url


async def drop_schema(url: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await connection.close()


async def migrate_to(database: Database, revision: str) -> None:
    async with database.write() as connection:
        await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), revision))


@pytest.mark.parametrize("revision", REVISIONS[:-1])
async def test_a_database_at_an_earlier_revision_keeps_its_rows_through_the_upgrade(
    empty_database_url: str, revision: str
) -> None:
    database = Database(settings_for(empty_database_url))
    try:
        await migrate_to(database, revision)
        written = await database.write_with(fill)
        await migrate(database)
        assert not await pending_revisions(database)
        upgraded = as_upgraded(written, revision)
        assert await database.read_with(read_rows, written.shapes) == upgraded
        await the_application_reads(database, empty_database_url, written)
    finally:
        await database.close()


def as_upgraded(written: "Written", revision: str) -> Rows:
    """The rows written at `revision` as the migrations after it are meant to leave them."""
    rows = dict(written.rows)
    for shape in written.shapes:
        for (table, column), (migration, renames) in RENAMED.items():
            if table != shape.table.name or column not in shape.table.c:
                continue
            if REVISIONS.index(revision) >= REVISIONS.index(migration):
                continue
            at = list(shape.table.c.keys()).index(column)
            rows[table] = [
                (*row[:at], renames.get(row[at], row[at]), *row[at + 1 :]) for row in rows[table]
            ]
    return rows


def test_every_revision_is_tested() -> None:
    """The newest is where the others go; every other one is a starting point."""
    assert len(REVISIONS) >= 10
    assert REVISIONS[0] == "0001"
    assert len(set(REVISIONS)) == len(REVISIONS)


# --- writing at the old revision ----------------------------------------------------


def fill(connection: sa.Connection) -> Written:
    schema = reflect(connection)
    for table in schema.sorted_tables:
        clause = typed(table)
        rows = [generic_row(connection, table, clause, n) for n in range(ROWS)]
        connection.execute(sa.insert(clause), rows)
    check_uuid, incident_id = write_a_real_check(connection, schema)
    shapes = [
        Shape(typed(table), [c.name for c in table.primary_key.columns])
        for table in schema.sorted_tables
    ]
    return Written(shapes, read_rows(connection, shapes), check_uuid, incident_id)


def reflect(connection: sa.Connection) -> sa.MetaData:
    schema = sa.MetaData()
    schema.reflect(connection)
    schema.remove(schema.tables["alembic_version"])
    return schema


def typed(table: sa.Table) -> sa.TableClause:
    """The table's columns as they are now, with the types the code reads them with
    (times as UTC datetimes on SQLite too); a column the code no longer declares
    keeps the type the database reports."""
    declared = metadata.tables.get(table.name)
    columns = [
        sa.column(
            c.name,
            c.type if declared is None or c.name not in declared.c else declared.c[c.name].type,
        )
        for c in table.columns
    ]
    return sa.table(table.name, *columns)


def generic_row(
    connection: sa.Connection, table: sa.Table, clause: sa.TableClause, n: int
) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for column in table.columns:
        if assigned_by_the_database(connection, table, column):
            continue
        key = (table.name, column.name)
        if column.foreign_keys:
            row[column.name] = parent_key(connection, column, n)
        elif key in DOMAIN_VALUES:
            row[column.name] = DOMAIN_VALUES[key]
        else:
            row[column.name] = value_of_type(clause.c[column.name].type, key, n)
    return row


def assigned_by_the_database(
    connection: sa.Connection, table: sa.Table, column: sa.Column[Any]
) -> bool:
    """A lone integer primary key the database numbers itself."""
    if not column.primary_key or len(table.primary_key.columns) > 1 or column.foreign_keys:
        return False
    if connection.dialect.name == "sqlite":
        return True  # an INTEGER PRIMARY KEY is the rowid
    return column.server_default is not None or column.identity is not None


def parent_key(connection: sa.Connection, column: sa.Column[Any], n: int) -> Any:
    """The n-th row of the table the foreign key points at, so that rows whose
    keys must differ (composite primary keys, one open incident a check) do."""
    (foreign_key,) = column.foreign_keys
    target = foreign_key.column
    keys = connection.scalars(sa.select(target).order_by(target)).all()
    return keys[n % len(keys)]


def value_of_type(kind: sa.types.TypeEngine[Any], key: tuple[str, str], n: int) -> Any:
    if isinstance(kind, sa.types.TypeDecorator):
        kind = kind.impl_instance
    python_type = kind.python_type
    if python_type is bool:
        return n % 2 == 1
    if python_type is int:
        return n + 1
    if python_type is float:
        return n + 0.25
    if python_type is bytes:
        return f"{key} {n}".encode()
    if python_type is uuid.UUID:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"{key} {n}")
    if python_type.__name__ == "datetime":
        return T0 + timedelta(minutes=n)
    return unique_text(kind, key, n)


def unique_text(kind: sa.types.TypeEngine[Any], key: tuple[str, str], n: int) -> str:
    """Text that fits the column, its end (where the row number is) kept."""
    text = f"{key[0]}.{key[1]} {n}"
    length = getattr(kind, "length", None)
    return text[-length:] if length else text


def write_a_real_check(
    connection: sa.Connection, schema: sa.MetaData
) -> tuple[uuid.UUID, int | None]:
    """A check as a person would have it: failed last night, an incident open."""
    insert = Inserter(connection, schema)
    project_id = insert("projects", name="Backups", ping_key="k" * 22, created=T0)
    check_uuid = uuid.uuid4()
    check_id = insert(
        "checks",
        project_id=project_id,
        uuid=check_uuid,
        token="t" * 22,
        name="nightly backup",
        slug="nightly-backup",
        tags="prod db",
        description="pg_dump of the main database",
        kind="simple",
        period=86_400,
        tz="UTC",
        grace=3_600,
        status="down",
        last_ping=T0 + timedelta(hours=2),
        n_pings=2,
        created=T0,
        updated=T0 + timedelta(hours=2),
    )
    for n, kind, exit_status, body in ((1, "success", 0, b""), (2, "fail", 1, b"disk full")):
        insert(
            "pings",
            check_id=check_id,
            n=n,
            created=T0 + timedelta(hours=n),
            kind=kind,
            exit_status=exit_status,
            method="POST",
            body=body,
            body_size=len(body),
        )
    insert(
        "flips",
        check_id=check_id,
        created=T0 + timedelta(hours=2),
        old_status="up",
        new_status="down",
        reason="exit status 1",
    )
    if "incidents" not in schema.tables:
        return check_uuid, None
    revision = connection.scalar(sa.text("SELECT version_num FROM alembic_version"))
    open_word = word(revision, "incidents", "status", "open")
    return check_uuid, write_an_open_incident(insert, project_id, check_id, open_word)


def write_an_open_incident(
    insert: "Inserter", project_id: int, check_id: int, open_word: str
) -> int:
    at = T0 + timedelta(hours=2)
    channel_id = insert(
        "channels",
        project_id=project_id,
        uuid=uuid.uuid4(),
        name="ops mail",
        kind="email",
        config='{"to": "ops@example.com"}',
        created=T0,
    )
    insert("check_channels", check_id=check_id, channel_id=channel_id)
    incident_id = insert(
        "incidents",
        project_id=project_id,
        check_id=check_id,
        status=open_word,
        cause="failed",
        cause_detail="exit status 1",
        last_ping=at,
        exit_status=1,
        body_excerpt="disk full",
        opened_at=at,
    )
    insert("incident_events", incident_id=incident_id, created=at, kind="opened", message="down")
    insert(
        "notifications",
        incident_id=incident_id,
        channel_id=channel_id,
        kind="down",
        status="sent",
        attempts=1,
        next_attempt_at=at,
        created=at,
        sent_at=at,
    )
    return incident_id


class Inserter:
    """Inserts a row of the columns the table has at this revision; returns its id."""

    def __init__(self, connection: sa.Connection, schema: sa.MetaData) -> None:
        self.connection = connection
        self.schema = schema

    def __call__(self, name: str, /, **values: Any) -> int:
        table = self.schema.tables[name]
        clause = typed(table)
        present = {key: value for key, value in values.items() if key in table.c}
        statement = sa.insert(clause).values(present)
        if "id" not in table.c:
            self.connection.execute(statement)
            return 0
        return int(self.connection.scalar(statement.returning(clause.c.id)))


# --- reading at the newest revision ---------------------------------------------------


def read_rows(connection: sa.Connection, shapes: list[Shape]) -> Rows:
    """Every row of the tables, in the columns they had at the old revision: read
    again after the upgrade, the same columns must hold the same values."""
    rows: Rows = {}
    for shape in shapes:
        query = sa.select(shape.table).order_by(*(shape.table.c[k] for k in shape.key))
        rows[shape.table.name] = [tuple(row) for row in connection.execute(query)]
    return rows


async def the_application_reads(database: Database, url: str, written: Written) -> None:
    """The upgraded database as the server uses it: checks listed, the real one read
    with its pings, its incident shown and acknowledged, and a ping taken through the
    ping path, which brings the check up and resolves the incident."""
    every_check = await database.read_with(check_store.list_checks)
    assert len(every_check) == ROWS + 1
    record = await database.read_with(check_store.check_by_uuid, written.check_uuid)
    assert record is not None
    assert (record.name, record.state.status, record.n_pings) == ("nightly backup", Status.DOWN, 2)
    pings = await database.read_with(ping_store.list_pings, record.id, 10)
    assert [(p.n, p.kind, p.exit_status) for p in pings] == [(2, "fail", 1), (1, "success", 0)]
    if written.incident_id is not None:
        await the_incident_shows(database, url, written.incident_id)
    await send_pings(url, record.uuid, [Action.SUCCESS])
    record = await database.read_with(check_store.check_by_uuid, written.check_uuid)
    assert record is not None
    assert (record.state.status, record.n_pings) == (Status.UP, 3)
    if written.incident_id is not None:
        incident = await database.read_with(incident_store.get_incident, written.incident_id)
        assert incident is not None
        assert incident.status == "resolved"


async def the_incident_shows(database: Database, url: str, incident_id: int) -> None:
    incident = await database.read_with(incident_store.get_incident, incident_id)
    assert incident is not None
    assert (incident.status, incident.cause, incident.body_excerpt) == (
        "open",
        "failed",
        "disk full",
    )
    context = Standalone(settings_for(url), FakeClock(T0 + timedelta(hours=3)), database)
    await incident_service.acknowledge(context, None, incident_id, "ops@example.com", "by hand")
    events = await database.read_with(incident_store.events_of, incident_id)
    assert [event.kind for event in events] == ["opened", "acknowledged"]
