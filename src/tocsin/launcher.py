"""The `tocsin` executable: `tocsin run` straight to `job.command`, `tocsin check list`
on SQLite by a lane of its own, the rest to `cli`.

Importing `tocsin.cli` loads Typer (and with it Pydantic) and a command's SQLAlchemy,
about half a second before a command does anything; `tocsin run` needs none of it,
and `tocsin check list` on an up-to-date SQLite database only sqlite3, the settings
and the table (docs/PERFORMANCE.md, CLI start-up).
"""

import sys

# The argument lists the check list lane answers, whole, and whether each asks for
# JSON. Anything else, `--help` and every mistake included, goes to the Typer command,
# which gives its own help and errors.
CHECK_LISTS = {("check", "list"): False, ("check", "list", "--json"): True}


def main() -> None:
    arguments = sys.argv[1:]
    if arguments[:1] == ["run"]:
        from tocsin.job.command import main as run

        sys.exit(run(arguments[1:]))
    as_json = CHECK_LISTS.get(tuple(arguments))
    if as_json is not None and listed_checks(as_json=as_json):
        return
    from tocsin.cli import main as cli

    cli()


def listed_checks(*, as_json: bool) -> bool:
    """Print `tocsin check list` from an up-to-date SQLite database, read with sqlite3
    alone, and say whether it did. When it didn't (PostgreSQL, a database missing or
    to migrate, a mistake in the settings, a database error), nothing is printed and
    the Typer command runs: the same answer, or the same error, by the full road."""
    import os
    import sqlite3

    from tocsin.config import ConfigError, load
    from tocsin.domain.clock import SystemClock
    from tocsin.output.checks import print_check_list
    from tocsin.store.quickread import read_checks

    try:
        records = read_checks(load(os.environ).settings)
    except (ConfigError, sqlite3.Error, OSError):
        return False
    if records is None:
        return False
    print_check_list(records, SystemClock().now(), as_json=as_json)
    return True
