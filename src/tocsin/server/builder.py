"""The one place that builds the process's parts: the database and its batch runner,
the ping intake, the deadline watcher (with the pruner beside it) and the notifier.
`tocsin serve` builds them all as `Services`; `tocsin watcher` and `tocsin notifier`
build one worker each, the same way."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Literal, Protocol

from tocsin.alerts.notifier import running_notifier
from tocsin.alerts.pruner import Pruner, Retention
from tocsin.alerts.watcher import DeadlineWatcher
from tocsin.config import Settings
from tocsin.domain.clock import Clock
from tocsin.pings.intake import PingIntake
from tocsin.server.services import Services
from tocsin.store.availability import Availability
from tocsin.store.database import Database
from tocsin.store.fastpath.runners import BatchRunner, batch_runner
from tocsin.store.migrate import migrate

WorkerKind = Literal["watcher", "notifier"]


class Worker(Protocol):
    async def run(self) -> None: ...
    def stop(self) -> None: ...


def new_watcher(
    settings: Settings,
    database: Database,
    runner: BatchRunner,
    clock: Clock,
    wake_notifier: Callable[[], None] = lambda: None,
    availability: Availability | None = None,
) -> DeadlineWatcher:
    return DeadlineWatcher(
        database,
        runner,
        clock,
        settings.watcher_recheck,
        wake_notifier,
        availability,
        dependency_settle=settings.dependency_settle,
    )


def new_pruner(settings: Settings, database: Database, runner: BatchRunner, clock: Clock) -> Pruner:
    return Pruner(database, runner, clock, Retention.from_settings(settings))


class Together:
    """Several workers run and stopped as one: the watcher and its pruner."""

    def __init__(self, *workers: Worker) -> None:
        self.workers = workers

    async def run(self) -> None:
        await asyncio.gather(*(worker.run() for worker in self.workers))

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()


def build_services(
    settings: Settings, clock: Clock, run_watcher: bool, run_notifier: bool
) -> Services:
    database = Database(settings)
    # One runner for the process: on SQLite, pings and the watcher share its connection.
    runner = batch_runner(database)
    services = Services(settings, clock, database, runner, run_notifier)
    # What pings and the watcher see of the database: the watcher holds back the
    # deadlines of pings refused or stuck here.
    availability = Availability(clock)
    if run_watcher:
        services.watcher = new_watcher(
            settings, database, runner, clock, services.wake_notifier, availability
        )
        # Where the watcher runs, once per deployment as a rule: so does pruning.
        services.pruner = new_pruner(settings, database, runner, clock)
    on_deadline = services.watcher.deadline_set if services.watcher else ignore_deadline
    services.intake = PingIntake(runner, on_deadline, services.wake_notifier, availability)
    return services


def ignore_deadline(_deadline: datetime) -> None:
    """Without a watcher in this process, a separate `tocsin watcher` re-reads deadlines."""


@contextlib.asynccontextmanager
async def running_worker(
    kind: WorkerKind, settings: Settings, clock: Clock
) -> AsyncIterator[Worker]:
    """One worker on its own, over a database of its own: for `tocsin watcher` and
    `tocsin notifier`, which pair with `serve --no-watcher` / `--no-notifier`."""
    database = Database(settings)
    runner = batch_runner(database)
    try:
        await migrate(database)
        if kind == "watcher":
            watcher = new_watcher(settings, database, runner, clock)
            yield Together(watcher, new_pruner(settings, database, runner, clock))
        else:
            async with running_notifier(settings, database, runner, clock) as notifier:
                yield notifier
    finally:
        await runner.close()
        await database.close()
