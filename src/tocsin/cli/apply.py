"""`tocsin apply` and `tocsin export`: a project's checks, channels and policies kept in
a file (docs/MONITORS.md), applied as one transaction, or written out."""

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import typer

from tocsin.cli.common import (
    USAGE_ERROR,
    CommandError,
    act,
    console,
    error_console,
    fail_on_errors,
    load_settings,
)
from tocsin.domain.monitors import Monitors
from tocsin.domain.monitors_plan import summary
from tocsin.monitors.reading import MonitorsError, read_monitors
from tocsin.monitors.writing import write_monitors
from tocsin.services.monitors import apply_monitors, export_monitors
from tocsin.services.projects import UnknownProjectError

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
        with project_known():
            changes = act(
                settings,
                lambda c: apply_monitors(c, project, desired, prune=prune, dry_run=dry_run),
            )
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


@contextlib.contextmanager
def project_known() -> Iterator[None]:
    try:
        yield
    except UnknownProjectError as error:
        known = ", ".join(repr(n) for n in error.known) or "none"
        raise CommandError(f"{error} (projects: {known})") from None


def export_command(
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write to this file (mode 600) instead of stdout."
    ),
    project: str = PROJECT_OPTION,
) -> None:
    """Write a project's checks, channels and policies as a monitors file, secrets included."""
    with fail_on_errors(), project_known():
        text = write_monitors(act(load_settings(), lambda c: export_monitors(c, project)))
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
