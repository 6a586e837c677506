"""A real server whose database the test takes away while jobs keep pinging, retrying
as `curl --retry` does: a PostgreSQL server of the test's own, stopped and frozen, and
a SQLite file another process holds locked. Pings are refused with 503 while it is
down, one warning says so, and no job is reported down for the time its pings could
not be recorded."""

import asyncio
import contextlib
import functools
import re
import signal
import sys
from asyncio.subprocess import PIPE
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import Server, settings_for, start_server, stop_server
from tests.e2e.test_processes import start_watcher, started
from tests.helpers import eventually, make_check
from tests.postgres_cluster import PostgresCluster
from tocsin.domain.records import CheckRecord
from tocsin.domain.schedule import Period
from tocsin.store.database import Database
from tocsin.store.keys import create_key
from tocsin.store.projects import default_project
from tocsin.store.tables import flips, pings

pytestmark = pytest.mark.slow

JOBS = 10
PERIOD = timedelta(seconds=1)
# Slack for a job late on a loaded machine; the outage still outlasts period + grace.
GRACE = timedelta(seconds=3)
# Well past period + grace, so that every check's deadline passes during it.
OUTAGE = 10.0  # seconds
FIRST_RETRY = 1.0  # curl's first wait, doubled at each retry
ATTEMPT_TIMEOUT = 3.0  # curl --max-time: a frozen server answers nothing


class Jobs:
    """Jobs that each ping their check every PERIOD, retrying a failed ping as
    `curl --retry --max-time` does, and count the answers they got."""

    def __init__(self, server: Server, checks: list[CheckRecord]) -> None:
        self.server = server
        self.checks = checks
        self.answers: Counter[str] = Counter()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with httpx.AsyncClient(base_url=self.server.url, timeout=ATTEMPT_TIMEOUT) as client:
            tasks = [asyncio.create_task(self.job(client, check)) for check in self.checks]
            try:
                yield
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    async def job(self, client: httpx.AsyncClient, check: CheckRecord) -> None:
        while True:
            await self.ping(client, f"/ping/{check.uuid}")
            await asyncio.sleep(PERIOD.total_seconds())  # the job's own schedule

    async def ping(self, client: httpx.AsyncClient, path: str) -> None:
        wait = FIRST_RETRY
        while not await self.attempt(client, path):
            await asyncio.sleep(wait)
            wait = min(wait * 2, 600)

    async def attempt(self, client: httpx.AsyncClient, path: str) -> bool:
        try:
            status = (await client.get(path)).status_code
        except httpx.TransportError as error:
            self.answers[type(error).__name__] += 1
            return False
        self.answers[str(status)] += 1
        return status == 200


@pytest.fixture
async def outage_server(private_postgres: PostgresCluster, tmp_path: Path) -> AsyncIterator[Server]:
    server = start_server(private_postgres.url, tmp_path / "server.log")
    yield server
    private_postgres.thaw()
    await asyncio.to_thread(stop_server, server)


@pytest.fixture
async def outage_database(outage_server: Server) -> AsyncIterator[Database]:
    database = Database(settings_for(outage_server.database_url))
    yield database
    await database.close()


def errors_of_pings_and_watcher(log: str) -> list[str]:
    """The log's errors from the ping intake, the watcher and the store: an outage is a
    warning when it begins and one when it ends, never an error per ping or pass."""
    return re.findall(r"^.* ERROR tocsin\.(?:pings|watcher|store): .*$", log, re.MULTILINE)


async def make_checks(database: Database) -> list[CheckRecord]:
    return [await make_check(database, schedule=Period(PERIOD), grace=GRACE) for _ in range(JOBS)]


async def count_down_flips(database: Database) -> int:
    query = sa.select(sa.func.count()).select_from(flips).where(flips.c.new_status == "down")
    async with database.read() as connection:
        return int(await connection.scalar(query) or 0)


async def pinged_since(database: Database, moment: datetime) -> int:
    """How many checks have a ping recorded since `moment`."""
    query = sa.select(sa.func.count(sa.distinct(pings.c.check_id))).where(pings.c.created >= moment)
    async with database.read() as connection:
        return int(await connection.scalar(query) or 0)


async def every_check_pinged_since(database: Database, moment: datetime) -> bool:
    with contextlib.suppress(OSError, sa.exc.DBAPIError):  # still coming back
        return await pinged_since(database, moment) == JOBS
    return False


async def survive(
    database: Database,
    server: Server,
    jobs: Jobs,
    interrupt: Callable[[], Awaitable[None]],
    restore: Callable[[], Awaitable[None]],
    outage: float = OUTAGE,
) -> None:
    """Jobs pinging all along; the database interrupted for `outage` seconds, then back."""
    async with jobs.running():
        started = datetime.now(UTC)
        assert await eventually(lambda: every_check_pinged_since(database, started), limit=30)
        await interrupt()
        await asyncio.sleep(outage)  # the outage itself, not a wait for something
        await restore()
        back = datetime.now(UTC)
        # Each job's retry lands up to an outage's length after the return.
        assert await eventually(lambda: every_check_pinged_since(database, back), limit=60), (
            server.log()
        )
    assert await count_down_flips(database) == 0, server.log()


Interruption = tuple[Callable[[], Awaitable[None]], Callable[[], Awaitable[None]]]


def interruption(cluster: PostgresCluster, how: str) -> Interruption:
    """How to take the server away and give it back: a fast shutdown and a start (every
    client gets an error), or SIGSTOP and SIGCONT (no client gets anything)."""

    async def stop() -> None:
        await asyncio.to_thread(cluster.stop)

    async def start() -> None:
        await asyncio.to_thread(cluster.start)

    async def freeze() -> None:
        cluster.freeze()

    async def thaw() -> None:
        cluster.thaw()

    return (stop, start) if how == "stopped" else (freeze, thaw)


async def test_no_check_goes_down_for_a_database_stopped_longer_than_its_grace(
    private_postgres: PostgresCluster, outage_server: Server, outage_database: Database
) -> None:
    checks = await make_checks(outage_database)
    jobs = Jobs(outage_server, checks)
    interrupt, restore = interruption(private_postgres, "stopped")
    await survive(outage_database, outage_server, jobs, interrupt, restore)
    assert jobs.answers["503"] > 0  # the pings during the outage were refused
    log = outage_server.log()
    assert "held back the deadlines of" in log
    assert errors_of_pings_and_watcher(log) == []


async def test_no_check_goes_down_for_a_database_frozen_longer_than_its_grace(
    private_postgres: PostgresCluster, outage_server: Server, outage_database: Database
) -> None:
    checks = await make_checks(outage_database)
    jobs = Jobs(outage_server, checks)
    interrupt, restore = interruption(private_postgres, "frozen")
    await survive(outage_database, outage_server, jobs, interrupt, restore)
    log = outage_server.log()
    assert "the database stalled for" in log
    assert "held back the deadlines of" in log
    assert errors_of_pings_and_watcher(log) == []


@pytest.mark.parametrize("how", ["stopped", "frozen"])
async def test_no_check_goes_down_when_separate_watchers_share_the_interrupted_database(
    private_postgres: PostgresCluster, tmp_path: Path, how: str
) -> None:
    """A server without a watcher and two `tocsin watcher` processes: each learns of
    the outage from its own work, or from the deadlines another process held back."""
    server = start_server(private_postgres.url, tmp_path / "server.log", "--no-watcher")
    logs = [tmp_path / f"watcher{i}.log" for i in range(2)]
    watchers = [start_watcher(private_postgres.url, log) for log in logs]
    database = Database(settings_for(private_postgres.url))
    try:
        for log in logs:
            assert await eventually(functools.partial(started, log), limit=30)
        jobs = Jobs(server, await make_checks(database))
        interrupt, restore = interruption(private_postgres, how)
        await survive(database, server, jobs, interrupt, restore)
        texts = [server.log(), *(log.read_text() for log in logs)]
        assert any("held back the deadlines of" in text for text in texts)
        assert [errors_of_pings_and_watcher(text) for text in texts] == [[], [], []]
    finally:
        private_postgres.thaw()
        for watcher in watchers:
            watcher.send_signal(signal.SIGTERM)
        for watcher in watchers:
            await asyncio.to_thread(watcher.wait, 15)
        await database.close()
        await asyncio.to_thread(stop_server, server)


async def test_pings_get_503_while_the_database_restarts_and_the_log_says_so_once(
    private_postgres: PostgresCluster, outage_server: Server, outage_database: Database
) -> None:
    """Pinged as hard as clients can through a fast shutdown and a start: every ping is
    answered 200 or 503, and the outage is two warnings, not a traceback per ping."""
    check = await make_check(outage_database)
    answers: Counter[int] = Counter()

    async def hammer(client: httpx.AsyncClient) -> None:
        while True:
            answers[(await client.get(f"/ping/{check.uuid}")).status_code] += 1

    async def answered(status: int, more_than: int) -> bool:
        return answers[status] > more_than

    limits = httpx.Limits(max_connections=8)
    async with httpx.AsyncClient(base_url=outage_server.url, timeout=30, limits=limits) as client:
        hammers = [asyncio.create_task(hammer(client)) for _ in range(8)]
        try:
            assert await eventually(lambda: answered(200, 100), limit=30)
            await asyncio.to_thread(private_postgres.stop)
            assert await eventually(lambda: answered(503, 100), limit=30)
            refused = answers[503]
            ok = answers[200]
            await asyncio.to_thread(private_postgres.start)
            assert await eventually(lambda: answered(200, ok + 100), limit=30)
        finally:
            for task in hammers:
                task.cancel()
            await asyncio.gather(*hammers, return_exceptions=True)
    assert set(answers) == {200, 503}
    assert refused > 100
    log = outage_server.log()
    assert errors_of_pings_and_watcher(log) == []
    assert log.count("the database is unavailable") == 1
    assert log.count("the database is back after") == 1


LOCK_HOLDER = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
connection.execute("ROLLBACK")
"""


async def test_no_check_goes_down_while_another_process_holds_the_sqlite_database_locked(
    database_url: str, tmp_path: Path
) -> None:
    """A backup, a migration or someone's `sqlite3` shell holding a write transaction
    longer than the server waits for the lock (10 s): pings stuck, then refused."""
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's own outage; PostgreSQL's are the tests above")
    server = start_server(database_url, tmp_path / "server.log")
    database = Database(settings_for(database_url))
    holder: asyncio.subprocess.Process | None = None

    async def lock() -> None:
        nonlocal holder
        path = database_url.removeprefix("sqlite:///")
        holder = await asyncio.create_subprocess_exec(
            sys.executable, "-c", LOCK_HOLDER, path, stdin=PIPE, stdout=PIPE
        )
        assert holder.stdout is not None
        assert await holder.stdout.readline() == b"locked\n"

    async def unlock() -> None:
        assert holder is not None
        await holder.communicate(b"\n")

    try:
        jobs = Jobs(server, await make_checks(database))
        await survive(database, server, jobs, lock, unlock, outage=15.0)
        log = server.log()
        assert "held back the deadlines of" in log
        assert errors_of_pings_and_watcher(log) == []
    finally:
        if holder is not None and holder.returncode is None:
            holder.kill()
            await holder.communicate()
        await database.close()
        await asyncio.to_thread(stop_server, server)


async def test_the_api_answers_503_while_the_database_restarts(
    private_postgres: PostgresCluster, outage_server: Server, outage_database: Database
) -> None:
    """Pooled connections die in a fast shutdown, and new ones meet "the database system
    is shutting down" and then "starting up": the API answers 503 throughout, no 500."""
    await make_check(outage_database)
    async with outage_database.write() as connection:
        project_id = await connection.run_sync(default_project, datetime.now(UTC))
        _, key = await connection.run_sync(create_key, project_id, "", True, datetime.now(UTC))
    answers: Counter[int] = Counter()

    async def hammer(client: httpx.AsyncClient) -> None:
        while True:
            response = await client.get("/api/v3/checks/", headers={"X-Api-Key": key})
            answers[response.status_code] += 1

    limits = httpx.Limits(max_connections=8)
    async with httpx.AsyncClient(base_url=outage_server.url, timeout=30, limits=limits) as client:
        hammers = [asyncio.create_task(hammer(client)) for _ in range(8)]
        try:
            for _ in range(3):
                assert await twenty_more(answers, 200), answers
                await asyncio.to_thread(private_postgres.stop)
                assert await twenty_more(answers, 503), answers
                await asyncio.to_thread(private_postgres.start)
        finally:
            for task in hammers:
                task.cancel()
            await asyncio.gather(*hammers, return_exceptions=True)
    assert set(answers) == {200, 503}, answers


async def twenty_more(answers: Counter[int], status: int) -> bool:
    target = answers[status] + 20

    async def enough() -> bool:
        return answers[status] >= target

    return await eventually(enough, limit=30)
