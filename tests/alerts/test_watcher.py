"""The deadline watcher: driven step by step with a fake clock, and for real."""

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.helpers import T0, FakeClock, eventually, flips_of, make_check, reload
from tocsin.alerts import watcher as watcher_module
from tocsin.alerts.watcher import SETTLE, DeadlineWatcher
from tocsin.config import Settings
from tocsin.domain.checks import Action, Status
from tocsin.domain.clock import SystemClock
from tocsin.domain.outages import Outage
from tocsin.domain.records import CheckRecord
from tocsin.domain.schedule import Period
from tocsin.pings.intake import PingIntake, PingRequest, Reply
from tocsin.pings.urls import ByUuid, PingUrl
from tocsin.store import tables
from tocsin.store.availability import Availability
from tocsin.store.database import Database
from tocsin.store.fastpath.runners import BatchRunner, batch_runner

HOUR = timedelta(hours=1)
GRACE = timedelta(minutes=5)
SECOND = timedelta(seconds=1)


async def ping(
    database: Database, record: CheckRecord, at: datetime, action: Action = Action.SUCCESS
) -> None:
    runner = batch_runner(database)
    intake = PingIntake(runner, lambda _deadline: None)
    writer = asyncio.create_task(intake.run())
    await intake.submit(PingRequest(PingUrl(ByUuid(record.uuid.hex), action), at))
    intake.stop()
    await writer
    await runner.close()


async def up_check(database: Database) -> CheckRecord:
    record = await make_check(database, now=T0, grace=GRACE)
    await ping(database, record, T0)
    return await reload(database, record)


async def test_a_check_goes_down_at_its_deadline_once_late_pings_had_time_to_commit(
    database: Database, runner: BatchRunner
) -> None:
    record = await up_check(database)
    clock = FakeClock(T0 + HOUR + GRACE + SETTLE - timedelta(milliseconds=1))
    watcher = DeadlineWatcher(database, runner, clock, timedelta(seconds=1))
    assert await watcher.flip_due_checks() == []

    clock.advance(timedelta(milliseconds=1))
    [(flipped, flip)] = await watcher.flip_due_checks()
    assert flipped.id == record.id
    assert (flip.old_status, flip.new_status, flip.reason) == (Status.UP, Status.DOWN, "missed")
    assert flip.at == T0 + HOUR + GRACE
    check = await reload(database, record)
    assert (check.state.status, check.alert_after) == (Status.DOWN, None)
    assert await watcher.flip_due_checks() == []


async def test_a_ping_received_just_before_the_deadline_but_committed_after_it_flips_nothing(
    database: Database, runner: BatchRunner
) -> None:
    record = await up_check(database)
    deadline = T0 + HOUR + GRACE
    # The watcher looks a few milliseconds after the deadline, before the ping that
    # arrived a millisecond before it has committed...
    clock = FakeClock(deadline + timedelta(milliseconds=20))
    watcher = DeadlineWatcher(database, runner, clock, HOUR)
    assert await watcher.flip_due_checks() == []
    # ...which it then does: the job was on time, so nobody hears of it.
    await ping(database, record, deadline - timedelta(milliseconds=1))
    clock.advance(SETTLE)
    assert await watcher.flip_due_checks() == []
    assert await flips_of(database, record) == [("new", "up", "ping")]
    assert (await reload(database, record)).state.status == Status.UP


async def test_a_run_that_never_finishes_goes_down_after_grace(
    database: Database, runner: BatchRunner
) -> None:
    record = await up_check(database)
    await ping(database, record, T0 + timedelta(minutes=10), Action.START)
    clock = FakeClock(T0 + timedelta(minutes=15) + SETTLE)
    [(_, flip)] = await DeadlineWatcher(database, runner, clock, HOUR).flip_due_checks()
    assert (flip.reason, flip.at) == ("started but not finished", T0 + timedelta(minutes=15))


async def test_after_a_restart_it_catches_up_on_every_missed_deadline(
    database: Database, runner: BatchRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # More due checks than one pass takes, to cover the batching.
    monkeypatch.setattr(watcher_module, "BATCH_SIZE", 7)
    records = [await up_check(database) for _ in range(20)]
    clock = FakeClock(T0 + timedelta(days=3))
    flipped = await DeadlineWatcher(database, runner, clock, HOUR).flip_due_checks()
    assert sorted(r.id for r, _ in flipped) == sorted(r.id for r in records)
    assert {f.at for _, f in flipped} == {T0 + HOUR + GRACE}


async def test_a_stale_deadline_is_recomputed_instead_of_flipping(
    database: Database, runner: BatchRunner
) -> None:
    record = await up_check(database)
    async with database.write() as connection:
        await connection.execute(
            tables.checks.update()
            .where(tables.checks.c.id == record.id)
            .values(alert_after=T0 + timedelta(minutes=1))
        )
    clock = FakeClock(T0 + timedelta(minutes=2))
    assert await DeadlineWatcher(database, runner, clock, HOUR).flip_due_checks() == []
    assert (await reload(database, record)).alert_after == T0 + HOUR + GRACE


async def test_watchers_sharing_a_database_write_each_flip_once(settings: Settings) -> None:
    setup = Database(settings)
    try:
        records = [await up_check(setup) for _ in range(60)]
    finally:
        await setup.close()
    databases = [Database(settings) for _ in range(4)]
    runners = [batch_runner(db) for db in databases]
    clock = FakeClock(T0 + timedelta(days=1))
    try:
        results = await asyncio.gather(
            *(
                DeadlineWatcher(db, runner, clock, HOUR).flip_due_checks()
                for db, runner in zip(databases, runners, strict=True)
            )
        )
        async with databases[0].read() as connection:
            flips = await connection.scalar(
                sa.select(sa.func.count(tables.flips.c.id))
                .select_from(tables.flips)
                .where(tables.flips.c.new_status == "down")
            )
    finally:
        for db, runner in zip(databases, runners, strict=True):
            await runner.close()
            await db.close()
    assert sum(len(r) for r in results) == len(records)
    assert flips == len(records)


async def wait_for_down(database: Database, record: CheckRecord, limit: float) -> float:
    """Wall-clock time at which the check was seen down."""
    give_up = time.monotonic() + limit
    while time.monotonic() < give_up:
        if (await reload(database, record)).state.status == Status.DOWN:
            return time.time()
        await asyncio.sleep(0.01)
    raise AssertionError(f"check did not go down within {limit}s")


async def test_a_sleeping_watcher_wakes_for_a_deadline_a_ping_just_set(
    database: Database, runner: BatchRunner
) -> None:
    """With re-reads 30 s apart, only the in-process wake-up can be this quick."""
    record = await make_check(database, grace=timedelta(0), schedule=Period(SECOND))
    watcher = DeadlineWatcher(database, runner, SystemClock(), timedelta(seconds=30))
    watching = asyncio.create_task(watcher.run())
    await asyncio.sleep(0.2)  # let it fall asleep
    intake = PingIntake(runner, watcher.deadline_set)
    writer = asyncio.create_task(intake.run())
    pinged_at = datetime.now(UTC)
    await intake.submit(PingRequest(PingUrl(ByUuid(record.uuid.hex), Action.SUCCESS), pinged_at))
    try:
        seen_down = await wait_for_down(database, record, limit=5)
    finally:
        intake.stop()
        watcher.stop()
        await asyncio.gather(writer, watching)
    deadline = pinged_at + SECOND
    assert seen_down - deadline.timestamp() < 1.0


async def test_pings_and_the_watcher_of_one_process_agree_on_a_checks_state(
    database: Database, runner: BatchRunner
) -> None:
    """On SQLite both write through one connection and a cache of checks: the cache
    must follow the watcher's flips, or the next ping would miss its down -> up."""
    record = await make_check(database, now=T0, grace=GRACE)
    intake = PingIntake(runner, lambda _deadline: None)
    writer = asyncio.create_task(intake.run())
    try:
        await intake.submit(PingRequest(PingUrl(ByUuid(record.uuid.hex), Action.SUCCESS), T0))
        clock = FakeClock(T0 + HOUR + GRACE + SETTLE)
        assert len(await DeadlineWatcher(database, runner, clock, HOUR).flip_due_checks()) == 1
        later = T0 + 2 * HOUR
        await intake.submit(PingRequest(PingUrl(ByUuid(record.uuid.hex), Action.SUCCESS), later))
    finally:
        intake.stop()
        await writer
    assert await flips_of(database, record) == [
        ("new", "up", "ping"),
        ("up", "down", "missed"),
        ("down", "up", "ping"),
    ]


async def test_a_deadline_that_passed_while_the_database_was_unavailable_is_held_not_flipped(
    database: Database, runner: BatchRunner
) -> None:
    record = await up_check(database)
    deadline = T0 + HOUR + GRACE
    clock = FakeClock(deadline - 5 * SECOND)
    availability = Availability(clock)
    # The process's pings were refused from 5 s before the deadline...
    availability.failed(availability.began(), ConnectionRefusedError(), pings=1)
    clock.advance(25 * SECOND)
    # ...until the watcher's own work is answered, 20 s after it.
    watcher = DeadlineWatcher(database, runner, clock, HOUR, availability=availability)
    assert await watcher.flip_due_checks() == []
    outage = Outage(deadline - 5 * SECOND, deadline + 20 * SECOND)
    assert (await reload(database, record)).alert_after == outage.held_until
    # No ping came by then: the job is down, since the deadline it missed.
    clock.current = outage.held_until + SETTLE
    [(_, flip)] = await watcher.flip_due_checks()
    assert (flip.new_status, flip.at) == (Status.DOWN, deadline)


async def test_an_outage_seen_by_the_ping_intake_holds_deadlines_for_other_processes_watchers(
    database: Database, runner: BatchRunner
) -> None:
    """The intake's batch is stuck 40 s behind another connection's lock: once it is
    answered, the deadlines that stall covers are moved in the database, where a
    watcher that saw nothing of it (another process's) finds them."""
    record = await up_check(database)
    pinged = await up_check(database)
    deadline = T0 + HOUR + GRACE
    clock = FakeClock(deadline - 30 * SECOND)
    availability = Availability(clock)
    intake = PingIntake(runner, lambda _deadline: None, availability=availability)
    writer = asyncio.create_task(intake.run())
    ping = PingRequest(PingUrl(ByUuid(pinged.uuid.hex), Action.SUCCESS), clock.now())
    try:
        async with database.write() as blocker:
            if not database.is_sqlite:  # SQLite's write lock is taken by BEGIN IMMEDIATE
                await blocker.execute(sa.text("LOCK TABLE checks IN EXCLUSIVE MODE"))
            replied = asyncio.create_task(intake.submit(ping))
            assert await eventually(lambda: waiting_for_the_database(availability), limit=10)
            clock.advance(40 * SECOND)
        assert await replied == Reply.OK
    finally:
        intake.stop()
        await writer
    outage = Outage(deadline - 30 * SECOND, deadline + 10 * SECOND)
    assert (await reload(database, record)).alert_after == outage.held_until
    clock.advance(5 * SECOND)
    elsewhere = DeadlineWatcher(database, runner, clock, HOUR)
    assert elsewhere.availability.outages() == []
    assert await elsewhere.flip_due_checks() == []
    assert await flips_of(database, record) == [("new", "up", "ping")]


async def waiting_for_the_database(availability: Availability) -> bool:
    return availability.busy_since() is not None
