"""Rules on runs meeting holds and keyword rules, as pure functions: a deadline held
past several slots (a maintenance window) counts one miss when the hold ends and the
next deadline comes after it; a broken rule names the keyword that made the success."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tocsin.domain.checks import (
    BROKEN_CAUSE_LIMIT,
    CheckState,
    Status,
    alert_after,
    broken_cause,
    expire,
)
from tocsin.domain.run_rules import RunRules
from tocsin.domain.schedule import Period, Schedule, cron_schedule

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GRACE = timedelta(minutes=5)
HOURLY = Period(timedelta(hours=1))


def held(state: CheckState, until: datetime) -> CheckState:
    """The state as the watcher reads it once it moved the deadline to `until`."""
    return replace(state, held_until=until)


def failing(threshold: int, schedule: Schedule = HOURLY) -> CheckState:
    return CheckState(
        schedule=schedule,
        grace=GRACE,
        status=Status.UP,
        last_ping=T0,
        rules=RunRules(failure_threshold=threshold),
    )


def test_a_hold_through_two_slots_counts_one_miss_and_the_next_slot_follows_it() -> None:
    state = failing(3)
    held_to = T0 + timedelta(hours=3)  # swallows the deadlines of 13:05 and 14:05
    assert expire(held(state, held_to), held_to - timedelta(seconds=1)) is None
    result = expire(held(state, held_to), held_to)
    assert result is not None
    counted, flip = result
    assert (flip, counted.failures, counted.missed_due) == (None, 1, T0 + timedelta(hours=2))
    assert alert_after(counted) == held_to + GRACE
    assert expire(held(counted, held_to), held_to) is None


def test_without_a_hold_the_miss_is_counted_at_its_own_slot() -> None:
    result = expire(failing(3), T0 + timedelta(hours=5))
    assert result is not None
    assert result[0].missed_due == T0 + timedelta(hours=1)


def test_a_cron_slot_swallowed_by_a_hold_is_not_counted_on_its_own() -> None:
    state = failing(2, cron_schedule("0 * * * *", "UTC"))
    held_to = T0 + timedelta(hours=2, minutes=30)
    result = expire(held(state, held_to), held_to)
    assert result is not None
    assert result[0].missed_due == T0 + timedelta(hours=2)
    assert alert_after(result[0]) == T0 + timedelta(hours=3) + GRACE


@given(
    hold_minutes=st.integers(min_value=0, max_value=7 * 24 * 60),
    threshold=st.integers(min_value=2, max_value=5),
)
def test_a_held_deadline_counts_exactly_one_miss_and_the_next_comes_after_it(
    hold_minutes: int, threshold: int
) -> None:
    state = failing(threshold)
    deadline = alert_after(state)
    assert deadline is not None
    held_to = deadline + timedelta(minutes=hold_minutes)
    result = expire(held(state, held_to), held_to)
    assert result is not None
    counted, flip = result
    assert flip is None
    assert counted.failures == 1
    next_deadline = alert_after(counted)
    assert next_deadline is not None
    assert next_deadline > held_to


def test_a_broken_rule_names_the_keyword_and_fits_a_flips_reason() -> None:
    broken = "too fast: ran 2s, expected at least 5m"
    because = "body matched success keyword 'OK'"
    assert broken_cause(broken, because) == f"{broken}; {because}"
    assert broken_cause(broken, "") == broken
    long = broken_cause(broken, "body matched success keyword '" + "x" * 300 + "'")
    assert len(long) == BROKEN_CAUSE_LIMIT
    assert long.endswith("…")


def test_a_hold_on_a_started_run_keeps_the_slot_of_the_run() -> None:
    started = replace(failing(2), last_start=T0 + timedelta(minutes=70))
    deadline = alert_after(started)
    assert deadline is not None
    result = expire(held(started, deadline + timedelta(hours=1)), deadline + timedelta(hours=1))
    assert result is not None
    assert result[0].missed_due == T0 + timedelta(hours=1)
