"""Checkpoints off the event loop: the batch connection never copies the WAL back
itself; the checkpointer's thread does, while batches go on committing."""

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tocsin.store.runners import Checkpointer, SqliteRunner


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
