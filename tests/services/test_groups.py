"""Heartbeat groups made, changed and deleted through `services.groups`: pausing a
group pauses its checks, resuming resumes them, deleting keeps them."""

import pytest
import sqlalchemy as sa

from tests.helpers import T0, make_check, reload
from tests.services.conftest import Projects, Recorder
from tocsin.domain.checks import Status
from tocsin.domain.records import CheckRecord, Place
from tocsin.services import groups as group_service
from tocsin.services.errors import NotFoundError
from tocsin.services.groups import GroupChanges
from tocsin.store import heartbeats as heartbeat_store


async def place(context: Recorder, record: CheckRecord, group_id: int) -> None:
    async with context.database.write() as connection:
        await connection.run_sync(heartbeat_store.set_place, record.id, Place(group_id, None))


async def status_of(context: Recorder, record: CheckRecord) -> Status:
    return (await reload(context.database, record)).state.status


async def test_a_group_is_made_with_what_was_given_and_changed_field_by_field(
    context: Recorder, projects: Projects
) -> None:
    group = await group_service.create_group(context, projects.ours, "backups", sort_index=3)
    assert (group.project_id, group.name, group.sort_index, group.paused, group.created) == (
        projects.ours,
        "backups",
        3,
        False,
        context.clock.now(),
    )
    renamed = await group_service.update_group(
        context, projects.ours, group.id, GroupChanges(name="nightly")
    )
    assert (renamed.name, renamed.sort_index, renamed.paused) == ("nightly", 3, False)
    unplaced = await group_service.update_group(
        context, projects.ours, group.id, GroupChanges(sort_index=None)
    )
    assert (unplaced.name, unplaced.sort_index) == ("nightly", None)


async def test_pausing_a_group_pauses_its_checks_and_resuming_resumes_them(
    context: Recorder, projects: Projects
) -> None:
    group = await group_service.create_group(context, projects.ours, "backups")
    inside = await make_check(context.database, now=T0)
    outside = await make_check(context.database, now=T0)
    await place(context, inside, group.id)

    paused = await group_service.update_group(
        context, projects.ours, group.id, GroupChanges(paused=True)
    )
    assert paused.paused
    assert (await status_of(context, inside), await status_of(context, outside)) == (
        Status.PAUSED,
        Status.NEW,
    )
    resumed = await group_service.update_group(
        context, projects.ours, group.id, GroupChanges(paused=False)
    )
    assert not resumed.paused
    assert await status_of(context, inside) == Status.NEW


async def test_a_group_of_another_project_is_not_found(
    context: Recorder, projects: Projects
) -> None:
    group = await group_service.create_group(context, projects.theirs, "theirs")
    with pytest.raises(NotFoundError):
        await group_service.update_group(context, projects.ours, group.id, GroupChanges(name="x"))
    with pytest.raises(NotFoundError):
        await group_service.delete_group(context, projects.ours, group.id)
    async with context.database.read() as connection:
        found = await connection.run_sync(heartbeat_store.project_groups, projects.theirs)
    assert found == [group]


async def test_deleting_a_group_keeps_its_checks_outside_any_group(
    context: Recorder, projects: Projects
) -> None:
    group = await group_service.create_group(context, projects.ours, "backups")
    inside = await make_check(context.database, now=T0)
    await place(context, inside, group.id)
    await group_service.delete_group(context, projects.ours, group.id)
    async with context.database.read() as connection:
        groups = await connection.run_sync(heartbeat_store.project_groups, projects.ours)
        facts = await connection.run_sync(heartbeat_store.heartbeat_facts, [inside.id])
        checks = await connection.scalar(sa.text("SELECT count(*) FROM checks"))
    assert (groups, facts[inside.id].place, checks) == ([], Place(), 1)
