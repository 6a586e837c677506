"""What every command shares: settings, the database, output and one-line errors.

Importing this (and a command's own module) must stay cheap: `tocsin check list`
starts in a fraction of a second because nothing here loads the server's stack,
Alembic or the notification kinds. A command imports what it needs when it runs.
"""

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import typer

from tocsin.config import Loaded, Settings, default_database_url, load, masked_url, sqlite_path
from tocsin.output.consoles import console as console  # the consoles every command prints with
from tocsin.output.consoles import error_console as error_console

if TYPE_CHECKING:
    import sqlalchemy as sa

    from tocsin.services.context import Context
    from tocsin.store.database import Database

USAGE_ERROR = 2
T = TypeVar("T")


class CommandError(Exception):
    """A problem the person at the terminal can fix; printed as one line."""


def fail(message: str) -> NoReturn:
    error_console.print(f"error: {message}", markup=False)
    raise typer.Exit(USAGE_ERROR)


# Errors printed as one line, by module and class name: an error can only be of a class
# whose module is loaded, so naming them costs no import (notify.kinds alone would add
# a quarter of a second to every command).
MISTAKES = (
    ("tocsin.cli.common", "CommandError"),
    ("tocsin.config", "ConfigError"),
    ("tocsin.domain.durations", "DurationError"),
    ("tocsin.domain.schedule", "ScheduleError"),
    ("tocsin.domain.windows", "WindowError"),
    ("tocsin.notify.base", "ChannelConfigError"),
    ("tocsin.notify.kinds", "UnknownKindError"),
    ("tocsin.services.errors", "ServiceError"),
)
DATABASE_ERRORS = (("sqlalchemy.exc", "OperationalError"), ("sqlalchemy.exc", "DBAPIError"))


def loaded_classes(names: tuple[tuple[str, str], ...]) -> tuple[type[BaseException], ...]:
    return tuple(
        getattr(sys.modules[module], name) for module, name in names if module in sys.modules
    )


@contextlib.contextmanager
def fail_on_errors() -> Iterator[None]:
    try:
        yield
    except Exception as error:
        if isinstance(error, loaded_classes(MISTAKES)):
            fail(str(error))
        if isinstance(error, (*loaded_classes(DATABASE_ERRORS), OSError)):
            fail(f"database error: {first_line(error)}")
        raise


def first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error)
    return text.strip().splitlines()[0] if text.strip() else type(error).__name__


def load_configuration(**overrides: Any) -> Loaded:
    """The settings with where each came from: the config file, the environment over it."""
    return load(os.environ, **overrides)


def load_settings(**overrides: Any) -> Settings:
    return load_configuration(**overrides).settings


def reading(settings: Settings, work: "Callable[[sa.Connection], T]") -> T:
    """Run synchronous store queries in one read transaction. An up-to-date SQLite
    database is read on a synchronous engine: no event loop, and none of SQLAlchemy's
    asyncio extension and ORM, which would cost more than the rest of a short command.
    PostgreSQL, and a database that needs migrating, go the async road."""
    if sqlite_path(settings.database_url) is not None:
        from tocsin.store.database import read_sqlite

        require_file(settings)
        done = read_sqlite(settings, lambda connection: if_up_to_date(connection, work))
        if done is not None:
            return done[0]

    async def go() -> T:
        async with open_database(settings) as database, database.read() as connection:
            return await connection.run_sync(work)

    return asyncio.run(go())


def if_up_to_date(
    connection: "sa.Connection", work: "Callable[[sa.Connection], T]"
) -> tuple[T] | None:
    """`work`'s answer, if the database is at the code's schema revision."""
    from tocsin.store.schema import NEWEST_REVISION, schema_revision

    return (work(connection),) if schema_revision(connection) == NEWEST_REVISION else None


def act(settings: Settings, action: "Callable[[Context], Awaitable[T]]") -> T:
    """Run an action of `tocsin.services`, as a process with no workers of its own: the
    running server's watcher and notifier pick up what it changed at their next poll."""
    from tocsin.domain.clock import SystemClock
    from tocsin.services.context import Standalone

    async def go() -> T:
        async with open_database(settings) as database:
            return await action(Standalone(settings, SystemClock(), database))

    return asyncio.run(go())


@contextlib.asynccontextmanager
async def open_database(settings: Settings, *, create: bool = False) -> "AsyncIterator[Database]":
    """The database, upgraded to the newest schema. Only `create` (for `migrate` and
    `serve`) may make a new one; every other command refuses, naming the database it
    looked for, so a command run with the wrong settings cannot start an empty one."""
    from tocsin.store.database import Database

    if create:
        note_the_old_default(settings)
        prepare_directory(settings)
    else:
        require_file(settings)
    database = Database(settings)
    try:
        await bring_up_to_date(database, settings, create)
        yield database
    finally:
        await database.close()


def database_name(settings: Settings) -> str:
    return sqlite_path(settings.database_url) or masked_url(settings.database_url)


NEXT_STEP = "create it with `tocsin migrate`, or see `tocsin config` for where it was set"


def require_file(settings: Settings) -> None:
    path = sqlite_path(settings.database_url)
    if path is not None and not Path(path).is_file():
        raise CommandError(f"no Tocsin database at {path}: {NEXT_STEP}")


# Before the config file, the default database was relative to the working directory.
OLD_DEFAULT = Path("data") / "tocsin.db"


def note_the_old_default(settings: Settings) -> None:
    """A new database about to be made while the old default one lies here: say how
    to keep it (the working directory is looked at for this note only)."""
    path = sqlite_path(settings.database_url)
    if path is None or Path(path).exists() or not OLD_DEFAULT.is_file():
        return
    old = OLD_DEFAULT.absolute()
    error_console.print(
        f"note: {old} is where earlier versions kept the database when run here; this one "
        f'uses {path}. To go on with the old one, put database_url = "sqlite:///{old}" '
        "in the config file (see `tocsin config`).",
        markup=False,
    )


def prepare_directory(settings: Settings) -> None:
    """The default data directory is made when missing; a configured one must exist, so
    a mistyped path is an error instead of a new, empty database."""
    path = sqlite_path(settings.database_url)
    if path is None or Path(path).parent.is_dir():
        return
    if settings.database_url != default_database_url(os.environ):
        raise CommandError(
            f"the directory of the database {path} does not exist: create it, or correct "
            "database_url (`tocsin config` shows where it was set)"
        )
    Path(path).parent.mkdir(parents=True, exist_ok=True)


async def bring_up_to_date(database: "Database", settings: Settings, create: bool) -> None:
    """Migrate a database behind the code (Alembic loads only then); refuse one without
    Tocsin's schema unless creating, and one newer than the code."""
    from tocsin.store.schema import KNOWN_REVISIONS, NEWEST_REVISION, schema_revision

    revision = await database.read_with(schema_revision)
    if revision == NEWEST_REVISION:
        return
    if revision is None and not create:
        raise CommandError(f"{database_name(settings)} has no Tocsin schema: {NEXT_STEP}")
    if revision is not None and revision not in KNOWN_REVISIONS:
        raise CommandError(
            f"{database_name(settings)} is at schema revision {revision}, newer than this "
            f"Tocsin knows ({NEWEST_REVISION}): upgrade Tocsin"
        )
    from tocsin.store.migrate import migrate

    await migrate(database)
