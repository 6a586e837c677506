"""Channels added, removed and sent a test message through `services.channels`, on a
real database and, for the test message, a real receiver."""

import uuid

import pytest
import sqlalchemy as sa

from tests.helpers import T0, make_check
from tests.receivers import HttpReceiver
from tests.services.conftest import Projects, Recorder
from tocsin.domain.records import ChannelRow
from tocsin.services import channels as channel_service
from tocsin.services.errors import InvalidError, NotFoundError
from tocsin.store import channels as channel_store


async def channels_of(context: Recorder, project_id: int) -> list[ChannelRow]:
    async with context.database.read() as connection:
        return await connection.run_sync(channel_store.project_channels, project_id)


async def notified_by(context: Recorder, check_id: int) -> list[uuid.UUID]:
    async with context.database.read() as connection:
        found = await connection.run_sync(
            lambda sync: channel_store.channel_uuids(sync, check_id=check_id)
        )
    return found.get(check_id, [])


async def test_a_new_channel_is_the_projects_and_can_serve_every_check_of_it(
    context: Recorder, projects: Projects
) -> None:
    check = await make_check(context.database, now=T0)  # of the default project: ours
    hook = await channel_service.create_channel(
        context,
        projects.ours,
        "webhook",
        "hook",
        {"url": "https://example.com/hook"},
        assign_to_all_checks=True,
    )
    quiet = await channel_service.create_channel(
        context, projects.ours, "email", "", {"to": ["ops@example.com"]}, assign_to_all_checks=False
    )
    theirs = await channel_service.create_channel(
        context, projects.theirs, "email", "", {"to": ["x@example.com"]}, assign_to_all_checks=True
    )
    assert (hook.kind, hook.name, hook.config, hook.created) == (
        "webhook",
        "hook",
        {"url": "https://example.com/hook"},
        T0,
    )
    assert await channels_of(context, projects.ours) == [hook, quiet]
    assert await channels_of(context, projects.theirs) == [theirs]
    assert await notified_by(context, check.id) == [hook.uuid]


@pytest.mark.parametrize(
    ("kind", "config", "field", "says"),
    [
        ("pigeon", {}, "kind", "unknown channel kind 'pigeon'"),
        ("webhook", {}, "config", "url: Field required"),
        ("email", {"to": ["nope"]}, "config", "not an email address: nope"),
    ],
)
async def test_settings_the_kind_refuses_store_nothing(
    context: Recorder,
    projects: Projects,
    kind: str,
    config: dict[str, object],
    field: str,
    says: str,
) -> None:
    with pytest.raises(InvalidError, match=says) as refused:
        await channel_service.create_channel(
            context, projects.ours, kind, "", config, assign_to_all_checks=True
        )
    assert refused.value.field == field
    assert await channels_of(context, projects.ours) == []


async def test_removing_a_channel_is_for_its_own_project(
    context: Recorder, projects: Projects
) -> None:
    row = await channel_service.create_channel(
        context, projects.ours, "email", "", {"to": ["ops@example.com"]}, assign_to_all_checks=True
    )
    with pytest.raises(NotFoundError):
        await channel_service.delete_channel(context, projects.theirs, row.uuid)
    with pytest.raises(NotFoundError):
        await channel_service.delete_channel(context, None, uuid.uuid4())
    assert await channels_of(context, projects.ours) == [row]
    removed = await channel_service.delete_channel(context, projects.ours, row.uuid)
    assert removed == row
    assert await channels_of(context, projects.ours) == []


async def test_a_test_message_reaches_the_channel_and_a_refusal_is_told(
    context: Recorder, projects: Projects, receiver: HttpReceiver
) -> None:
    row = await channel_service.create_channel(
        context,
        projects.ours,
        "slack",
        "team",
        {"url": f"{receiver.url}/s"},
        assign_to_all_checks=False,
    )
    sent = await channel_service.send_test_message(context, projects.ours, row.uuid)
    assert (sent.channel, sent.error) == (row, None)
    [request] = receiver.requests
    assert request.json()["text"] == "Test notification from Tocsin for a test check"

    receiver.default.status = 500
    failed = await channel_service.send_test_message(context, None, row.uuid)
    assert failed.error is not None
    assert not failed.error.permanent
    with pytest.raises(NotFoundError):
        await channel_service.send_test_message(context, projects.theirs, row.uuid)
    assert len(receiver.requests) == 2


async def test_a_removed_channel_leaves_the_checks_and_policies_that_used_it(
    context: Recorder, projects: Projects
) -> None:
    check = await make_check(context.database, now=T0)
    row = await channel_service.create_channel(
        context, projects.ours, "email", "", {"to": ["ops@example.com"]}, assign_to_all_checks=True
    )
    await channel_service.delete_channel(context, None, row.uuid)
    assert await notified_by(context, check.id) == []
    async with context.database.read() as connection:
        links = await connection.scalar(sa.text("SELECT count(*) FROM check_channels"))
    assert links == 0
