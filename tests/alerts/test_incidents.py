"""From flips to incidents and outbox rows, on a real database with a moved clock."""

import asyncio
from datetime import datetime, timedelta

import sqlalchemy as sa

from tests.helpers import (
    T0,
    FakeClock,
    add_channel,
    add_policy,
    incidents_of,
    make_check,
    outbox,
    timeline,
    use_policy,
)
from tocsin.alerts import incidents as actions
from tocsin.alerts.watcher import DeadlineWatcher
from tocsin.domain.checks import Action
from tocsin.domain.records import CheckRecord
from tocsin.pings.intake import PingIntake, PingRequest
from tocsin.pings.urls import ByUuid, PingUrl
from tocsin.store import incidents as incident_store
from tocsin.store.database import Database
from tocsin.store.fastpath.runners import BatchRunner
from tocsin.store.tables import notifications

S = timedelta(seconds=1)
PERIOD_GRACE = timedelta(hours=1, minutes=5)


async def ping(
    runner: BatchRunner,
    record: CheckRecord,
    at: datetime,
    action: Action = Action.SUCCESS,
    *,
    exit_status: int | None = None,
    body: bytes = b"",
) -> None:
    intake = PingIntake(runner, lambda _deadline: None)
    writer = asyncio.create_task(intake.run())
    url = PingUrl(ByUuid(record.uuid.hex), action, exit_status)
    await intake.submit(PingRequest(url, at, body=body, body_size=len(body)))
    intake.stop()
    await writer


async def watch(database: Database, runner: BatchRunner, at: datetime) -> None:
    await DeadlineWatcher(database, runner, FakeClock(at), timedelta(hours=1)).flip_due_checks()


async def mark_sent(database: Database) -> None:
    async with database.write() as connection:
        await connection.execute(
            notifications.update().where(notifications.c.status == "pending").values(status="sent")
        )


async def test_a_missed_deadline_opens_one_incident_and_alerts_every_channel(
    database: Database, runner: BatchRunner
) -> None:
    email = await add_channel(database, "email", {"to": ["ops@example.com"]})
    record = await make_check(database, now=T0)
    slack = await add_channel(database, "slack", {"url": "https://hooks.example/x"})
    await ping(runner, record, T0)
    await watch(database, runner, T0 + PERIOD_GRACE)
    await watch(database, runner, T0 + 2 * PERIOD_GRACE)  # still down: nothing new

    [incident] = await incidents_of(database, record)
    assert (incident.status, incident.cause) == ("open", "missed")
    assert incident.expected_at == T0 + timedelta(hours=1)
    assert incident.opened_at == T0 + PERIOD_GRACE
    assert incident.cause_detail == (
        "no ping since 2026-03-01 12:00:00 UTC; expected by 2026-03-01 13:00:00 UTC"
    )
    assert await outbox(database) == [(email.id, "down", "pending"), (slack.id, "down", "pending")]
    assert [kind for kind, _ in await timeline(database, incident.id)] == ["opened", "escalated"]


async def test_a_failure_opens_an_incident_with_its_exit_status_and_output(
    database: Database, runner: BatchRunner
) -> None:
    await add_channel(database, "webhook", {"url": "https://example.com/hook"})
    record = await make_check(database, now=T0)
    output = b"".join(f"line {i}\n".encode() for i in range(50))
    await ping(runner, record, T0, Action.FAIL, exit_status=3, body=output)
    await ping(runner, record, T0 + S, Action.FAIL, exit_status=4)

    [incident] = await incidents_of(database, record)
    assert (incident.cause, incident.cause_detail, incident.exit_status) == (
        "failed",
        "failed (exit 3)",
        3,
    )
    assert incident.body_excerpt.splitlines() == [f"line {i}" for i in range(20)]
    assert len(await outbox(database)) == 1


async def test_recovery_resolves_the_incident_and_tells_the_channels_that_were_alerted(
    database: Database, runner: BatchRunner
) -> None:
    email = await add_channel(database, "email", {"to": ["ops@example.com"]})
    record = await make_check(database, now=T0)
    await ping(runner, record, T0, Action.FAIL)
    await mark_sent(database)
    await ping(runner, record, T0 + 90 * S)

    [incident] = await incidents_of(database, record)
    assert (incident.status, incident.resolved_by) == ("resolved", "ping")
    assert incident.resolved_at == T0 + 90 * S
    assert await outbox(database) == [(email.id, "down", "sent"), (email.id, "up", "pending")]
    assert ("resolved", "down 1m30s") in await timeline(database, incident.id)


async def test_an_alert_not_yet_sent_is_cancelled_and_needs_no_recovery(
    database: Database, runner: BatchRunner
) -> None:
    email = await add_channel(database, "email", {"to": ["ops@example.com"]})
    record = await make_check(database, now=T0)
    await ping(runner, record, T0, Action.FAIL)
    await ping(runner, record, T0 + S)
    assert await outbox(database) == [(email.id, "down", "cancelled")]


async def test_escalation_runs_the_next_step_when_nobody_acknowledged(
    database: Database, runner: BatchRunner
) -> None:
    email = await add_channel(database, "email", {"to": ["ops@example.com"]})
    slack = await add_channel(database, "slack", {"url": "https://hooks.example/x"})
    hook = await add_channel(database, "webhook", {"url": "https://example.com/hook"})
    policy = await add_policy(database, "two steps", [(0 * S, [email, slack]), (3 * S, [hook])])
    record = await make_check(database, now=T0)
    await use_policy(database, record, policy)
    await ping(runner, record, T0, Action.FAIL)
    assert [c for c, _, _ in await outbox(database)] == [email.id, slack.id]

    await watch(database, runner, T0 + 2 * S)
    assert len(await outbox(database)) == 2
    await watch(database, runner, T0 + 3 * S)
    assert [c for c, _, _ in await outbox(database)] == [email.id, slack.id, hook.id]
    [incident] = await incidents_of(database, record)
    assert incident.next_escalation_at is None


async def test_acknowledging_stops_escalation_and_reminders(
    database: Database, runner: BatchRunner
) -> None:
    email = await add_channel(database, "email", {"to": ["ops@example.com"]})
    hook = await add_channel(database, "webhook", {"url": "https://example.com/hook"})
    policy = await add_policy(
        database, "nagging", [(0 * S, [email]), (60 * S, [hook])], nag_interval=30 * S
    )
    record = await make_check(database, now=T0)
    await use_policy(database, record, policy)
    await ping(runner, record, T0, Action.FAIL)
    [incident] = await incidents_of(database, record)
    async with database.write() as connection:
        await connection.run_sync(
            lambda sync: actions.acknowledge(sync, incident, T0 + 10 * S, "alice", "the CLI")
        )
    await watch(database, runner, T0 + 120 * S)
    assert await outbox(database) == [(email.id, "down", "pending")]
    [acknowledged] = await incidents_of(database, record)
    assert (acknowledged.status, acknowledged.acknowledged_by) == ("acknowledged", "alice")
    assert ("acknowledged", "via the CLI") in await timeline(database, incident.id)


async def test_an_unacknowledged_incident_is_nagged_on_the_alerted_channels(
    database: Database, runner: BatchRunner
) -> None:
    email = await add_channel(database, "email", {"to": ["ops@example.com"]})
    policy = await add_policy(database, "nag", [(0 * S, [email])], nag_interval=30 * S)
    record = await make_check(database, now=T0)
    await use_policy(database, record, policy)
    await ping(runner, record, T0, Action.FAIL)
    await watch(database, runner, T0 + 29 * S)
    await watch(database, runner, T0 + 65 * S)  # two intervals late: one reminder
    assert await outbox(database) == [(email.id, "down", "pending"), (email.id, "nag", "pending")]
    [incident] = await incidents_of(database, record)
    assert incident.next_nag_at == T0 + 90 * S


async def test_a_do_nothing_policy_opens_the_incident_and_notifies_nobody(
    database: Database, runner: BatchRunner
) -> None:
    await add_channel(database, "email", {"to": ["ops@example.com"]})
    policy = await add_policy(database, "silent", [])
    record = await make_check(database, now=T0)
    await use_policy(database, record, policy)
    await ping(runner, record, T0, Action.FAIL)
    assert len(await incidents_of(database, record)) == 1
    assert await outbox(database) == []


async def test_resolving_by_hand_is_recorded_and_a_second_resolve_is_refused(
    database: Database, runner: BatchRunner
) -> None:
    await add_channel(database, "email", {"to": ["ops@example.com"]})
    record = await make_check(database, now=T0)
    await ping(runner, record, T0, Action.FAIL)
    await mark_sent(database)
    [incident] = await incidents_of(database, record)

    def resolve_twice(connection: sa.Connection) -> str:
        found = incident_store.get_incident(connection, incident.id)
        assert found is not None
        actions.resolve(connection, found, T0 + 5 * S, "bob")
        again = incident_store.get_incident(connection, incident.id)
        assert again is not None
        try:
            actions.resolve(connection, again, T0 + 6 * S, "bob")
        except actions.IncidentError as error:
            return str(error)
        return "no error"

    async with database.write() as connection:
        refusal = await connection.run_sync(resolve_twice)
    assert refusal == f"incident {incident.id} is already resolved"
    [resolved] = await incidents_of(database, record)
    assert (resolved.status, resolved.resolved_by) == ("resolved", "bob")
    assert [kind for _, kind, _ in await outbox(database)] == ["down", "up"]


async def test_a_repeated_policy_pages_round_by_round_and_names_each_step(
    database: Database, runner: BatchRunner
) -> None:
    email = await add_channel(database, "email", {"to": ["ops@example.com"]})
    hook = await add_channel(database, "webhook", {"url": "https://example.com/hook"})
    policy = await add_policy(
        database, "twice more", [(0 * S, [email]), (9 * S, [hook])], repeat_count=2
    )
    record = await make_check(database, now=T0)
    await use_policy(database, record, policy)
    await ping(runner, record, T0, Action.FAIL)

    # Step 2 alone at 9 s: the repeat waits step 2's own 9 s after it.
    await watch(database, runner, T0 + 9 * S)
    assert [c for c, _, _ in await outbox(database)] == [email.id, hook.id]
    await watch(database, runner, T0 + 30 * S)
    assert [c for c, _, _ in await outbox(database)] == [email.id, hook.id, email.id, hook.id]
    await watch(database, runner, T0 + 45 * S)
    [incident] = await incidents_of(database, record)
    steps = [text for kind, text in await timeline(database, incident.id) if kind == "escalated"]
    assert steps == [
        "step 1: notifying 1 channel(s)",
        "step 2: notifying 1 channel(s)",
        "step 1, round 2: notifying 1 channel(s)",
        "step 2, round 2: notifying 1 channel(s)",
        "step 1, round 3: notifying 1 channel(s)",
        "step 2, round 3: notifying 1 channel(s)",
    ]
    assert len(await outbox(database)) == 6
    assert incident.next_escalation_at is None
