"""The rules of runs, keywords, windows, snoozes and dependencies where they meet, in
the watcher's pass and the ping path on a real database with a moved clock: a miss a
window swallowed counts once, at the window's end; a keyword's success that breaks a
rule on runs names both; a held child released inside its window or snooze waits for
it to end; a parent failing under its threshold holds nobody."""

from datetime import datetime, timedelta

import sqlalchemy as sa

from tests.alerts.test_incidents import ping
from tests.helpers import (
    T0,
    FakeClock,
    add_channel,
    flips_of,
    incidents_of,
    make_check,
    outbox,
    reload,
    timeline,
)
from tests.services.conftest import Recorder
from tocsin.alerts.watcher import SETTLE, DeadlineWatcher
from tocsin.config import Settings
from tocsin.domain.checks import Action, Status, status, streak
from tocsin.domain.keywords import KeywordRules
from tocsin.domain.records import CheckRecord
from tocsin.domain.run_rules import RunRules
from tocsin.domain.schedule import Maintenance
from tocsin.domain.windows import OneOff, Scope
from tocsin.services import maintenance
from tocsin.store import dependencies as dependency_store
from tocsin.store.database import Database
from tocsin.store.fastpath.runners import BatchRunner

S = timedelta(seconds=1)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
GRACE = timedelta(minutes=5)
DEPENDENCY_SETTLE = 2 * MINUTE


async def watch(database: Database, runner: BatchRunner, at: datetime) -> list[str]:
    watcher = DeadlineWatcher(
        database, runner, FakeClock(at), HOUR, dependency_settle=DEPENDENCY_SETTLE
    )
    return [flip.reason for _, flip in await watcher.flip_due_checks()]


def acting(settings: Settings, database: Database, at: datetime) -> Recorder:
    return Recorder(settings, FakeClock(at), database)


async def add_window(
    settings: Settings, database: Database, record: CheckRecord, when: OneOff, scope: Scope
) -> None:
    new = maintenance.NewWindow("NAS firmware", when, scope)
    await maintenance.add_window(acting(settings, database, T0), record.project_id, new, "alice")


async def test_misses_a_window_swallowed_count_once_when_it_ends_under_a_threshold(
    database: Database, runner: BatchRunner, settings: Settings
) -> None:
    rules = RunRules(failure_threshold=2)
    record = await make_check(database, now=T0, grace=GRACE, rules=rules, tags="nas")
    await ping(runner, record, T0)
    window_end = T0 + 3 * HOUR  # swallows the deadlines of 13:05 and 14:05
    await add_window(settings, database, record, OneOff(T0 + HOUR, window_end), Scope(tag="nas"))

    assert await watch(database, runner, T0 + HOUR + GRACE + SETTLE) == []
    assert (await reload(database, record)).alert_after == window_end
    assert await watch(database, runner, window_end + SETTLE) == []
    counted = await reload(database, record)
    assert streak(counted.state) == "failing (1 of 2)"
    # The slot counted is the last the window swallowed (14:00): the next is 15:00's.
    assert counted.state.missed_due == T0 + 2 * HOUR
    assert counted.alert_after == window_end + GRACE
    assert await watch(database, runner, window_end + 2 * SETTLE) == []
    assert await incidents_of(database, record) == []

    reasons = await watch(database, runner, window_end + GRACE + SETTLE)
    assert reasons == ["2nd failure in a row (threshold 2): missed"]


async def test_a_check_whose_deadline_a_window_holds_reads_late_not_down_until_it_ends(
    database: Database, runner: BatchRunner, settings: Settings
) -> None:
    record = await make_check(database, now=T0, grace=GRACE, tags="nas")
    await ping(runner, record, T0)
    window_end = T0 + 3 * HOUR
    await add_window(settings, database, record, OneOff(T0 + HOUR, window_end), Scope(tag="nas"))
    inside = T0 + HOUR + GRACE + SETTLE
    assert await watch(database, runner, inside) == []

    held = await reload(database, record)
    assert held.alert_after == window_end
    # Every front end reads the status from the state: the deadline the check's own
    # schedule gives has passed, but nobody is alerted before the window ends.
    assert status(held.state, inside) == Status.LATE
    assert status(held.state, window_end - S) == Status.LATE
    assert status(held.state, window_end) == Status.DOWN


async def test_a_checks_own_daily_window_swallows_misses_the_same_way(
    database: Database, runner: BatchRunner
) -> None:
    # Daily from 13:00 to 15:00 UTC, on the check's row (Better Stack's window).
    daily = Maintenance(frozenset(range(7)), (T0 + HOUR).time(), (T0 + 3 * HOUR).time())
    rules = RunRules(failure_threshold=2)
    record = await make_check(database, now=T0, grace=GRACE, rules=rules, maintenance=daily)
    await ping(runner, record, T0)
    window_end = T0 + 3 * HOUR
    assert (await reload(database, record)).alert_after == window_end

    assert await watch(database, runner, window_end + SETTLE) == []
    assert await watch(database, runner, window_end + 2 * SETTLE) == []
    counted = await reload(database, record)
    assert (streak(counted.state), counted.alert_after) == ("failing (1 of 2)", window_end + GRACE)


async def test_a_keyword_success_that_ran_too_fast_is_a_failure_naming_both(
    database: Database, runner: BatchRunner
) -> None:
    # The body decides even a start, as in Healthchecks: an empty one would be ignored.
    keywords = KeywordRules(start_kw="starting", success_kw="backup done", filter_http_body=True)
    rules = RunRules(min_duration=5 * MINUTE)
    record = await make_check(database, now=T0, keywords=keywords, rules=rules)
    await ping(runner, record, T0, Action.START, body=b"starting backup")
    await ping(runner, record, T0 + 2 * S, body=b"sync ok\nbackup done\n")

    (_old, new, reason) = (await flips_of(database, record))[-1]
    assert new == "down"
    assert reason == (
        "too fast: ran 2s, expected at least 5m; body matched success keyword 'backup done'"
    )
    [incident] = await incidents_of(database, record)
    assert incident.cause == "too fast"


async def test_a_keyword_success_that_came_too_often_is_counted_under_a_threshold(
    database: Database, runner: BatchRunner
) -> None:
    keywords = KeywordRules(success_kw="OK", filter_http_body=True)
    rules = RunRules(min_interval=HOUR, failure_threshold=2)
    record = await make_check(database, now=T0, keywords=keywords, rules=rules)
    await ping(runner, record, T0, body=b"OK")
    await ping(runner, record, T0 + 12 * MINUTE, body=b"OK")
    await ping(runner, record, T0 + 20 * MINUTE, body=b"OK")

    (_old, new, reason) = (await flips_of(database, record))[-1]
    assert new == "down"
    assert reason == (
        "2nd failure in a row (threshold 2): too often: ran 8m after the previous run, "
        "expected at most once every 1h; body matched success keyword 'OK'"
    )


async def test_a_long_keyword_and_a_broken_rule_still_fit_a_flips_reason(
    database: Database, runner: BatchRunner
) -> None:
    keyword = "x" * 200
    keywords = KeywordRules(success_kw=keyword, filter_http_body=True)
    rules = RunRules(min_interval=timedelta(days=300), failure_threshold=10)
    record = await make_check(database, now=T0, keywords=keywords, rules=rules)
    for minute in range(11):
        await ping(runner, record, T0 + minute * MINUTE, body=keyword.encode())

    (_old, new, reason) = (await flips_of(database, record))[-1]
    assert new == "down"
    assert reason.startswith("10th failure in a row (threshold 10): too often: ran 1m after")
    assert len(reason) <= 200


async def family(database: Database, runner: BatchRunner) -> tuple[CheckRecord, CheckRecord]:
    """A NAS and a backup that depends on it, pinged at T0 and a minute later."""
    await add_channel(database, "email", {"to": ["ops@example.com"]})
    nas = await make_check(database, now=T0, name="nas", grace=GRACE)
    backup = await make_check(database, now=T0, name="backup", grace=GRACE)
    async with database.write() as connection:
        await connection.run_sync(dependency_store.set_parents, backup.id, [nas.id])
    await ping(runner, nas, T0)
    await ping(runner, backup, T0 + MINUTE)
    return nas, backup


PARENT_DOWN = T0 + HOUR + GRACE
CHILD_DOWN = PARENT_DOWN + MINUTE


async def held_backup(database: Database, runner: BatchRunner) -> tuple[CheckRecord, CheckRecord]:
    nas, backup = await family(database, runner)
    assert await watch(database, runner, PARENT_DOWN + SETTLE) == ["missed"]
    assert await watch(database, runner, CHILD_DOWN + SETTLE) == ["missed"]
    [incident] = await incidents_of(database, backup)
    assert await alerts_of(database, incident.id) == 0
    return nas, backup


async def alerts_of(database: Database, incident_id: int) -> int:
    query = sa.text("SELECT count(*) FROM notifications WHERE incident_id = :id")
    async with database.read() as connection:
        return int((await connection.execute(query, {"id": incident_id})).scalar_one())


async def test_a_child_released_inside_its_window_alerts_only_when_the_window_ends(
    database: Database, runner: BatchRunner, settings: Settings
) -> None:
    nas, backup = await held_backup(database, runner)
    window_end = CHILD_DOWN + HOUR
    await add_window(settings, database, backup, OneOff(CHILD_DOWN, window_end), Scope(backup.id))
    back = CHILD_DOWN + 10 * MINUTE
    await ping(runner, nas, back)

    await watch(database, runner, back + DEPENDENCY_SETTLE + S)
    [incident] = await incidents_of(database, backup)
    assert (incident.release_at, incident.next_escalation_at) == (None, window_end)
    kinds = [kind for kind, _ in await timeline(database, incident.id)]
    assert kinds[-2:] == ["released", "paused"]
    assert await alerts_of(database, incident.id) == 0

    await watch(database, runner, window_end + S)
    assert await alerts_of(database, incident.id) == 1
    assert ("resumed", "escalation resumed: window ended") in await timeline(database, incident.id)


async def test_a_snoozed_held_incident_is_released_quietly_and_alerts_when_it_wakes(
    database: Database, runner: BatchRunner, settings: Settings
) -> None:
    nas, backup = await held_backup(database, runner)
    [incident] = await incidents_of(database, backup)
    snoozed_at = CHILD_DOWN + MINUTE
    context = acting(settings, database, snoozed_at)
    await maintenance.snooze_incident(context, None, incident.id, 2 * HOUR, "carol")
    back = CHILD_DOWN + 10 * MINUTE
    await ping(runner, nas, back)

    await watch(database, runner, back + DEPENDENCY_SETTLE + S)
    [released] = await incidents_of(database, backup)
    assert released.next_escalation_at == snoozed_at + 2 * HOUR
    assert await alerts_of(database, released.id) == 0
    await watch(database, runner, snoozed_at + 2 * HOUR + S)
    assert await alerts_of(database, released.id) == 1


async def test_a_parent_failing_under_its_threshold_holds_no_child(
    database: Database, runner: BatchRunner
) -> None:
    await add_channel(database, "email", {"to": ["ops@example.com"]})
    rules = RunRules(failure_threshold=3)
    nas = await make_check(database, now=T0, name="nas", grace=GRACE, rules=rules)
    backup = await make_check(database, now=T0, name="backup", grace=GRACE)
    async with database.write() as connection:
        await connection.run_sync(dependency_store.set_parents, backup.id, [nas.id])
    await ping(runner, nas, T0)
    await ping(runner, backup, T0 + MINUTE)
    await ping(runner, nas, T0 + 2 * MINUTE, Action.FAIL)  # failing (1 of 3)
    assert await watch(database, runner, CHILD_DOWN + SETTLE) == ["missed"]
    [incident] = await incidents_of(database, backup)
    assert incident.held_by is None
    assert len(await outbox(database)) == 1

    # Once the parent is really down, a child going down is held.
    await ping(runner, nas, T0 + 3 * MINUTE, Action.FAIL)
    await ping(runner, nas, T0 + 4 * MINUTE, Action.FAIL)
    other = await make_check(database, now=T0, name="restore", grace=GRACE)
    async with database.write() as connection:
        await connection.run_sync(dependency_store.set_parents, other.id, [nas.id])
    await ping(runner, other, T0 + 5 * MINUTE, Action.FAIL)
    [held] = await incidents_of(database, other)
    assert held.held_by == nas.id


async def test_a_run_too_fast_inside_a_window_opens_an_incident_that_alerts_when_it_ends(
    database: Database, runner: BatchRunner, settings: Settings
) -> None:
    await add_channel(database, "email", {"to": ["ops@example.com"]})
    rules = RunRules(min_duration=5 * MINUTE)
    record = await make_check(database, now=T0, grace=GRACE, rules=rules)
    window_end = T0 + HOUR
    await add_window(settings, database, record, OneOff(T0, window_end), Scope())
    await ping(runner, record, T0 + MINUTE, Action.START)
    await ping(runner, record, T0 + MINUTE + 2 * S)

    [incident] = await incidents_of(database, record)
    assert (incident.cause, incident.next_escalation_at) == ("too fast", window_end)
    assert await alerts_of(database, incident.id) == 0
    paused = "escalation paused by window 'NAS firmware' until 2026-03-01 13:00:00 UTC"
    assert ("paused", paused) in await timeline(database, incident.id)

    await watch(database, runner, window_end - S)
    assert await alerts_of(database, incident.id) == 0
    await watch(database, runner, window_end)
    assert await alerts_of(database, incident.id) == 1
    assert ("resumed", "escalation resumed: window ended") in await timeline(database, incident.id)


async def test_a_failure_of_a_snoozed_check_alerts_when_the_snooze_ends(
    database: Database, runner: BatchRunner, settings: Settings
) -> None:
    await add_channel(database, "email", {"to": ["ops@example.com"]})
    record = await make_check(database, now=T0, grace=GRACE)
    await ping(runner, record, T0)
    context = acting(settings, database, T0)
    await maintenance.snooze_check(context, record.project_id, record.id, HOUR, "dave")
    await ping(runner, record, T0 + MINUTE, Action.FAIL)

    [incident] = await incidents_of(database, record)
    assert await alerts_of(database, incident.id) == 0
    await watch(database, runner, T0 + HOUR)
    assert await alerts_of(database, incident.id) == 1
