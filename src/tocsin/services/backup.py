"""Backing up the database: a consistent copy of SQLite taken while the server runs.

PostgreSQL is refused with the `pg_dump` command that copies it instead: `pg_dump` takes
PostgreSQL's own consistent online copy, must be as new as the server (which Tocsin
cannot promise of whatever `pg_dump` is installed beside it), and whoever runs
PostgreSQL usually backs it up already, all databases alike.
"""

import shlex
from pathlib import Path

from sqlalchemy.engine import URL

from tocsin.services.errors import ConflictError, InvalidError
from tocsin.store.backup import Backup, BackupError, back_up_sqlite
from tocsin.store.database import async_url


def back_up_database(database_url: str, target: Path, *, replace: bool = False) -> Backup:
    """Copies the SQLite database `database_url` names to `target`."""
    url = async_url(database_url)
    if not url.drivername.startswith("sqlite"):
        raise InvalidError("database_url", pg_dump_advice(url, target))
    assert url.database is not None  # async_url refuses SQLite without a path
    try:
        return back_up_sqlite(Path(url.database), target, replace=replace)
    except BackupError as error:
        raise ConflictError(str(error)) from None


def pg_dump_advice(url: URL, target: Path) -> str:
    # The password stays out of the command line, where `ps` would show it.
    source = URL.create(
        "postgresql", url.username, None, url.host, url.port, url.database, url.query
    ).render_as_string()
    return (
        "tocsin backup copies SQLite databases; this one is PostgreSQL. "
        "Back it up with pg_dump, which takes a consistent copy while Tocsin runs "
        "(with the password in PGPASSWORD or ~/.pgpass):\n"
        f"  pg_dump --format=custom --file={shlex.quote(str(target))} {shlex.quote(source)}\n"
        'README.md, "Backups and restores", says how to restore it.'
    )
