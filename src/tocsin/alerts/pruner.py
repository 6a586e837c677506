"""The pruner: keeps the database from growing forever.

Every `prune_interval` it deletes what has aged out (`Retention`): pings beyond each
check's newest `keep_pings`, flips, resolved incidents with their timelines, delivered
notifications, expired sessions, closed invitations, sign-in failures too old to
count, and one-off maintenance windows and snoozes a week after they ended. It runs
in the process that runs the deadline watcher.

Pings are never held up long by it. Each transaction deletes at most `BATCH_ROWS`
rows (store.retention) through the process's batch runner, so on SQLite it takes its
turn with the batches of pings like any other batch (the batches of pings waiting for
their turn meanwhile go first), but on a thread, so the event loop goes on reading
pings meanwhile; after each it pauses as long as its deletes took, so it never has
more than half the writer's time. The space freed is reused: SQLite
puts the pages on its free list and fills them before it grows the file;
PostgreSQL's autovacuum marks the dead rows for reuse (docs/PERFORMANCE.md shows
both levelling off).

Several processes may prune one PostgreSQL database: their transactions take turns
(an advisory lock), and as the deletes name their rows by condition, what one
deleted the other finds gone.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol, TypeVar

import sqlalchemy as sa

from tocsin.config import Settings
from tocsin.domain.accounts import FAILURE_WINDOW
from tocsin.domain.clock import Clock
from tocsin.domain.windows import KEEP_ENDED
from tocsin.store import retention
from tocsin.store.database import Database
from tocsin.store.errors import unavailable
from tocsin.store.fastpath.batch import BatchWriter
from tocsin.store.fastpath.runners import Batch

log = logging.getLogger("tocsin.pruner")

# Rows one transaction deletes at most. On SQLite, 500 pings take about 3 ms of the
# writer (docs/PERFORMANCE.md): no longer than a busy batch of pings.
BATCH_ROWS = 500
# A closed invitation's link answers "expired or used" for a week, then "not found".
CLOSED_INVITATIONS_KEPT = timedelta(days=7)

# A store.retention query: (connection, before, budget) → rows deleted.
Step = Callable[[sa.Connection, datetime, int], int]
T = TypeVar("T")


class Runner(Protocol):
    """What the pruner needs of a `store.fastpath.runners.BatchRunner`."""

    async def run_aside(self, batch: Batch[T]) -> T: ...


@dataclass(frozen=True, slots=True)
class Retention:
    """What is kept, and how often the rest is deleted."""

    pings: int  # the newest, per check; 0 keeps every ping
    incidents: timedelta  # after they were resolved
    flips: timedelta
    notifications: timedelta  # once delivered or given up
    interval: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> "Retention":
        return cls(
            settings.keep_pings,
            settings.keep_incidents,
            settings.keep_flips,
            settings.keep_notifications,
            settings.prune_interval,
        )


class Pruner:
    def __init__(
        self,
        database: Database,
        runner: Runner,
        clock: Clock,
        keep: Retention,
        batch_rows: int = BATCH_ROWS,
    ) -> None:
        self.database = database
        self.runner = runner
        self.clock = clock
        self.keep = keep
        self.batch_rows = batch_rows
        self._stopping = asyncio.Event()
        self.transactions = Transactions()  # those of the last pass

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        log.info("pruner started: every %s", self.keep.interval)
        while not await self.sleep(self.keep.interval.total_seconds()):
            try:
                deleted = await self.prune_once()
            except Exception as error:
                if unavailable(error):
                    log.warning("pruning put off: the database is unavailable")
                else:
                    log.exception("pruning failed; trying again next time")
                continue
            if any(deleted.values()):
                log.info("pruned %s; %s", listed(deleted), self.transactions.describe())
        log.info("pruner stopped")

    async def prune_once(self) -> dict[str, int]:
        """Deletes everything that has aged out by now, a batch at a time; returns how
        many rows of each kind (for incidents, with their timelines). Ends early
        when stopped."""
        now = self.clock.now()
        self.transactions = Transactions()
        deleted = {"pings": await self.prune_pings()}
        for what, step, before in self.steps(now):
            deleted[what] = await self.repeat(step, before)
        return deleted

    def steps(self, now: datetime) -> list[tuple[str, Step, datetime]]:
        """What each kind of row is pruned by, and the instant before which it goes."""
        keep = self.keep
        return [
            ("flips", retention.prune_flips, now - keep.flips),
            ("notifications", retention.prune_notifications, now - keep.notifications),
            ("incidents", retention.prune_incidents, now - keep.incidents),
            ("sessions", retention.prune_sessions, now),
            ("invitations", retention.prune_invitations, now - CLOSED_INVITATIONS_KEPT),
            ("sign-in failures", retention.prune_login_failures, now - FAILURE_WINDOW),
            ("ended maintenance windows", retention.prune_ended_windows, now - KEEP_ENDED),
        ]

    async def prune_pings(self) -> int:
        if self.keep.pings == 0:
            return 0
        excess = await self.database.read_with(retention.checks_with_old_pings, self.keep.pings)
        total = 0
        for ranges in ping_batches(excess, self.batch_rows):
            deleted = await self.in_turn(partial(retention.prune_ping_ranges, ranges=ranges))
            if deleted is None:
                break
            total += deleted
        return total

    async def repeat(self, step: Step, before: datetime) -> int:
        """Runs `step` a batch at a time until a batch finds less than a full one."""
        total = 0
        while True:
            deleted = await self.in_turn(
                lambda connection: step(connection, before, self.batch_rows)
            )
            if deleted is None:
                return total
            total += deleted
            if deleted < self.batch_rows:
                return total

    async def in_turn(self, work: Callable[[sa.Connection], int]) -> int | None:
        """One transaction of `work` through the batch runner, then a pause as long as
        it took; None once stopped."""
        if self._stopping.is_set():
            return None
        deleted, took = await self.runner.run_aside(partial(locked, work))
        self.transactions.add(took)
        await self.sleep(took)
        return deleted

    async def sleep(self, seconds: float) -> bool:
        """Sleeps; True if stopped meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
        return self._stopping.is_set()


def locked(work: Callable[[sa.Connection], int], writer: BatchWriter) -> tuple[int, float]:
    """`work` in its turn; what it returned, and how long it took in seconds."""
    retention.wait_for_pruning_lock(writer.connection)
    began = time.perf_counter()
    deleted = work(writer.connection)
    return deleted, time.perf_counter() - began


@dataclass(slots=True)
class Transactions:
    """How many transactions a pass took, and how long they held the writer."""

    count: int = 0
    longest: float = 0.0  # seconds
    total: float = 0.0

    def add(self, seconds: float) -> None:
        self.count += 1
        self.longest = max(self.longest, seconds)
        self.total += seconds

    def describe(self) -> str:
        return (
            f"{self.count} transactions, {self.total * 1000:.0f} ms in all, "
            f"the longest {self.longest * 1000:.1f} ms"
        )


def listed(deleted: dict[str, int]) -> str:
    return ", ".join(f"{n} {what}" for what, n in deleted.items() if n)


def ping_batches(
    excess: list[retention.PingExcess], batch_rows: int
) -> Iterator[list[tuple[int, int]]]:
    """The pings to delete, cut into batches of at most `batch_rows`: each batch a
    list of (check id, first ping number kept), oldest pings first within a check."""
    batch: list[tuple[int, int]] = []
    room = batch_rows
    for check in excess:
        start = check.oldest
        while start <= check.last_old:
            end = min(start + room, check.last_old + 1)
            batch.append((check.check_id, end))
            room -= end - start
            start = end
            if room == 0:
                yield batch
                batch, room = [], batch_rows
    if batch:
        yield batch
