"""What every command shares: settings, the database, output and one-line errors."""

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, NoReturn, TypeVar

import sqlalchemy as sa
import typer
from rich.console import Console
from sqlalchemy.exc import DBAPIError, OperationalError

from tocsin.alerts.incidents import IncidentError
from tocsin.config import ConfigError, Settings
from tocsin.domain.clock import SystemClock
from tocsin.domain.durations import DurationError
from tocsin.domain.schedule import ScheduleError
from tocsin.notify.base import ChannelConfigError
from tocsin.notify.kinds import UnknownKindError
from tocsin.services.context import Context, Standalone
from tocsin.store.database import Database
from tocsin.store.migrate import migrate

# Piped output (scripts, tests) gets long lines instead of wrapping at 80 columns.
WIDTH = None if sys.stdout.isatty() else 200
console = Console(highlight=False, soft_wrap=True, width=WIDTH)
error_console = Console(stderr=True, highlight=False, soft_wrap=True, width=WIDTH)

USAGE_ERROR = 2
T = TypeVar("T")


class CommandError(Exception):
    """A problem the person at the terminal can fix; printed as one line."""


def fail(message: str) -> NoReturn:
    error_console.print(f"error: {message}", markup=False)
    raise typer.Exit(USAGE_ERROR)


@contextlib.contextmanager
def fail_on_errors() -> Iterator[None]:
    try:
        yield
    except (
        CommandError,
        ConfigError,
        DurationError,
        ScheduleError,
        ChannelConfigError,
        UnknownKindError,
        IncidentError,
    ) as error:
        fail(str(error))
    except (OperationalError, DBAPIError, OSError) as error:
        fail(f"database error: {first_line(error)}")


def first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error)
    return text.strip().splitlines()[0] if text.strip() else type(error).__name__


def load_settings(**overrides: Any) -> Settings:
    return Settings.from_env(**overrides)


def in_transaction(settings: Settings, work: Callable[[sa.Connection], T]) -> T:
    """Run synchronous store code in one write transaction."""

    async def go() -> T:
        async with open_database(settings) as database, database.write() as connection:
            return await connection.run_sync(work)

    return asyncio.run(go())


def act(settings: Settings, action: Callable[[Context], Awaitable[T]]) -> T:
    """Run an action of `tocsin.services`, as a process with no workers of its own: the
    running server's watcher and notifier pick up what it changed at their next poll."""

    async def go() -> T:
        async with open_database(settings) as database:
            return await action(Standalone(settings, SystemClock(), database))

    return asyncio.run(go())


@contextlib.asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings)
    try:
        await migrate(database)
        yield database
    finally:
        await database.close()
