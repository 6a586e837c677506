"""What an action needs of the running process: settings, the clock, the database,
and the two ways to tell the workers what it changed. The server's running services
provide it to the web app and the APIs; the CLI and file syncs run with `Standalone`."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from tocsin.config import Settings
from tocsin.domain.clock import Clock
from tocsin.store.database import Database


class Context(Protocol):
    @property
    def settings(self) -> Settings: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def database(self) -> Database: ...
    @property
    def secret(self) -> str: ...

    def deadline_moved(self, deadline: datetime | None) -> None:
        """A check's deadline changed outside the ping path; it may now come before
        the one the watcher sleeps towards."""

    def wake_notifier(self) -> None:
        """Notifications were queued: deliver them now rather than at the next poll."""


@dataclass(frozen=True, slots=True)
class Standalone:
    """A process with no watcher or notifier of its own (the CLI, a file sync): the
    running `tocsin serve` or `tocsin watcher` re-reads deadlines every
    TOCSIN_WATCHER_RECHECK, and the notifier polls for what was queued."""

    settings: Settings
    clock: Clock
    database: Database
    secret: str = ""

    def deadline_moved(self, deadline: datetime | None) -> None:
        pass

    def wake_notifier(self) -> None:
        pass
