"""A server killed with SIGKILL in the middle of a stream of pings: every ping it had
answered 200 is in the database once it is started again, on SQLite with
`synchronous=FULL` (the ping log's promise) and on PostgreSQL alike."""

import asyncio
import signal
from collections import Counter
from pathlib import Path

from tests.conftest import Server, start_server, stop_server
from tests.helpers import eventually, make_check, pings_of, read_response_status
from tocsin.domain.records import CheckRecord
from tocsin.store.database import Database

CHECKS = 8
CLIENTS = 24
ACKNOWLEDGED_BEFORE_THE_KILL = 1_500


class Acknowledged:
    """The pings the server answered 200, counted per check."""

    def __init__(self) -> None:
        self.per_check: Counter[str] = Counter()

    @property
    def total(self) -> int:
        return sum(self.per_check.values())


async def ping_until_refused(
    server: Server, checks: list[CheckRecord], client: int, acknowledged: Acknowledged
) -> None:
    """One keep-alive connection pinging the checks in turn until the server is gone."""
    host, port = server.url.removeprefix("http://").split(":")
    try:
        reader, writer = await asyncio.open_connection(host, int(port))
    except OSError:
        return
    try:
        for n in range(1_000_000):
            check = checks[(client + n) % len(checks)]
            request = f"POST /ping/{check.uuid} HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx"
            writer.write(request.encode())
            if await read_response_status(reader) == 200:
                acknowledged.per_check[str(check.uuid)] += 1
    except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
        return  # killed mid-answer: a ping with no answer was never promised
    finally:
        writer.close()


async def test_every_answered_ping_survives_a_kill_9(
    database_url: str, database: Database, tmp_path: Path
) -> None:
    checks = [await make_check(database, name=f"job {n}") for n in range(CHECKS)]
    server = start_server(database_url, tmp_path / "1.log", TOCSIN_SQLITE_SYNCHRONOUS="FULL")
    acknowledged = Acknowledged()
    clients = [
        asyncio.create_task(ping_until_refused(server, checks, n, acknowledged))
        for n in range(CLIENTS)
    ]

    async def enough_answered() -> bool:
        return acknowledged.total >= ACKNOWLEDGED_BEFORE_THE_KILL

    assert await eventually(enough_answered, 120), server.log()
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(timeout=30)
    await asyncio.wait_for(asyncio.gather(*clients), 60)
    stop_server(server)

    # Started again, the server replays what its log holds and the database did not.
    again = start_server(database_url, tmp_path / "2.log", TOCSIN_SQLITE_SYNCHRONOUS="FULL")
    stop_server(again)
    for check in checks:
        stored = len(await pings_of(database, check))
        assert stored >= acknowledged.per_check[str(check.uuid)], (check.name, again.log())
