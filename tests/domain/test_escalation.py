"""Escalation policies as schedules: pure."""

from datetime import timedelta

from tests.helpers import T0
from tocsin.domain.escalation import Policy, Progress, Step, default_policy, first_nag, run_due
from tocsin.domain.escalation import start as start_policy

S = timedelta(seconds=1)
TWO_STEPS = Policy([Step(0 * S, [1, 2]), Step(3 * S, [3])])


def test_the_default_policy_notifies_every_channel_at_once_and_stops() -> None:
    policy = default_policy([4, 5])
    channels, progress = run_due(policy, start_policy(policy, T0), T0)
    assert channels == [4, 5]
    assert progress.due_at is None


def test_a_step_runs_when_its_wait_has_passed_and_not_before() -> None:
    progress = start_policy(TWO_STEPS, T0)
    first, progress = run_due(TWO_STEPS, progress, T0)
    assert (first, progress) == ([1, 2], Progress(1, 0, T0 + 3 * S))
    early, unchanged = run_due(TWO_STEPS, progress, T0 + 2 * S)
    assert (early, unchanged) == ([], progress)
    second, done = run_due(TWO_STEPS, progress, T0 + 3 * S)
    assert (second, done.due_at) == ([3], None)


def test_a_late_pass_runs_every_due_step_once_and_keeps_the_schedule() -> None:
    policy = Policy([Step(0 * S, [1]), Step(5 * S, [2]), Step(5 * S, [1, 3]), Step(60 * S, [4])])
    channels, progress = run_due(policy, start_policy(policy, T0), T0 + 11 * S)
    assert channels == [1, 2, 3]
    # The next step counts from the last one's scheduled time, not from the late pass.
    assert progress == Progress(3, 0, T0 + 70 * S)


def test_a_policy_repeats_after_its_delay_then_stops() -> None:
    policy = Policy([Step(0 * S, [1]), Step(2 * S, [2])], repeat_count=1, repeat_delay=10 * S)
    progress = start_policy(policy, T0)
    _, progress = run_due(policy, progress, T0)
    _, progress = run_due(policy, progress, T0 + 2 * S)
    assert progress == Progress(0, 1, T0 + 12 * S)
    again, progress = run_due(policy, progress, T0 + 14 * S)
    assert (again, progress.due_at) == ([1, 2], None)


def test_a_do_nothing_policy_records_but_pages_nobody() -> None:
    policy = Policy([])
    assert start_policy(policy, T0).due_at is None
    assert run_due(policy, start_policy(policy, T0), T0 + 99 * S) == ([], Progress(0, 0, None))


def test_nagging_starts_one_interval_after_opening() -> None:
    assert first_nag(Policy([], nag_interval=30 * S), T0) == T0 + 30 * S
    assert first_nag(TWO_STEPS, T0) is None
