"""`tocsin apply` and `tocsin export`: a project's checks, channels and policies kept in
a file (docs/MONITORS.md), applied as one transaction, or written out."""

import os
from pathlib import Path

import sqlalchemy as sa
import typer

from tocsin.cli.checks import run
from tocsin.cli.common import (
    USAGE_ERROR,
    CommandError,
    console,
    error_console,
    fail_on_errors,
    load_settings,
)
from tocsin.domain.clock import SystemClock
from tocsin.monitors.plan import Change, plan, summary
from tocsin.monitors.reading import MonitorsError, read_monitors
from tocsin.monitors.spec import Monitors
from tocsin.monitors.sync import apply_changes, read_project
from tocsin.monitors.writing import write_monitors
from tocsin.store.projects import default_project, project_named, project_names

PROJECT_OPTION = typer.Option("", "--project", help="A project's name or id; default: the first.")


def apply_command(
    file: Path = typer.Argument(..., help="The monitors file (YAML)."),
    prune: bool = typer.Option(
        False, "--prune", help="Delete the project's checks, channels and policies not in the file."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only print the plan."),
    project: str = PROJECT_OPTION,
) -> None:
    """Make a project's checks, channels and policies match a monitors file."""
    with fail_on_errors():
        settings = load_settings()
        desired = read_file(file)

        def work(connection: sa.Connection) -> list[Change]:
            return apply_file(connection, project, desired, prune=prune, apply=not dry_run)

        changes = run(settings, work)
        for change in changes:
            console.print(str(change))
        console.print(summary(changes) + (" (dry run: nothing changed)" if dry_run else "."))


def read_file(file: Path) -> Monitors:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or error
        raise CommandError(f"cannot read {file}: {reason}") from None
    try:
        return read_monitors(text, str(file), os.environ)
    except MonitorsError as error:
        for problem in error.problems:
            error_console.print(problem, markup=False)
        count = len(error.problems)
        error_console.print(
            f"error: {count} problem{'s' if count > 1 else ''} in {file}; nothing was applied",
            markup=False,
        )
        raise typer.Exit(USAGE_ERROR) from None


def apply_file(
    connection: sa.Connection, project: str, desired: Monitors, *, prune: bool, apply: bool
) -> list[Change]:
    """The plan, carried out when `apply`, in the caller's one transaction."""
    now = SystemClock().now()
    project_id = find_project(connection, project)
    current = read_project(connection, project_id, for_update=apply)
    changes = plan(desired, current.monitors, prune=prune)
    if apply:
        apply_changes(connection, current, desired, changes, now)
    return changes


def find_project(connection: sa.Connection, name: str) -> int:
    if not name:
        return default_project(connection, SystemClock().now())
    found = project_named(connection, name)
    if found is None:
        known = ", ".join(repr(n) for n in project_names(connection)) or "none"
        raise CommandError(f"no project named {name!r} (projects: {known})")
    return found


def export_command(
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write to this file (mode 600) instead of stdout."
    ),
    project: str = PROJECT_OPTION,
) -> None:
    """Write a project's checks, channels and policies as a monitors file, secrets included."""
    with fail_on_errors():

        def work(connection: sa.Connection) -> str:
            project_id = find_project(connection, project)
            return write_monitors(read_project(connection, project_id).monitors)

        text = run(load_settings(), work)
        if output is None:
            typer.echo(text, nl=False)
            return
        write_private(output, text)
        console.print(f"Wrote {output}; it holds the channels' secrets.")


def write_private(path: Path, text: str) -> None:
    """A file only its owner can read: channel settings hold tokens and passwords."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
    except OSError as error:
        raise CommandError(f"cannot write {path}: {error.strerror}") from None
