"""Whether the database can take work, and the outages this process has seen.

`Availability` is what the process's ping intake and watcher report their database work
to: when it began, whether it failed for want of a database or was answered, and so
when the database was unavailable (from the first refusal to the first answer to work
begun after it) or stalled (work answered, but later than `STALL`; a frozen server
returns no error to retry on). The watcher holds back the deadlines those outages made
pass (`domain.outages`). One warning when an outage begins and one when it ends.
"""

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial

from tocsin.domain.clock import Clock
from tocsin.domain.outages import Outage, merged
from tocsin.store.errors import unavailable
from tocsin.store.fastpath.batch import BatchWriter
from tocsin.store.fastpath.runners import BatchRunner

log = logging.getLogger("tocsin.store")

# Work normally takes milliseconds (a batch of pings, p99 15 ms at full load; a watcher's
# read); work that took this long was stuck, and the pings behind it with it.
STALL = timedelta(seconds=2)


class Availability:
    """The database as this process has seen it; see the module's docstring."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._in_flight: list[datetime] = []  # when each piece of work under way began
        self._down_since: datetime | None = None  # when the failed work began
        self._noticed: datetime | None = None  # when it failed
        self._refused = 0  # pings refused in the current outage
        self._past: list[Outage] = []

    def began(self) -> datetime:
        """Work is sent to the database; pass what this returns to `failed` or `answered`."""
        started = self.clock.now()
        self._in_flight.append(started)
        return started

    def failed(self, started: datetime, error: BaseException, pings: int = 0) -> bool:
        """The work begun at `started` failed; whether for want of a database. `pings`
        were refused for it."""
        self._in_flight.remove(started)
        if not unavailable(error):
            return False
        if self._down_since is None:
            self._down_since, self._noticed = started, self.clock.now()
            log.warning("the database is unavailable, pings are answered 503: %s", error)
        self._refused += pings
        return True

    def answered(self, started: datetime, long_work: bool = False) -> Outage | None:
        """The work begun at `started` was done. Returns the outage this shows to have
        ended: the database is back, or the work was stuck. The length of `long_work`
        (a watcher's thousand flips) says nothing of the database."""
        self._in_flight.remove(started)
        now = self.clock.now()
        if self._noticed is not None and started >= self._noticed:
            return self.back(now)
        if self._noticed is None and not long_work and now - started >= STALL:
            return self.stalled(Outage(started, now))
        return None

    def back(self, now: datetime) -> Outage:
        assert self._down_since is not None
        outage = Outage(self._down_since, now)
        log.warning(
            "the database is back after %.1f s unavailable (%d pings refused)",
            outage.length.total_seconds(),
            self._refused,
        )
        self._down_since, self._noticed, self._refused = None, None, 0
        self.remember(outage)
        return outage

    def stalled(self, outage: Outage) -> Outage:
        if not any(outage.started <= old.ended for old in self._past):
            log.warning(
                "the database stalled for %.1f s: work begun at %s was answered only now",
                outage.length.total_seconds(),
                moment(outage.started),
            )
        self.remember(outage)
        return outage

    def remember(self, outage: Outage) -> None:
        """Keeps the outage while it holds deadlines; forgets those that no longer do."""
        now = self.clock.now()
        self._past = [old for old in self._past if old.held_until > now]
        self._past.append(outage)

    def busy_since(self) -> datetime | None:
        """When the oldest work under way began, if any is."""
        return min(self._in_flight, default=None)

    def outages(self) -> list[Outage]:
        """The outages whose held deadlines have not all passed yet: those that ended,
        one under way, and work stuck now."""
        now = self.clock.now()
        known = [outage for outage in self._past if outage.held_until > now]
        if self._down_since is not None:
            known.append(Outage(self._down_since, now))
        stuck = self.busy_since()
        if stuck is not None and now - stuck >= STALL:
            known.append(Outage(stuck, now))
        return merged(known)


def hold_deadlines(writer: BatchWriter, outage: Outage) -> int:
    """A batch: the deadlines the outage holds move to where it holds them, in the
    database, for the watchers of every process. Returns how many."""
    held = writer.deadlines_between(outage.holds_from, outage.held_until)
    writer.hold_deadlines([(check_id, outage.held_until) for check_id in held])
    return len(held)


async def record_outage(runner: BatchRunner, outage: Outage) -> None:
    """Records an outage this process saw end where every watcher will see it: the
    deadlines it holds, moved. Says so in the log."""
    try:
        held = await runner.run(partial(hold_deadlines, outage=outage))
    except Exception as error:  # the outage is still known in this process
        if unavailable(error):
            log.warning("could not hold back the deadlines of an outage: %s", error)
        else:
            log.exception("could not hold back the deadlines of an outage")
        return
    log_held(held, [outage])


def log_held(held: int, outages: Sequence[Outage]) -> None:
    if held:
        log.warning(
            "held back the deadlines of %d checks: the database could not record pings %s, "
            "they are being retried",
            held,
            "; ".join(
                f"from {moment(o.started)} to {moment(o.ended)} "
                f"({o.length.total_seconds():.1f} s; deadlines held to {moment(o.held_until)})"
                for o in outages
            ),
        )


def moment(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds")
