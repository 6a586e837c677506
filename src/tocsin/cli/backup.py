"""`tocsin backup`: a consistent copy of the SQLite database, taken while the server runs
(on PostgreSQL, the `pg_dump` command that takes one)."""

from pathlib import Path

import typer

from tocsin.cli.common import console, fail_on_errors, load_settings
from tocsin.services.backup import back_up_database


def backup_command(
    path: Path = typer.Argument(..., help="The file to write the copy to."),
    force: bool = typer.Option(False, "--force", help="Replace the file if it exists."),
) -> None:
    """Copy the SQLite database to PATH, consistently, while the server runs."""
    with fail_on_errors():
        backup = back_up_database(load_settings().database_url, path, replace=force)
        console.print(f"Backed up {backup.source} to {backup.path} ({megabytes(backup.size)}).")


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"
