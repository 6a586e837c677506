"""Acknowledging, resolving, commenting on and deleting incidents through
`services.incidents`, on a real database: one transaction each, refusals as service
errors, and the notifier woken when notices were queued."""

from datetime import timedelta

import pytest

from tests.alerts.test_incidents import mark_sent, ping, watch
from tests.helpers import (
    T0,
    add_channel,
    add_policy,
    incidents_of,
    make_check,
    outbox,
    timeline,
    use_policy,
)
from tests.services.conftest import Projects, Recorder
from tocsin.domain.checks import Action, Status
from tocsin.domain.records import CheckRecord, Incident
from tocsin.services import checks as check_service
from tocsin.services import incidents as incident_service
from tocsin.services.errors import ConflictError, NotFoundError
from tocsin.store.fastpath.runners import BatchRunner
from tocsin.store.incidents import events_of

S = timedelta(seconds=1)


async def failed_check(context: Recorder, runner: BatchRunner) -> CheckRecord:
    """A check of the default project whose job failed: it has an open incident."""
    record = await make_check(context.database, now=T0)
    await ping(runner, record, T0, Action.FAIL)
    return record


async def only_incident(context: Recorder, record: CheckRecord) -> Incident:
    [incident] = await incidents_of(context.database, record)
    return incident


async def test_acknowledging_stops_escalation_once_and_wakes_nobody(
    context: Recorder, projects: Projects, runner: BatchRunner
) -> None:
    record = await failed_check(context, runner)
    incident = await only_incident(context, record)
    first = await incident_service.acknowledge(
        context, projects.ours, incident.id, "alice", "the CLI"
    )
    again = await incident_service.acknowledge(
        context, projects.ours, incident.id, "bob", "the API"
    )
    assert (first.status, first.acknowledged_by, first.next_escalation_at) == (
        "acknowledged",
        "alice",
        None,
    )
    assert again == first == await only_incident(context, record)
    events = await timeline(context.database, incident.id)
    assert [event for event in events if event[0] == "acknowledged"] == [
        ("acknowledged", "via the CLI")
    ]
    assert context.wakes == 0


async def test_an_incident_of_another_project_is_not_found_and_stays_as_it_was(
    context: Recorder, projects: Projects, runner: BatchRunner
) -> None:
    record = await failed_check(context, runner)
    incident = await only_incident(context, record)
    theirs = projects.theirs
    with pytest.raises(NotFoundError):
        await incident_service.acknowledge(context, theirs, incident.id, "x", "the API")
    with pytest.raises(NotFoundError):
        await incident_service.resolve(context, theirs, incident.id, "x")
    with pytest.raises(NotFoundError):
        await incident_service.comment(context, theirs, incident.id, "x", "hello")
    with pytest.raises(NotFoundError):
        await incident_service.delete_incident(context, theirs, incident.id)
    with pytest.raises(NotFoundError, match="no incident 999"):
        await incident_service.acknowledge(context, None, 999, "x", "the CLI")
    assert await only_incident(context, record) == incident
    assert [kind for kind, _ in await timeline(context.database, incident.id)] == ["opened"]


async def test_resolving_by_hand_queues_the_recovery_and_wakes_the_notifier(
    context: Recorder, projects: Projects, runner: BatchRunner
) -> None:
    email = await add_channel(context.database, "email", {"to": ["ops@example.com"]})
    record = await failed_check(context, runner)
    incident = await only_incident(context, record)
    await mark_sent(context.database)
    context.clock.current = T0 + 90 * S

    resolution = await incident_service.resolve(context, projects.ours, incident.id, "bob")

    assert resolution.notices == 1
    assert resolution.incident == await only_incident(context, record)
    assert (resolution.incident.status, resolution.incident.resolved_by) == ("resolved", "bob")
    assert resolution.incident.resolved_at == T0 + 90 * S
    assert await outbox(context.database) == [
        (email.id, "down", "sent"),
        (email.id, "up", "pending"),
    ]
    assert ("resolved", "down 1m30s") in await timeline(context.database, incident.id)
    assert context.wakes == 1


async def test_a_second_resolve_is_a_conflict_and_a_resolve_with_nothing_to_send_wakes_nobody(
    context: Recorder, runner: BatchRunner
) -> None:
    record = await failed_check(context, runner)  # no channel: nobody to tell
    incident = await only_incident(context, record)
    resolution = await incident_service.resolve(context, None, incident.id, "cli")
    assert (resolution.incident.status, resolution.notices, context.wakes) == ("resolved", 0, 0)
    with pytest.raises(ConflictError, match=f"^incident {incident.id} is already resolved$"):
        await incident_service.resolve(context, None, incident.id, "cli")
    with pytest.raises(ConflictError, match="already resolved"):
        await incident_service.acknowledge(context, None, incident.id, "cli", "the CLI")
    assert await only_incident(context, record) == resolution.incident


async def test_a_comment_joins_the_timeline_with_its_author(
    context: Recorder, projects: Projects, runner: BatchRunner
) -> None:
    record = await failed_check(context, runner)
    incident = await only_incident(context, record)
    context.clock.current = T0 + 5 * S
    await incident_service.comment(context, projects.ours, incident.id, "carol", "disk full")
    async with context.database.read() as connection:
        events = await connection.run_sync(events_of, incident.id)
    comment = events[-1]
    assert (comment.kind, comment.actor, comment.message, comment.created) == (
        "comment",
        "carol",
        "disk full",
        T0 + 5 * S,
    )


async def test_deleting_an_incident_removes_it(
    context: Recorder, projects: Projects, runner: BatchRunner
) -> None:
    record = await failed_check(context, runner)
    incident = await only_incident(context, record)
    await incident_service.delete_incident(context, projects.ours, incident.id)
    assert await incidents_of(context.database, record) == []
    with pytest.raises(NotFoundError):
        await incident_service.delete_incident(context, projects.ours, incident.id)


# Pausing, resuming and deleting a check with an open incident.


async def escalating_check(
    context: Recorder, runner: BatchRunner
) -> tuple[CheckRecord, Incident, list[int]]:
    """A failed check whose policy pages a second channel 9 s after the first."""
    first = await add_channel(context.database, "email", {"to": ["ops@example.com"]})
    second = await add_channel(context.database, "webhook", {"url": "https://example.com/h"})
    policy = await add_policy(
        context.database, "two steps", [(0 * S, [first]), (9 * S, [second])], nag_interval=60 * S
    )
    record = await make_check(context.database, now=T0)
    await use_policy(context.database, record, policy)
    await ping(runner, record, T0, Action.FAIL)
    return record, await only_incident(context, record), [first.id, second.id]


async def test_pausing_a_check_resolves_its_incident_and_ends_the_paging(
    context: Recorder, projects: Projects, runner: BatchRunner
) -> None:
    record, incident, (first, _second) = await escalating_check(context, runner)
    await mark_sent(context.database)  # step 1 paged someone
    context.clock.advance(3 * S)
    await check_service.pause_check(context, projects.ours, record.id)

    # Step 2 was due at 9 s and a reminder at 60 s: neither comes, nor a recovery.
    await watch(context.database, runner, T0 + 120 * S)
    assert await outbox(context.database) == [(first, "down", "sent")]
    [paused] = await incidents_of(context.database, record)
    assert (paused.status, paused.resolved_by, paused.resolved_at) == (
        "resolved",
        "pause",
        T0 + 3 * S,
    )
    assert (paused.next_escalation_at, paused.next_nag_at) == (None, None)
    assert (await timeline(context.database, incident.id))[-1] == (
        "resolved",
        "check paused after 3s down: escalation and reminders stopped, no recovery notice",
    )


async def test_a_resumed_check_that_fails_again_opens_a_fresh_incident(
    context: Recorder, projects: Projects, runner: BatchRunner
) -> None:
    record, incident, _channels = await escalating_check(context, runner)
    await check_service.pause_check(context, projects.ours, record.id)
    resumed = await check_service.resume_check(context, projects.ours, record.id)
    assert resumed.record.state.status == Status.NEW
    await ping(runner, record, T0 + 200 * S, Action.FAIL)
    old, fresh = await incidents_of(context.database, record)
    assert (old.id, old.status, fresh.status) == (incident.id, "resolved", "open")


async def test_pausing_a_check_with_no_open_incident_touches_no_incident(
    context: Recorder, projects: Projects, runner: BatchRunner
) -> None:
    record, incident, _channels = await escalating_check(context, runner)
    await incident_service.resolve(context, projects.ours, incident.id, "alice")
    await check_service.pause_check(context, projects.ours, record.id)
    [resolved] = await incidents_of(context.database, record)
    assert resolved.resolved_by == "alice"


async def test_deleting_a_check_takes_its_incident_and_pending_alerts_with_it(
    context: Recorder, projects: Projects, runner: BatchRunner
) -> None:
    record, _incident, _channels = await escalating_check(context, runner)
    await check_service.delete_check(context, projects.ours, record.id)
    await watch(context.database, runner, T0 + 120 * S)
    assert await outbox(context.database) == []
    assert await incidents_of(context.database, record) == []
