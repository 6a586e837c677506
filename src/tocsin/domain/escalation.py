"""Escalation policies as pure schedules: which channels to notify, and when next.

A policy is an ordered list of steps, each with the channels it notifies and how long
after the previous step (or the incident's opening) it runs. After the last step the
whole policy may run `repeat_count` more times, each run a round. A round after the
first starts one gap after the previous round's last step, then waits the first
step's own wait as usual. The gap is the policy's `repeat_delay` when it has one;
without one it is the last step's wait (the time the policy gave its last step to be
answered), or, when that is zero, the longest wait in the policy. So a repeated
policy never pages one round's steps at the instant it pages the previous round's,
unless every wait in it is zero.

Times are computed from the previous step's scheduled time, not from when the watcher
got to it, so a late pass does not push the rest of the policy back.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tocsin.domain.people import Reach


@dataclass(slots=True)
class Step:
    wait_before: timedelta
    channel_ids: list[int] = field(default_factory=list)
    # People, every channel of a kind, the methods and the hours the step runs in.
    reach: Reach = field(default_factory=Reach)


@dataclass(slots=True)
class Policy:
    steps: list[Step]
    repeat_count: int = 0
    repeat_delay: timedelta = timedelta(0)
    nag_interval: timedelta | None = None


@dataclass(slots=True)
class Progress:
    """Where an incident is in its policy: the next step, in which round (0 is the
    first), and when. `due_at` is None once the policy has run out."""

    next_step: int
    round: int
    due_at: datetime | None


@dataclass(frozen=True, slots=True)
class Run:
    """One step run: which step of which round (both from 0), when it was due, and
    the channels it notifies (and whom else, resolved when it runs)."""

    step: int
    round: int
    at: datetime
    channel_ids: list[int]
    reach: Reach = field(default_factory=Reach)

    @property
    def label(self) -> str:
        return step_label(self.step, self.round)


def step_label(step: int, round_: int) -> str:
    """`step 2`, or `step 1, round 2` once the policy repeats: numbered from 1."""
    words = f"step {step + 1}"
    return words if round_ == 0 else f"{words}, round {round_ + 1}"


def default_policy(channel_ids: list[int]) -> Policy:
    """Every channel of the check at once, no escalation."""
    return Policy([Step(timedelta(0), channel_ids)])


def start(policy: Policy, opened_at: datetime) -> Progress:
    if not policy.steps:
        return Progress(0, 0, None)  # a "do nothing" policy: record, page nobody
    return Progress(0, 0, opened_at + policy.steps[0].wait_before)


def repeat_gap(policy: Policy) -> timedelta:
    """The wait between one round's last step and the next round (before the first
    step's own wait): the repeat delay, else the last step's wait, else the longest."""
    if policy.repeat_delay > timedelta(0):
        return policy.repeat_delay
    last = policy.steps[-1].wait_before
    return last if last > timedelta(0) else max(step.wait_before for step in policy.steps)


def advance(policy: Policy, progress: Progress) -> tuple[Run | None, Progress]:
    """Run the due step: what it notifies (None if the policy lost the step since it
    was scheduled), and the progress after it."""
    assert progress.due_at is not None
    if progress.next_step >= len(policy.steps):
        return None, Progress(progress.next_step, progress.round, None)
    step = policy.steps[progress.next_step]
    run = Run(progress.next_step, progress.round, progress.due_at, step.channel_ids, step.reach)
    return run, following(policy, progress, progress.due_at)


def following(policy: Policy, progress: Progress, due_at: datetime) -> Progress:
    """The progress after the step `progress` points at, which was due at `due_at`."""
    after = progress.next_step + 1
    if after < len(policy.steps):
        return Progress(after, progress.round, due_at + policy.steps[after].wait_before)
    if progress.round < policy.repeat_count:
        due = due_at + repeat_gap(policy) + policy.steps[0].wait_before
        return Progress(0, progress.round + 1, due)
    return Progress(after, progress.round, None)


def run_due(policy: Policy, progress: Progress, now: datetime) -> tuple[list[Run], Progress]:
    """Every step due by `now` (several, when steps wait 0 s or the watcher was down),
    each with its own step and round."""
    runs: list[Run] = []
    while progress.due_at is not None and progress.due_at <= now:
        run, progress = advance(policy, progress)
        if run is not None:
            runs.append(run)
    return runs, progress


def channels_of(runs: list[Run]) -> list[int]:
    """The channels the runs notify, each once, in order."""
    return list(dict.fromkeys(channel for run in runs for channel in run.channel_ids))


def first_nag(policy: Policy, opened_at: datetime) -> datetime | None:
    return None if policy.nag_interval is None else opened_at + policy.nag_interval
