"""The SQLite ping log: acknowledged pings survive the loss of the WAL's unsynced tail.

A power cut is imitated by putting back the database and WAL files as they were after
an earlier commit (what the disk held, since nothing fsynced them since) beside the
ping log as it was at the cut."""

import asyncio
import os
import shutil
import uuid
import zlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import settings_for
from tests.helpers import T0, make_check, pings_of, put_back_sqlite_backup, reload
from tocsin.domain.checks import Action, Status
from tocsin.pings.intake import PingIntake, PingRequest, Reply, log_entry, requests_from_log
from tocsin.pings.urls import BySlug, ByToken, ByUuid, PingUrl
from tocsin.store.backup import back_up_sqlite
from tocsin.store.database import Database
from tocsin.store.fastpath.pinglog import HEADER, LEGACY_HEADER, LEGACY_MAGIC, LogRecord, PingLog
from tocsin.store.fastpath.runners import SqliteRunner, records_to_replay
from tocsin.store.fastpath.wal import DEFAULT_WAL_LIMIT, WalSync
from tocsin.store.migrate import migrate


@pytest.fixture
async def full_database(tmp_path: Path) -> AsyncIterator[Database]:
    """A SQLite database with `synchronous=FULL`, where the ping log is used."""
    database = Database(
        settings_for(f"sqlite:///{tmp_path / 'tocsin.db'}", sqlite_synchronous="FULL")
    )
    await migrate(database)
    yield database
    await database.close()


def database_path(database: Database) -> Path:
    assert database.url.database is not None
    return Path(database.url.database)


def ping(record_uuid: uuid.UUID, seconds: float, action: Action = Action.SUCCESS) -> PingRequest:
    return PingRequest(PingUrl(ByUuid(record_uuid.hex), action), T0 + timedelta(seconds=seconds))


class Intake:
    """A runner and its intake, started as `tocsin serve` starts them."""

    def __init__(
        self, database: Database, synchronous: str = "FULL", wal_limit: int = DEFAULT_WAL_LIMIT
    ) -> None:
        path = database_path(database)
        self.runner = SqliteRunner(str(path), synchronous, wal_limit)
        self.intake = PingIntake(self.runner, lambda _deadline: None)

    async def start(self) -> int:
        return await self.intake.recover()

    async def send(self, *requests: PingRequest) -> list[Reply]:
        writer = asyncio.create_task(self.intake.run())
        try:
            return list(await asyncio.gather(*(self.intake.submit(r) for r in requests)))
        finally:
            self.intake.stop()
            await writer
            self.intake = PingIntake(self.runner, lambda _deadline: None)

    async def close(self) -> None:
        await self.runner.close()


async def power_cut(database: Database, saved: Path) -> None:
    """Puts back the files saved at `saved` as the disk held them at the cut."""
    await database.close()  # its pooled connections would see the files change under them
    await asyncio.to_thread(copy_files, saved, ("", "-wal", "-pinglog"), database_path(database))
    await asyncio.to_thread(Path(f"{database_path(database)}-shm").unlink, missing_ok=True)


def copy_files(path: Path, suffixes: tuple[str, ...], target: Path) -> None:
    for suffix in suffixes:
        shutil.copy(f"{path}{suffix}", f"{target}{suffix}")


@pytest.mark.parametrize("synchronous", ["FULL", "NORMAL"])
async def test_pings_the_wal_lost_are_replayed_from_the_log_at_start(
    full_database: Database, tmp_path: Path, synchronous: str
) -> None:
    """Also when the server comes back configured with NORMAL, which keeps no log."""
    record = await make_check(full_database, now=T0)
    path = database_path(full_database)
    intake = Intake(full_database)
    assert await intake.start() == 0
    assert await intake.send(ping(record.uuid, 1)) == [Reply.OK]
    # What the disk holds of the database once the first batch is durable.
    copy_files(path, ("", "-wal"), tmp_path / "durable")
    assert await intake.send(ping(record.uuid, 2, Action.START)) == [Reply.OK]
    assert await intake.send(ping(record.uuid, 3, Action.FAIL)) == [Reply.OK]
    copy_files(path, ("-pinglog",), tmp_path / "durable")
    await intake.close()

    # The power cut: the WAL's last two commits never reached the disk; the log did.
    await power_cut(full_database, tmp_path / "durable")
    assert (await reload(full_database, record)).n_pings == 1

    restarted = Intake(full_database, synchronous)
    assert await restarted.start() == 2
    assert not restarted.runner.logs_pings or synchronous == "FULL"
    await restarted.close()
    check = await reload(full_database, record)
    assert check.n_pings == 3
    assert check.state.status == Status.DOWN
    assert [p.kind for p in await pings_of(full_database, check)] == ["success", "start", "fail"]

    # Replayed once only: a second start finds nothing left to do.
    again = Intake(full_database)
    assert await again.start() == 0
    await again.close()
    assert (await reload(full_database, record)).n_pings == 3


async def test_a_ping_batch_with_the_log_open_does_not_wait_for_a_wal_fsync(
    full_database: Database,
) -> None:
    record = await make_check(full_database, now=T0)
    wal_fsyncs: list[str] = []
    intake = Intake(full_database)
    await intake.start()
    intake.runner.wal_sync = WalSync("unused", wal_fsyncs.append)
    await intake.send(ping(record.uuid, 1), ping(record.uuid, 2))
    assert wal_fsyncs == []
    await intake.runner.run(lambda _writer: None)  # any other batch still fsyncs the WAL
    assert wal_fsyncs == ["unused"]
    await intake.close()


async def test_without_the_log_a_ping_batch_waits_for_the_wal_fsync(
    full_database: Database,
) -> None:
    record = await make_check(full_database, now=T0)
    wal_fsyncs: list[str] = []
    intake = Intake(full_database)
    intake.runner.wal_sync = WalSync("unused", wal_fsyncs.append)
    await intake.send(ping(record.uuid, 1))  # recover() never called: no log
    assert wal_fsyncs == ["unused"]
    await intake.close()


async def test_a_second_process_on_the_database_goes_without_the_log(
    full_database: Database,
) -> None:
    first, second = Intake(full_database), Intake(full_database)
    await first.start()
    await second.start()
    assert first.runner.logs_pings
    assert not second.runner.logs_pings
    await first.close()
    await second.close()


async def test_a_batch_that_failed_leaves_nothing_in_the_log(full_database: Database) -> None:
    runner = SqliteRunner(str(database_path(full_database)), "FULL")
    await runner.open_ping_log(lambda _entry: lambda _writer: None)

    def failing(_writer: Any) -> None:
        raise RuntimeError("bad batch")

    with pytest.raises(RuntimeError):
        await runner.run(failing, b"failed")
    await runner.run(lambda _writer: None, b"kept")
    assert runner.ping_log is not None
    assert runner.ping_log.records() == [LogRecord(1, b"kept", runner.ping_log.generation)]
    await runner.close()


async def test_the_log_starts_again_once_full_and_replays_from_there(
    full_database: Database, tmp_path: Path
) -> None:
    record = await make_check(full_database, now=T0)
    path = database_path(full_database)
    entry_size = HEADER.size + len(log_entry([ping(record.uuid, 0)]))
    intake = Intake(full_database)
    intake.runner.log_size = 3 * entry_size  # three one-ping batches to a pass
    await intake.start()
    for second in range(1, 8):
        await intake.send(ping(record.uuid, second))
    copy_files(path, ("", "-wal"), tmp_path / "durable")
    await intake.send(ping(record.uuid, 8))
    assert intake.runner.ping_log is not None
    # Batches 1-6 filled two passes; 7 and 8 are the third.
    assert [r.seq for r in intake.runner.ping_log.records()] == [7, 8]
    copy_files(path, ("-pinglog",), tmp_path / "durable")
    await intake.close()

    await power_cut(full_database, tmp_path / "durable")
    restarted = Intake(full_database)
    restarted.runner.log_size = 3 * entry_size
    assert await restarted.start() == 1
    await restarted.close()
    assert (await reload(full_database, record)).n_pings == 8


@pytest.mark.parametrize("first_commit_reached_the_disk", [True, False])
async def test_a_power_cut_after_the_wal_started_again_loses_no_acknowledged_ping(
    full_database: Database, tmp_path: Path, first_commit_reached_the_disk: bool
) -> None:
    record = await make_check(full_database, now=T0)
    path = database_path(full_database)
    wal = Path(f"{path}-wal")
    intake = Intake(full_database, wal_limit=64 * 1024)
    await intake.start()
    # Starting wrote the database's new generation, fsynced: it may have started the
    # WAL again already. The restart wanted here is one that pings bring about.
    restarts_at_start = wal_restarts(wal)
    sent = 0
    while wal_restarts(wal) == restarts_at_start and sent < 500:
        sent += 1
        assert await intake.send(ping(record.uuid, sent)) == [Reply.OK]
    assert wal_restarts(wal) > restarts_at_start
    # The disk once the WAL has started again: the database file holds what the
    # restart's checkpoint copied back (and fsynced), the WAL begins anew with its
    # header (fsynced by SQLite before any frame follows), then the first commit's
    # frames, which nothing fsynced.
    copy_files(path, ("", "-wal"), tmp_path / "durable")
    if not first_commit_reached_the_disk:
        os.truncate(f"{tmp_path / 'durable'}-wal", WAL_HEADER_SIZE)
    for second in (sent + 1, sent + 2):
        assert await intake.send(ping(record.uuid, second)) == [Reply.OK]
    copy_files(path, ("-pinglog",), tmp_path / "durable")
    await intake.close()

    await power_cut(full_database, tmp_path / "durable")
    restarted = Intake(full_database)
    assert await restarted.start() == (2 if first_commit_reached_the_disk else 3)
    await restarted.close()
    assert (await reload(full_database, record)).n_pings == sent + 2


WAL_HEADER_SIZE = 32


def wal_restarts(wal: Path) -> int:
    """The WAL header's checkpoint sequence number: how often the WAL started again."""
    with wal.open("rb") as file:
        return int.from_bytes(file.read(16)[12:16], "big")


def test_reading_stops_at_a_torn_record_and_at_records_of_an_earlier_pass(
    tmp_path: Path,
) -> None:
    log = PingLog.open(str(tmp_path / "log"), size=4096)
    assert log is not None
    for payload in (b"one", b"two", b"three"):
        log.write(payload)
        log.keep()
    assert [r.payload for r in log.records()] == [b"one", b"two", b"three"]

    log.restart(4)  # a new pass over the older records
    log.write(b"four")
    log.keep()
    assert log.records() == [LogRecord(4, b"four")]

    log.write(b"five!")
    log.keep()
    with open(tmp_path / "log", "r+b") as raw:  # a write the power cut interrupted
        raw.seek(2 * HEADER.size + len(b"four") + 2)
        raw.write(b"X")
    assert log.records() == [LogRecord(4, b"four")]
    log.close()


def test_the_log_file_is_written_full_of_zeros_at_once(tmp_path: Path) -> None:
    log = PingLog.open(str(tmp_path / "log"), size=3 << 20)
    assert log is not None
    assert (tmp_path / "log").stat().st_size == 3 << 20
    assert log.records() == []
    log.close()


def test_a_log_that_starts_after_the_database_is_not_replayed() -> None:
    records = [LogRecord(5, b"e", 7), LogRecord(6, b"f", 7)]
    assert records_to_replay(records, 4, 7) == (records, None)
    assert records_to_replay(records, 5, 7) == (records[1:], None)
    assert records_to_replay(records, 6, 7) == ([], None)
    lost, why = records_to_replay(records, 2, 7)  # batches 3 and 4 are nowhere
    assert lost == []
    assert why == "it starts at batch 5 but the database last committed batch 2"


def test_a_log_written_for_another_generation_is_not_replayed() -> None:
    records = [LogRecord(5, b"e", 7), LogRecord(6, b"f", 7)]
    lost, why = records_to_replay(records, 4, 8)
    assert lost == []
    assert why is not None
    assert "batches 5 to 6 of generation 7 of the database, which is now generation 8" in why
    # Batches the database already holds are no history of another copy's.
    assert records_to_replay(records, 6, 8) == ([], None)


def test_reading_stops_at_a_record_of_another_generation(tmp_path: Path) -> None:
    log = PingLog.open(str(tmp_path / "log"), size=4096)
    assert log is not None
    log.restart(1, generation=7)
    for payload in (b"one", b"two", b"three"):
        log.write(payload)
        log.keep()
    log.restart(1, generation=8)  # numbered as the old pass was, but for another copy
    log.write(b"uno")
    log.keep()
    assert log.records() == [LogRecord(1, b"uno", 8)]
    log.close()


def test_every_kind_of_request_survives_the_log() -> None:
    requests = [
        PingRequest(
            PingUrl(ByUuid(uuid.uuid4().hex), Action.FAIL, 3),
            T0 + timedelta(microseconds=7),
            method="POST",
            rid=uuid.uuid4(),
            remote_addr="10.0.0.1",
            user_agent="curl/8",
            scheme="https",
            body=b"\x00 output",
            body_size=120_000,
        ),
        PingRequest(PingUrl(ByToken("tok"), Action.START), T0),
        PingRequest(PingUrl(BySlug("key", "backup"), Action.LOG), T0, create=True),
    ]
    assert requests_from_log(log_entry(requests)) == requests


def logs_set_aside(database: Database) -> list[Path]:
    path = database_path(database)
    return sorted(path.parent.glob(f"{path.name}-pinglog.set-aside-*"))


async def test_a_backup_put_back_beside_a_later_log_takes_none_of_its_batches(
    full_database: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    record = await make_check(full_database, now=T0)
    path = database_path(full_database)
    intake = Intake(full_database)
    await intake.start()
    assert await intake.send(ping(record.uuid, 1)) == [Reply.OK]
    back_up_sqlite(path, tmp_path / "backup.db")
    for second in (2, 3):  # later history, in the log
        assert await intake.send(ping(record.uuid, second, Action.FAIL)) == [Reply.OK]
    await intake.close()

    # Put back as a person would: the backup over the database, the log left beside it.
    await full_database.close()
    await asyncio.to_thread(put_back_sqlite_backup, tmp_path / "backup.db", path)
    restarted = Intake(full_database)
    assert await restarted.start() == 0
    await restarted.close()
    check = await reload(full_database, record)
    assert check.n_pings == 1
    assert check.state.status == Status.UP
    [aside] = logs_set_aside(full_database)
    assert f"set the ping log aside as {aside}, not replayed" in caplog.text
    assert "batches 2 to 3 of generation" in caplog.text


async def test_a_copy_made_before_a_run_takes_none_of_that_runs_batches(
    full_database: Database, tmp_path: Path
) -> None:
    """Copied by other means than `tocsin backup` (the files, with the server stopped):
    each run logs for a generation of its own."""
    record = await make_check(full_database, now=T0)
    path = database_path(full_database)
    first = Intake(full_database)
    await first.start()
    assert await first.send(ping(record.uuid, 1)) == [Reply.OK]
    await first.close()
    await full_database.close()
    copy_files(path, ("",), tmp_path / "copy")  # stopped cleanly: all in this one file

    second = Intake(full_database)
    await second.start()
    assert await second.send(ping(record.uuid, 2, Action.FAIL)) == [Reply.OK]
    await second.close()

    copy_files(tmp_path / "copy", ("",), path)  # the old copy put back
    third = Intake(full_database)
    assert await third.start() == 0
    await third.close()
    assert (await reload(full_database, record)).n_pings == 1
    assert len(logs_set_aside(full_database)) == 1


async def test_a_log_already_held_in_the_database_is_not_set_aside(
    full_database: Database,
) -> None:
    record = await make_check(full_database, now=T0)
    for _run in range(2):
        intake = Intake(full_database)
        assert await intake.start() == 0
        assert await intake.send(ping(record.uuid, 1)) == [Reply.OK]
        await intake.close()
    assert logs_set_aside(full_database) == []


async def test_a_log_written_before_records_had_a_generation_is_still_replayed(
    full_database: Database,
) -> None:
    """An upgrade from a version whose log records had no generation, after a power
    cut: the database has none either (0), and gets back the batches it lost."""
    record = await make_check(full_database, now=T0)
    entries = [log_entry([ping(record.uuid, second)]) for second in (1, 2)]
    legacy = b"".join(
        LEGACY_HEADER.pack(LEGACY_MAGIC, seq, len(entry), zlib.crc32(entry)) + entry
        for seq, entry in enumerate(entries, start=1)
    )
    await asyncio.to_thread(Path(f"{database_path(full_database)}-pinglog").write_bytes, legacy)
    intake = Intake(full_database)
    assert await intake.start() == 2
    await intake.close()
    assert (await reload(full_database, record)).n_pings == 2
    assert logs_set_aside(full_database) == []
