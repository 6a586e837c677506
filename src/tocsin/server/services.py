"""The process's running services: database, batch runner, ping intake, and the
watcher and notifier where this process runs them. Request handlers see them as a
`services.context.Context` (see services.requests)."""

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import datetime

from tocsin.alerts.notifier import Notifier, running_notifier, signing_secret
from tocsin.alerts.pruner import Pruner
from tocsin.alerts.watcher import DeadlineWatcher
from tocsin.config import Settings
from tocsin.domain.clock import Clock
from tocsin.pings.intake import PingIntake
from tocsin.store.database import Database
from tocsin.store.fastpath.runners import BatchRunner
from tocsin.store.migrate import migrate


@dataclass
class Services:
    """The process's long-lived parts, started and stopped with the app."""

    settings: Settings
    clock: Clock
    database: Database
    runner: BatchRunner
    run_notifier: bool
    intake: PingIntake = field(init=False)
    watcher: DeadlineWatcher | None = None
    notifier: Notifier | None = None
    pruner: Pruner | None = None
    secret: str = ""
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    exits: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)

    async def start(self) -> None:
        await migrate(self.database)
        self.secret = await signing_secret(self.settings, self.database)
        await self.intake.recover()
        self.tasks.append(asyncio.create_task(self.intake.run(), name="ping-writer"))
        if self.watcher is not None:
            self.tasks.append(asyncio.create_task(self.watcher.run(), name="deadline-watcher"))
        if self.pruner is not None:
            self.tasks.append(asyncio.create_task(self.pruner.run(), name="pruner"))
        if self.run_notifier:
            self.notifier = await self.exits.enter_async_context(
                running_notifier(self.settings, self.database, self.runner, self.clock)
            )
            self.tasks.append(asyncio.create_task(self.notifier.run(), name="notifier"))

    def deadline_moved(self, deadline: datetime | None) -> None:
        """A check's settings changed outside the ping path (API, web): its new deadline
        may come before the one the watcher sleeps towards."""
        if deadline is not None:
            self.intake.on_deadline(deadline)

    def wake_notifier(self) -> None:
        if self.notifier is not None:
            self.notifier.wake()

    async def stop(self) -> None:
        # The server has finished its requests by now; drain what they queued.
        self.intake.stop()
        for worker in (self.watcher, self.pruner, self.notifier):
            if worker is not None:
                worker.stop()
        await asyncio.gather(*self.tasks)
        await self.exits.aclose()
        await self.runner.close()
        await self.database.close()
