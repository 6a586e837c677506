"""Escalation policies made, changed and removed, and a check's policy chosen, through
`services.policies`, on a real database."""

from datetime import timedelta

import pytest

from tests.helpers import T0, make_check, use_policy
from tests.services.conftest import Projects, Recorder
from tocsin.domain.records import ChannelRow
from tocsin.services import channels as channel_service
from tocsin.services import policies as policy_service
from tocsin.services.changes import KEEP
from tocsin.services.errors import ConflictError, NotFoundError, StaleError
from tocsin.services.policies import NameScope, PolicyChanges, PolicyDraft, UnknownChannelsError
from tocsin.store import channels as channel_store

M = timedelta(minutes=1)
PROJECT, EVERYWHERE = NameScope.PROJECT, NameScope.EVERY_PROJECT


async def channel(context: Recorder, project_id: int, name: str) -> ChannelRow:
    return await channel_service.create_channel(
        context,
        project_id,
        "email",
        name,
        {"to": [f"{name}@example.com"]},
        assign_to_all_checks=True,
    )


async def policy_names(context: Recorder, project_id: int) -> dict[int, str]:
    async with context.database.read() as connection:
        return await connection.run_sync(channel_store.policy_names, project_id)


async def check_policy(context: Recorder, project_id: int, check_id: int) -> int | None:
    async with context.database.read() as connection:
        found = await connection.run_sync(channel_store.check_policies, project_id)
    return found.get(check_id)


async def test_a_policy_keeps_its_steps_in_order_each_channel_once(
    context: Recorder, projects: Projects
) -> None:
    ops, dev = (
        await channel(context, projects.ours, "ops"),
        await channel(context, projects.ours, "dev"),
    )
    draft = PolicyDraft(
        "urgent",
        [(timedelta(0), [str(ops.uuid), str(ops.uuid)]), (10 * M, [str(dev.uuid), str(ops.uuid)])],
        repeat_count=2,
        repeat_delay=5 * M,
        nag_interval=30 * M,
    )
    made = await policy_service.create_policy(context, projects.ours, draft, scope=PROJECT)
    assert (made.name, made.repeat_count, made.repeat_delay, made.nag_interval) == (
        "urgent",
        2,
        5 * M,
        30 * M,
    )
    # Within a step, channels come in the order of their creation.
    assert made.steps == [(timedelta(0), [ops.uuid]), (10 * M, [ops.uuid, dev.uuid])]
    async with context.database.read() as connection:
        stored = await connection.run_sync(channel_store.project_policies, projects.ours)
    assert stored == [made]


async def test_names_are_unique_in_the_project_or_everywhere_as_the_front_end_asks(
    context: Recorder, projects: Projects
) -> None:
    await policy_service.create_policy(
        context, projects.ours, PolicyDraft("night", []), scope=PROJECT
    )
    with pytest.raises(ConflictError, match=r"^a policy named 'night' exists already$"):
        await policy_service.create_policy(
            context, projects.ours, PolicyDraft("night", []), scope=PROJECT
        )
    await policy_service.create_policy(
        context, projects.theirs, PolicyDraft("night", []), scope=PROJECT
    )
    with pytest.raises(ConflictError):
        await policy_service.create_policy(
            context, projects.theirs, PolicyDraft("night", []), scope=EVERYWHERE
        )
    assert list((await policy_names(context, projects.theirs)).values()) == ["night"]


async def test_steps_may_name_only_the_projects_own_channels(
    context: Recorder, projects: Projects
) -> None:
    theirs = await channel(context, projects.theirs, "theirs")
    ours = await channel(context, projects.ours, "ours")
    steps = [(timedelta(0), [str(ours.uuid), "not-a-uuid", str(theirs.uuid)])]
    with pytest.raises(UnknownChannelsError) as refused:
        await policy_service.create_policy(
            context, projects.ours, PolicyDraft("p", steps), scope=PROJECT
        )
    assert refused.value.unknown == sorted(["not-a-uuid", str(theirs.uuid)])
    assert refused.value.field == "steps"
    assert await policy_names(context, projects.ours) == {}


async def test_a_change_touches_only_what_it_names(context: Recorder, projects: Projects) -> None:
    ops, dev = (
        await channel(context, projects.ours, "ops"),
        await channel(context, projects.ours, "dev"),
    )
    draft = PolicyDraft("p", [(timedelta(0), [str(ops.uuid)])], 1, M, None)
    made = await policy_service.create_policy(context, projects.ours, draft, scope=PROJECT)

    renamed = await policy_service.update_policy(
        context, projects.ours, made.id, PolicyChanges(name="q", nag_interval=M), scope=PROJECT
    )
    assert (renamed.name, renamed.steps, renamed.repeat_count, renamed.nag_interval) == (
        "q",
        made.steps,
        1,
        M,
    )
    restepped = await policy_service.update_policy(
        context,
        projects.ours,
        made.id,
        PolicyChanges(steps=[(M, [str(dev.uuid)])], nag_interval=None),
        scope=PROJECT,
    )
    assert (restepped.name, restepped.steps, restepped.nag_interval) == (
        "q",
        [(M, [dev.uuid])],
        None,
    )
    same = await policy_service.update_policy(
        context, projects.ours, made.id, PolicyChanges.whole(PolicyDraft("q", [])), scope=PROJECT
    )
    assert (same.name, same.steps, same.repeat_count, same.repeat_delay) == (
        "q",
        [],
        0,
        timedelta(0),
    )


async def test_a_change_is_refused_for_a_taken_name_unknown_channels_or_a_stale_read(
    context: Recorder, projects: Projects
) -> None:
    first = await policy_service.create_policy(
        context, projects.ours, PolicyDraft("first", []), scope=PROJECT
    )
    second = await policy_service.create_policy(
        context, projects.ours, PolicyDraft("second", []), scope=PROJECT
    )
    with pytest.raises(ConflictError):
        await policy_service.update_policy(
            context, projects.ours, second.id, PolicyChanges(name="first"), scope=PROJECT
        )
    with pytest.raises(UnknownChannelsError):
        await policy_service.update_policy(
            context, projects.ours, second.id, PolicyChanges(steps=[(M, ["x"])]), scope=PROJECT
        )
    with pytest.raises(NotFoundError):
        await policy_service.update_policy(
            context, projects.theirs, second.id, PolicyChanges(name="x"), scope=PROJECT
        )
    await policy_service.update_policy(
        context, projects.ours, first.id, PolicyChanges(repeat_count=3), scope=PROJECT
    )
    with pytest.raises(StaleError):
        await policy_service.update_policy(
            context,
            projects.ours,
            first.id,
            PolicyChanges(name="renamed"),
            scope=PROJECT,
            unchanged_since=first,
        )
    assert await policy_names(context, projects.ours) == {first.id: "first", second.id: "second"}
    kept = await policy_service.update_policy(
        context,
        projects.ours,
        second.id,
        PolicyChanges(name=KEEP),
        scope=PROJECT,
        unchanged_since=second,
    )
    assert kept == second


async def test_deleting_a_policy_returns_its_checks_to_the_default(
    context: Recorder, projects: Projects
) -> None:
    made = await policy_service.create_policy(
        context, projects.ours, PolicyDraft("p", []), scope=PROJECT
    )
    check = await make_check(context.database, now=T0)
    await use_policy(context.database, check, made.id)
    assert await check_policy(context, projects.ours, check.id) == made.id
    with pytest.raises(NotFoundError):
        await policy_service.delete_policy(context, projects.theirs, made.id)
    await policy_service.delete_policy(context, None, made.id)
    assert await policy_names(context, projects.ours) == {}
    assert await check_policy(context, projects.ours, check.id) is None
    with pytest.raises(NotFoundError):
        await policy_service.delete_policy(context, None, made.id)
