"""The check state machine: pings, derived status, deadlines, pause and resume."""

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.domain.checks import (
    STORED_STATUSES,
    Action,
    CheckState,
    Flip,
    PingEvent,
    PingOutcome,
    Status,
    alert_after,
    apply_ping,
    classify,
    due_at,
    expire,
    needs_run_lookup,
    pause,
    resume,
    status,
)
from tocsin.domain.schedule import (
    Cron,
    Maintenance,
    Period,
    Schedule,
    next_due,
    outside_maintenance,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HOURLY = Period(timedelta(hours=1))
GRACE = timedelta(minutes=5)
RID_A = UUID("6f1c4a52-8a0e-4a57-9d55-6c3f1a2b0001")
RID_B = UUID("6f1c4a52-8a0e-4a57-9d55-6c3f1a2b0002")

NEW_CHECK = CheckState(schedule=HOURLY, grace=GRACE)
UP_CHECK = replace(NEW_CHECK, status=Status.UP, last_ping=T0)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def ping(
    action: Action,
    minutes: float,
    *,
    rid: UUID | None = None,
    method: str = "GET",
    exit_status: int | None = None,
) -> PingEvent:
    return PingEvent(action, at(minutes), method=method, rid=rid, exit_status=exit_status)


def started(state: CheckState, minutes: float, rid: UUID | None = None) -> CheckState:
    outcome = apply_ping(state, ping(Action.START, minutes, rid=rid))
    assert outcome.action == Action.START
    return outcome.state


# --- success and fail -------------------------------------------------------------------


def test_a_new_check_goes_up_on_its_first_success() -> None:
    outcome = apply_ping(NEW_CHECK, ping(Action.SUCCESS, 1))
    assert outcome.action == Action.SUCCESS
    assert outcome.state == replace(NEW_CHECK, status=Status.UP, last_ping=at(1))
    assert outcome.flip == Flip(at(1), Status.NEW, Status.UP, "ping")
    assert outcome.duration is None


def test_a_success_arms_the_deadline_one_period_and_grace_later() -> None:
    outcome = apply_ping(NEW_CHECK, ping(Action.SUCCESS, 1))
    assert due_at(outcome.state) == at(61)
    assert alert_after(outcome.state) == at(66)


def test_a_success_on_an_up_check_moves_the_deadline_without_a_flip() -> None:
    outcome = apply_ping(UP_CHECK, ping(Action.SUCCESS, 30))
    assert outcome.flip is None
    assert outcome.state.last_ping == at(30)
    assert alert_after(outcome.state) == at(95)


def test_it_goes_down_at_once_on_fail() -> None:
    outcome = apply_ping(UP_CHECK, ping(Action.FAIL, 10))
    assert outcome.action == Action.FAIL
    assert outcome.state.status == Status.DOWN
    assert outcome.state.last_ping == at(10)
    assert outcome.flip == Flip(at(10), Status.UP, Status.DOWN, "failed")
    assert status(outcome.state, at(10)) == Status.DOWN
    assert alert_after(outcome.state) is None


def test_a_fail_with_an_exit_status_names_it_in_the_flip() -> None:
    outcome = apply_ping(UP_CHECK, ping(Action.FAIL, 10, exit_status=3))
    assert outcome.flip is not None
    assert outcome.flip.reason == "failed (exit 3)"


def test_a_new_check_goes_straight_down_on_fail() -> None:
    outcome = apply_ping(NEW_CHECK, ping(Action.FAIL, 1))
    assert outcome.flip == Flip(at(1), Status.NEW, Status.DOWN, "failed")


def test_a_second_fail_makes_no_flip() -> None:
    down = apply_ping(UP_CHECK, ping(Action.FAIL, 10)).state
    outcome = apply_ping(down, ping(Action.FAIL, 20, exit_status=1))
    assert outcome.state.status == Status.DOWN
    assert outcome.state.last_ping == at(20)
    assert outcome.flip is None


def test_a_success_after_a_fail_brings_the_check_back_up() -> None:
    down = apply_ping(UP_CHECK, ping(Action.FAIL, 10)).state
    outcome = apply_ping(down, ping(Action.SUCCESS, 20))
    assert outcome.flip == Flip(at(20), Status.DOWN, Status.UP, "ping")
    assert alert_after(outcome.state) == at(85)


# --- runs: start and finish -------------------------------------------------------------


def test_a_start_records_the_run_and_changes_nothing_else() -> None:
    outcome = apply_ping(UP_CHECK, ping(Action.START, 10, rid=RID_A))
    assert outcome.action == Action.START
    assert outcome.state == replace(UP_CHECK, last_start=at(10), last_start_rid=RID_A)
    assert outcome.flip is None
    assert outcome.duration is None


def test_a_start_then_success_with_the_same_rid_times_the_run() -> None:
    running = started(UP_CHECK, 10, RID_A)
    outcome = apply_ping(running, ping(Action.SUCCESS, 25, rid=RID_A))
    assert outcome.duration == timedelta(minutes=15)
    assert outcome.state.last_duration == timedelta(minutes=15)
    assert outcome.state.last_start is None
    assert outcome.state.last_start_rid is None
    assert outcome.state.last_ping == at(25)


def test_a_start_then_success_without_rids_times_the_run() -> None:
    running = started(UP_CHECK, 10)
    outcome = apply_ping(running, ping(Action.SUCCESS, 12))
    assert outcome.duration == timedelta(minutes=2)
    assert outcome.state.last_duration == timedelta(minutes=2)
    assert outcome.state.last_start is None


def test_a_start_then_fail_with_the_same_rid_times_the_run_and_goes_down() -> None:
    running = started(UP_CHECK, 10, RID_A)
    outcome = apply_ping(running, ping(Action.FAIL, 13, rid=RID_A, exit_status=2))
    assert outcome.duration == timedelta(minutes=3)
    assert outcome.state.last_start is None
    assert outcome.flip == Flip(at(13), Status.UP, Status.DOWN, "failed (exit 2)")


def test_a_success_with_another_rid_leaves_the_pending_run_started() -> None:
    running = started(UP_CHECK, 10, RID_A)
    success_b = ping(Action.SUCCESS, 13, rid=RID_B)
    assert needs_run_lookup(running, success_b)
    outcome = apply_ping(running, success_b)
    assert outcome.state.last_start == at(10)
    assert outcome.state.last_start_rid == RID_A
    assert outcome.state.last_ping == at(13)
    assert outcome.duration is None
    assert outcome.state.last_duration is None
    assert status(outcome.state, at(14)) == Status.STARTED
    assert alert_after(outcome.state) == at(15)


def test_a_success_with_another_rid_reports_its_own_run_duration() -> None:
    running = started(UP_CHECK, 10, RID_A)
    outcome = apply_ping(running, ping(Action.SUCCESS, 14, rid=RID_B), run_started_at=at(12))
    assert outcome.duration == timedelta(minutes=2)
    assert outcome.state.last_duration is None
    assert outcome.state.last_start_rid == RID_A


def test_a_success_of_another_run_drops_a_pending_run_already_past_its_grace() -> None:
    running = started(UP_CHECK, 10, RID_A)
    outcome = apply_ping(running, ping(Action.SUCCESS, 20, rid=RID_B), run_started_at=at(12))
    assert outcome.duration == timedelta(minutes=8)
    assert (outcome.state.last_start, outcome.state.last_start_rid) == (None, None)
    assert alert_after(outcome.state) == at(20) + timedelta(hours=1) + GRACE


def test_a_success_without_a_rid_ends_a_pending_run_that_had_one() -> None:
    running = started(UP_CHECK, 10, RID_A)
    success = ping(Action.SUCCESS, 20)
    assert not needs_run_lookup(running, success)
    outcome = apply_ping(running, success)
    assert outcome.state.last_start is None
    assert outcome.state.last_start_rid is None
    assert outcome.duration is None


def test_a_fail_with_another_rid_ends_the_pending_run() -> None:
    running = started(UP_CHECK, 10, RID_A)
    outcome = apply_ping(running, ping(Action.FAIL, 20, rid=RID_B), run_started_at=at(18))
    assert outcome.state.last_start is None
    assert outcome.state.last_start_rid is None
    assert outcome.state.status == Status.DOWN
    assert outcome.duration == timedelta(minutes=2)
    assert outcome.state.last_duration is None


def test_a_finish_with_a_rid_and_nothing_pending_needs_a_run_lookup() -> None:
    assert needs_run_lookup(UP_CHECK, ping(Action.SUCCESS, 5, rid=RID_A))
    assert needs_run_lookup(UP_CHECK, ping(Action.FAIL, 5, rid=RID_A))


def test_only_a_finish_with_a_foreign_rid_needs_a_run_lookup() -> None:
    running = started(UP_CHECK, 10, RID_A)
    assert not needs_run_lookup(running, ping(Action.SUCCESS, 20, rid=RID_A))
    assert not needs_run_lookup(running, ping(Action.SUCCESS, 20))
    assert not needs_run_lookup(running, ping(Action.START, 20, rid=RID_B))
    assert not needs_run_lookup(running, ping(Action.LOG, 20, rid=RID_B))


def test_a_started_new_check_arms_the_timer() -> None:
    running = started(NEW_CHECK, 10)
    assert running.status == Status.NEW
    assert alert_after(running) == at(15)
    assert status(running, at(14)) == Status.STARTED
    assert status(running, at(15)) == Status.DOWN
    assert expire(running, at(14)) is None
    expired = expire(running, at(15))
    assert expired is not None
    assert expired[1] == Flip(at(15), Status.NEW, Status.DOWN, "started but not finished")


def test_a_run_started_before_the_due_time_must_finish_within_grace_of_its_start() -> None:
    running = started(UP_CHECK, 30)
    assert alert_after(running) == at(35)


def test_a_run_started_late_gets_its_own_full_grace() -> None:
    running = started(UP_CHECK, 63)  # due at 60, its grace would end at 65
    assert alert_after(running) == at(68)
    assert status(running, at(66)) == Status.STARTED
    assert status(running, at(68)) == Status.DOWN


def test_a_start_on_a_down_check_does_not_arm_the_timer() -> None:
    down = apply_ping(UP_CHECK, ping(Action.FAIL, 10)).state
    running = started(down, 20)
    assert alert_after(running) is None
    assert status(running, at(24)) == Status.STARTED
    assert status(running, at(25)) == Status.DOWN


# --- pings that change nothing ---------------------------------------------------------


@pytest.mark.parametrize("action", [Action.LOG, Action.IGNORED])
def test_log_and_ignored_pings_change_nothing(action: Action) -> None:
    running = started(UP_CHECK, 10, RID_A)
    outcome = apply_ping(running, ping(action, 20, rid=RID_A, method="POST"))
    assert outcome == PingOutcome(running, action)


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("action", [Action.SUCCESS, Action.FAIL, Action.START])
def test_a_post_only_check_ignores_get_and_head(method: str, action: Action) -> None:
    post_only = replace(UP_CHECK, post_only=True)
    outcome = apply_ping(post_only, ping(action, 10, method=method))
    assert outcome.action == Action.IGNORED
    assert outcome.state == post_only
    assert outcome.flip is None


def test_a_post_only_check_acts_on_post() -> None:
    post_only = replace(UP_CHECK, post_only=True)
    outcome = apply_ping(post_only, ping(Action.FAIL, 10, method="POST"))
    assert outcome.action == Action.FAIL
    assert outcome.state.status == Status.DOWN


def test_a_post_only_check_keeps_a_log_ping_a_log_ping() -> None:
    assert classify(replace(UP_CHECK, post_only=True), Action.LOG, "GET") == Action.LOG


@pytest.mark.parametrize("action", [Action.SUCCESS, Action.FAIL, Action.START])
def test_a_paused_check_with_manual_resume_ignores_pings(action: Action) -> None:
    paused = replace(UP_CHECK, status=Status.PAUSED, manual_resume=True)
    outcome = apply_ping(paused, ping(action, 10, method="POST"))
    assert outcome.action == Action.IGNORED
    assert outcome.state == paused
    assert outcome.flip is None


def test_a_paused_check_without_manual_resume_goes_up_on_success() -> None:
    paused = replace(UP_CHECK, status=Status.PAUSED)
    outcome = apply_ping(paused, ping(Action.SUCCESS, 10))
    assert outcome.state.status == Status.UP
    assert outcome.flip == Flip(at(10), Status.PAUSED, Status.UP, "ping")


# --- status ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (0, Status.UP),
        (59.99, Status.UP),
        (60, Status.LATE),
        (64.99, Status.LATE),
        (65, Status.DOWN),
        (600, Status.DOWN),
    ],
)
def test_an_up_check_is_up_then_late_then_down(minutes: float, expected: Status) -> None:
    assert status(UP_CHECK, at(minutes)) == expected


def test_a_cron_check_is_late_from_the_next_slot() -> None:
    nightly = replace(UP_CHECK, schedule=Cron("30 2 * * *", "Europe/Berlin"))  # 01:30 UTC
    assert status(nightly, datetime(2026, 3, 2, 1, 29, tzinfo=UTC)) == Status.UP
    assert status(nightly, datetime(2026, 3, 2, 1, 30, tzinfo=UTC)) == Status.LATE
    assert status(nightly, datetime(2026, 3, 2, 1, 35, tzinfo=UTC)) == Status.DOWN
    assert alert_after(nightly) == datetime(2026, 3, 2, 1, 35, tzinfo=UTC)


@pytest.mark.parametrize("stored", [Status.NEW, Status.PAUSED, Status.DOWN])
def test_a_check_that_is_not_up_keeps_its_stored_status(stored: Status) -> None:
    assert status(replace(UP_CHECK, status=stored), at(10_000)) == stored


def test_a_running_check_is_started_until_its_grace_runs_out() -> None:
    running = started(UP_CHECK, 10)
    assert status(running, at(10)) == Status.STARTED
    assert status(running, at(14.99)) == Status.STARTED
    assert status(running, at(15)) == Status.DOWN


# --- expire ----------------------------------------------------------------------------


def test_expire_does_nothing_before_the_deadline() -> None:
    assert expire(UP_CHECK, at(64.99)) is None


def test_expire_turns_a_missed_check_down_dated_at_the_deadline() -> None:
    expired = expire(UP_CHECK, at(200))
    assert expired is not None
    state, flip = expired
    assert state == replace(UP_CHECK, status=Status.DOWN)
    assert flip == Flip(at(65), Status.UP, Status.DOWN, "missed")


def test_expire_turns_an_unfinished_run_down_dated_at_its_deadline() -> None:
    running = started(UP_CHECK, 10, RID_A)
    expired = expire(running, at(30))
    assert expired is not None
    state, flip = expired
    assert state.status == Status.DOWN
    assert flip == Flip(at(15), Status.UP, Status.DOWN, "started but not finished")
    assert alert_after(state) is None
    assert status(state, at(30)) == Status.DOWN


@pytest.mark.parametrize("stored", [Status.NEW, Status.PAUSED, Status.DOWN])
def test_expire_leaves_a_check_that_is_not_up_alone(stored: Status) -> None:
    assert expire(replace(UP_CHECK, status=stored), at(10_000)) is None


def test_expire_never_dates_a_flip_before_the_ping_that_set_the_status() -> None:
    running = started(UP_CHECK, 10, RID_A)  # run A never finishes
    expired = expire(running, at(15))
    assert expired is not None
    recovered = apply_ping(expired[0], ping(Action.SUCCESS, 20, rid=RID_B))
    assert recovered.flip == Flip(at(20), Status.DOWN, Status.UP, "ping")
    again = expire(recovered.state, at(20))
    assert again is None or (again[1] is not None and again[1].at >= at(20))


# --- pause and resume ------------------------------------------------------------------


def test_pause_flips_to_paused_and_forgets_a_pending_run() -> None:
    running = started(UP_CHECK, 10, RID_A)
    state, flip = pause(running, at(12))
    assert state == replace(UP_CHECK, status=Status.PAUSED)
    assert flip == Flip(at(12), Status.UP, Status.PAUSED, "paused")
    assert alert_after(state) is None
    assert status(state, at(10_000)) == Status.PAUSED


def test_pausing_a_paused_check_makes_no_flip() -> None:
    paused, _ = pause(UP_CHECK, at(1))
    again, flip = pause(paused, at(2))
    assert again == paused
    assert flip is None


def test_resume_starts_a_paused_check_over_as_new() -> None:
    paused, _ = pause(replace(UP_CHECK, last_duration=timedelta(seconds=3)), at(1))
    state, flip = resume(paused, at(2))
    assert state.status == Status.NEW
    assert state.last_ping is None
    assert state.last_start is None
    assert flip == Flip(at(2), Status.PAUSED, Status.NEW, "resumed")
    assert alert_after(state) is None


@pytest.mark.parametrize("stored", [Status.NEW, Status.UP, Status.DOWN])
def test_resuming_a_check_that_is_not_paused_changes_nothing(stored: Status) -> None:
    check = replace(UP_CHECK, status=stored)
    assert resume(check, at(1)) == (check, None)


# --- properties ------------------------------------------------------------------------

CRON_EXPRESSIONS = ["*/5 * * * *", "0 * * * *", "30 2 * * *", "0 9 * * 1-5", "0 0 1 * *"]
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"]
NOT_DOWN = [Status.NEW, Status.UP, Status.PAUSED]

offsets = st.timedeltas(min_value=timedelta(days=-10), max_value=timedelta(days=10))
run_offsets = st.timedeltas(min_value=timedelta(days=-2), max_value=timedelta(days=9))
nudges = st.sampled_from([timedelta(0), timedelta(microseconds=-1), timedelta(microseconds=1)])
near = nudges | st.timedeltas(min_value=timedelta(days=-3), max_value=timedelta(days=3))
schedules: st.SearchStrategy[Schedule] = st.one_of(
    st.builds(Period, st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=7))),
    st.builds(Cron, st.sampled_from(CRON_EXPRESSIONS), st.sampled_from(ZONES)),
)
instants = st.timedeltas(min_value=timedelta(days=-12), max_value=timedelta(days=40)).map(
    lambda offset: T0 + offset
)


@st.composite
def check_states(draw: st.DrawFn, stored: list[Status] | None = None) -> CheckState:
    state_status = draw(st.sampled_from(stored or sorted(STORED_STATUSES)))
    last_ping = draw(st.none() | offsets.map(lambda offset: T0 + offset))
    if state_status == Status.UP and last_ping is None:
        last_ping = T0  # an up check has always been pinged
    # Runs start near the last ping, so they often start before, in and after its grace.
    run_base = last_ping or T0
    last_start = draw(st.none() | run_offsets.map(lambda offset: run_base + offset))
    return CheckState(
        schedule=draw(schedules),
        grace=draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=2))),
        status=state_status,
        last_ping=last_ping,
        last_start=last_start,
        last_start_rid=draw(st.sampled_from([None, RID_A])) if last_start else None,
        manual_resume=draw(st.booleans()),
        post_only=draw(st.booleans()),
        maintenance=draw(st.none() | maintenance_windows()),
    )


@st.composite
def maintenance_windows(draw: st.DrawFn) -> Maintenance:
    quarter_hours = st.integers(0, 95).map(lambda q: time(q // 4, q % 4 * 15))
    return Maintenance(
        days=draw(st.frozensets(st.integers(0, 6))),
        start=draw(quarter_hours),
        end=draw(quarter_hours),
        tz=draw(st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"])),
    )


@st.composite
def checks_and_moments(
    draw: st.DrawFn, stored: list[Status] | None = None
) -> tuple[CheckState, datetime]:
    """A check and a `now`, often right at or near one of its interesting moments."""
    state = draw(check_states(stored))
    due = due_at(state)
    candidates = [
        alert_after(state),
        due,
        None if due is None else due + state.grace,
        None if state.last_start is None else state.last_start + state.grace,
        state.last_ping,
    ]
    anchors = [moment for moment in candidates if moment is not None]
    if not anchors:
        return state, draw(instants)
    nearby = st.sampled_from(anchors).flatmap(lambda anchor: near.map(lambda d: anchor + d))
    now: datetime = draw(instants | nearby)
    return state, now


@settings(max_examples=200, deadline=None)
@given(checks_and_moments(NOT_DOWN))
def test_a_check_is_down_exactly_from_its_alert_after(case: tuple[CheckState, datetime]) -> None:
    state, now = case
    deadline = alert_after(state)
    past_deadline = deadline is not None and now >= deadline
    assert (status(state, now) == Status.DOWN) == past_deadline
    assert (expire(state, now) is not None) == past_deadline


@settings(max_examples=100, deadline=None)
@given(checks_and_moments([Status.DOWN]))
def test_a_down_check_has_no_deadline(case: tuple[CheckState, datetime]) -> None:
    state, now = case
    assert alert_after(state) is None
    assert expire(state, now) is None


@settings(max_examples=200, deadline=None)
@given(checks_and_moments(NOT_DOWN))
def test_an_expired_check_is_down_from_the_deadline_on(case: tuple[CheckState, datetime]) -> None:
    state, now = case
    expired = expire(state, now)
    if expired is None:
        return
    down, flip = expired
    assert down.status == Status.DOWN
    assert flip is not None  # without rules, every miss flips
    assert flip.at == alert_after(state)
    assert flip.at <= now
    assert status(down, now) == Status.DOWN
    assert expire(down, now) is None


ping_actions = st.sampled_from(list(Action))
ping_steps = st.tuples(
    ping_actions,
    st.timedeltas(min_value=timedelta(milliseconds=1), max_value=timedelta(days=2)),
    st.sampled_from(["GET", "HEAD", "POST"]),
    st.sampled_from([None, RID_A, RID_B]),
    st.none() | st.integers(min_value=0, max_value=255),
    st.none() | st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=3)),
)


@settings(max_examples=200, deadline=None)
@given(
    initial=st.one_of(st.just(NEW_CHECK), check_states()),
    steps=st.lists(ping_steps, max_size=20),
)
def test_random_pings_keep_the_state_machine_consistent(
    initial: CheckState,
    steps: list[tuple[Action, timedelta, str, UUID | None, int | None, timedelta | None]],
) -> None:
    state = initial
    now = T0 + timedelta(days=30)  # after every time check_states can draw
    for action, gap, method, rid, exit_status, run_age in steps:
        now += gap
        event = PingEvent(action, now, method=method, rid=rid, exit_status=exit_status)
        run_started_at = None
        if run_age is not None and needs_run_lookup(state, event):
            run_started_at = now - run_age
        outcome = apply_ping(state, event, run_started_at)
        new = outcome.state
        assert settings_of(new) == settings_of(state)  # pings never change settings
        assert new.status in STORED_STATUSES
        assert status(new, now) in set(Status)
        if outcome.action in (Action.LOG, Action.IGNORED):
            assert new == state
            assert outcome.flip is None
        elif outcome.action == Action.START:
            assert (new.last_start, new.last_start_rid) == (now, rid)
            assert new.status == state.status
        else:
            assert new.last_ping == now
            assert new.status == (Status.DOWN if outcome.action == Action.FAIL else Status.UP)
            assert (outcome.flip is not None) == (new.status != state.status)
        deadline = alert_after(new)
        if new.status == Status.UP and new.last_start is None:
            assert new.last_ping is not None
            natural = next_due(new.schedule, new.last_ping) + new.grace
            assert deadline == outside_maintenance(new.maintenance, natural)
            assert deadline > new.last_ping
            if outcome.action == Action.SUCCESS:
                assert deadline > now  # a success is never already overdue
        if new.status == Status.UP and new.last_start is not None:
            # Only another run's success keeps an older run pending; it may be overdue.
            natural = new.last_start + new.grace
            assert deadline == outside_maintenance(new.maintenance, natural)
            assert new.last_start <= now
        if outcome.action == Action.START and new.status != Status.DOWN:
            assert deadline == outside_maintenance(new.maintenance, now + new.grace)
        state = new


def settings_of(state: CheckState) -> tuple[object, ...]:
    """What people set on a check, as opposed to what its pings made of it."""
    return (state.schedule, state.grace, state.manual_resume, state.post_only, state.maintenance)
