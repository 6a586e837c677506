"""Held incidents on a real database with a moved clock: a child going down while its
parent is down wakes nobody, is released once the parent has been up for the settle,
and resolves quietly if it recovers first; the parent's alerts name what it holds."""

import asyncio
from datetime import datetime, timedelta

import sqlalchemy as sa

from tests.alerts.test_incidents import ping
from tests.helpers import T0, FakeClock, add_channel, incidents_of, make_check, outbox, timeline
from tocsin.alerts.watcher import DeadlineWatcher
from tocsin.config import Settings
from tocsin.domain.checks import Action
from tocsin.domain.dependencies import HOLD_RECHECK
from tocsin.domain.records import CheckRecord
from tocsin.store import dependencies as dependency_store
from tocsin.store.checks import delete_check
from tocsin.store.database import Database
from tocsin.store.fastpath.runners import BatchRunner, batch_runner
from tocsin.store.notifications import claim_due

MINUTE = timedelta(minutes=1)
TICK = timedelta(seconds=1)
SETTLE = 2 * MINUTE
PARENT_DOWN = T0 + timedelta(hours=1, minutes=5)  # pinged at T0: 1h period, 5m grace
CHILD_DOWN = PARENT_DOWN + MINUTE  # pinged a minute after the parent


async def watch(database: Database, runner: BatchRunner, at: datetime) -> None:
    """A watcher's pass a moment after `at` (it acts on deadlines a moment after)."""
    watcher = DeadlineWatcher(
        database, runner, FakeClock(at + TICK), timedelta(hours=1), dependency_settle=SETTLE
    )
    await watcher.flip_due_checks()


async def family(database: Database, runner: BatchRunner) -> tuple[CheckRecord, CheckRecord]:
    """A NAS and a backup that depends on it, both pinged; the NAS's deadline first."""
    await add_channel(database, "email", {"to": ["ops@example.com"]})
    nas = await make_check(database, now=T0, name="nas")
    backup = await make_check(database, now=T0, name="backup")
    async with database.write() as connection:
        await connection.run_sync(dependency_store.set_parents, backup.id, [nas.id])
    await ping(runner, nas, T0)
    await ping(runner, backup, T0 + MINUTE)
    return nas, backup


async def child_alerts(database: Database, nas: CheckRecord) -> int:
    """Notifications not about the NAS's incident."""
    [incident] = (await incidents_of(database, nas))[-1:]
    query = sa.text("SELECT count(*) FROM notifications WHERE incident_id != :id")
    async with database.read() as connection:
        return int((await connection.execute(query, {"id": incident.id})).scalar_one())


async def test_a_child_going_down_while_its_parent_is_down_is_held_and_wakes_nobody(
    database: Database, runner: BatchRunner
) -> None:
    nas, backup = await family(database, runner)
    await watch(database, runner, PARENT_DOWN)
    await watch(database, runner, CHILD_DOWN)

    [held] = await incidents_of(database, backup)
    assert (held.status, held.held_by, held.next_escalation_at) == ("open", nas.id, None)
    assert held.release_at == CHILD_DOWN + HOLD_RECHECK
    assert [kind for kind, _ in await timeline(database, held.id)] == ["opened", "held"]
    assert ("held", "held: parent nas is down") in await timeline(database, held.id)
    assert await child_alerts(database, nas) == 0
    assert len(await outbox(database)) == 1  # the NAS's alert alone


async def test_the_parents_alert_lists_the_children_it_holds(
    database: Database, runner: BatchRunner
) -> None:
    _nas, _backup = await family(database, runner)
    await watch(database, runner, PARENT_DOWN)
    await watch(database, runner, CHILD_DOWN)
    async with database.write() as connection:
        claimed = await connection.run_sync(
            lambda c: claim_due(c, CHILD_DOWN, CHILD_DOWN + MINUTE, 10, skip_locked=False)
        )
    assert [item.holding for item in claimed] == [("backup",)]


async def test_a_child_still_down_is_released_after_the_settle_and_alerts_normally(
    database: Database, runner: BatchRunner
) -> None:
    nas, backup = await family(database, runner)
    await watch(database, runner, PARENT_DOWN)
    await watch(database, runner, CHILD_DOWN)
    back = CHILD_DOWN + 30 * timedelta(seconds=1)
    await ping(runner, nas, back)
    await watch(database, runner, back + SETTLE - 2 * TICK)
    [held] = await incidents_of(database, backup)
    assert held.release_at == back + SETTLE
    assert await child_alerts(database, nas) == 0

    await watch(database, runner, back + SETTLE)
    [released] = await incidents_of(database, backup)
    assert (released.status, released.release_at) == ("open", None)
    assert ("released", "released: parent nas is up again") in await timeline(database, released.id)
    assert await child_alerts(database, nas) == 1


async def test_a_child_recovering_while_held_resolves_quietly(
    database: Database, runner: BatchRunner
) -> None:
    nas, backup = await family(database, runner)
    await watch(database, runner, PARENT_DOWN)
    await watch(database, runner, CHILD_DOWN)
    await ping(runner, nas, CHILD_DOWN + MINUTE)
    await ping(runner, backup, CHILD_DOWN + MINUTE)
    await watch(database, runner, CHILD_DOWN + MINUTE + 2 * SETTLE)

    [resolved] = await incidents_of(database, backup)
    assert (resolved.status, resolved.release_at) == ("resolved", None)
    assert await child_alerts(database, nas) == 0


async def test_a_child_stays_held_while_its_parent_stays_down(
    database: Database, runner: BatchRunner
) -> None:
    nas, backup = await family(database, runner)
    await watch(database, runner, PARENT_DOWN)
    await watch(database, runner, CHILD_DOWN)
    later = CHILD_DOWN + 3 * HOLD_RECHECK
    await watch(database, runner, later)
    [held] = await incidents_of(database, backup)
    assert (held.held_by, held.release_at) == (nas.id, later + TICK + HOLD_RECHECK)
    assert await child_alerts(database, nas) == 0


async def test_a_child_whose_parent_is_up_alerts_at_once(
    database: Database, runner: BatchRunner
) -> None:
    nas, backup = await family(database, runner)
    await ping(runner, nas, PARENT_DOWN - MINUTE)  # the NAS is fine
    await watch(database, runner, CHILD_DOWN)
    [incident] = await incidents_of(database, backup)
    assert (incident.held_by, incident.release_at) == (None, None)
    assert len(await outbox(database)) == 1


async def test_a_failing_child_is_held_too(database: Database, runner: BatchRunner) -> None:
    nas, backup = await family(database, runner)
    await watch(database, runner, PARENT_DOWN)
    await ping(runner, backup, PARENT_DOWN + MINUTE, Action.FAIL)
    [incident] = await incidents_of(database, backup)
    assert incident.held_by == nas.id
    assert await child_alerts(database, nas) == 0


async def test_watchers_sharing_a_database_release_each_held_incident_once(
    database: Database, runner: BatchRunner, settings: Settings
) -> None:
    nas, backup = await family(database, runner)
    await watch(database, runner, PARENT_DOWN)
    await watch(database, runner, CHILD_DOWN)
    back = CHILD_DOWN + MINUTE
    await ping(runner, nas, back)
    databases = [Database(settings) for _ in range(4)]
    runners = [batch_runner(db) for db in databases]
    clock = FakeClock(back + SETTLE + TICK)
    try:
        await asyncio.gather(
            *(
                DeadlineWatcher(
                    db, r, clock, timedelta(hours=1), dependency_settle=SETTLE
                ).flip_due_checks()
                for db, r in zip(databases, runners, strict=True)
            )
        )
    finally:
        for db, r in zip(databases, runners, strict=True):
            await r.close()
            await db.close()
    [released] = await incidents_of(database, backup)
    assert ("released", "released: parent nas is up again") in await timeline(database, released.id)
    assert [kind for kind, _ in await timeline(database, released.id)].count("released") == 1
    assert await child_alerts(database, nas) == 1


async def test_a_child_held_by_a_parent_since_deleted_is_released_at_its_next_look(
    database: Database, runner: BatchRunner
) -> None:
    nas, backup = await family(database, runner)
    await watch(database, runner, PARENT_DOWN)
    await watch(database, runner, CHILD_DOWN)
    async with database.write() as connection:
        await connection.run_sync(delete_check, nas.id)
    await watch(database, runner, CHILD_DOWN + HOLD_RECHECK)
    [released] = await incidents_of(database, backup)
    assert released.release_at is None
    assert ("released", "released: the parent holding it was deleted") in await timeline(
        database, released.id
    )
    assert len(await outbox(database)) == 1  # the backup's alert (the NAS's went with it)
