"""The check actions on a real database: what they write, what they refuse (writing
nothing), and the deadline each tells the watcher of."""

import asyncio
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.helpers import T0, FakeClock, make_projects
from tests.services.conftest import Recorder
from tocsin.config import Settings
from tocsin.domain.checks import Action, Status
from tocsin.domain.records import ChannelRow, CheckDetails, NewCheck, Place, new_check_defaults
from tocsin.domain.schedule import Period
from tocsin.pings.intake import PingIntake, PingRequest, Reply
from tocsin.pings.urls import BySlug, ByUuid, PingUrl
from tocsin.services import checks as check_service
from tocsin.services.checks import Alerting, CheckOptions, UsePolicy, every_channel, these_channels
from tocsin.services.errors import ConflictError, InvalidError, NotFoundError
from tocsin.store import channels as channel_store
from tocsin.store import checks as check_store
from tocsin.store import heartbeats as heartbeat_store
from tocsin.store.database import Database
from tocsin.store.fastpath.runners import BatchRunner
from tocsin.store.projects import ping_key

HOURLY = NewCheck(schedule=Period(timedelta(hours=1)), grace=timedelta(minutes=5), name="job")


@dataclass
class World:
    context: Recorder
    ours: int
    theirs: int
    channels: list[ChannelRow]  # ours
    their_channel: ChannelRow
    policy_id: int  # ours
    their_policy_id: int


@pytest.fixture
async def world(settings: Settings, database: Database) -> World:
    ours, theirs = await make_projects(database, T0)

    def work(connection: sa.Connection) -> World:
        def channel(project_id: int, kind: str, name: str) -> ChannelRow:
            config = {"url": f"https://hooks.example/{name}"}
            return channel_store.insert_channel(
                connection, project_id, kind, name, config, T0, assign_to_all_checks=False
            )

        mine = [channel(ours, "webhook", "a"), channel(ours, "webhook", "b")]
        other = channel(theirs, "webhook", "c")
        policy = channel_store.insert_policy(connection, ours, "p", [(timedelta(0), [])], T0)
        their_policy = channel_store.insert_policy(connection, theirs, "q", [], T0)
        context = Recorder(settings, FakeClock(T0), database)
        return World(context, ours, theirs, mine, other, policy, their_policy)

    async with database.write() as connection:
        return await connection.run_sync(work)


async def alerting(database: Database, details: CheckDetails) -> Alerting:
    async with database.read() as connection:
        return await connection.run_sync(
            check_service.alerting_of, details.record.project_id, details.record.id
        )


async def stored(database: Database, check_id: int) -> CheckDetails | None:
    async with database.read() as connection:
        found = await connection.run_sync(check_store.details_where, sa.true())
    return next((d for d in found if d.record.id == check_id), None)


async def updated_at(database: Database, check_id: int) -> datetime:
    async with database.read() as connection:
        value: datetime = await connection.scalar(
            sa.text("SELECT updated FROM checks WHERE id = :id"), {"id": check_id}
        )
    return value


async def ping(runner: BatchRunner, target: BySlug | ByUuid, at: datetime) -> Reply:
    intake = PingIntake(runner, lambda _deadline: None)
    writer = asyncio.create_task(intake.run())
    try:
        return await intake.submit(
            PingRequest(PingUrl(target, Action.SUCCESS), at, create=isinstance(target, BySlug))
        )
    finally:
        intake.stop()
        await writer


async def test_create_writes_settings_channels_and_policy_and_tells_the_watcher(
    world: World,
) -> None:
    options = CheckOptions(channels=every_channel, policy=UsePolicy(world.policy_id))
    details = await check_service.create_check(world.context, world.ours, HOURLY, options)
    assert (details.record.project_id, details.spec) == (world.ours, HOURLY)
    assert details.record.state.status == Status.NEW
    found = await alerting(world.context.database, details)
    assert sorted(found.channels) == sorted(c.uuid for c in world.channels)
    assert found.policy_id == world.policy_id
    # A new check waits for its first ping: no deadline yet, and the watcher is told so.
    assert world.context.deadlines == [None]


async def test_a_new_check_without_options_notifies_nobody(world: World) -> None:
    details = await check_service.create_check(world.context, world.ours, HOURLY)
    assert await alerting(world.context.database, details) == Alerting([], None)


async def test_without_a_project_the_check_goes_to_the_default_one(world: World) -> None:
    details = await check_service.create_check(world.context, None, HOURLY)
    assert details.record.project_id == world.ours  # the first project


async def test_a_refused_option_leaves_no_check_behind(world: World) -> None:
    refused = [
        CheckOptions(policy=UsePolicy(world.their_policy_id)),
        CheckOptions(channels=these_channels([world.their_channel.id])),
        CheckOptions(place=lambda _current: Place(group_id=12345)),
    ]
    fields = []
    for options in refused:
        with pytest.raises(InvalidError) as error:
            await check_service.create_check(world.context, world.ours, HOURLY, options)
        fields.append(error.value.field)
    assert fields == ["policy", "channels", "group"]
    async with world.context.database.read() as connection:
        assert await connection.run_sync(check_store.project_checks, world.ours) == []
    assert world.context.deadlines == []


async def test_an_update_moves_the_deadline_and_tells_the_watcher(
    world: World, runner: BatchRunner
) -> None:
    created = await check_service.create_check(world.context, world.ours, HOURLY)
    assert await ping(runner, ByUuid(created.record.uuid.hex), T0) == Reply.OK
    world.context.clock.advance(timedelta(minutes=10))

    longer = replace(HOURLY, grace=timedelta(minutes=30))
    details = await check_service.update_check(world.context, world.ours, created.record.id, longer)

    expected = T0 + timedelta(hours=1, minutes=30)
    assert details.record.alert_after == expected
    assert world.context.deadlines[-1] == expected
    found = await stored(world.context.database, created.record.id)
    assert found is not None
    assert (found.spec, found.record.alert_after) == (longer, expected)


async def test_a_settings_function_sees_the_current_settings(world: World) -> None:
    created = await check_service.create_check(world.context, world.ours, HOURLY)
    seen: list[NewCheck] = []

    def renamed(current: NewCheck) -> NewCheck:
        seen.append(current)
        return replace(current, name="renamed")

    details = await check_service.update_check(
        world.context, world.ours, created.record.id, renamed
    )
    assert seen == [HOURLY]
    assert details.spec == replace(HOURLY, name="renamed")


async def test_unchanged_settings_and_a_resume_of_a_running_check_write_nothing(
    world: World,
) -> None:
    created = await check_service.create_check(world.context, world.ours, HOURLY)
    before = await updated_at(world.context.database, created.record.id)
    world.context.clock.advance(timedelta(minutes=1))
    await check_service.update_check(world.context, world.ours, created.record.id, HOURLY)
    not_paused = CheckOptions(paused=False)  # a check that is not paused stays as it is
    await check_service.update_check(world.context, world.ours, created.record.id, None, not_paused)
    assert await updated_at(world.context.database, created.record.id) == before


async def test_a_refused_update_keeps_the_settings_it_came_with(world: World) -> None:
    created = await check_service.create_check(world.context, world.ours, HOURLY)
    longer = replace(HOURLY, grace=timedelta(hours=2))
    refused = CheckOptions(channels=these_channels([world.their_channel.id]))
    with pytest.raises(InvalidError):
        await check_service.update_check(
            world.context, world.ours, created.record.id, longer, refused
        )
    found = await stored(world.context.database, created.record.id)
    assert found is not None
    assert found.spec == HOURLY
    assert world.context.deadlines == [None]  # only the creation's


async def test_an_expectation_sees_the_locked_check_and_can_stop_the_change(
    world: World,
) -> None:
    options = CheckOptions(channels=every_channel, policy=UsePolicy(world.policy_id))
    created = await check_service.create_check(world.context, world.ours, HOURLY, options)
    seen: list[Alerting] = []

    class ChangedError(Exception):
        pass

    def stale(_details: CheckDetails, found: Alerting) -> None:
        seen.append(found)
        raise ChangedError

    with pytest.raises(ChangedError):
        await check_service.update_check(
            world.context,
            world.ours,
            created.record.id,
            replace(HOURLY, name="b"),
            expect=stale,
        )
    assert seen[0].policy_id == world.policy_id
    assert sorted(seen[0].channels) == sorted(c.uuid for c in world.channels)
    found = await stored(world.context.database, created.record.id)
    assert found is not None
    assert found.spec.name == "job"


async def test_pause_then_resume_and_resume_only_a_paused_check(world: World) -> None:
    created = await check_service.create_check(world.context, world.ours, HOURLY)
    check_id = created.record.id
    paused, flip = await check_service.pause_check(world.context, world.ours, check_id)
    assert paused.record.state.status == Status.PAUSED
    assert flip is not None
    assert (flip.old_status, flip.new_status) == (Status.NEW, Status.PAUSED)
    _again, no_flip = await check_service.pause_check(world.context, world.ours, check_id)
    assert no_flip is None

    resumed = await check_service.resume_check(world.context, world.ours, check_id)
    assert resumed.record.state.status == Status.NEW
    before = await updated_at(world.context.database, check_id)
    world.context.clock.advance(timedelta(minutes=1))
    with pytest.raises(ConflictError):
        await check_service.resume_check(world.context, world.ours, check_id)
    assert await updated_at(world.context.database, check_id) == before
    async with world.context.database.read() as connection:
        flips = await connection.run_sync(check_store.list_flips, check_id)
    assert [f.flip.new_status for f in flips] == [Status.NEW, Status.PAUSED]


async def test_delete_answers_with_the_check_as_it_was(world: World) -> None:
    created = await check_service.create_check(world.context, world.ours, HOURLY)
    deleted = await check_service.delete_check(world.context, world.ours, created.record.id)
    assert deleted.record.uuid == created.record.uuid
    assert await stored(world.context.database, created.record.id) is None
    with pytest.raises(NotFoundError):
        await check_service.delete_check(world.context, world.ours, created.record.id)


async def test_another_projects_check_is_not_found(world: World) -> None:
    theirs = await check_service.create_check(world.context, world.theirs, HOURLY)
    check_id = theirs.record.id
    with pytest.raises(NotFoundError):
        await check_service.update_check(world.context, world.ours, check_id, HOURLY)
    for action in (check_service.pause_check, check_service.resume_check):
        with pytest.raises(NotFoundError):
            await action(world.context, world.ours, check_id)
    with pytest.raises(NotFoundError):
        await check_service.delete_check(world.context, world.ours, check_id)
    assert await stored(world.context.database, check_id) == theirs


async def test_create_or_update_changes_the_same_check_or_makes_one(world: World) -> None:
    def same_name(details: CheckDetails) -> bool:
        return details.spec.name == "job"

    def hourly(current: NewCheck) -> NewCheck:
        return replace(current, name="job", schedule=HOURLY.schedule)

    first, new = await check_service.create_or_update_check(
        world.context, world.ours, hourly, same_name
    )
    assert new
    assert first.spec == replace(new_check_defaults(), name="job", schedule=HOURLY.schedule)
    second, new_again = await check_service.create_or_update_check(
        world.context, world.ours, hourly, same_name
    )
    assert not new_again
    assert second.record.id == first.record.id
    third, always_new = await check_service.create_or_update_check(
        world.context, world.ours, hourly, None
    )
    assert always_new
    assert third.record.id != first.record.id


async def test_a_check_joining_a_paused_group_is_paused(world: World) -> None:
    async with world.context.database.write() as connection:
        group = await connection.run_sync(
            heartbeat_store.insert_group, world.ours, {"name": "nightly", "paused": True}, T0
        )
    options = CheckOptions(place=lambda _current: Place(group.id, 3))
    details = await check_service.create_check(world.context, world.ours, HOURLY, options)
    assert details.record.state.status == Status.PAUSED
    async with world.context.database.read() as connection:
        facts = await connection.run_sync(heartbeat_store.heartbeat_facts, [details.record.id])
    assert facts[details.record.id].place == Place(group.id, 3)


async def test_a_check_made_by_a_ping_is_made_as_any_other(
    world: World, runner: BatchRunner
) -> None:
    async with world.context.database.read() as connection:
        key = await connection.run_sync(ping_key, world.ours)
    assert await ping(runner, BySlug(key, "made-by-ping"), T0) == Reply.CREATED
    async with world.context.database.read() as connection:
        (details,) = await connection.run_sync(check_store.project_checks, world.ours)
    assert details.spec == new_check_defaults(name="made-by-ping", slug="made-by-ping")
    found = await alerting(world.context.database, details)
    assert sorted(found.channels) == sorted(c.uuid for c in world.channels)
