"""Rules on runs through the watcher and the incidents, on a real database: a missed
deadline under a failure threshold counts one failure and the next slot is due; the
threshold's last miss opens the incident, whose cause counts the failures; a run
that overran its maximum duration is an incident that names the rule."""

from datetime import timedelta

from tests.alerts.test_incidents import ping, watch
from tests.helpers import T0, add_channel, incidents_of, make_check, reload
from tocsin.domain.checks import Action, streak
from tocsin.domain.run_rules import RunRules
from tocsin.store.database import Database
from tocsin.store.fastpath.runners import BatchRunner

HOUR = timedelta(hours=1)
GRACE = timedelta(minutes=5)
S = timedelta(seconds=1)  # past the watcher's settling time


async def test_misses_under_the_threshold_are_counted_and_the_next_slot_is_due(
    database: Database, runner: BatchRunner
) -> None:
    await add_channel(database, "email", {"to": ["ops@example.com"]})
    record = await make_check(database, now=T0, rules=RunRules(failure_threshold=2))
    await ping(runner, record, T0)
    await watch(database, runner, T0 + HOUR + GRACE + S)
    counted = await reload(database, record)
    assert await incidents_of(database, record) == []
    assert (counted.state.status, streak(counted.state)) == ("up", "failing (1 of 2)")
    assert counted.state.missed_due == T0 + HOUR
    assert counted.alert_after == T0 + 2 * HOUR + GRACE

    await watch(database, runner, T0 + 2 * HOUR + GRACE + S)
    [incident] = await incidents_of(database, record)
    assert incident.cause == "missed"
    assert incident.cause_detail == (
        "2nd failure in a row (threshold 2): no ping since 2026-03-01 12:00:00 UTC; "
        "expected by 2026-03-01 14:00:00 UTC"
    )
    assert incident.expected_at == T0 + 2 * HOUR


async def test_a_success_after_a_counted_miss_starts_the_count_again(
    database: Database, runner: BatchRunner
) -> None:
    record = await make_check(database, now=T0, rules=RunRules(failure_threshold=2))
    await ping(runner, record, T0)
    await watch(database, runner, T0 + HOUR + GRACE + S)
    await ping(runner, record, T0 + HOUR + 2 * GRACE)
    recovered = await reload(database, record)
    assert (recovered.state.failures, recovered.state.missed_due) == (0, None)
    assert recovered.alert_after == T0 + 2 * HOUR + 3 * GRACE


async def test_a_run_past_its_maximum_duration_opens_an_incident_naming_the_rule(
    database: Database, runner: BatchRunner
) -> None:
    rules = RunRules(max_duration=timedelta(minutes=30))
    record = await make_check(database, now=T0, grace=GRACE, rules=rules)
    await ping(runner, record, T0)
    await ping(runner, record, T0 + HOUR, Action.START)
    started = await reload(database, record)
    assert started.alert_after == T0 + HOUR + timedelta(minutes=30)
    await watch(database, runner, T0 + HOUR + timedelta(minutes=30) + S)
    [incident] = await incidents_of(database, record)
    assert (incident.cause, incident.cause_detail) == (
        "too long",
        "too long: still running after 30m, expected at most 30m",
    )
