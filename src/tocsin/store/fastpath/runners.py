"""Running batches: one transaction at a time per process, on the event loop's thread.

A batch is a short synchronous function given a `store.fastpath.batch.BatchWriter`. On SQLite it
runs on the loop's own thread over a connection of its own, with checkpoints on a
thread of their own and the WAL kept to a size (`store.fastpath.wal.Checkpointer`), and
durability after the write lock is released (`store.fastpath.wal.WalSync`); on PostgreSQL in a
greenlet over the pooled asyncpg connection.
"""

import asyncio
import itertools
import logging
import os
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.pool import StaticPool

from tocsin.store.database import Database
from tocsin.store.errors import connection_is_sound
from tocsin.store.fastpath.batch import BatchWriter, CheckCache, PostgresDriver, SqliteDriver
from tocsin.store.fastpath.pinglog import DEFAULT_SIZE, LogRecord, PingLog
from tocsin.store.fastpath.wal import DEFAULT_WAL_LIMIT, Checkpointer, WalSync, fsync_file, wal_size
from tocsin.store.generation import READ_GENERATION, new_generation, set_generation_statement
from tocsin.store.quickread import sqlite_pragmas

log = logging.getLogger("tocsin.store")

T = TypeVar("T")
Batch = Callable[[BatchWriter], T]
SET_LOG_SEQ = (
    "INSERT INTO ping_log (id, seq) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq"
)
# How long a batch waits for another process's write transaction before failing (503).
LOCK_WAIT = timedelta(seconds=10)


class SqliteRunner:
    """Runs each batch on the event loop's own thread, over a connection of its own.

    A writer thread looked natural but lost: sqlite3 releases the GIL around every
    step, and taking it back from the busy event-loop thread waits up to the 5 ms
    switch interval, dozens of times per batch. The batch's Python work needs the GIL
    anyway. The commit runs here too: with checkpoints on the `Checkpointer`'s
    thread it only appends the batch's pages to the WAL, which costs less than a hop
    to a thread and back. The write lock is never waited for blocking: a busy
    database is retried with asyncio.sleep.

    Durability (`synchronous=FULL`) does not hold the write lock: the connection
    commits with `synchronous=NORMAL`, which writes the transaction to the WAL
    without waiting for the disk, and `run` returns only after a `WalSync` has
    fsynced the WAL. That is the fsync `FULL` would do inside the commit, moved
    outside the lock, so the next batch writes while this one reaches the disk and
    one fsync serves every batch committed before it began. A batch of pings does
    better once the ping log is open (`open_ping_log`): its requests are logged and
    fdatasynced while it runs, and its commit needs no fsync at all (store.fastpath.pinglog).

    Transactions are begun and ended on the DBAPI connection: SQLAlchemy's layers
    cost more per batch than the statements do. A batch that also wrote through the
    SQLAlchemy connection (flips, incidents) has that connection's transaction
    closed after the commit.
    """

    # One batch at a time, until its fsync: every ping that arrives meanwhile waits for
    # the next batch, so batches are as large as the clients allow. A second batch in
    # flight would keep the loop busy during the fsync, but halves the batches, and a
    # batch costs the loop about 400 µs beyond its pings (the CPU's caches, refilled
    # after the HTTP work in between, and SQLite's pages shared by all of its pings):
    # 64 clients gave batches of 57 pings and 45 to 49 µs of the loop a ping with one in
    # flight, 29 pings and 53 to 60 µs with two, and 7% fewer pings a second.
    batches_in_flight = 1

    def __init__(self, path: str, synchronous: str, wal_limit: int = DEFAULT_WAL_LIMIT) -> None:
        sync_after_commit = synchronous in ("FULL", "EXTRA")
        self.engine = sqlite_batch_engine(
            path, "NORMAL" if sync_after_commit else synchronous, wal_limit
        )
        self.wal_path = f"{path}-wal"
        self.wal_sync = WalSync(self.wal_path) if sync_after_commit else None
        self.log_path = f"{path}-pinglog"
        self.ping_log: PingLog | None = None
        self.log_size = DEFAULT_SIZE
        self.checkpointer = Checkpointer(path, synchronous, wal_limit)
        self.connection: sa.Connection | None = None
        self.one_at_a_time = asyncio.Lock()
        self.cache = CheckCache()

    async def run(self, batch: Batch[T], log_entry: bytes | None = None) -> T:
        """Runs `batch` in one transaction and returns once it is durable. A batch of
        pings passes the requests it records as `log_entry`: with the ping log open
        they are made durable there (see store.fastpath.pinglog), not by a WAL fsync."""
        async with self.one_at_a_time:
            # Between two batches, where the WAL can start again (store.fastpath.wal.Checkpointer).
            if self.checkpointer.restart_ready:
                await self.checkpointer.restart_wal()
            logged = await self.log_before_batch(log_entry)
            try:
                result = await self.commit(batch, None if logged is None else logged[0])
            except BaseException:
                if logged is not None:
                    logged[1].add_done_callback(ignore_outcome)  # the record is void
                raise
            if logged is not None:
                assert self.ping_log is not None
                self.ping_log.keep()
        self.checkpointer.committed(wal_size(self.wal_path))  # a stat, about 2 µs
        if logged is not None:
            await logged[1]
        elif self.wal_sync is not None:
            await self.wal_sync()
        return result

    async def run_aside(self, batch: Batch[T]) -> T:
        """Runs `batch` like `run`, but on a thread: for long work that is no ping's
        (pruning), whose statements would otherwise take the event loop's time from
        the pings. Batches of pings wait for it as for any batch, while the loop goes
        on reading their requests (SQLite releases the GIL inside its statements).
        Such a batch sees no check cache: it must not write checks."""
        async with self.one_at_a_time:
            if self.checkpointer.restart_ready:
                await self.checkpointer.restart_wal()
            connection, dbapi = await self.begin_immediate()
            loop = asyncio.get_running_loop()
            done = loop.run_in_executor(None, self.finish, batch, connection, dbapi, None, None)
            try:
                result = await asyncio.shield(done)
            except asyncio.CancelledError:
                # The connection is not given to the next batch mid-transaction.
                await asyncio.wait([done])
                raise
        self.checkpointer.committed(wal_size(self.wal_path))
        if self.wal_sync is not None:
            await self.wal_sync()
        return result

    @property
    def logs_pings(self) -> bool:
        """Whether a batch of pings should pass its `log_entry` to `run`."""
        return self.ping_log is not None

    async def commit(self, batch: Batch[T], log_seq: int | None) -> T:
        connection, dbapi = await self.begin_immediate()
        return self.finish(batch, connection, dbapi, log_seq, self.cache)

    def finish(
        self,
        batch: Batch[T],
        connection: sa.Connection,
        dbapi: sqlite3.Connection,
        log_seq: int | None,
        cache: CheckCache | None,
    ) -> T:
        """Runs the begun transaction's batch and commits it, or rolls it back."""
        try:
            if cache is not None:
                cache.validate(dbapi.execute("PRAGMA data_version").fetchone()[0])
            result = batch(BatchWriter(SqliteDriver(dbapi.cursor()), connection, cache))
            if log_seq is not None:
                dbapi.execute(SET_LOG_SEQ, (log_seq,))
            dbapi.commit()
            if connection.in_transaction():  # the batch also wrote through SQLAlchemy
                connection.commit()
        except BaseException:
            # The cache may hold states this transaction never committed.
            self.cache.clear()
            connection.rollback()
            dbapi.rollback()
            raise
        return result

    async def log_before_batch(
        self, log_entry: bytes | None
    ) -> tuple[int, asyncio.Future[None]] | None:
        """Writes the entry to the ping log and starts its fdatasync on a thread, to
        run while the batch does; None when the batch is to be made durable by the
        WAL fsync instead (no log, or an entry larger than the whole log)."""
        ping_log = self.ping_log
        if log_entry is None or ping_log is None or not ping_log.holds(len(log_entry)):
            return None
        if not ping_log.fits(len(log_entry)):
            # Every batch the log holds has committed; once the WAL is on disk, the
            # database keeps them without the log.
            await self.fsync_wal_now()
            ping_log.restart(ping_log.next_seq)
        seq = ping_log.write(log_entry)
        # run_in_executor, not to_thread: the fsync must start now, not after the batch.
        return seq, asyncio.get_running_loop().run_in_executor(None, ping_log.sync)

    async def fsync_wal_now(self) -> None:
        await asyncio.to_thread(fsync_file, self.wal_path)

    async def open_ping_log(self, batch_of: Callable[[bytes], Batch[object]]) -> int:
        """Opens the ping log and replays the batches it holds that the database lost
        (`batch_of` turns an entry back into its batch); returns how many. With the
        log held by another process, pings stay with the WAL fsync; below FULL they
        need neither, and a log left by an earlier run is only replayed."""
        if self.ping_log is not None:
            return 0
        keep_using = self.wal_sync is not None
        # A log left by a run with FULL is still replayed after a switch to NORMAL.
        if not keep_using and not await asyncio.to_thread(os.path.exists, self.log_path):
            return 0
        ping_log = await asyncio.to_thread(PingLog.open, self.log_path, self.log_size)
        if ping_log is None:
            log.info("the ping log is held by another process: not used here")
            return 0
        ping_log, replayed = await self.recover(ping_log, batch_of)
        if keep_using:
            self.ping_log = ping_log
        else:
            ping_log.close()
        return replayed

    async def recover(
        self, ping_log: PingLog, batch_of: Callable[[bytes], Batch[object]]
    ) -> tuple[PingLog, int]:
        """Replays the batches the database lost, or sets the log aside when they are
        another history's; then starts the log again for a new generation. Returns
        the log to write to and how many batches were replayed; closes it on failure."""
        try:
            committed, generation = await self.run(read_log_state)
            lost, stale = records_to_replay(ping_log.records(), committed, generation)
            if stale is not None:
                ping_log = await self.set_aside(ping_log, stale)
            await self.replay(lost, batch_of)
            # A new generation for the batches this run logs: a copy of the database
            # made before now, by whatever means and put back later, never takes them
            # for its own.
            generation = new_generation()
            async with self.one_at_a_time:
                await self.commit(setting_generation(generation), None)
            # The replayed batches and the generation are durable before the log may
            # be written over.
            await self.fsync_wal_now()
        except BaseException:
            ping_log.close()
            raise
        ping_log.restart(max([committed, *(record.seq for record in lost)]) + 1, generation)
        return ping_log, len(lost)

    async def replay(
        self, lost: list[LogRecord], batch_of: Callable[[bytes], Batch[object]]
    ) -> None:
        for record in lost:
            try:
                async with self.one_at_a_time:
                    await self.commit(batch_of(record.payload), record.seq)
            except Exception:
                log.exception("could not replay logged batch %d", record.seq)
        if lost:
            log.warning("replayed %d batches of pings from the ping log", len(lost))

    async def set_aside(self, ping_log: PingLog, reason: str) -> PingLog:
        """Renames the log, still holding it, and opens a new one in its place."""
        aside = await asyncio.to_thread(rename_aside, self.log_path)
        log.warning("set the ping log aside as %s, not replayed: %s", aside, reason)
        fresh = await asyncio.to_thread(PingLog.open, self.log_path, self.log_size)
        if fresh is None:  # the caller closes the old one
            raise RuntimeError(f"another process took the new ping log {self.log_path}")
        ping_log.close()
        return fresh

    async def begin_immediate(self) -> tuple[sa.Connection, sqlite3.Connection]:
        if self.connection is None:
            self.connection = self.engine.connect()
        dbapi = cast(sqlite3.Connection, self.connection.connection.dbapi_connection)
        loop = asyncio.get_running_loop()
        give_up = loop.time() + LOCK_WAIT.total_seconds()
        pause = 0.001
        while True:
            try:
                dbapi.execute("BEGIN IMMEDIATE")
                return self.connection, dbapi
            except sqlite3.OperationalError as error:
                if error.sqlite_errorcode != sqlite3.SQLITE_BUSY or loop.time() > give_up:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.05)

    async def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None
        self.engine.dispose()
        await asyncio.to_thread(self.checkpointer.close)
        if self.ping_log is not None:
            self.ping_log.close()
            self.ping_log = None


def read_log_state(writer: BatchWriter) -> tuple[int, int]:
    """The last logged batch the database committed, and its generation."""
    rows = writer.driver.fetch("SELECT seq FROM ping_log WHERE id = 1", [])
    generation = writer.driver.fetch(READ_GENERATION, [])[0][0]
    return (int(rows[0][0]) if rows else 0), int(generation)


def setting_generation(generation: int) -> Batch[None]:
    statement = set_generation_statement(generation)

    def write(writer: BatchWriter) -> None:
        writer.driver.fetch(statement, [])  # a PRAGMA: sqlite3 runs no executemany of it

    return write


def records_to_replay(
    records: list[LogRecord], committed: int, generation: int
) -> tuple[list[LogRecord], str | None]:
    """The records after the last one the database committed; or none, and why, when
    they are not this database's lost batches. The log starts again only once what it
    held is durable, so its first record is at most one past that; a log that starts
    later, or was written for another generation of the database (one put back from
    a backup, say), belongs to another history."""
    lost = [record for record in records if record.seq > committed]
    if not lost:
        return [], None
    first, last = lost[0], lost[-1]
    if first.generation != generation:
        return [], (
            f"it holds batches {first.seq} to {last.seq} of generation {first.generation} "
            f"of the database, which is now generation {generation} "
            "(put back from a backup, or another copy)"
        )
    if first.seq != committed + 1:
        return [], (
            f"it starts at batch {first.seq} but the database last committed batch {committed}"
        )
    return lost, None


def rename_aside(path: str) -> str:
    """Renames the file at `path` beside itself, under a name not yet taken."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for attempt in itertools.count(1):
        aside = f"{path}.set-aside-{stamp}" + (f"-{attempt}" if attempt > 1 else "")
        if not os.path.exists(aside):
            os.rename(path, aside)
            return aside
    raise AssertionError("unreachable")


def ignore_outcome(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()  # retrieved, so that asyncio does not log it


def sqlite_batch_engine(path: str, synchronous: str, wal_limit: int) -> sa.Engine:
    # Used from one thread at a time (the lock in run), the commit from another.
    engine = sa.create_engine(
        f"sqlite:///{path}", connect_args={"check_same_thread": False}, poolclass=StaticPool
    )

    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # BEGIN is ours: see begin_immediate
        for pragma in sqlite_pragmas(synchronous, wal_limit):
            dbapi_connection.execute(f"PRAGMA {pragma}")
        # Never block the event loop waiting for another writer; see begin_immediate.
        dbapi_connection.execute("PRAGMA busy_timeout = 0")
        # Checkpoints are the Checkpointer's, on its own thread.
        dbapi_connection.execute("PRAGMA wal_autocheckpoint = 0")

    return engine


class PostgresRunner:
    """Batches run in a greenlet over the pooled asyncpg connection."""

    # Two batches in flight: while one waits on the server for its commit, the next is
    # already being written, so the loop does not idle through the round trips.
    batches_in_flight = 2

    def __init__(self, database: Database) -> None:
        self.database = database

    async def run(self, batch: Batch[T], log_entry: bytes | None = None) -> T:
        """PostgreSQL's commit is durable by itself; `log_entry` is SQLite's."""
        async with self.database.write() as connection:
            try:
                return await connection.run_sync(
                    lambda sync: batch(BatchWriter(PostgresDriver(sync.connection.cursor()), sync))
                )
            except Exception as error:
                # The batch's raw cursor bypasses SQLAlchemy's handling of errors, which
                # would discard a connection the server dropped: back in the pool, it
                # failed the next batch with "another operation is in progress".
                if not connection_is_sound(error):
                    await connection.invalidate()
                raise

    async def run_aside(self, batch: Batch[T]) -> T:
        """As `run`: the work is the database server's, not the event loop's."""
        return await self.run(batch)

    async def open_ping_log(self, batch_of: Callable[[bytes], Batch[object]]) -> int:
        return 0

    @property
    def logs_pings(self) -> bool:
        return False

    async def close(self) -> None:
        pass


BatchRunner = SqliteRunner | PostgresRunner


def batch_runner(database: Database) -> BatchRunner:
    if database.is_sqlite:
        assert database.url.database is not None
        return SqliteRunner(
            database.url.database, database.sqlite_synchronous, database.sqlite_wal_limit
        )
    return PostgresRunner(database)
