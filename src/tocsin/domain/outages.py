"""Database outages and the deadlines they hold back. Pure.

While the database cannot record pings (they are refused with 503, or stuck in a batch
that does not come back), the jobs behind them keep trying, and their pings land once
it is back. A client that retries with a doubling wait (`curl --retry`) first tried
at most an outage's length before the end, so it tries again at most about that long
after it. A deadline that passes in that time says nothing about the job: the watcher
holds it back, to the moment the retried pings have had time to land.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

# Beyond an outage's own length on either side: a client's own timeout and its first
# wait before retrying (curl waits 1 s, `tocsin run` 0.25 s), the watcher's SETTLE, and
# an outage noticed a little after it began.
MARGIN = timedelta(seconds=10)


@dataclass(frozen=True, slots=True)
class Outage:
    """A time the database could not record pings, as one process saw it."""

    started: datetime
    ended: datetime

    @property
    def length(self) -> timedelta:
        return self.ended - self.started

    @property
    def holds_from(self) -> datetime:
        return self.started - MARGIN

    @property
    def held_until(self) -> datetime:
        """Where the deadlines it holds back move: retried pings have landed by then."""
        return self.ended + self.length + MARGIN

    def holds(self, deadline: datetime) -> bool:
        return self.holds_from <= deadline < self.held_until


def held_deadline(deadline: datetime, outages: Sequence[Outage]) -> datetime | None:
    """Where the outages move `deadline`, or None if none of them holds it. A deadline
    one outage moves into the reach of the next moves on. Applying it again changes
    nothing, so any number of watchers may apply it, any number of times."""
    held = deadline
    # Each step moves it past an outage's reach for good: at most one step per outage.
    while until := max((o.held_until for o in outages if o.holds(held)), default=None):
        held = until
    return None if held == deadline else held


def merged(outages: Iterable[Outage]) -> list[Outage]:
    """Overlapping outages as one, in order: the same outage seen by several parts of
    a process (the ping intake's stuck batch, the watcher's stuck read) is one."""
    joined: list[Outage] = []
    for outage in sorted(outages, key=lambda outage: outage.started):
        if joined and outage.started <= joined[-1].ended:
            last = joined[-1]
            joined[-1] = Outage(last.started, max(last.ended, outage.ended))
        else:
            joined.append(outage)
    return joined
