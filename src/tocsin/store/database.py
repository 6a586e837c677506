"""Connections: one engine per process, SQLite tuned for a single writer, PostgreSQL pooled.

SQLAlchemy's asyncio extension (and the ORM it imports) loads when a `Database` is made,
not with this module: a short command reading SQLite goes by `read_sqlite` instead.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from tocsin.config import ConfigError, Settings
from tocsin.store.quickread import sqlite_pragmas

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

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

    def _create_engine(self, settings: Settings) -> "AsyncEngine":
        from sqlalchemy.ext.asyncio import create_async_engine

        if self.is_sqlite:
            # No directory is made here: a mistyped path must fail, not start an empty
            # database (the CLI makes the default data directory for migrate and serve).
            engine = create_async_engine(self.url, pool_size=4, max_overflow=4)
            configure_sqlite(
                engine.sync_engine, settings.sqlite_synchronous, settings.sqlite_wal_limit
            )
            return engine
        from tocsin.store.tables import with_postgresql_conditions

        with_postgresql_conditions()
        return create_async_engine(
            self.url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_pool_size,
            pool_pre_ping=True,
        )

    @asynccontextmanager
    async def write(self) -> AsyncIterator["AsyncConnection"]:
        """A write transaction. On SQLite it takes the write lock up front
        (BEGIN IMMEDIATE), so a read-then-write never fails halfway with SQLITE_BUSY."""
        async with self.engine.connect() as connection:
            if self.is_sqlite:
                await connection.execution_options(tocsin_write=True)
            async with connection.begin():
                yield connection

    @asynccontextmanager
    async def read(self) -> AsyncIterator["AsyncConnection"]:
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


def read_sqlite(settings: Settings, work: Callable[[sa.Connection], T]) -> T:
    """`work(connection)` in one read transaction, on a synchronous engine of its own
    over the same SQLite file with the same pragmas. For a short-lived process that only
    reads: it needs no event loop, nor the asyncio extension and ORM whose import costs
    a short command more than its work. The store's query functions serve both roads."""
    url = async_url(settings.database_url)
    if not url.drivername.startswith("sqlite"):
        raise ValueError(f"read_sqlite needs a SQLite database, not {url.drivername}")
    engine = sa.create_engine(url.set(drivername="sqlite+pysqlite"), poolclass=sa.NullPool)
    configure_sqlite(engine, settings.sqlite_synchronous, settings.sqlite_wal_limit)
    try:
        with engine.connect() as connection, connection.begin():
            return work(connection)
    finally:
        engine.dispose()


def configure_sqlite(engine: sa.Engine, synchronous: str, wal_limit: int) -> None:
    # pysqlite's own transaction handling issues a plain deferred BEGIN at odd
    # moments; take it over so we choose between BEGIN and BEGIN IMMEDIATE.
    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in sqlite_pragmas(synchronous, wal_limit):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def on_begin(connection: sa.Connection) -> None:
        immediate = connection.get_execution_options().get("tocsin_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
