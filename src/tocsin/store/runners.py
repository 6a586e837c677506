"""Running batches: one transaction at a time per process, on the event loop's thread.

A batch is a short synchronous function given a `store.batch.BatchWriter`. On SQLite it
runs on the loop's own thread over a connection of its own, with the commit in a thread
and durability after the write lock is released (`WalSync`); on PostgreSQL in a
greenlet over the pooled asyncpg connection.
"""

import asyncio
import os
import sqlite3
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import StaticPool

from tocsin.store.batch import BatchWriter, CheckCache, PostgresDriver, SqliteDriver
from tocsin.store.database import Database, sqlite_pragmas

T = TypeVar("T")
Batch = Callable[[BatchWriter], T]
# How long a batch waits for another process's write transaction before failing (503).
LOCK_WAIT = timedelta(seconds=10)


class SqliteRunner:
    """Runs each batch on the event loop's own thread, over a connection of its own.

    A writer thread looked natural but lost: sqlite3 releases the GIL around every
    step, and taking it back from the busy event-loop thread waits up to the 5 ms
    switch interval, dozens of times per batch. The batch's Python work needs the GIL
    anyway. Only the commit goes to a thread; and the write lock is never waited for
    blocking: a busy database is retried with asyncio.sleep.

    Durability (`synchronous=FULL`) does not hold the write lock: the connection
    commits with `synchronous=NORMAL`, which writes the transaction to the WAL
    without waiting for the disk, and `run` returns only after a `WalSync` has
    fsynced the WAL. That is the fsync `FULL` would do inside the commit, moved
    outside the lock, so the next batch writes while this one reaches the disk and
    one fsync serves every batch committed before it began.
    """

    def __init__(self, path: str, synchronous: str) -> None:
        sync_after_commit = synchronous in ("FULL", "EXTRA")
        self.engine = sqlite_batch_engine(path, "NORMAL" if sync_after_commit else synchronous)
        self.wal_sync = WalSync(f"{path}-wal") if sync_after_commit else None
        self.connection: sa.Connection | None = None
        self.one_at_a_time = asyncio.Lock()
        self.cache = CheckCache()

    async def run(self, batch: Batch[T]) -> T:
        async with self.one_at_a_time:
            connection = await self.begin_immediate()
            try:
                self.cache.validate(connection.exec_driver_sql("PRAGMA data_version").scalar_one())
                cursor = connection.connection.cursor()
                result = batch(BatchWriter(SqliteDriver(cursor), connection, self.cache))
                # A commit can run a checkpoint, which waits for the disk: the loop goes
                # on serving meanwhile.
                await asyncio.to_thread(connection.commit)
            except BaseException:
                # The cache may hold states this transaction never committed.
                self.cache.clear()
                connection.rollback()
                raise
        if self.wal_sync is not None:
            await self.wal_sync()
        return result

    async def begin_immediate(self) -> sa.Connection:
        if self.connection is None:
            self.connection = self.engine.connect()
        loop = asyncio.get_running_loop()
        give_up = loop.time() + LOCK_WAIT.total_seconds()
        pause = 0.001
        while True:
            try:
                self.connection.exec_driver_sql("BEGIN IMMEDIATE")
                return self.connection
            except OperationalError as error:
                self.connection.rollback()
                busy = getattr(error.orig, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY
                if not busy or loop.time() > give_up:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.05)

    async def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None
        self.engine.dispose()


class WalSync:
    """Makes every transaction committed before a call durable by the call's return.

    Callers that arrive while an fsync runs share the next one: its start follows
    their commits, so it covers them. SQLite's WAL recovery keeps a frame only if
    every frame before it is intact, so an fsynced transaction survives power loss
    whatever happens to the ones written after it.
    """

    def __init__(self, wal_path: str, fsync: Callable[[str], None] | None = None) -> None:
        self.wal_path = wal_path
        self.fsync = fsync or fsync_file
        self.waiting: list[asyncio.Future[None]] = []
        self.syncing: asyncio.Task[None] | None = None

    async def __call__(self) -> None:
        done = asyncio.get_running_loop().create_future()
        self.waiting.append(done)
        if self.syncing is None:
            self.syncing = asyncio.get_running_loop().create_task(self.sync_while_waited_for())
        await done

    async def sync_while_waited_for(self) -> None:
        try:
            while self.waiting:
                covered, self.waiting = self.waiting, []
                try:
                    await asyncio.to_thread(self.fsync, self.wal_path)
                except OSError as error:
                    settle_all(covered, error)
                else:
                    settle_all(covered, None)
        finally:
            self.syncing = None


def settle_all(futures: list[asyncio.Future[None]], error: OSError | None) -> None:
    for future in futures:
        if future.done():
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)


def fsync_file(path: str) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def sqlite_batch_engine(path: str, synchronous: str) -> sa.Engine:
    # Used from one thread at a time (the lock in run), the commit from another.
    engine = sa.create_engine(
        f"sqlite:///{path}", connect_args={"check_same_thread": False}, poolclass=StaticPool
    )

    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # BEGIN is ours: see begin_immediate
        for pragma in sqlite_pragmas(synchronous):
            dbapi_connection.execute(f"PRAGMA {pragma}")
        # Never block the event loop waiting for another writer; see begin_immediate.
        dbapi_connection.execute("PRAGMA busy_timeout = 0")

    return engine


class PostgresRunner:
    """Batches run in a greenlet over the pooled asyncpg connection."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def run(self, batch: Batch[T]) -> T:
        async with self.database.write() as connection:
            return await connection.run_sync(
                lambda sync: batch(BatchWriter(PostgresDriver(sync.connection.cursor()), sync))
            )

    async def close(self) -> None:
        pass


BatchRunner = SqliteRunner | PostgresRunner


def batch_runner(database: Database) -> BatchRunner:
    if database.is_sqlite:
        assert database.url.database is not None
        return SqliteRunner(database.url.database, database.sqlite_synchronous)
    return PostgresRunner(database)
