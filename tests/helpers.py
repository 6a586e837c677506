"""Small pieces tests share: a clock we move by hand and quick ways to make checks."""

import asyncio
import json
import shutil
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from typer.testing import CliRunner

from tocsin.cli import app
from tocsin.config import Settings
from tocsin.domain.checks import Action
from tocsin.domain.records import ChannelRow, CheckRecord, Incident, NewCheck, Ping
from tocsin.domain.schedule import Period, Schedule
from tocsin.pings.intake import PingIntake, PingRequest
from tocsin.pings.urls import ByUuid, PingUrl
from tocsin.services.checks import every_channel, insert_check_in
from tocsin.store import checks as check_store
from tocsin.store import pings as ping_store
from tocsin.store.channels import (
    insert_channel,
    insert_policy,
    set_check_policy,
)
from tocsin.store.database import Database
from tocsin.store.fastpath.runners import batch_runner
from tocsin.store.incidents import events_of, incident_from_row
from tocsin.store.projects import default_project, insert_project
from tocsin.store.projects import ping_key as project_ping_key
from tocsin.store.tables import incidents, notifications

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, start: datetime = T0) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> datetime:
        self.current += delta
        return self.current


async def make_check(
    database: Database,
    *,
    schedule: Schedule | None = None,
    grace: timedelta = timedelta(minutes=5),
    now: datetime | None = None,
    **fields: object,
) -> CheckRecord:
    spec = NewCheck(
        schedule=schedule or Period(timedelta(hours=1)),
        grace=grace,
        **fields,  # type: ignore[arg-type]
    )
    created = now or datetime.now(UTC)

    def work(connection: sa.Connection) -> CheckRecord:
        project_id = default_project(connection, created)
        # The way every check is made, with every channel of its project, as
        # `tocsin check create` makes one.
        return insert_check_in(connection, project_id, spec, created, every_channel)

    return await database.write_with(work)


async def reload(database: Database, record: CheckRecord) -> CheckRecord:
    found = await database.read_with(check_store.check_by_uuid, record.uuid)
    assert found is not None
    return found


async def ping_key(database: Database) -> str:
    def work(connection: sa.Connection) -> str:
        return project_ping_key(connection, default_project(connection, datetime.now(UTC)))

    return await database.write_with(work)


async def pings_of(database: Database, record: CheckRecord) -> list[Ping]:
    """The check's pings, oldest first."""
    return list(reversed(await database.read_with(ping_store.list_pings, record.id, 100_000)))


async def flips_of(database: Database, record: CheckRecord) -> list[tuple[str, str, str]]:
    """(from, to, reason) of the check's flips, oldest first."""
    flips = await database.read_with(check_store.list_flips, record.id)
    return [(f.flip.old_status, f.flip.new_status, f.flip.reason) for f in reversed(flips)]


async def stored_body(database: Database, record: CheckRecord, n: int) -> bytes | None:
    return await database.read_with(ping_store.ping_body, record.id, n)


async def hammer(base_url: str, path: str, connections: int, per_connection: int) -> list[int]:
    """Status codes of many keep-alive GETs over parallel connections. A bare client,
    because httpx's pool slows to tens of requests a second at this concurrency."""
    host, port = base_url.removeprefix("http://").split(":")
    codes: list[int] = []

    async def one_connection() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
        for _ in range(per_connection):
            writer.write(request)
            codes.append(await read_response_status(reader))
        writer.close()
        await writer.wait_closed()

    await asyncio.gather(*(one_connection() for _ in range(connections)))
    return codes


async def read_response_status(reader: asyncio.StreamReader) -> int:
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) != b"\r\n":
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def eventually(probe: Callable[[], Awaitable[bool]], limit: float) -> bool:
    """Poll `probe` until it holds or `limit` seconds pass; returns its last answer."""
    give_up = time.monotonic() + limit
    while time.monotonic() < give_up:
        if await probe():
            return True
        await asyncio.sleep(0.05)
    return await probe()


async def add_channel(
    database: Database, kind: str, config: dict[str, object], name: str = ""
) -> ChannelRow:
    """A channel of the default project, used by every check there."""

    def work(connection: sa.Connection) -> ChannelRow:
        now = datetime.now(UTC)
        project_id = default_project(connection, now)
        return insert_channel(
            connection, project_id, kind, name, dict(config), now, assign_to_all_checks=True
        )

    async with database.write() as connection:
        return await connection.run_sync(work)


async def add_policy(
    database: Database,
    name: str,
    steps: list[tuple[timedelta, list[ChannelRow]]],
    **options: object,
) -> int:
    def work(connection: sa.Connection) -> int:
        now = datetime.now(UTC)
        project_id = default_project(connection, now)
        by_id = [(wait, [c.id for c in chosen]) for wait, chosen in steps]
        return insert_policy(connection, project_id, name, by_id, now, **options)  # type: ignore[arg-type]

    async with database.write() as connection:
        return await connection.run_sync(work)


async def use_policy(database: Database, record: CheckRecord, policy_id: int | None) -> None:
    async with database.write() as connection:
        await connection.run_sync(set_check_policy, record.id, policy_id)


async def incidents_of(database: Database, record: CheckRecord) -> list[Incident]:
    query = sa.select(incidents).where(incidents.c.check_id == record.id).order_by(incidents.c.id)
    async with database.read() as connection:
        rows = (await connection.execute(query)).all()
    return [incident_from_row(row) for row in rows]


async def timeline(database: Database, incident_id: int) -> list[tuple[str, str]]:
    async with database.read() as connection:
        events = await connection.run_sync(events_of, incident_id)
    return [(event.kind, event.message) for event in events]


async def outbox(database: Database) -> list[tuple[int, str, str]]:
    """(channel id, kind, status) of every notification, oldest first."""
    query = sa.select(
        notifications.c.channel_id, notifications.c.kind, notifications.c.status
    ).order_by(notifications.c.id)
    async with database.read() as connection:
        rows = (await connection.execute(query)).all()
    return [(row.channel_id, row.kind, row.status) for row in rows]


def run_ok(cli: CliRunner, *args: str) -> str:
    """Run a `tocsin` command that must succeed; its output."""
    result = cli.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def run_json(cli: CliRunner, *args: str) -> Any:
    return json.loads(run_ok(cli, *args, "--json"))


async def send_pings(database_url: str, check: UUID, actions: list[Action]) -> None:
    """Pings through the real write path, from a process of the test's own."""
    database = Database(Settings.from_env({}, database_url=database_url))
    runner = batch_runner(database)
    intake = PingIntake(runner, lambda _deadline: None)
    writer = asyncio.create_task(intake.run())
    for action in actions:
        await intake.submit(PingRequest(PingUrl(ByUuid(check.hex), action), datetime.now(UTC)))
    intake.stop()
    await writer
    await runner.close()
    await database.close()


async def make_projects(database: Database, now: datetime) -> tuple[int, int]:
    """The default project and another one: (ours, theirs)."""

    def work(connection: sa.Connection) -> tuple[int, int]:
        return default_project(connection, now), insert_project(connection, "Other", now)

    async with database.write() as connection:
        return await connection.run_sync(work)


def put_back_sqlite_backup(backup: Path, database: Path) -> None:
    """The restore README.md describes, with the server stopped: the WAL and its index
    go, the backup takes the database's place; the ping log stays where it was."""
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(backup, database)
