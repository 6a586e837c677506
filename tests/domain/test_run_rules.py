"""Rules on runs: too fast, too long, too often, and failure and recovery thresholds,
as the check state machine applies them."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.domain.checks import (
    Action,
    CheckState,
    Flip,
    PingEvent,
    Status,
    alert_after,
    apply_ping,
    due_at,
    expire,
    status,
    streak,
)
from tocsin.domain.run_rules import (
    NO_RULES,
    RunRules,
    RunRulesError,
    checked,
    counted_failure,
    describe,
    ordinal,
    progress,
    rule_of,
    run_rules,
    split_reason,
)
from tocsin.domain.schedule import Period

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HOURLY = Period(timedelta(hours=1))
GRACE = timedelta(minutes=5)
RID = UUID("6f1c4a52-8a0e-4a57-9d55-6c3f1a2b0001")
UP = CheckState(schedule=HOURLY, grace=GRACE, status=Status.UP, last_ping=T0)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def ruled(**rules: object) -> CheckState:
    return replace(UP, rules=RunRules(**rules))  # type: ignore[arg-type]


def ping(action: Action, minutes: float, rid: UUID | None = None) -> PingEvent:
    return PingEvent(action, at(minutes), rid=rid)


def finish(state: CheckState, start: float, end: float) -> tuple[CheckState, Flip | None]:
    started = apply_ping(state, ping(Action.START, start, RID)).state
    outcome = apply_ping(started, ping(Action.SUCCESS, end, RID))
    return outcome.state, outcome.flip


# The words


def test_default_rules_are_one_shared_record() -> None:
    assert run_rules() is NO_RULES
    assert run_rules(failure_threshold=2) is not NO_RULES
    assert checked(RunRules()) is NO_RULES


@pytest.mark.parametrize(
    ("number", "word"),
    [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"), (13, "13th"),
     (21, "21st"), (22, "22nd"), (101, "101st"), (111, "111th")],
)  # fmt: skip
def test_ordinals(number: int, word: str) -> None:
    assert ordinal(number) == word


@pytest.mark.parametrize(
    "rules",
    [
        RunRules(min_duration=timedelta(0)),
        RunRules(max_duration=timedelta(days=400)),
        RunRules(min_interval=timedelta(milliseconds=10)),
        RunRules(failure_threshold=0),
        RunRules(recovery_threshold=101),
        RunRules(min_duration=timedelta(minutes=5), max_duration=timedelta(minutes=5)),
    ],
)
def test_rules_that_cannot_hold_are_refused(rules: RunRules) -> None:
    with pytest.raises(RunRulesError):
        checked(rules)


def test_a_counted_reason_splits_into_its_count_and_its_cause() -> None:
    reason = counted_failure(3, 3, "too fast: ran 2s, expected at least 5m")
    assert reason == "3rd failure in a row (threshold 3): too fast: ran 2s, expected at least 5m"
    assert split_reason(reason) == (
        "3rd failure in a row (threshold 3): ",
        "too fast: ran 2s, expected at least 5m",
    )
    assert split_reason("failed (exit 3)") == ("", "failed (exit 3)")
    assert rule_of("too fast: ran 2s, expected at least 5m") == "too fast"
    assert rule_of("failed") is None


def test_the_preview_says_the_rules_in_plain_words() -> None:
    rules = RunRules(min_duration=timedelta(minutes=5), failure_threshold=3)
    assert describe(rules) == (
        "Alert after 3 failures in a row; a run shorter than 5m counts as a failure."
    )
    assert describe(NO_RULES) == "Alert on the first failure; recover on the first success."


def test_progress_words() -> None:
    rules = RunRules(failure_threshold=3, recovery_threshold=2)
    assert progress(2, 0, rules) == "failing (2 of 3)"
    assert progress(0, 1, rules) == "recovering (1 of 2)"
    assert progress(0, 0, rules) == ""


# Too fast


def test_a_run_shorter_than_the_minimum_is_a_failure_naming_the_rule() -> None:
    state, flip = finish(ruled(min_duration=timedelta(minutes=5)), 60, 60 + 2 / 60)
    assert state.status == Status.DOWN
    assert flip is not None
    assert flip.reason == "too fast: ran 2s, expected at least 5m"


def test_a_run_as_long_as_the_minimum_is_a_success() -> None:
    state, flip = finish(ruled(min_duration=timedelta(minutes=5)), 60, 65)
    assert state.status == Status.UP
    assert flip is None


def test_a_run_paired_by_a_looked_up_start_is_timed_too() -> None:
    state = ruled(min_duration=timedelta(minutes=5))
    outcome = apply_ping(state, ping(Action.SUCCESS, 61, RID), run_started_at=at(60))
    assert outcome.flip is not None
    assert outcome.flip.reason == "too fast: ran 1m, expected at least 5m"


def test_a_success_with_no_start_is_not_judged_by_duration() -> None:
    outcome = apply_ping(ruled(min_duration=timedelta(minutes=5)), ping(Action.SUCCESS, 60))
    assert outcome.state.status == Status.UP


# Too long


def test_a_started_run_is_down_at_its_maximum_duration_not_its_grace() -> None:
    state = ruled(max_duration=timedelta(minutes=30))
    started = apply_ping(state, ping(Action.START, 50)).state
    assert alert_after(started) == at(80)
    assert status(started, at(79)) == Status.STARTED
    assert status(started, at(80)) == Status.DOWN
    result = expire(started, at(80))
    assert result is not None
    down, flip = result
    assert down.status == Status.DOWN
    assert flip is not None
    assert flip.reason == "too long: still running after 30m, expected at most 30m"


def test_a_finish_past_the_maximum_before_the_watcher_acted_is_a_failure() -> None:
    state, flip = finish(ruled(max_duration=timedelta(minutes=30)), 50, 81)
    assert state.status == Status.DOWN
    assert flip is not None
    assert flip.reason == "too long: ran 31m, expected at most 30m"


def test_a_late_finish_after_the_watcher_acted_does_not_recover_the_check() -> None:
    state = ruled(max_duration=timedelta(minutes=30))
    started = apply_ping(state, ping(Action.START, 50, RID)).state
    result = expire(started, at(80))
    assert result is not None
    outcome = apply_ping(result[0], ping(Action.SUCCESS, 90, RID))
    assert outcome.state.status == Status.DOWN
    assert outcome.flip is None


# Too often


def test_a_success_sooner_than_the_interval_is_a_failure() -> None:
    state = ruled(min_interval=timedelta(hours=1))
    first = apply_ping(state, ping(Action.SUCCESS, 60)).state
    assert first.status == Status.UP
    second = apply_ping(first, ping(Action.SUCCESS, 72))
    assert second.flip is not None
    assert second.flip.reason == (
        "too often: ran 12m after the previous run, expected at most once every 1h"
    )


def test_a_success_an_interval_later_is_fine() -> None:
    state = ruled(min_interval=timedelta(hours=1))
    first = apply_ping(state, ping(Action.SUCCESS, 60)).state
    second = apply_ping(first, ping(Action.SUCCESS, 120))
    assert second.state.status == Status.UP


def test_between_starts_the_interval_is_measured_from_each_runs_start() -> None:
    state = ruled(min_interval=timedelta(hours=1), interval_from_starts=True)
    first, _ = finish(state, 60, 100)  # a long run, started at 60
    second, flip = finish(first, 120, 121)  # started 60m after the first started
    assert second.status == Status.UP
    _third, flip = finish(second, 130, 131)
    assert flip is not None
    assert flip.reason.startswith("too often: ran 10m after the previous run")


# Thresholds


def test_n_minus_one_failures_never_flip_and_the_nth_does() -> None:
    state = ruled(failure_threshold=3)
    for count in (1, 2):
        outcome = apply_ping(state, ping(Action.FAIL, count))
        state = outcome.state
        assert outcome.flip is None
        assert state.status == Status.UP
        assert streak(state) == f"failing ({count} of 3)"
    outcome = apply_ping(state, ping(Action.FAIL, 3))
    assert outcome.flip is not None
    assert outcome.flip.reason == "3rd failure in a row (threshold 3): failed"
    assert outcome.state.status == Status.DOWN
    assert streak(outcome.state) == ""


def test_a_success_resets_the_failure_count() -> None:
    state = apply_ping(ruled(failure_threshold=2), ping(Action.FAIL, 1)).state
    state = apply_ping(state, ping(Action.SUCCESS, 2)).state
    outcome = apply_ping(state, ping(Action.FAIL, 3))
    assert outcome.flip is None
    assert streak(outcome.state) == "failing (1 of 2)"


def test_m_minus_one_successes_never_resolve_and_the_mth_does() -> None:
    state = replace(ruled(recovery_threshold=2), status=Status.DOWN)
    outcome = apply_ping(state, ping(Action.SUCCESS, 1))
    assert outcome.flip is None
    assert outcome.state.status == Status.DOWN
    assert streak(outcome.state) == "recovering (1 of 2)"
    outcome = apply_ping(outcome.state, ping(Action.SUCCESS, 2))
    assert outcome.flip is not None
    assert outcome.flip.reason == "2nd success in a row (threshold 2)"
    assert outcome.state.status == Status.UP


def test_a_failure_while_recovering_starts_the_count_again() -> None:
    state = replace(ruled(recovery_threshold=2), status=Status.DOWN)
    state = apply_ping(state, ping(Action.SUCCESS, 1)).state
    state = apply_ping(state, ping(Action.FAIL, 2)).state
    outcome = apply_ping(state, ping(Action.SUCCESS, 3))
    assert outcome.flip is None
    assert streak(outcome.state) == "recovering (1 of 2)"


def test_a_missed_deadline_under_the_threshold_counts_one_and_moves_to_the_next_slot() -> None:
    state = ruled(failure_threshold=2)
    deadline = alert_after(state)
    assert deadline == at(65)
    assert status(state, at(66)) == Status.LATE  # counted by the watcher, not down
    result = expire(state, at(66))
    assert result is not None
    counted, flip = result
    assert flip is None
    assert counted.status == Status.UP
    assert counted.failures == 1
    assert due_at(counted) == at(120)
    assert alert_after(counted) == at(125)
    result = expire(counted, at(125))
    assert result is not None
    down, flip = result
    assert down.status == Status.DOWN
    assert flip is not None
    assert flip.reason == "2nd failure in a row (threshold 2): missed"


def test_a_rule_breach_counts_towards_the_threshold_with_its_cause() -> None:
    state = ruled(min_duration=timedelta(minutes=5), failure_threshold=2)
    state, flip = finish(state, 60, 61)
    assert flip is None
    state, flip = finish(state, 120, 121)
    assert flip is not None
    assert flip.reason == (
        "2nd failure in a row (threshold 2): too fast: ran 1m, expected at least 5m"
    )


# Invariants

actions = st.sampled_from([Action.SUCCESS, Action.FAIL, Action.START, Action.LOG])
steps = st.lists(
    st.tuples(actions, st.integers(min_value=0, max_value=180), st.booleans()),
    min_size=1,
    max_size=25,
)
limits = st.none() | st.integers(min_value=1, max_value=300).map(lambda m: timedelta(minutes=m))
starts = st.sampled_from([Status.NEW, Status.UP, Status.DOWN])


def play(
    state: CheckState, events: list[tuple[Action, int, bool]]
) -> list[tuple[CheckState, Flip | None]]:
    """Each step, `gap` minutes after the last: a ping, or the watcher's pass when the
    flag is set; the state and flip after each."""
    now = T0
    seen: list[tuple[CheckState, Flip | None]] = []
    for action, gap, watch in events:
        now += timedelta(minutes=gap)
        if watch:
            result = expire(state, now)
            state, flip = result if result is not None else (state, None)
        else:
            outcome = apply_ping(state, PingEvent(action, now, rid=RID))
            state, flip = outcome.state, outcome.flip
        seen.append((state, flip))
    return seen


def start_in(stored: Status) -> CheckState:
    last = None if stored == Status.NEW else T0
    return CheckState(schedule=HOURLY, grace=GRACE, status=stored, last_ping=last)


@settings(max_examples=200, deadline=None)
@given(starts, steps)
def test_default_rules_behave_exactly_as_a_check_without_rules(
    stored: Status, events: list[tuple[Action, int, bool]]
) -> None:
    plain = start_in(stored)
    explicit = replace(plain, rules=RunRules(min_interval=None, failure_threshold=1))
    for (a, flip_a), (b, flip_b) in zip(play(plain, events), play(explicit, events), strict=True):
        assert flip_a == flip_b
        assert replace(a, rules=NO_RULES) == replace(b, rules=NO_RULES)
        assert alert_after(a) == alert_after(b)


@settings(max_examples=200, deadline=None)
@given(starts, steps, limits, limits, limits, st.booleans())
def test_rules_never_bring_up_a_check_the_plain_schedule_turned_down(
    stored: Status,
    events: list[tuple[Action, int, bool]],
    shortest: timedelta | None,
    longest: timedelta | None,
    interval: timedelta | None,
    from_starts: bool,
) -> None:
    """With thresholds of 1, the run rules only add failures. A maximum duration
    replaces the grace of a started run, so it is kept within the grace here: a longer
    one is the rule's point (a long job with a short grace for missing pings)."""
    if longest is not None:
        longest = min(longest, GRACE)
    if shortest is not None and longest is not None and shortest >= longest:
        shortest = None
    rules = RunRules(shortest, longest, interval, from_starts)
    plain = play(start_in(stored), events)
    judged = play(replace(start_in(stored), rules=rules), events)
    for (a, _), (b, _) in zip(plain, judged, strict=True):
        if a.status == Status.DOWN:
            assert b.status == Status.DOWN


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=1, max_value=6),
    st.integers(min_value=1, max_value=6),
    st.lists(st.sampled_from(["ok", "fail", "miss"]), min_size=1, max_size=30),
)
def test_thresholds_count_exactly(failures: int, successes: int, outcomes: list[str]) -> None:
    """Against a model: down after N failures in a row (failed runs or missed
    deadlines), up after M successes in a row."""
    state = ruled(failure_threshold=failures, recovery_threshold=successes)
    now = T0
    down = False
    run_length = 0  # failures in a row while up, successes in a row while down
    for outcome in outcomes:
        flip: Flip | None
        if outcome == "miss":
            deadline = alert_after(state)
            if deadline is None:  # a down check has no deadline to miss
                continue
            now = deadline
            result = expire(state, now)
            assert result is not None
            state, flip = result
        else:
            now += timedelta(minutes=1)
            action = Action.SUCCESS if outcome == "ok" else Action.FAIL
            pinged = apply_ping(state, PingEvent(action, now))
            state, flip = pinged.state, pinged.flip
        ok = outcome == "ok"
        if not down:
            run_length = 0 if ok else run_length + 1
            if run_length >= failures:
                down, run_length = True, 0
                assert flip is not None
                assert flip.new_status == Status.DOWN
            else:
                assert flip is None
        else:
            run_length = run_length + 1 if ok else 0
            if run_length >= successes:
                down, run_length = False, 0
                assert flip is not None
                assert flip.new_status == Status.UP
            else:
                assert flip is None
        assert (state.status == Status.DOWN) == down
