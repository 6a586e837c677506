"""Durability outside the write lock: a batch returns only once the WAL is fsynced."""

import asyncio
import threading
from pathlib import Path

import pytest

from tocsin.store.fastpath.wal import WalSync, fsync_file


class GatedFsync:
    """An fsync that records each call and finishes only when the test lets it."""

    def __init__(self) -> None:
        self.calls = 0
        self.gate = threading.Event()
        self.error: OSError | None = None

    def __call__(self, _path: str) -> None:
        self.calls += 1
        if not self.gate.wait(timeout=10):
            raise AssertionError("the test never opened the gate")
        if self.error is not None:
            raise self.error


async def test_a_caller_returns_only_after_an_fsync_that_began_after_its_call() -> None:
    fsync = GatedFsync()
    sync = WalSync("unused-wal", fsync)
    first = asyncio.create_task(sync())
    await asyncio.sleep(0.05)
    assert fsync.calls == 1
    assert not first.done()
    # These commit while the first fsync runs, so it may not cover them.
    later = [asyncio.create_task(sync()) for _ in range(5)]
    await asyncio.sleep(0.05)
    assert not any(task.done() for task in later)
    fsync.gate.set()
    await asyncio.wait_for(asyncio.gather(first, *later), 5)
    # One more fsync served all five later callers.
    assert fsync.calls == 2


async def test_an_fsync_failure_reaches_every_caller_it_was_to_cover() -> None:
    fsync = GatedFsync()
    fsync.error = OSError(5, "Input/output error")
    fsync.gate.set()
    sync = WalSync("unused-wal", fsync)
    results = await asyncio.gather(sync(), sync(), return_exceptions=True)
    assert [type(result) for result in results] == [OSError, OSError]
    assert sync.syncing is None


def test_fsync_file_syncs_an_existing_file_and_fails_loudly_on_a_missing_one(
    tmp_path: Path,
) -> None:
    wal = tmp_path / "db-wal"
    wal.write_bytes(b"frames")
    fsync_file(str(wal))
    with pytest.raises(FileNotFoundError):
        fsync_file(str(tmp_path / "missing-wal"))
