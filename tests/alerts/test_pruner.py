"""The pruner: what has aged out is deleted a bounded batch at a time, and what the
service still needs stays. Driven with a fake clock over the real database."""

import asyncio
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import pytest
import sqlalchemy as sa

from tests.conftest import BACKEND
from tests.helpers import (
    T0,
    FakeClock,
    add_channel,
    eventually,
    flips_of,
    incidents_of,
    make_check,
    pings_of,
    reload,
    timeline,
)
from tocsin.alerts.pruner import BATCH_ROWS, Pruner, Retention, ping_batches
from tocsin.alerts.watcher import DeadlineWatcher
from tocsin.config import Settings
from tocsin.domain.checks import Action
from tocsin.domain.records import CheckRecord
from tocsin.domain.schedule import validate_maintenance
from tocsin.domain.windows import OneOff, Scope, Window
from tocsin.pings.intake import PingIntake, PingRequest
from tocsin.pings.urls import ByUuid, PingUrl
from tocsin.store import maintenance as window_store
from tocsin.store import pings as ping_store
from tocsin.store import users as user_store
from tocsin.store.database import Database
from tocsin.store.fastpath.runners import BatchRunner, batch_runner
from tocsin.store.retention import ADVISORY_LOCK_KEY, PingExcess
from tocsin.store.tables import invitations, login_failures, notifications, web_sessions

DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)
KEEP = Retention(
    pings=5, incidents=30 * DAY, flips=30 * DAY, notifications=7 * DAY, interval=5 * MINUTE
)


class CountingRunner:
    """The batch runner, remembering what each of its transactions returned."""

    def __init__(self, runner: BatchRunner) -> None:
        self.runner = runner
        self.results: list[Any] = []

    async def run_aside(self, batch: Any) -> Any:
        result = await self.runner.run_aside(batch)
        self.results.append(result)
        return result


async def send(runner: BatchRunner, record: CheckRecord, times: list[datetime]) -> None:
    """Pings through the real intake, one committed batch each."""
    intake = PingIntake(runner, lambda _deadline: None)
    writer = asyncio.create_task(intake.run())
    for at in times:
        await intake.submit(PingRequest(PingUrl(ByUuid(record.uuid.hex), Action.SUCCESS), at))
    intake.stop()
    await writer


def minutes(count: int, start: datetime = T0) -> list[datetime]:
    return [start + i * MINUTE for i in range(count)]


async def test_it_keeps_the_newest_pings_of_each_check_and_still_counts_them_all(
    database: Database, runner: BatchRunner
) -> None:
    busy, quiet = await make_check(database, now=T0), await make_check(database, now=T0)
    await send(runner, busy, minutes(23))
    await send(runner, quiet, minutes(3))
    counting = CountingRunner(runner)
    pruner = Pruner(database, counting, FakeClock(T0 + DAY), KEEP, batch_rows=4)

    deleted = await pruner.prune_once()

    assert deleted["pings"] == 18
    assert [ping.n for ping in await pings_of(database, busy)] == [19, 20, 21, 22, 23]
    assert [ping.n for ping in await pings_of(database, quiet)] == [1, 2, 3]
    assert (await reload(database, busy)).n_pings == 23
    # Eighteen pings, at most four a transaction.
    assert [deleted for deleted, _took in counting.results[:5]] == [4, 4, 4, 4, 2]
    assert pruner.transactions.count == len(counting.results)
    assert (await pruner.prune_once())["pings"] == 0


async def test_the_pages_of_recent_pings_read_the_same_after_pruning(
    database: Database, runner: BatchRunner
) -> None:
    record = await make_check(database, now=T0)
    await send(runner, record, minutes(12))
    histories = await database.read_with(ping_store.project_histories, record.project_id, 5)
    await Pruner(database, runner, FakeClock(T0 + DAY), KEEP).prune_once()
    after = await database.read_with(ping_store.project_histories, record.project_id, 5)
    assert after == histories
    assert await database.read_with(ping_store.ping_body, record.id, 7) is None


async def test_keeping_zero_pings_keeps_every_ping(database: Database, runner: BatchRunner) -> None:
    record = await make_check(database, now=T0)
    await send(runner, record, minutes(8))
    keep_all = Retention(0, KEEP.incidents, KEEP.flips, KEEP.notifications, KEEP.interval)
    deleted = await Pruner(database, runner, FakeClock(T0 + DAY), keep_all).prune_once()
    assert deleted["pings"] == 0
    assert len(await pings_of(database, record)) == 8


async def incident_history(
    database: Database, runner: BatchRunner, coming_back: int = 1
) -> tuple[CheckRecord, CheckRecord]:
    """Checks that went down an hour after T0: the first (and `coming_back` - 1 more)
    came back at T0 + 2h, the last is still down."""
    await add_channel(database, "webhook", {"url": "http://127.0.0.1:9/hook"}, name="hook")
    records = [await make_check(database, now=T0) for _ in range(coming_back + 1)]
    for record in records:
        await send(runner, record, [T0])
    clock = FakeClock(T0 + timedelta(hours=1, minutes=10))
    flipped = await DeadlineWatcher(database, runner, clock, MINUTE).flip_due_checks()
    assert len(flipped) == len(records)
    for record in records[:-1]:
        await send(runner, record, [T0 + timedelta(hours=2)])
    return records[0], records[-1]


async def incident_ids(database: Database, back: CheckRecord, down: CheckRecord) -> tuple[int, int]:
    """(the resolved incident, the open one)."""
    [resolved], [still_open] = (
        await incidents_of(database, back),
        await incidents_of(database, down),
    )
    assert resolved.resolved_at is not None
    assert still_open.resolved_at is None
    return resolved.id, still_open.id


async def outbox_by_incident(database: Database) -> dict[int, list[str]]:
    query = sa.select(notifications.c.incident_id, notifications.c.status)
    async with database.read() as connection:
        rows = (await connection.execute(query.order_by(notifications.c.id))).all()
    found: dict[int, list[str]] = {}
    for row in rows:
        found.setdefault(row.incident_id, []).append(row.status)
    return found


async def deliver_notifications_of(database: Database, incident_id: int) -> None:
    async with database.write() as connection:
        await connection.execute(
            notifications.update()
            .where(notifications.c.incident_id == incident_id)
            .values(status="sent", sent_at=T0 + timedelta(hours=2))
        )


async def test_delivered_notifications_go_after_their_time_and_undelivered_ones_stay(
    database: Database, runner: BatchRunner
) -> None:
    resolved, still_open = await incident_ids(database, *await incident_history(database, runner))
    await deliver_notifications_of(database, resolved)
    assert await outbox_by_incident(database) == {
        resolved: ["sent"],
        still_open: ["pending"],
    }
    early = await Pruner(database, runner, FakeClock(T0 + 6 * DAY), KEEP).prune_once()
    assert early["notifications"] == 0

    deleted = await Pruner(database, runner, FakeClock(T0 + 8 * DAY), KEEP).prune_once()

    assert deleted["notifications"] == 1
    assert await outbox_by_incident(database) == {still_open: ["pending"]}
    assert deleted["incidents"] == 0


async def test_resolved_incidents_go_with_their_timelines_and_open_ones_stay(
    database: Database, runner: BatchRunner
) -> None:
    resolved, still_open = await incident_ids(database, *await incident_history(database, runner))
    resolved_events = len(await timeline(database, resolved))
    open_timeline = await timeline(database, still_open)
    assert resolved_events
    assert open_timeline
    early = await Pruner(database, runner, FakeClock(T0 + 29 * DAY), KEEP).prune_once()
    assert early["incidents"] == 0

    counting = CountingRunner(runner)
    pruner = Pruner(database, counting, FakeClock(T0 + 31 * DAY), KEEP, batch_rows=2)
    deleted = await pruner.prune_once()

    # Its events, its notification and itself, two rows a transaction.
    assert deleted["incidents"] == resolved_events + 1 + 1
    assert max(deleted for deleted, _took in counting.results) <= 2
    async with database.read() as connection:
        ids = (await connection.execute(sa.text("SELECT id FROM incidents"))).scalars().all()
    assert ids == [still_open]
    assert await timeline(database, resolved) == []
    assert await timeline(database, still_open) == open_timeline
    assert await outbox_by_incident(database) == {still_open: ["pending"]}


async def test_many_old_incidents_go_a_bounded_batch_at_a_time(
    database: Database, runner: BatchRunner
) -> None:
    back, down = await incident_history(database, runner, coming_back=5)
    events = len(await timeline(database, (await incidents_of(database, back))[0].id))
    counting = CountingRunner(runner)
    pruner = Pruner(database, counting, FakeClock(T0 + 31 * DAY), KEEP, batch_rows=3)

    deleted = await pruner.prune_once()

    # Five incidents, each with its events and one notification.
    assert deleted["incidents"] == 5 * (events + 1 + 1)
    assert max(deleted for deleted, _took in counting.results) <= 2 * 3
    assert [incident.check_id for incident in await incidents_of(database, down)] == [down.id]
    async with database.read() as connection:
        left = (await connection.execute(sa.text("SELECT count(*) FROM incidents"))).scalar()
    assert left == 1


async def test_old_flips_go_but_each_check_keeps_its_newest(
    database: Database, runner: BatchRunner
) -> None:
    back, down = await incident_history(database, runner)
    assert [len(await flips_of(database, record)) for record in (back, down)] == [3, 2]
    early = await Pruner(database, runner, FakeClock(T0 + 29 * DAY), KEEP).prune_once()
    assert early["flips"] == 0

    deleted = await Pruner(database, runner, FakeClock(T0 + 31 * DAY), KEEP).prune_once()

    assert deleted["flips"] == 3
    assert await flips_of(database, back) == [("down", "up", "ping")]
    assert await flips_of(database, down) == [("up", "down", "missed")]


async def test_expired_sessions_closed_invitations_and_old_sign_in_failures_go(
    database: Database, runner: BatchRunner
) -> None:
    now = T0 + 20 * DAY

    def history(connection: sa.Connection) -> None:
        # Written directly: the store's own writers forget what is stale as they go.
        user = user_store.insert_user(connection, "a@example.com", "x", True, T0)
        for number, expires in enumerate((T0 + DAY, now + 13 * DAY)):
            session = {"user_id": user, "csrf_token": "c", "created": T0, "expires": expires}
            connection.execute(web_sessions.insert().values(token_hash=f"{number}", **session))
        project = connection.execute(sa.text("SELECT id FROM projects")).scalar_one()
        for created in (T0, now - DAY):  # expired at T0 + 7d, and still pending
            user_store.insert_invitation(
                connection, project, "b@x.io", "viewer", "a", created, 7 * DAY
            )
        for at in (T0, now - MINUTE):
            connection.execute(login_failures.insert().values(email="e", address="a", at=at))

    await make_check(database, now=T0)  # and with it the default project
    await database.write_with(history)

    deleted = await Pruner(database, runner, FakeClock(now), KEEP).prune_once()

    assert (deleted["sessions"], deleted["invitations"], deleted["sign-in failures"]) == (1, 1, 1)
    for table, column, kept in (
        (web_sessions, web_sessions.c.expires, now + 13 * DAY),
        (invitations, invitations.c.expires, now + 6 * DAY),
        (login_failures, login_failures.c.at, now - MINUTE),
    ):
        async with database.read() as connection:
            left = (await connection.execute(sa.select(column))).scalars().all()
        assert left == [kept], table.name


def one_off(project_id: int, name: str, ends: datetime, snoozed: int | None = None) -> Window:
    """A one-off window of the project from T0, or a snooze of check `snoozed`."""
    return Window(0, project_id, name, OneOff(T0, ends), Scope(snoozed), snooze=bool(snoozed))


async def test_one_off_windows_and_snoozes_go_a_week_after_they_ended(
    database: Database, runner: BatchRunner
) -> None:
    record, now = await make_check(database, now=T0), T0 + 30 * DAY
    project = record.project_id
    nightly = validate_maintenance(["mon"], "01:00", "02:00", "UTC")
    windows = [
        Window(0, project, "nightly", nightly, Scope(tag="db")),
        one_off(project, "ended 8 days ago", now - 8 * DAY),
        one_off(project, "ended 6 days ago", now - 6 * DAY),
        one_off(project, "still on", now + DAY),
        one_off(project, "snooze ended 9 days ago", now - 9 * DAY, snoozed=record.id),
        one_off(project, "snooze ended 6 days ago", now - 6 * DAY, snoozed=record.id),
    ]

    def made(connection: sa.Connection) -> None:
        for window in windows:
            window_store.insert_window(connection, window, T0)

    await database.write_with(made)
    counting = CountingRunner(runner)

    deleted = await Pruner(database, counting, FakeClock(now), KEEP, batch_rows=1).prune_once()

    assert deleted["ended maintenance windows"] == 2
    left = await database.read_with(window_store.project_windows, project)
    assert [(window.name, window.snooze) for window in left] == [
        ("nightly", False),
        ("ended 6 days ago", False),
        ("still on", False),
        ("snooze ended 6 days ago", True),
    ]
    again = await Pruner(database, runner, FakeClock(now), KEEP).prune_once()
    assert again["ended maintenance windows"] == 0


async def test_the_pruner_prunes_every_interval_until_stopped(
    database: Database, runner: BatchRunner
) -> None:
    record = await make_check(database, now=T0)
    await send(runner, record, minutes(9))
    often = Retention(3, KEEP.incidents, KEEP.flips, KEEP.notifications, timedelta(milliseconds=10))
    pruner = Pruner(database, runner, FakeClock(T0 + DAY), often)
    task = asyncio.create_task(pruner.run())

    async def pruned() -> bool:
        return len(await pings_of(database, record)) == 3

    assert await eventually(pruned, 10)
    pruner.stop()
    await asyncio.wait_for(task, 10)


@pytest.mark.skipif(BACKEND != "postgresql", reason="PostgreSQL's advisory lock")
async def test_on_postgresql_pruners_take_turns(
    database: Database, runner: BatchRunner, database_url: str
) -> None:
    record = await make_check(database, now=T0)
    await send(runner, record, minutes(9))
    other = await asyncpg.connect(database_url)
    try:
        await other.execute("SELECT pg_advisory_lock($1)", ADVISORY_LOCK_KEY)
        pruning = asyncio.create_task(
            Pruner(database, runner, FakeClock(T0 + DAY), KEEP).prune_once()
        )

        async def waiting() -> bool:
            query = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            return bool(await other.fetchval(query))

        assert await eventually(waiting, 10)
        assert len(await pings_of(database, record)) == 9
        await other.execute("SELECT pg_advisory_unlock($1)", ADVISORY_LOCK_KEY)
        deleted = await asyncio.wait_for(pruning, 10)
    finally:
        await other.close()
    assert deleted["pings"] == 4


async def test_two_pruners_at_once_delete_each_row_once(
    database: Database, runner: BatchRunner, settings: Settings
) -> None:
    record = await make_check(database, now=T0)
    await send(runner, record, minutes(30))
    second = Database(settings)
    second_runner = batch_runner(second)
    try:
        clock = FakeClock(T0 + DAY)
        results = await asyncio.gather(
            Pruner(database, runner, clock, KEEP, batch_rows=3).prune_once(),
            Pruner(second, second_runner, clock, KEEP, batch_rows=3).prune_once(),
        )
    finally:
        await second_runner.close()
        await second.close()
    assert sum(result["pings"] for result in results) == 25
    assert [ping.n for ping in await pings_of(database, record)] == list(range(26, 31))


def test_pings_are_cut_into_batches_no_larger_than_asked() -> None:
    excess = [PingExcess(1, 1, 10), PingExcess(2, 4, 5), PingExcess(3, 7, 13)]
    batches = list(ping_batches(excess, 4))
    assert batches == [[(1, 5)], [(1, 9)], [(1, 11), (2, 6)], [(3, 11)], [(3, 14)]]
    assert list(ping_batches([], BATCH_ROWS)) == []
