"""The deadline watcher: turns checks down the moment their `alert_after` passes.

It sleeps until the earliest deadline rather than polling on a fixed beat; a ping in
the same process that moves a deadline wakes it at once, and it re-reads the earliest
deadline at least every `recheck` so deadlines set by other processes are seen too.
Any number of watchers may share one database, and exactly one writes each flip: a
pass holds the checks it flips until it commits (row locks taken with SKIP LOCKED on
PostgreSQL, so the others pass them by; SQLite lets one writer in at a time). Each
pass also runs the escalation steps and reminders that are due.

A deadline is acted on SETTLE after it passes, not at once: a ping received just
before the deadline is committed a few milliseconds later, and a watcher that flipped
the check in between would report a job down that was on time, then up again. The
flip is still dated at the deadline.

For the same reason a deadline that passed while the database could not record pings
is held back (`domain.outages`), not acted on: the job's pings were refused or stuck,
and its retries have yet to land. The watcher knows the outages its own work and the
ping intake of its process ran into (`store.availability`); an outage seen only by
another process reaches it as deadlines that process held back in the database.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TypeVar

from tocsin.alerts import windows as maintenance
from tocsin.alerts.dependencies import release_due
from tocsin.alerts.flips import log_flip
from tocsin.alerts.incidents import FlipFacts, escalate_due, record_flips
from tocsin.domain.checks import CheckState, Flip, expire
from tocsin.domain.clock import Clock
from tocsin.domain.dependencies import DEFAULT_SETTLE
from tocsin.domain.outages import Outage, held_deadline
from tocsin.domain.records import CheckRecord
from tocsin.store import checks as check_store
from tocsin.store import dependencies as dependency_store
from tocsin.store import incidents as incident_store
from tocsin.store.availability import Availability, log_held, record_outage
from tocsin.store.database import Database
from tocsin.store.errors import unavailable
from tocsin.store.fastpath.batch import BatchWriter
from tocsin.store.fastpath.runners import BatchRunner

log = logging.getLogger("tocsin.watcher")
T = TypeVar("T")

BATCH_SIZE = 1000
ERROR_BACKOFF = timedelta(seconds=2)
# Ten times what a ping waits for its commit at full load (p99), and well inside the
# promise to flip a check within a second of its deadline.
SETTLE = timedelta(milliseconds=100)


@dataclass(slots=True)
class Pass:
    flipped: list[FlipFacts]
    queued: int  # notifications put in the outbox
    more: bool  # a full batch: more checks may be due
    held: int = 0  # deadlines held back for an outage
    outages: Sequence[Outage] = ()  # the outages that held them


class DeadlineWatcher:
    def __init__(
        self,
        database: Database,
        runner: BatchRunner,
        clock: Clock,
        recheck: timedelta,
        on_queued: Callable[[], None] = lambda: None,
        availability: Availability | None = None,
        dependency_settle: timedelta = DEFAULT_SETTLE,
    ) -> None:
        self.database = database
        self.dependency_settle = dependency_settle
        self.runner = runner
        self.on_queued = on_queued
        self.clock = clock
        self.recheck = recheck
        # Shared with the process's ping intake, whose outages it must know too.
        self.availability = availability or Availability(clock)
        self._wakeup = asyncio.Event()
        self._stopping = False
        # When the current sleep ends; None while a pass runs.
        self._wake_at: datetime | None = None
        # The earliest deadline pings reported while a pass ran: the pass may have read
        # the database before they committed.
        self._reported: datetime | None = None

    def deadline_set(self, deadline: datetime) -> None:
        """A ping in this process set a deadline: wake early if it comes first."""
        deadline += SETTLE
        if self._wake_at is None:
            self._reported = earliest(self._reported, deadline)
        elif deadline < self._wake_at:
            self._wakeup.set()

    def stop(self) -> None:
        self._stopping = True
        self._wakeup.set()

    async def run(self) -> None:
        log.info("deadline watcher started")
        while not self._stopping:
            self._wakeup.clear()
            self._wake_at, self._reported = None, None
            try:
                deadline = await self.pass_once()
                delay = self.delay_until(earliest(deadline, self._reported))
            except Exception as error:
                if not unavailable(error):  # that one is a warning, once per outage
                    log.exception("deadline watcher pass failed; retrying")
                delay = ERROR_BACKOFF
            # No await between computing the delay and setting _wake_at: a deadline
            # reported in between would be lost.
            self._wake_at = self.clock.now() + delay
            await self.sleep(delay)
        log.info("deadline watcher stopped")

    async def pass_once(self) -> datetime | None:
        """Flip what is due; returns the next deadline. Takes no write lock (which
        would hold up ping intake on SQLite) unless something is due."""
        deadline = await self.earliest_deadline()
        if deadline is not None and deadline <= self.clock.now():
            await self.flip_due_checks()
            deadline = await self.earliest_deadline()
        return deadline

    async def flip_due_checks(self) -> list[tuple[CheckRecord, Flip]]:
        """Flip every check whose deadline has passed (including ones missed while the
        watcher was down), and run due escalations."""
        flipped: list[FlipFacts] = []
        while True:
            now = self.clock.now()
            outages = self.availability.outages
            expiring = partial(
                expire_due,
                now=now,
                due_by=now - SETTLE,
                outages=outages,
                settle=self.dependency_settle,
            )
            result = await self.observed(self.runner.run(expiring), long_work=True)
            log_held(result.held, result.outages)
            flipped.extend(result.flipped)
            if result.queued:
                self.on_queued()
            if not result.more:
                break
        for fact in flipped:
            log_flip(fact.check, fact.flip)
        return [(fact.check, fact.flip) for fact in flipped]

    async def earliest_deadline(self) -> datetime | None:
        """When the next check deadline (SETTLE after it), escalation step, nag or look
        at a held incident is due."""
        deadline, timer = await self.observed(self.read_deadlines())
        return earliest(None if deadline is None else deadline + SETTLE, timer)

    async def read_deadlines(self) -> tuple[datetime | None, datetime | None]:
        async with self.database.read() as connection:
            deadline = await connection.run_sync(check_store.earliest_deadline)
            timer = await connection.run_sync(incident_store.earliest_timer)
            release = await connection.run_sync(dependency_store.earliest_release)
            timer = earliest(timer, release)
        return deadline, timer

    async def observed(self, work: Awaitable[T], long_work: bool = False) -> T:
        """Does the database work, telling `availability` how it went. An outage it
        shows to have ended is recorded for the watchers of other processes."""
        started = self.availability.began()
        try:
            result = await work
        except BaseException as error:
            self.availability.failed(started, error)
            raise
        ended = self.availability.answered(started, long_work)
        if ended is not None:
            await record_outage(self.runner, ended)
        return result

    def delay_until(self, deadline: datetime | None) -> timedelta:
        if deadline is None:
            return self.recheck
        return max(timedelta(0), min(deadline - self.clock.now(), self.recheck))

    async def sleep(self, delay: timedelta) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), delay.total_seconds())


def expire_due(
    writer: BatchWriter,
    now: datetime,
    due_by: datetime,
    outages: Callable[[], Sequence[Outage]] = tuple,
    settle: timedelta = DEFAULT_SETTLE,
) -> Pass:
    """One transaction of the watcher: flip up to BATCH_SIZE checks whose deadline is
    `due_by` or earlier, open their incidents, and run the escalation steps and nags
    that are due, and look at held incidents (releasing those whose parents have been
    up for `settle`). Deadlines the `outages` known now hold are moved instead."""
    # The due rows are ours until commit: locked on PostgreSQL (the other watchers
    # skip them), and on SQLite nobody else can write while this transaction runs.
    due = writer.due_checks(due_by, BATCH_SIZE)
    # Asked only now: the transaction may have waited through an outage to get here
    # (for SQLite's write lock, for a frozen server's answer).
    known = outages()
    held = held_deadlines(due, known, due_by)
    held_ids = {check_id for check_id, _ in held}
    by_outages = len(held)
    covered = [record for record in due if record.id not in held_ids]
    held += maintenance.held_deadlines(writer.connection, covered, due_by)
    writer.hold_deadlines(held)
    held_ids = {check_id for check_id, _ in held}
    changes: list[tuple[int, CheckState, int]] = []
    flipped: list[FlipFacts] = []
    for record in (record for record in due if record.id not in held_ids):
        # The stored deadline is where a window, snooze or outage held it.
        result = expire(record.state, due_by)
        # No flip means the stored deadline was stale: rewriting the state recomputes it.
        new_state, flip = result if result else (record.state, None)
        changes.append((record.id, new_state, 0))
        if flip is not None:
            flipped.append(FlipFacts(record, record.state, flip))
    writer.save(changes, [], now)
    queued = record_flips(writer.connection, flipped, now)
    skip_locked = not writer.is_sqlite
    queued += escalate_due(writer.connection, now, BATCH_SIZE, skip_locked=skip_locked)
    queued += release_due(writer.connection, now, settle, BATCH_SIZE, skip_locked=skip_locked)
    return Pass(flipped, queued, more=len(due) == BATCH_SIZE, held=by_outages, outages=known)


def held_deadlines(
    due: Sequence[CheckRecord], outages: Sequence[Outage], due_by: datetime
) -> list[tuple[int, datetime]]:
    """(check id, where its deadline moves) of the due checks an outage holds back."""
    held = []
    for record in due:
        assert record.alert_after is not None  # a due check has a deadline
        until = held_deadline(record.alert_after, outages)
        if until is not None and until > due_by:
            held.append((record.id, until))
    return held


def earliest(first: datetime | None, second: datetime | None) -> datetime | None:
    if first is None or second is None:
        return first or second
    return min(first, second)
