"""The batch connection's WAL: checkpoints off the event loop, a bound on its size, and
fsyncs outside the write lock (used by `store.fastpath.runners.SqliteRunner`)."""

import asyncio
import enum
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import timedelta

log = logging.getLogger("tocsin.store")

DEFAULT_WAL_LIMIT = 64 << 20
CheckpointResult = tuple[int, int, int]  # busy, frames in the WAL, frames copied back


class Restart(enum.Enum):
    """Where the WAL is on its way to starting again from its beginning."""

    NOT_DUE = enum.auto()
    CATCHING_UP = enum.auto()  # a passive checkpoint copies most of it back first
    READY = enum.auto()  # the runner restarts it before its next batch


class Checkpointer:
    """Copies the WAL back into the database file on a thread of its own, and starts the
    WAL again from its beginning once it passes `wal_limit` bytes.

    SQLite's automatic checkpoint runs inside the commit that fills the WAL past a
    thousand pages: every dozen batches, one commit would copy them all and fsync the
    database while the event loop waited. Here the batch connection never
    checkpoints; every `EVERY` commits this thread runs a passive checkpoint over its
    own connection, which writers need not wait for. Other connections keep SQLite's
    automatic checkpoints.

    Every 128 commits, not 16: a checkpoint copies each page once however often the
    commits since the last one rewrote it (a check's row, the index pages they share)
    and fsyncs the database file, which holds up the WAL fsync the batches wait for.
    At 64 clients 64 commits gave 8-9% more pings a second than 16, and 128 another 2%
    (256 no more); about 35 MB of WAL are written between two checkpoints at full load.

    Passive checkpoints alone never bound the WAL under sustained load. SQLite writes
    the WAL from its beginning again only when a write transaction begins while every
    frame in it has been copied back; a passive checkpoint copies the frames that were
    there when it began, and the batches go on committing after them, so at full load
    that moment never came and the file grew by tens of MB a second (3.3 GB in 40 s).
    So once the WAL passes `wal_limit` (its file size, which `journal_size_limit` cuts
    back to the limit once it starts again), a passive checkpoint catches up first,
    while the batches go on; then the runner holds its next batch back while a
    RESTART checkpoint copies the few frames written since, fsyncs the database file
    and sees that no reader is still using the WAL, and the next commit starts the WAL
    again. Intake waits only for that last step (about 7 ms at full load, against 24 ms
    without the catch-up), and the event loop not at all. Should the WAL reach twice
    the limit before the catch-up is done (a slow disk, a starved thread), the runner
    stops waiting for it; so the file stays under about twice the limit, whatever the
    load, unless a reader holds an old snapshot.

    The restart waits at most `RESTART_WAIT` for readers on older snapshots or another
    connection's write transaction, since the batches wait as long; when they still
    hold on, it is tried again `EVERY` commits later. docs/PERFORMANCE.md has the
    figures.

    Crash safety does not change: the database file is fsynced before the WAL may be
    written over (the checkpoint's own fsync), and SQLite fsyncs the new WAL header
    before frames follow it, so after a power cut the WAL still keeps a prefix of the
    commits since the restart, and the ping log the batches after it.
    """

    EVERY = 128
    RESTART_WAIT = timedelta(milliseconds=100)

    def __init__(self, path: str, synchronous: str, wal_limit: int = DEFAULT_WAL_LIMIT) -> None:
        self.path = path
        self.synchronous = synchronous
        self.wal_limit = wal_limit
        self.commits = 0
        self.next_checkpoint = self.EVERY  # commits; a catch-up puts the next one off
        self.restart = Restart.NOT_DUE
        self.retry_after = 0  # no restart before this many commits, after a busy one
        self.wanted = threading.Event()
        self.stopping = False
        self.thread: threading.Thread | None = None
        # One checkpoint at a time over `connection`, from the thread or a restart.
        self.lock = threading.Lock()
        self.connection: sqlite3.Connection | None = None

    def committed(self, wal_size: int) -> None:
        """Counts a commit of the batch connection, after which the WAL has `wal_size` bytes."""
        self.commits += 1
        if self.restart_due(wal_size):
            self.restart = Restart.CATCHING_UP
            self.wake()
        elif self.restart is Restart.CATCHING_UP and wal_size > 2 * self.wal_limit:
            # The catch-up is slow (a slow disk, a starved thread): restart without it.
            self.restart = Restart.READY
        elif self.commits >= self.next_checkpoint:
            self.wake()

    def restart_due(self, wal_size: int) -> bool:
        return (
            wal_size > self.wal_limit
            and self.restart is Restart.NOT_DUE
            and self.commits >= self.retry_after
        )

    @property
    def restart_ready(self) -> bool:
        """Whether the runner should call `restart_wal` before its next batch."""
        return self.restart is Restart.READY

    async def restart_wal(self) -> None:
        """Copies back what is left of the WAL, so that the next commit writes it from
        its beginning. The caller holds its own batches back until this returns."""
        began = time.perf_counter()
        result = await asyncio.to_thread(self.restart_now)
        waited_ms = (time.perf_counter() - began) * 1000
        if result is None or result[0]:
            self.retry_after = self.commits + self.EVERY
            log.debug("the WAL could not start again (readers or another writer): %s", result)
        else:
            log.debug("the WAL starts again; batches waited %.1f ms for it", waited_ms)

    def wake(self) -> None:
        self.next_checkpoint = self.commits + self.EVERY
        if self.thread is None:
            self.thread = threading.Thread(target=self.work, name="tocsin-checkpoint", daemon=True)
            self.thread.start()
        self.wanted.set()

    def restart_now(self) -> CheckpointResult | None:
        with self.lock:
            result = self.checkpoint("RESTART")
            self.restart = Restart.NOT_DUE
        return result

    def work(self) -> None:
        while True:
            self.wanted.wait()
            self.wanted.clear()
            if self.stopping:
                return
            with self.lock:
                catching_up = self.restart is Restart.CATCHING_UP
                self.checkpoint("PASSIVE")
                # Unless the runner gave up waiting for it (and may have restarted since).
                if catching_up and self.restart is Restart.CATCHING_UP:
                    self.restart = Restart.READY

    def checkpoint(self, mode: str) -> CheckpointResult | None:
        """Runs one checkpoint, holding `lock`; None if it failed (the next one retries)."""
        try:
            connection = self.connection or self.connect()
            busy, frames, copied = connection.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
        except sqlite3.Error as error:
            log.warning("checkpoint failed, the next one will retry: %s", error)
            return None
        return busy, frames, copied

    def connect(self) -> sqlite3.Connection:
        # The timeout is the busy handler, which only RESTART waits on (PASSIVE never does).
        self.connection = sqlite3.connect(
            self.path,
            isolation_level=None,
            check_same_thread=False,
            timeout=self.RESTART_WAIT.total_seconds(),
        )
        self.connection.execute(f"PRAGMA synchronous = {self.synchronous}")
        return self.connection

    def close(self) -> None:
        """Stops the thread; a checkpoint under way finishes first."""
        self.stopping = True
        self.wanted.set()
        if self.thread is not None:
            self.thread.join()
            self.thread = None
        with self.lock:
            if self.connection is not None:
                self.connection.close()
                self.connection = None


def wal_size(wal_path: str) -> int:
    try:
        return os.stat(wal_path).st_size
    except FileNotFoundError:
        return 0


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
