"""Separate `tocsin notifier` processes on one database: each notification delivered
once however many run, and one claimed by a notifier that died is delivered by another."""

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.alerts.test_incidents import ping
from tests.helpers import T0, add_channel, make_check
from tests.receivers import HttpReceiver, Reply
from tocsin.domain.checks import Action
from tocsin.store.database import Database
from tocsin.store.fastpath.runners import BatchRunner
from tocsin.store.tables import notifications


class Notifiers:
    def __init__(self, database_url: str, directory: Path) -> None:
        self.database_url = database_url
        self.directory = directory
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, timeout: str = "5s") -> subprocess.Popen[bytes]:
        environment = {
            **os.environ,
            "TOCSIN_DATABASE_URL": self.database_url,
            "TOCSIN_ALLOW_PRIVATE_WEBHOOKS": "true",
            "TOCSIN_WATCHER_RECHECK": "100ms",
            "TOCSIN_NOTIFY_TIMEOUT": timeout,
        }
        log = (self.directory / f"notifier{len(self.processes)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "tocsin", "notifier"],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.processes.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            process.wait(timeout=15)


@pytest.fixture
def notifiers(database_url: str, tmp_path: Path) -> Iterator[Notifiers]:
    running = Notifiers(database_url, tmp_path)
    yield running
    running.stop_all()


async def statuses(database: Database) -> list[tuple[str, int]]:
    query = sa.select(notifications.c.status, notifications.c.attempts).order_by(notifications.c.id)
    async with database.read() as connection:
        return [(row.status, row.attempts) for row in await connection.execute(query)]


async def test_two_notifier_processes_deliver_each_notification_once(
    database: Database, runner: BatchRunner, receiver: HttpReceiver, notifiers: Notifiers
) -> None:
    for number in range(4):
        await add_channel(database, "webhook", {"url": f"{receiver.url}/{number}"})
    for _ in range(10):
        record = await make_check(database, now=T0)
        await ping(runner, record, T0, Action.FAIL)
    receiver.default = Reply(delay=0.02)  # deliveries overlap in time
    notifiers.start()
    notifiers.start()
    await receiver.wait_for(40, limit=30)
    await asyncio.sleep(1.0)  # room for a duplicate, if one could happen
    assert len(receiver.requests) == 40
    delivered = {(r.path, r.json()["incident"]["id"]) for r in receiver.requests}
    assert len(delivered) == 40
    assert {status for status, _ in await statuses(database)} == {"sent"}


async def test_a_notification_claimed_by_a_killed_notifier_is_delivered_by_another(
    database: Database, runner: BatchRunner, receiver: HttpReceiver, notifiers: Notifiers
) -> None:
    await add_channel(database, "webhook", {"url": f"{receiver.url}/hook"})
    record = await make_check(database, now=T0)
    await ping(runner, record, T0, Action.FAIL)
    receiver.replies = [Reply(delay=60)]  # the first sender never hears back
    first = notifiers.start(timeout="2s")  # so its claim lasts 6 s
    await receiver.wait_for(1, limit=30)
    first.send_signal(signal.SIGKILL)  # dies mid-delivery, its claim still held
    first.wait()
    notifiers.start(timeout="2s")
    await receiver.wait_for(2, limit=30)
    await asyncio.sleep(0.5)
    assert len(receiver.requests) == 2
    assert await statuses(database) == [("sent", 2)]
    # Delivered twice (at least once, by design), but as one notification.
    [sent, sent_again] = [request.headers["idempotency-key"] for request in receiver.requests]
    assert sent == sent_again
