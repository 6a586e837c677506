"""The ping log: what makes a batch of pings durable on SQLite before it is answered.

Making a batch durable by fsyncing SQLite's WAL costs an fsync of every page the
batch touched (about 280 KB for 64 pings), which can only begin once the batch has
committed, and the loop idled through it: about a quarter of the time at full load.
Instead the batch's requests, a few KB, are written to this log before the batch
runs, and fdatasynced on a thread while the loop runs the batch; the batch commits
to the WAL without an fsync. By the time the commit is done the log's small fsync
has usually finished.

After a power loss the WAL keeps a prefix of the commits (its frames are checksummed
in a chain), so the batches it lost are the last ones, and every one of them is in
the log: the database records the sequence number of the last logged batch it
committed (table `ping_log`), and at start the batches after it are replayed, in
order, through the same code. Commits of other kinds (the watcher, the web) are
fsynced as before, which also makes every ping batch committed before them durable.

Each record also carries the generation of the database it was logged for
(`store.generation`): a database put back from a backup has another one, and a log
holding later batches of another generation is set aside rather than replayed
(`store.fastpath.runners.SqliteRunner.open_ping_log`).

The file has a fixed size and is filled with zeros when created, so that writing a
record changes no file metadata and its fdatasync flushes only the record. Records
are written one after another from the start; when the next one does not fit, the
WAL is fsynced (every logged batch is then durable in the database) and writing
starts again from the beginning. A record is a header (magic, generation, sequence
number, length, CRC-32 of the payload) and the payload; reading stops at the first
record that is torn, stale (from an earlier pass: its number is not the next one, or
its generation not the first record's) or zeros.
The file is held with an exclusive `flock`: a second process on the same database
makes its pings durable with the WAL fsync instead.
"""

import fcntl
import os
import struct
import zlib
from dataclasses import dataclass

HEADER = struct.Struct("<4sIQII")  # magic, generation, sequence number, length, CRC-32
MAGIC = b"TPL2"
LEGACY_HEADER = struct.Struct("<4sQII")  # before records carried a generation
LEGACY_MAGIC = b"TPL1"
DEFAULT_SIZE = 8 << 20
CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class LogRecord:
    seq: int
    payload: bytes
    generation: int = 0  # of the database it was logged for (store.generation)

    def followed_by(self, generation: int, seq: int) -> bool:
        """Whether a record with these numbers is the next of the same pass."""
        return generation == self.generation and seq == self.seq + 1


class PingLog:
    """One process's log file. Writes go at `offset`; a written record is kept
    (the next one goes after it) only once its batch has committed."""

    def __init__(self, descriptor: int, size: int) -> None:
        self.descriptor = descriptor
        self.size = size
        self.offset = 0
        self.next_seq = 1
        self.generation = 0  # of the database the records are written for
        self.written = 0  # length of the record at `offset`, not yet kept

    @classmethod
    def open(cls, path: str, size: int = DEFAULT_SIZE) -> "PingLog | None":
        """The log at `path`, created if missing; None if another process holds it."""
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            return None
        try:
            fill_with_zeros(descriptor, size)
        except OSError:
            os.close(descriptor)
            raise
        return cls(descriptor, size)

    def records(self) -> list[LogRecord]:
        """The records of the latest pass, in order. Records written before they
        carried a generation read as generation 0, that of a database never given
        one: a database upgraded with such a log beside it still gets back what the
        log holds and it lost."""
        legacy = os.pread(self.descriptor, len(LEGACY_MAGIC), 0) == LEGACY_MAGIC
        header_size = (LEGACY_HEADER if legacy else HEADER).size
        found: list[LogRecord] = []
        offset = 0
        while offset + header_size <= self.size:
            fields = read_header(os.pread(self.descriptor, header_size, offset), legacy)
            if fields is None or (found and not found[-1].followed_by(*fields[:2])):
                break
            generation, seq, length, checksum = fields
            end = offset + header_size + length
            if end > self.size:
                break
            payload = os.pread(self.descriptor, length, offset + header_size)
            if len(payload) != length or zlib.crc32(payload) != checksum:
                break
            found.append(LogRecord(seq, payload, generation))
            offset = end
        return found

    def restart(self, next_seq: int, generation: int | None = None) -> None:
        """Writes from the beginning again, for the database's `generation` if it
        changed; only once every record is durable elsewhere."""
        self.offset = 0
        self.next_seq = next_seq
        if generation is not None:
            self.generation = generation
        self.written = 0

    def holds(self, length: int) -> bool:
        """Whether a payload of `length` bytes could be logged at all."""
        return HEADER.size + length <= self.size

    def fits(self, length: int) -> bool:
        return self.offset + HEADER.size + length <= self.size

    def write(self, payload: bytes) -> int:
        """Writes a record after the kept ones, replacing one written but not kept;
        returns its sequence number. Durable only after `sync`."""
        header = HEADER.pack(
            MAGIC, self.generation, self.next_seq, len(payload), zlib.crc32(payload)
        )
        record = header + payload
        os.pwrite(self.descriptor, record, self.offset)
        self.written = len(record)
        return self.next_seq

    def keep(self) -> None:
        """The written record's batch committed: the next record goes after it."""
        self.offset += self.written
        self.next_seq += 1
        self.written = 0

    def sync(self) -> None:
        os.fdatasync(self.descriptor)

    def close(self) -> None:
        os.close(self.descriptor)  # releases the flock


def read_header(header: bytes, legacy: bool) -> tuple[int, int, int, int] | None:
    """(generation, sequence number, length, CRC-32), or None where no record starts."""
    if legacy:
        magic, seq, length, checksum = LEGACY_HEADER.unpack(header)
        return (0, seq, length, checksum) if magic == LEGACY_MAGIC else None
    magic, generation, seq, length, checksum = HEADER.unpack(header)
    return (generation, seq, length, checksum) if magic == MAGIC else None


def fill_with_zeros(descriptor: int, size: int) -> None:
    """Writes zeros up to `size`, so later writes allocate nothing (fallocate would
    leave unwritten extents, whose first write changes metadata all the same)."""
    start = os.fstat(descriptor).st_size
    if start >= size:
        return
    zeros = bytes(CHUNK)
    for offset in range(start, size, CHUNK):
        os.pwrite(descriptor, zeros[: min(CHUNK, size - offset)], offset)
    os.fsync(descriptor)
