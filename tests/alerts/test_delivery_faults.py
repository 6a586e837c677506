"""The notifier under faults: a receiver slower than the alerts come, a database that
drops while alerts are in flight."""

import asyncio
import contextlib
import glob
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Protocol

import pytest

from tests.alerts.test_notifier import failing_check, notifier, outbound, rows
from tests.conftest import free_port, migrate_url, settings_for
from tests.helpers import T0, FakeClock, add_channel
from tests.receivers import HttpReceiver, Reply
from tocsin.alerts.notifier import DATABASE_ERRORS
from tocsin.notify.http import PER_HOST, http_client
from tocsin.store import runners
from tocsin.store.database import Database
from tocsin.store.runners import BatchRunner, batch_runner

S = timedelta(seconds=1)


async def test_alerts_queued_behind_a_slow_receiver_are_all_delivered_none_given_up(
    database: Database, runner: BatchRunner, receiver: HttpReceiver
) -> None:
    # Six times more alerts than connections to the host, each answered in half the
    # timeout: most wait for a connection until they time out, round after round.
    await add_channel(database, "webhook", {"url": f"{receiver.url}/slow"})
    for _ in range(PER_HOST * 6):
        await failing_check(database, runner)
    receiver.default = Reply(delay=0.25)
    clock = FakeClock(T0 + S)
    async with http_client() as client:
        sender = notifier(database, runner, outbound(client, timeout=0.5), clock, 0.5 * S)
        for _ in range(30):
            await sender.deliver_due()
            if all(status != "pending" for _, status, _, _ in await rows(database)):
                break
            clock.advance(timedelta(minutes=10))  # every retry is due
    statuses = Counter(status for _, status, _, _ in await rows(database))
    assert statuses == {"sent": PER_HOST * 6}
    delivered = {request.json()["incident"]["id"] for request in receiver.requests}
    assert len(delivered) == PER_HOST * 6


class PrivateCluster:
    """A PostgreSQL cluster of this test's own, on a free port, to stop and start at
    will (never the shared server). Run as the `postgres` user, as the server insists."""

    def __init__(self, directory: Path, port: int) -> None:
        self.directory = directory
        self.data = directory / "data"
        self.port = port
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def create(self) -> None:
        self.run(initdb(), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-N")

    async def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} -c fsync=off"
        log = str(self.directory / "server.log")
        await self.pg_ctl("start", "-w", "-t", "60", "-l", log, "-o", options)

    async def stop(self) -> None:
        """An immediate stop: the server goes as in a crash, connections cut."""
        await self.pg_ctl("stop", "-m", "immediate", "-w", "-t", "60")

    async def pg_ctl(self, *arguments: str) -> None:
        pg_ctl = str(Path(initdb()).parent / "pg_ctl")
        await asyncio.to_thread(self.run, pg_ctl, "-D", str(self.data), *arguments)

    def run(self, *command: str) -> None:
        as_postgres = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(as_postgres, check=True, capture_output=True, timeout=120)


def initdb() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return found[-1] if found else ""


@pytest.fixture
async def private_cluster() -> AsyncIterator[PrivateCluster]:
    if not initdb() or os.geteuid() != 0 or not shutil.which("runuser"):
        pytest.skip("needs PostgreSQL's initdb and root, to run a cluster as `postgres`")
    directory = Path(tempfile.mkdtemp(prefix="tocsin-pg-"))
    shutil.chown(directory, "postgres", "postgres")
    cluster = PrivateCluster(directory, free_port())
    try:
        await asyncio.to_thread(cluster.create)
        await cluster.start()
        yield cluster
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            await cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)


async def test_alerts_sent_while_postgresql_was_down_are_recorded_not_sent_again(
    private_cluster: PrivateCluster, receiver: HttpReceiver
) -> None:
    await migrate_url(private_cluster.url)
    database = Database(settings_for(private_cluster.url))
    runner = batch_runner(database)
    try:
        await sends_survive_an_outage(database, runner, receiver, private_cluster)
    finally:
        await runner.close()
        await database.close()


async def test_alerts_sent_while_sqlite_was_locked_are_recorded_not_sent_again(
    database: Database,
    runner: BatchRunner,
    receiver: HttpReceiver,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not database.is_sqlite:
        pytest.skip("SQLite's lock; PostgreSQL's outage has a test of its own")
    # Another process holds the write lock longer than a batch waits for it.
    monkeypatch.setattr(runners, "LOCK_WAIT", timedelta(milliseconds=200))
    other = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        await sends_survive_an_outage(database, runner, receiver, SqliteLock(other))
    finally:
        other.close()


class SqliteLock:
    """An outage of SQLite: another connection takes the write lock and keeps it."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    async def stop(self) -> None:
        self.connection.execute("BEGIN IMMEDIATE")

    async def start(self) -> None:
        self.connection.execute("ROLLBACK")


class Outage(Protocol):
    async def stop(self) -> None: ...

    async def start(self) -> None: ...


async def sends_survive_an_outage(
    database: Database, runner: BatchRunner, receiver: HttpReceiver, outage: Outage
) -> None:
    """Alerts in flight when the database goes: the notifier cannot record that they
    were delivered, and its claim runs out while the database is away. Once it is
    back, each alert is recorded as sent, and none is sent a second time."""
    await add_channel(database, "webhook", {"url": f"{receiver.url}/hook"})
    for _ in range(3):
        await failing_check(database, runner)
    answer = asyncio.Event()
    receiver.default = Reply(hold=answer)
    clock = FakeClock(T0 + S)
    async with http_client() as client:
        sender = notifier(database, runner, outbound(client), clock)
        delivering = asyncio.create_task(sender.deliver_due())
        await receiver.wait_for(3)
        await outage.stop()
        answer.set()  # delivered, but the database is gone
        with pytest.raises(DATABASE_ERRORS):
            await delivering
        await outage.start()
        clock.advance(timedelta(minutes=5))  # the claim has run out meanwhile
        await sender.deliver_due()
        await sender.deliver_due()
    assert len(receiver.requests) == 3
    assert [(status, attempts) for _, status, attempts, _ in await rows(database)] == [
        ("sent", 1)
    ] * 3
