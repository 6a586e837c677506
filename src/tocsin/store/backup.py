"""`tocsin backup`: a consistent copy of a SQLite database, taken while the server runs.

`VACUUM INTO` copies what one read transaction sees: a snapshot of the last commit,
taken without blocking the server, whose writers go on committing to the WAL
meanwhile (a copy of the files would mix pages of different commits, and miss what
the WAL holds). It also writes the copy compactly, without the free pages. A copy of
1 million pings (100 MB) took 9 s on a busy two-core machine. While it runs, its
snapshot is a reader the WAL cannot start again under (`store.fastpath.wal`), so
under heavy load the WAL grows past `TOCSIN_SQLITE_WAL_LIMIT` until the copy is done.

The copy is written beside its destination under a temporary name and renamed into
place once fsynced, so a backup interrupted halfway never leaves a file that looks
whole. It is created readable by its owner only, like the database it copies (which
holds password hashes and the signing secret). And it is given a generation of its
own (`store.generation`): put back later, it cannot take the ping log's batches,
logged after it was made, for batches it lost.
"""

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from tocsin.store.generation import new_generation, set_generation_statement


class BackupError(Exception):
    """Why no backup was made, in words for the person who asked for it."""


@dataclass(frozen=True, slots=True)
class Backup:
    source: Path
    path: Path
    size: int
    generation: int


def back_up_sqlite(database: Path, target: Path, *, replace: bool = False) -> Backup:
    """Copies the SQLite database at `database` to `target`, consistently, even while
    other processes write to it. Refuses to replace an existing `target` unless asked."""
    check_source(database)
    check_target(database, target, replace)
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        create_private(partial)
        copy_into(database, partial)
        generation = new_generation()
        give_generation(partial, generation)
        fsync_path(partial)
        os.replace(partial, target)
        fsync_path(target.parent)
    except sqlite3.Error as error:
        raise BackupError(f"could not copy {database} to {target}: {error}") from None
    except OSError as error:
        raise BackupError(f"could not write {target}: {error.strerror or error}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return Backup(database, target, target.stat().st_size, generation)


def check_source(database: Path) -> None:
    if not database.is_file():
        raise BackupError(f"there is no SQLite database at {database}")


def check_target(database: Path, target: Path, replace: bool) -> None:
    parent = target.parent
    if not parent.exists():
        raise BackupError(f"cannot write {target}: the directory {parent} does not exist")
    if not parent.is_dir():
        raise BackupError(f"cannot write {target}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise BackupError(f"cannot write {target}: the directory {parent} is not writable")
    if target.is_dir():
        raise BackupError(f"{target} is a directory; name the backup file to write")
    if target.exists() and target.resolve() == database.resolve():
        raise BackupError(f"{target} is the database itself; name another file")
    if target.exists() and not replace:
        raise BackupError(f"{target} already exists; pass --force to replace it")


def create_private(path: Path) -> None:
    """An empty file only its owner can read, which VACUUM INTO then fills."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600))


def copy_into(database: Path, partial: Path) -> None:
    # mode=rw: a database that is not there is an error, never a new empty file.
    uri = f"{database.resolve().as_uri()}?mode=rw"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as source:
        source.execute("PRAGMA busy_timeout = 10000")  # a WAL being started again
        source.execute("VACUUM INTO ?", (str(partial),))


def give_generation(partial: Path, generation: int) -> None:
    with contextlib.closing(sqlite3.connect(partial, isolation_level=None)) as copy:
        copy.execute(set_generation_statement(generation))


def fsync_path(path: Path) -> None:
    """Makes the file's contents, or a directory's entries, durable."""
    descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
