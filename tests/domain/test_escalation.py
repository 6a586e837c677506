"""Escalation policies as schedules: pure."""

from datetime import datetime, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from tests.helpers import T0
from tocsin.domain import escalation
from tocsin.domain.escalation import (
    Policy,
    Progress,
    Run,
    Step,
    advance,
    channels_of,
    default_policy,
    first_nag,
    run_due,
    step_label,
)
from tocsin.domain.escalation import start as start_policy
from tocsin.domain.people import Method, Target, TargetKind

S = timedelta(seconds=1)
TWO_STEPS = Policy([Step(0 * S, [1, 2]), Step(3 * S, [3])])


def schedule(policy: Policy, opened_at: datetime) -> list[Run]:
    """Every step the policy runs for an incident nobody acknowledges, in order: one
    step at a time, as no watcher pass does, for the watcher's passes to match."""
    runs: list[Run] = []
    progress = start_policy(policy, opened_at)
    while progress.due_at is not None:
        run, progress = advance(policy, progress)
        if run is not None:
            runs.append(run)
    return runs


def due(policy: Policy, progress: Progress, now_offset: timedelta) -> tuple[list[int], Progress]:
    runs, progress = run_due(policy, progress, T0 + now_offset)
    return channels_of(runs), progress


def test_the_default_policy_notifies_every_channel_at_once_and_stops() -> None:
    policy = default_policy([4, 5])
    channels, progress = due(policy, start_policy(policy, T0), 0 * S)
    assert channels == [4, 5]
    assert progress.due_at is None


def test_a_step_runs_when_its_wait_has_passed_and_not_before() -> None:
    progress = start_policy(TWO_STEPS, T0)
    first, progress = due(TWO_STEPS, progress, 0 * S)
    assert (first, progress) == ([1, 2], Progress(1, 0, T0 + 3 * S))
    early, unchanged = due(TWO_STEPS, progress, 2 * S)
    assert (early, unchanged) == ([], progress)
    second, done = due(TWO_STEPS, progress, 3 * S)
    assert (second, done.due_at) == ([3], None)


def test_a_late_pass_runs_every_due_step_once_and_keeps_the_schedule() -> None:
    policy = Policy([Step(0 * S, [1]), Step(5 * S, [2]), Step(5 * S, [1, 3]), Step(60 * S, [4])])
    runs, progress = run_due(policy, start_policy(policy, T0), T0 + 11 * S)
    assert channels_of(runs) == [1, 2, 3]
    assert [run.label for run in runs] == ["step 1", "step 2", "step 3"]
    # The next step counts from the last one's scheduled time, not from the late pass.
    assert progress == Progress(3, 0, T0 + 70 * S)


def test_a_policy_repeats_after_its_delay_then_stops() -> None:
    policy = Policy([Step(0 * S, [1]), Step(2 * S, [2])], repeat_count=1, repeat_delay=10 * S)
    progress = start_policy(policy, T0)
    _, progress = due(policy, progress, 0 * S)
    _, progress = due(policy, progress, 2 * S)
    assert progress == Progress(0, 1, T0 + 12 * S)
    again, progress = due(policy, progress, 14 * S)
    assert (again, progress.due_at) == ([1, 2], None)


def test_without_a_delay_a_round_starts_one_last_wait_after_the_last_step() -> None:
    # Two steps 9 s apart, repeated twice: the repeats no longer fire with step 2.
    policy = Policy([Step(0 * S, [1]), Step(9 * S, [2])], repeat_count=2)
    runs = schedule(policy, T0)
    assert [(run.label, run.at - T0) for run in runs] == [
        ("step 1", 0 * S),
        ("step 2", 9 * S),
        ("step 1, round 2", 18 * S),
        ("step 2, round 2", 27 * S),
        ("step 1, round 3", 36 * S),
        ("step 2, round 3", 45 * S),
    ]


def test_a_last_step_without_a_wait_lends_the_longest_wait_to_the_repeat() -> None:
    policy = Policy([Step(0 * S, [1]), Step(5 * S, [2]), Step(0 * S, [3])], repeat_count=1)
    assert [run.at - T0 for run in schedule(policy, T0)] == [
        0 * S,
        5 * S,
        5 * S,
        10 * S,
        15 * S,
        15 * S,
    ]


def test_a_do_nothing_policy_records_but_pages_nobody() -> None:
    policy = Policy([])
    assert start_policy(policy, T0).due_at is None
    assert run_due(policy, start_policy(policy, T0), T0 + 99 * S) == ([], Progress(0, 0, None))


def test_a_step_the_policy_lost_since_notifies_nobody_and_ends_it() -> None:
    runs, progress = run_due(TWO_STEPS, Progress(5, 0, T0), T0)
    assert (runs, progress) == ([], Progress(5, 0, None))


def test_labels_number_steps_and_rounds_from_one() -> None:
    assert step_label(0, 0) == "step 1"
    assert step_label(1, 0) == "step 2"
    assert step_label(0, 1) == "step 1, round 2"


def test_nagging_starts_one_interval_after_opening() -> None:
    assert first_nag(Policy([], nag_interval=30 * S), T0) == T0 + 30 * S
    assert first_nag(TWO_STEPS, T0) is None


# Properties of every policy.

waits = st.integers(min_value=0, max_value=3600).map(lambda n: n * S)
policies = st.builds(
    Policy,
    steps=st.lists(
        st.builds(Step, waits, st.lists(st.integers(1, 5), max_size=3)), min_size=1, max_size=5
    ),
    repeat_count=st.integers(min_value=0, max_value=4),
    repeat_delay=st.one_of(st.just(0 * S), waits),
)


def all_waits_zero(policy: Policy) -> bool:
    return policy.repeat_delay == 0 * S and all(s.wait_before == 0 * S for s in policy.steps)


@given(policies)
def test_notification_times_never_go_back(policy: Policy) -> None:
    times = [run.at for run in schedule(policy, T0)]
    assert times == sorted(times)
    assert all(time >= T0 for time in times)


@given(policies)
def test_every_step_of_every_round_runs_once_in_order(policy: Policy) -> None:
    runs = schedule(policy, T0)
    rounds, steps = policy.repeat_count + 1, len(policy.steps)
    assert [(run.round, run.step) for run in runs] == [
        (r, s) for r in range(rounds) for s in range(steps)
    ]
    assert all(run.channel_ids == policy.steps[run.step].channel_ids for run in runs)


@given(policies)
def test_rounds_never_share_an_instant_unless_every_wait_is_zero(policy: Policy) -> None:
    runs = schedule(policy, T0)
    for earlier, later in pairwise(runs):
        if later.round != earlier.round and not all_waits_zero(policy):
            assert later.at > earlier.at


@given(policies)
def test_labels_name_the_step_and_the_round(policy: Policy) -> None:
    for run in schedule(policy, T0):
        expected = f"step {run.step + 1}"
        if run.round:
            expected += f", round {run.round + 1}"
        assert run.label == expected


@given(policies, st.lists(st.integers(min_value=0, max_value=20000), max_size=8))
def test_passes_at_any_moments_run_what_the_schedule_says(
    policy: Policy, offsets: list[int]
) -> None:
    # However often (or rarely) the watcher passes, it runs the same steps at the same
    # scheduled times as the whole schedule, and never a step before it is due.
    progress, ran = start_policy(policy, T0), list[Run]()
    for offset in [*sorted(offsets), 10**9]:
        runs, progress = run_due(policy, progress, T0 + offset * S)
        assert all(run.at <= T0 + offset * S for run in runs)
        ran.extend(runs)
    assert ran == schedule(policy, T0)


def test_simple_alerting_is_the_person_on_call_then_the_team_after_its_wait() -> None:
    methods = frozenset({Method.EMAIL, Method.SMS})
    policy = escalation.on_call_then_team([7], methods, timedelta(minutes=3))
    first, team = policy.steps
    assert (first.wait_before, first.channel_ids) == (timedelta(0), [7])
    assert first.reach.targets == (Target(TargetKind.ON_CALL),)
    assert (team.wait_before, team.channel_ids) == (timedelta(minutes=3), [])
    assert team.reach.targets == (Target(TargetKind.ENTIRE_TEAM),)
    assert first.reach.methods == team.reach.methods == methods
    assert len(escalation.on_call_then_team([7], methods, None).steps) == 1
    assert escalation.on_call_then_team([7], frozenset(), timedelta(1)) == (
        escalation.default_policy([7])
    )
