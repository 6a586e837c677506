"""Better Stack's simple alerting on a real database with a moved clock: a check with
no policy but methods set reaches whoever is on call in the project's default calendar
by those methods at once, then the entire team after `team_wait`; acknowledged before
that, the team hears nothing."""

from datetime import timedelta

import sqlalchemy as sa

from tests.alerts.test_reach import DOWN_AT, S, escalate, go_down, member, queued
from tests.helpers import T0, make_check, timeline
from tocsin.domain.oncall import Rotation
from tocsin.domain.people import ContactKind
from tocsin.domain.records import AlertFlags, CheckRecord
from tocsin.store import heartbeats as heartbeat_store
from tocsin.store import incidents as incident_store
from tocsin.store import oncall as oncall_store
from tocsin.store.database import Database
from tocsin.store.fastpath.runners import BatchRunner


async def on_call_rotation(database: Database, *user_ids: int) -> None:
    """The default project's default calendar: the people in turn, a week each, the
    first from before the check starts."""

    def work(connection: sa.Connection) -> None:
        calendar_id = oncall_store.insert_calendar(connection, 1, "Primary", "t" * 24, T0)
        oncall_store.make_default(connection, 1, calendar_id)
        rotation = Rotation(user_ids, T0 - timedelta(days=1), "UTC")
        oncall_store.insert_rotation(connection, calendar_id, "Days", rotation, T0)

    async with database.write() as connection:
        await connection.run_sync(work)


async def set_flags(database: Database, record: CheckRecord, flags: AlertFlags) -> None:
    async with database.write() as connection:
        await connection.run_sync(heartbeat_store.set_alert_flags, record.id, flags)


async def two_members_one_on_call(database: Database) -> None:
    alice = await member(database, "alice@example.com", (ContactKind.EMAIL, "alice@example.com"))
    await member(database, "bob@example.com", (ContactKind.EMAIL, "bob@example.com"))
    await on_call_rotation(database, alice)


async def test_the_person_on_call_then_the_entire_team_after_team_wait(
    database: Database, runner: BatchRunner
) -> None:
    await two_members_one_on_call(database)
    record = await make_check(database, now=T0)
    await set_flags(database, record, AlertFlags(email=True, team_wait=timedelta(seconds=4)))
    incident_id = await go_down(database, runner, record)
    assert await queued(database) == [("alice@example.com", "down", "on call in Primary")]

    await escalate(database, DOWN_AT + 6 * S)
    assert await queued(database) == [
        ("alice@example.com", "down", "on call in Primary"),
        ("alice@example.com", "down", "entire team"),
        ("bob@example.com", "down", "entire team"),
    ]
    lines = [message for _kind, message in await timeline(database, incident_id)]
    assert "step 2: notifying 2 contact method(s)" in lines


async def test_no_team_wait_never_reaches_the_team(database: Database, runner: BatchRunner) -> None:
    await two_members_one_on_call(database)
    record = await make_check(database, now=T0)
    await set_flags(database, record, AlertFlags(email=True))
    await go_down(database, runner, record)
    await escalate(database, DOWN_AT + timedelta(days=1))
    assert await queued(database) == [("alice@example.com", "down", "on call in Primary")]


async def test_without_methods_only_the_channels_are_notified(database: Database) -> None:
    record = await make_check(database, now=T0)
    await set_flags(database, record, AlertFlags(team_wait=timedelta(seconds=4)))
    async with database.read() as connection:
        found = await connection.run_sync(incident_store.default_policies, [record.id])
    [step] = found[record.id].steps
    assert step.reach.targets == ()
