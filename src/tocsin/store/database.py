"""Connections: one engine per process, SQLite tuned for a single writer, PostgreSQL pooled."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Concatenate, ParamSpec, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from tocsin.config import ConfigError, Settings

ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


def async_url(database_url: str) -> URL:
    """Accept the URL forms people write and pick the async driver for them."""
    try:
        url = make_url(database_url)
    except ArgumentError:
        raise ConfigError(f"TOCSIN_DATABASE_URL: cannot parse {database_url!r}") from None
    driver = ASYNC_DRIVERS.get(url.drivername)
    if driver is None:
        raise ConfigError(
            f"TOCSIN_DATABASE_URL: unsupported database {url.drivername!r}; "
            "use sqlite:///path or postgresql://user@host/db"
        )
    url = url.set(drivername=driver)
    if driver.startswith("sqlite") and url.database in (None, "", ":memory:"):
        raise ConfigError("TOCSIN_DATABASE_URL: SQLite needs a file path, e.g. sqlite:///data/t.db")
    return url


P = ParamSpec("P")
T = TypeVar("T")


class Database:
    """The process's engine plus the two kinds of transaction Tocsin uses.

    Store query functions are synchronous, over a SQLAlchemy `Connection`; async code
    runs them here: one in a transaction of its own with `read_with` or `write_with`,
    several in one transaction with `connection.run_sync` inside `read()` or `write()`.
    """

    def __init__(self, settings: Settings) -> None:
        self.url = async_url(settings.database_url)
        self.is_sqlite = self.url.drivername.startswith("sqlite")
        self.sqlite_synchronous = settings.sqlite_synchronous
        self.sqlite_wal_limit = settings.sqlite_wal_limit
        self.engine = self._create_engine(settings)

    def _create_engine(self, settings: Settings) -> AsyncEngine:
        if self.is_sqlite:
            # No directory is made here: a mistyped path must fail, not start an empty
            # database (the CLI makes the default data directory for migrate and serve).
            engine = create_async_engine(self.url, pool_size=4, max_overflow=4)
            configure_sqlite(engine, settings.sqlite_synchronous, settings.sqlite_wal_limit)
            return engine
        return create_async_engine(
            self.url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_pool_size,
            pool_pre_ping=True,
        )

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction. On SQLite it takes the write lock up front
        (BEGIN IMMEDIATE), so a read-then-write never fails halfway with SQLITE_BUSY."""
        async with self.engine.connect() as connection:
            if self.is_sqlite:
                await connection.execution_options(tocsin_write=True)
            async with connection.begin():
                yield connection

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as connection, connection.begin():
            yield connection

    async def read_with(
        self,
        query: Callable[Concatenate[sa.Connection, P], T],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """`query(connection, *args, **kwargs)` in a read transaction of its own."""
        async with self.read() as connection:
            return await connection.run_sync(query, *args, **kwargs)

    async def write_with(
        self, work: Callable[Concatenate[sa.Connection, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """`work(connection, *args, **kwargs)` in a write transaction of its own."""
        async with self.write() as connection:
            return await connection.run_sync(work, *args, **kwargs)

    async def close(self) -> None:
        await self.engine.dispose()


SQLITE_PAGE_SIZE = 2048


def configure_sqlite(engine: AsyncEngine, synchronous: str, wal_limit: int) -> None:
    # pysqlite's own transaction handling issues a plain deferred BEGIN at odd
    # moments; take it over so we choose between BEGIN and BEGIN IMMEDIATE.
    @sa.event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in sqlite_pragmas(synchronous, wal_limit):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @sa.event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: sa.Connection) -> None:
        immediate = connection.get_execution_options().get("tocsin_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def sqlite_pragmas(synchronous: str, wal_limit: int) -> list[str]:
    return [
        # Pings update scattered rows (a check each, its entry in the pings index), and
        # every page a transaction touches is written whole to the WAL: 2 KB pages halve
        # what a ping writes. Only a new, empty database takes it, and only before WAL.
        f"page_size = {SQLITE_PAGE_SIZE}",
        "journal_mode = WAL",
        f"synchronous = {synchronous}",
        # A WAL that starts again from its beginning (store.fastpath.wal.Checkpointer) is cut back
        # to this size by its next commit; without it the file would keep the largest
        # size it ever reached.
        f"journal_size_limit = {wal_limit}",
        # Writers from other processes (CLI, a separate watcher) wait instead of failing.
        "busy_timeout = 10000",
        "foreign_keys = ON",
    ]
