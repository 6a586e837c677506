"""Checkpoints off the event loop: the batch connection never copies the WAL back
itself; the checkpointer's thread does, while batches go on committing."""

import asyncio
import itertools
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tocsin.store.fastpath.runners import SqliteRunner
from tocsin.store.fastpath.wal import Checkpointer


def rows_in_database_file(path: Path) -> int:
    """Rows of `t` as the main file holds them, ignoring the WAL (immutable=1)."""
    with sqlite3.connect(f"file:{path}?immutable=1", uri=True) as connection:
        tables = connection.execute("SELECT name FROM sqlite_master WHERE name = 't'").fetchall()
        count = connection.execute("SELECT count(*) FROM t").fetchone()[0] if tables else 0
    connection.close()
    return int(count)


def insert_one(value: int) -> Any:
    def batch(writer: Any) -> None:
        writer.driver.cursor.execute("INSERT INTO t (v) VALUES (?)", (value,))

    return batch


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "checkpoints.db"
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("CREATE TABLE t (v INTEGER)")
    connection.close()
    return path


async def test_commits_reach_the_database_file_through_the_checkpoint_thread(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Checkpointer, "EVERY", 4)
    runner = SqliteRunner(str(database), "FULL")
    try:
        for value in range(3):
            await runner.run(insert_one(value))
        # Fewer commits than EVERY: everything is still only in the WAL.
        assert rows_in_database_file(database) == 0
        await runner.run(insert_one(3))
        for _ in range(100):
            if rows_in_database_file(database) == 4:
                break
            await asyncio.sleep(0.02)
        assert rows_in_database_file(database) == 4
    finally:
        await runner.close()
    assert runner.checkpointer.thread is None


async def test_the_batch_connection_never_checkpoints_by_itself(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Checkpointer, "EVERY", 10**9)
    runner = SqliteRunner(str(database), "NORMAL")
    try:
        # Far past the 1,000 pages of WAL after which SQLite's own automatic
        # checkpoint would have copied them into the file.
        for value in range(300):
            await runner.run(rewrite_every_row(value))
        assert (database.parent / "checkpoints.db-wal").stat().st_size > 1000 * 4096
        assert rows_in_database_file(database) == 0
    finally:
        await runner.close()


def rewrite_every_row(value: int) -> Any:
    def batch(writer: Any) -> None:
        writer.driver.execute_many("INSERT INTO t (v) VALUES (?)", [(value,)] * 20)
        writer.driver.cursor.execute("UPDATE t SET v = v + 1")

    return batch


# --- the WAL's size ------------------------------------------------------------------

WAL_LIMIT = 512 * 1024
ROWS = 4000


@pytest.fixture
def filled_database(database: Path) -> Path:
    """Rows enough that a batch rewriting a stretch of them writes about 16 KB of WAL."""
    with sqlite3.connect(database) as connection:
        connection.executemany("INSERT INTO t (v) VALUES (?)", [(0,)] * ROWS)
    connection.close()
    return database


def rewrite_a_stretch(value: int) -> Any:
    def batch(writer: Any) -> None:
        first = value * 97 % ROWS
        writer.driver.cursor.execute(
            "UPDATE t SET v = v + 1 WHERE rowid BETWEEN ? AND ?", (first, first + 2000)
        )

    return batch


def wal_restarts(wal: Path) -> int:
    """The WAL header's checkpoint sequence number, which SQLite raises each time it
    writes the WAL from its beginning again."""
    with wal.open("rb") as file:
        return int.from_bytes(file.read(16)[12:16], "big")


async def wal_sizes_over_batches(runner: SqliteRunner, wal: Path, batches: range) -> list[int]:
    sizes = []
    for value in batches:
        await runner.run(rewrite_a_stretch(value))
        sizes.append(file_size(wal))
    return sizes


def file_size(path: Path) -> int:
    return path.stat().st_size


def cut_back_after_passing_the_limit(sizes: list[int]) -> int:
    pairs = itertools.pairwise(sizes)
    return sum(1 for before, after in pairs if before > WAL_LIMIT >= after)


async def test_the_wal_starts_again_and_is_cut_back_each_time_it_passes_its_limit(
    filled_database: Path,
) -> None:
    runner = SqliteRunner(str(filled_database), "NORMAL", wal_limit=WAL_LIMIT)
    wal = filled_database.parent / "checkpoints.db-wal"
    try:
        # About 5 MB of WAL written in all, nine times the limit, without a pause.
        sizes = await wal_sizes_over_batches(runner, wal, range(300))
        # Past the limit by what a few batches write while a checkpoint catches up,
        # and never by more than the limit again (then the runner stops waiting for it).
        assert max(sizes) <= 2 * WAL_LIMIT + 128 * 1024
        assert cut_back_after_passing_the_limit(sizes) >= 3
        assert wal_restarts(wal) >= 3
    finally:
        await runner.close()


async def test_a_reader_on_an_old_snapshot_holds_the_wal_back_but_not_the_batches(
    filled_database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Checkpointer, "EVERY", 16)  # retries after a busy restart
    runner = SqliteRunner(str(filled_database), "NORMAL", wal_limit=WAL_LIMIT)
    wal = filled_database.parent / "checkpoints.db-wal"
    reader = sqlite3.connect(filled_database, isolation_level=None)
    try:
        await runner.run(rewrite_a_stretch(0))
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM t").fetchone()  # holds its snapshot from now
        held = await wal_sizes_over_batches(runner, wal, range(1, 101))
        # Every batch committed, but the WAL could not start again under the reader.
        assert wal_restarts(wal) == 0
        assert held[-1] > 2 * WAL_LIMIT
        reader.execute("COMMIT")
        released = await wal_sizes_over_batches(runner, wal, range(101, 240))
        assert wal_restarts(wal) >= 1
        assert cut_back_after_passing_the_limit([held[-1], *released]) >= 1
    finally:
        reader.close()
        await runner.close()
