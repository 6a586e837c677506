"""Escalation policies as pure schedules: which channels to notify, and when next.

A policy is an ordered list of steps, each with the channels it notifies and how long
after the previous step (or the incident's opening) it runs. After the last step the
whole policy may repeat `repeat_count` more times, `repeat_delay` after its last step.
Times are computed from the previous step's scheduled time, not from when the watcher
got to it, so a late pass does not push the rest of the policy back.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(slots=True)
class Step:
    wait_before: timedelta
    channel_ids: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Policy:
    steps: list[Step]
    repeat_count: int = 0
    repeat_delay: timedelta = timedelta(0)
    nag_interval: timedelta | None = None


@dataclass(slots=True)
class Progress:
    """Where an incident is in its policy: the next step, in which round, and when.
    `due_at` is None once the policy has run out."""

    next_step: int
    round: int
    due_at: datetime | None


def default_policy(channel_ids: list[int]) -> Policy:
    """Every channel of the check at once, no escalation."""
    return Policy([Step(timedelta(0), channel_ids)])


def start(policy: Policy, opened_at: datetime) -> Progress:
    if not policy.steps:
        return Progress(0, 0, None)  # a "do nothing" policy: record, page nobody
    return Progress(0, 0, opened_at + policy.steps[0].wait_before)


def advance(policy: Policy, progress: Progress) -> tuple[list[int], Progress]:
    """Run the due step: the channels to notify now, and the progress after it."""
    assert progress.due_at is not None
    if progress.next_step >= len(policy.steps):  # the policy lost steps since
        return [], Progress(progress.next_step, progress.round, None)
    step = policy.steps[progress.next_step]
    following = progress.next_step + 1
    if following < len(policy.steps):
        due = progress.due_at + policy.steps[following].wait_before
        return step.channel_ids, Progress(following, progress.round, due)
    if progress.round < policy.repeat_count:
        due = progress.due_at + policy.repeat_delay + policy.steps[0].wait_before
        return step.channel_ids, Progress(0, progress.round + 1, due)
    return step.channel_ids, Progress(following, progress.round, None)


def run_due(policy: Policy, progress: Progress, now: datetime) -> tuple[list[int], Progress]:
    """Every step due by `now` (several, when steps wait 0 s or the watcher was down)."""
    channel_ids: list[int] = []
    while progress.due_at is not None and progress.due_at <= now:
        notified, progress = advance(policy, progress)
        channel_ids.extend(c for c in notified if c not in channel_ids)
    return channel_ids, progress


def first_nag(policy: Policy, opened_at: datetime) -> datetime | None:
    return None if policy.nag_interval is None else opened_at + policy.nag_interval
