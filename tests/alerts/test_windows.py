"""Maintenance windows and snoozes in the watcher's pass: deadlines held to a window's
end, escalation and reminders paused and resumed, on a real database with a moved clock."""

from datetime import datetime, timedelta

from tests.alerts.test_incidents import ping
from tests.helpers import (
    T0,
    FakeClock,
    add_channel,
    add_policy,
    incidents_of,
    make_check,
    outbox,
    reload,
    timeline,
    use_policy,
)
from tests.services.conftest import Recorder
from tocsin.alerts.watcher import SETTLE, DeadlineWatcher
from tocsin.config import Settings
from tocsin.domain.checks import Action, Status
from tocsin.domain.records import CheckRecord
from tocsin.domain.schedule import Maintenance
from tocsin.domain.windows import OneOff, Scope
from tocsin.services import maintenance
from tocsin.store.database import Database
from tocsin.store.fastpath.runners import BatchRunner

S = timedelta(seconds=1)
HOUR = timedelta(hours=1)
GRACE = timedelta(minutes=5)
DEADLINE = T0 + HOUR + GRACE


async def watch(database: Database, runner: BatchRunner, at: datetime) -> list[str]:
    watcher = DeadlineWatcher(database, runner, FakeClock(at), HOUR)
    return [flip.reason for _, flip in await watcher.flip_due_checks()]


def acting(settings: Settings, database: Database, at: datetime) -> Recorder:
    return Recorder(settings, FakeClock(at), database)


async def up_check(database: Database, runner: BatchRunner, tags: str = "") -> CheckRecord:
    record = await make_check(database, now=T0, grace=GRACE, tags=tags)
    await ping(runner, record, T0)
    return await reload(database, record)


async def test_a_deadline_inside_a_tags_window_moves_to_its_end_and_alerts_after_it(
    database: Database, runner: BatchRunner, settings: Settings
) -> None:
    record = await up_check(database, runner, tags="nas backups")
    window = OneOff(DEADLINE - 10 * S, DEADLINE + HOUR)
    new = maintenance.NewWindow("NAS firmware", window, Scope(tag="nas"))
    await maintenance.add_window(acting(settings, database, T0), record.project_id, new, "alice")

    assert await watch(database, runner, DEADLINE + SETTLE) == []
    assert (await reload(database, record)).alert_after == DEADLINE + HOUR
    assert await watch(database, runner, DEADLINE + HOUR - S) == []
    assert await watch(database, runner, DEADLINE + HOUR + SETTLE) == ["missed"]


async def test_a_ping_during_a_window_counts(
    database: Database, runner: BatchRunner, settings: Settings
) -> None:
    record = await up_check(database, runner)
    new = maintenance.NewWindow("all day", OneOff(T0, T0 + 3 * HOUR), Scope())
    await maintenance.add_window(acting(settings, database, T0), record.project_id, new, "bob")
    await ping(runner, record, T0 + HOUR)
    check = await reload(database, record)
    assert (check.state.status, check.state.last_ping) == (Status.UP, T0 + HOUR)
    assert check.alert_after == T0 + 2 * HOUR + GRACE


async def test_removing_a_window_brings_back_the_deadline_it_held(
    database: Database, runner: BatchRunner, settings: Settings
) -> None:
    record = await up_check(database, runner)
    new = maintenance.NewWindow("x", OneOff(DEADLINE - S, DEADLINE + HOUR), Scope(record.id))
    context = acting(settings, database, DEADLINE + S)
    window = await maintenance.add_window(context, record.project_id, new, "alice")
    assert await watch(database, runner, DEADLINE + SETTLE) == []
    await maintenance.remove_window(context, record.project_id, window.id)
    assert (await reload(database, record)).alert_after == DEADLINE
    assert await watch(database, runner, DEADLINE + 2 * S) == ["missed"]


async def test_an_open_incidents_escalation_waits_for_the_window_to_end(
    database: Database, runner: BatchRunner, settings: Settings
) -> None:
    email = await add_channel(database, "email", {"to": ["ops@example.com"]})
    hook = await add_channel(database, "webhook", {"url": "https://example.com/hook"})
    policy = await add_policy(database, "two steps", [(0 * S, [email]), (60 * S, [hook])])
    record = await make_check(database, now=T0)
    await use_policy(database, record, policy)
    await ping(runner, record, T0, Action.FAIL)
    nightly = Maintenance(frozenset(range(7)), (T0 + 30 * S).time(), (T0 + 300 * S).time())
    new = maintenance.NewWindow("nightly backup", nightly, Scope(record.id))
    await maintenance.add_window(acting(settings, database, T0), record.project_id, new, "alice")

    await watch(database, runner, T0 + 61 * S)
    assert [c for c, _, _ in await outbox(database)] == [email.id]
    [incident] = await incidents_of(database, record)
    assert (incident.status, incident.next_escalation_at) == ("open", T0 + 300 * S)
    await watch(database, runner, T0 + 300 * S)
    assert [c for c, _, _ in await outbox(database)] == [email.id, hook.id]
    lines = await timeline(database, incident.id)
    paused = "escalation paused by window 'nightly backup' until 2026-03-01 12:05:00 UTC"
    assert ("paused", paused) in lines
    assert ("resumed", "escalation resumed: window ended") in lines


async def test_a_snoozed_incident_neither_escalates_nor_reminds_until_it_wakes(
    database: Database, runner: BatchRunner, settings: Settings
) -> None:
    email = await add_channel(database, "email", {"to": ["ops@example.com"]})
    hook = await add_channel(database, "webhook", {"url": "https://example.com/hook"})
    steps = [(0 * S, [email]), (60 * S, [hook])]
    policy = await add_policy(database, "nagging", steps, nag_interval=30 * S)
    record = await make_check(database, now=T0)
    await use_policy(database, record, policy)
    await ping(runner, record, T0, Action.FAIL)
    [incident] = await incidents_of(database, record)
    context = acting(settings, database, T0 + 10 * S)
    await maintenance.snooze_incident(context, None, incident.id, 2 * HOUR, "carol")

    await watch(database, runner, T0 + HOUR)
    assert [c for c, _, _ in await outbox(database)] == [email.id]
    await watch(database, runner, T0 + 10 * S + 2 * HOUR)
    kinds = [(c, kind) for c, kind, _ in await outbox(database)]
    assert (hook.id, "down") in kinds
    assert (email.id, "nag") in kinds
    lines = await timeline(database, incident.id)
    snoozed = "snoozed until 2026-03-01 14:00:10 UTC: no escalation or reminders until then"
    assert ("snoozed", snoozed) in lines
    assert ("resumed", "escalation resumed: snooze ended") in lines


async def test_waking_a_snoozed_incident_runs_what_it_held_at_once(
    database: Database, runner: BatchRunner, settings: Settings
) -> None:
    email = await add_channel(database, "email", {"to": ["ops@example.com"]})
    hook = await add_channel(database, "webhook", {"url": "https://example.com/hook"})
    policy = await add_policy(database, "two steps", [(0 * S, [email]), (60 * S, [hook])])
    record = await make_check(database, now=T0)
    await use_policy(database, record, policy)
    await ping(runner, record, T0, Action.FAIL)
    [incident] = await incidents_of(database, record)
    await maintenance.snooze_incident(acting(settings, database, T0), None, incident.id, HOUR, "x")
    await watch(database, runner, T0 + 120 * S)
    context = acting(settings, database, T0 + 120 * S)
    await maintenance.unsnooze_incident(context, None, incident.id, "x")
    await watch(database, runner, T0 + 120 * S)
    assert [c for c, _, _ in await outbox(database)] == [email.id, hook.id]
    assert ("unsnoozed", "snooze ended") in await timeline(database, incident.id)


async def test_a_snoozed_check_does_not_go_down_until_it_wakes(
    database: Database, runner: BatchRunner, settings: Settings
) -> None:
    record = await up_check(database, runner)
    context = acting(settings, database, T0 + HOUR)
    snooze = await maintenance.snooze_check(context, record.project_id, record.id, HOUR, "dave")
    assert (snooze.snooze, snooze.created_by, snooze.when) == (
        True,
        "dave",
        OneOff(T0 + HOUR, T0 + 2 * HOUR),
    )
    assert await watch(database, runner, DEADLINE + SETTLE) == []
    await maintenance.unsnooze_check(context, record.project_id, record.id, "dave")
    assert await watch(database, runner, DEADLINE + SETTLE) == ["missed"]
