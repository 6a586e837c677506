"""`tocsin backup`: a consistent copy of the SQLite database, taken while the server runs.

On PostgreSQL it makes none and prints the `pg_dump` command instead: `pg_dump` is
PostgreSQL's own consistent online copy, it must be as new as the server (which
Tocsin cannot promise of whatever `pg_dump` is installed beside it), and whoever runs
PostgreSQL usually backs it up already, all databases alike.
"""

import shlex
from pathlib import Path

import typer
from sqlalchemy.engine import URL

from tocsin.cli.common import (
    USAGE_ERROR,
    CommandError,
    console,
    error_console,
    fail_on_errors,
    load_settings,
)
from tocsin.store.backup import BackupError, back_up_sqlite
from tocsin.store.database import async_url


def backup_command(
    path: Path = typer.Argument(..., help="The file to write the copy to."),
    force: bool = typer.Option(False, "--force", help="Replace the file if it exists."),
) -> None:
    """Copy the SQLite database to PATH, consistently, while the server runs."""
    with fail_on_errors():
        url = async_url(load_settings().database_url)
        if not url.drivername.startswith("sqlite"):
            explain_pg_dump(url, path)
            raise typer.Exit(USAGE_ERROR)
        assert url.database is not None  # async_url refuses SQLite without a path
        database = Path(url.database)
        try:
            backup = back_up_sqlite(database, path, replace=force)
        except BackupError as error:
            raise CommandError(str(error)) from None
        console.print(f"Backed up {database} to {backup.path} ({megabytes(backup.size)}).")


def explain_pg_dump(url: URL, path: Path) -> None:
    # The password stays out of the command line, where `ps` would show it.
    target = URL.create(
        "postgresql", url.username, None, url.host, url.port, url.database, url.query
    ).render_as_string()
    error_console.print(
        "error: tocsin backup copies SQLite databases; this one is PostgreSQL. "
        "Back it up with pg_dump, which takes a consistent copy while Tocsin runs "
        "(with the password in PGPASSWORD or ~/.pgpass):\n"
        f"  pg_dump --format=custom --file={shlex.quote(str(path))} {shlex.quote(target)}\n"
        'README.md, "Backups and restores", says how to restore it.',
        markup=False,
    )


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"
