"""The notifier under faults: a receiver slower than the alerts come, one that asks
for an absurd wait, a database that drops while alerts are in flight."""

import asyncio
import sqlite3
from collections import Counter
from datetime import timedelta
from typing import Protocol

import pytest
import sqlalchemy as sa

from tests.alerts.test_notifier import failing_check, notifier, outbound, rows
from tests.conftest import migrate_url, settings_for
from tests.helpers import T0, FakeClock, add_channel
from tests.postgres_cluster import PostgresCluster
from tests.receivers import HttpReceiver, Reply, http_receiver
from tocsin.alerts.notifier import LONGEST_RETRY_AFTER
from tocsin.notify.http import PER_HOST, http_client
from tocsin.store.database import Database
from tocsin.store.errors import unavailable
from tocsin.store.fastpath import runners
from tocsin.store.fastpath.runners import BatchRunner, batch_runner
from tocsin.store.tables import notifications

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


async def test_a_receiver_asking_for_an_absurd_wait_holds_up_no_other_alert(
    database: Database, runner: BatchRunner, receiver: HttpReceiver
) -> None:
    # 21 digits: more seconds than a timedelta holds. The notifier runs as it does in
    # `tocsin serve`, passes that fail included, so a jammed one shows as alerts that
    # never arrive, not as an exception.
    receiver.default = Reply(429, b"slow down", {"Retry-After": "9" * 21})
    await add_channel(database, "webhook", {"url": f"{receiver.url}/greedy"}, "greedy")
    async for other in http_receiver():
        await add_channel(database, "webhook", {"url": f"{other.url}/hook"}, "other")
        await failing_check(database, runner)
        clock = FakeClock(T0 + S)
        async with http_client() as client:
            sender = notifier(database, runner, outbound(client), clock)
            running = asyncio.create_task(sender.run())
            try:
                await receiver.wait_for(1)
                await failing_check(database, runner)  # a second alert, after the 429
                sender.wake()
                await other.wait_for(2)
            finally:
                sender.stop()
                await running
    statuses = Counter(status for _, status, _, _ in await rows(database))
    assert statuses == {"sent": 2, "pending": 2}
    assert len(receiver.requests) == 2
    async with database.read() as connection:
        retries = await connection.scalars(
            sa.select(notifications.c.next_attempt_at).where(notifications.c.status == "pending")
        )
        assert set(retries) == {clock.current + LONGEST_RETRY_AFTER}


class CrashingPostgres:
    """An outage of PostgreSQL: the test's own server stops as in a crash, connections cut."""

    def __init__(self, cluster: PostgresCluster) -> None:
        self.cluster = cluster

    async def stop(self) -> None:
        await asyncio.to_thread(self.cluster.stop, "immediate")

    async def start(self) -> None:
        await asyncio.to_thread(self.cluster.start)


async def test_alerts_sent_while_postgresql_was_down_are_recorded_not_sent_again(
    private_postgres: PostgresCluster, receiver: HttpReceiver
) -> None:
    await migrate_url(private_postgres.url)
    database = Database(settings_for(private_postgres.url))
    runner = batch_runner(database)
    outage = CrashingPostgres(private_postgres)
    try:
        await sends_survive_an_outage(database, runner, receiver, outage)
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
        failed = (await asyncio.gather(delivering, return_exceptions=True))[0]
        assert isinstance(failed, Exception)
        assert unavailable(failed)
        await outage.start()
        clock.advance(timedelta(minutes=5))  # the claim has run out meanwhile
        await sender.deliver_due()
        await sender.deliver_due()
    assert len(receiver.requests) == 3
    assert [(status, attempts) for _, status, attempts, _ in await rows(database)] == [
        ("sent", 1)
    ] * 3
