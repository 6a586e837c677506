"""Small pieces tests share: a clock we move by hand and quick ways to make checks."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from tocsin.schedule import Period, Schedule
from tocsin.store import checks as check_store
from tocsin.store import pings as ping_store
from tocsin.store.checks import CheckRecord, NewCheck
from tocsin.store.database import Database
from tocsin.store.pings import PingRecord

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
    async with database.write() as connection:
        project_id = await check_store.ensure_default_project(connection, created)
        return await check_store.insert_check(connection, project_id, spec, created)


async def reload(database: Database, record: CheckRecord) -> CheckRecord:
    async with database.read() as connection:
        found = await check_store.check_by_uuid(connection, record.uuid)
    assert found is not None
    return found


async def ping_key(database: Database) -> str:
    async with database.write() as connection:
        project_id = await check_store.ensure_default_project(connection, datetime.now(UTC))
        return await check_store.project_ping_key(connection, project_id)


async def pings_of(database: Database, record: CheckRecord) -> list[PingRecord]:
    """The check's pings, oldest first."""
    async with database.read() as connection:
        return list(reversed(await ping_store.list_pings(connection, record.id, 100_000)))


async def flips_of(database: Database, record: CheckRecord) -> list[tuple[str, str, str]]:
    """(from, to, reason) of the check's flips, oldest first."""
    async with database.read() as connection:
        flips = await check_store.list_flips(connection, record.id)
    return [(f.flip.old_status, f.flip.new_status, f.flip.reason) for f in reversed(flips)]


async def stored_body(database: Database, record: CheckRecord, n: int) -> bytes | None:
    async with database.read() as connection:
        return await ping_store.ping_body(connection, record.id, n)


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
