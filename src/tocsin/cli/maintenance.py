"""`tocsin maintenance …`: a project's maintenance windows, listed, added and removed.

A window covers one check (`--check`), every check with a tag (`--tag`), or, with
neither, the whole project (`--project` names which). It recurs (`--days mon,tue
--from 02:00 --to 04:00 --tz Europe/Berlin`) or happens once (`--start` and `--end`,
instants such as 2026-01-31T02:00:00Z)."""

import json
from datetime import datetime

import typer
from rich.table import Table

from tocsin.cli.common import CommandError, act, console, fail_on_errors, load_settings
from tocsin.cli.helpscreens import Group
from tocsin.domain import windows as rules
from tocsin.services import maintenance as service
from tocsin.services.context import Context
from tocsin.services.projects import UnknownProjectError, project_id_of
from tocsin.store import checks as check_store

app = typer.Typer(
    cls=Group,
    help="Maintenance windows: when checks may not go down and incidents do not escalate.",
    no_args_is_help=True,
)

PROJECT_OPTION = typer.Option("", "--project", help="Project name or id; default: the first.")
BY_OPTION = typer.Option("cli", "--by", help="Who you are, kept with the window.")


async def find_project(context: Context, project: str) -> int:
    try:
        return await project_id_of(context, project)
    except UnknownProjectError as error:
        known = ", ".join(repr(name) for name in error.known) or "none yet"
        raise CommandError(f"no project named {project!r} (projects: {known})") from None


async def find_check_id(context: Context, project_id: int, name: str) -> int:
    async with context.database.read() as connection:
        found = await connection.run_sync(check_store.project_checks, project_id)
    for details in found:
        record = details.record
        if name in (record.name, record.slug, str(record.uuid), str(record.id)):
            return record.id
    raise CommandError(f"no check {name!r} in this project")


def instant(text: str, option: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"{option}: not an instant: {text!r} (use 2026-01-31T02:00:00Z)"
        ) from None


def when_of(days: str, start: str, end: str, tz: str, starts: str, ends: str) -> rules.When:
    if starts or ends:
        if days or start or end:
            raise CommandError("give --start and --end, or --days, --from and --to: not both")
        if not (starts and ends):
            raise CommandError("a one-off window needs --start and --end")
        return rules.one_off(instant(starts, "--start"), instant(ends, "--end"))
    if not (days and start and end):
        raise CommandError("a recurring window needs --days, --from and --to")
    return rules.recurring(days.split(","), start, end, tz)


@app.command("add")
def add(
    name: str = typer.Argument(..., help="The window's name: its reason."),
    check: str = typer.Option("", "--check", help="Only this check (name, slug or uuid)."),
    tag: str = typer.Option("", "--tag", help="Every check with this tag."),
    project: str = PROJECT_OPTION,
    days: str = typer.Option("", "--days", help="Weekdays, such as mon,tue,wed."),
    start: str = typer.Option("", "--from", help="Local start, HH:MM."),
    end: str = typer.Option("", "--to", help="Local end, HH:MM (before --from: overnight)."),
    tz: str = typer.Option("UTC", "--tz", help="The zone of --from and --to."),
    starts: str = typer.Option("", "--start", help="A one-off window's start (an instant)."),
    ends: str = typer.Option("", "--end", help="A one-off window's end (an instant)."),
    by: str = BY_OPTION,
) -> None:
    """Add a window to a check, a tag or the whole project."""
    with fail_on_errors():
        when = when_of(days, start, end, tz, starts, ends)

        async def work(context: Context) -> rules.Window:
            project_id = await find_project(context, project)
            check_id = await find_check_id(context, project_id, check) if check else None
            scope = rules.check_scope(check_id, tag or None)
            new = service.NewWindow(name, when, scope)
            return await service.add_window(context, project_id, new, by)

        window = act(load_settings(), work)
        console.print(f"Added maintenance window {window.id}: {describe(window)}.", markup=False)


@app.command("list")
def list_command(
    project: str = PROJECT_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List the project's windows and snoozes."""
    with fail_on_errors():

        async def work(context: Context) -> list[rules.Window]:
            return await service.list_windows(context, await find_project(context, project))

        found = act(load_settings(), work)
        if as_json:
            console.print_json(json.dumps([rules.as_document(w) for w in found]))
            return
        table = Table("#", "Name", "Covers", "When", "By")
        for window in found:
            covers = window.scope.describe()
            table.add_row(
                str(window.id), window.name, covers, window.when.describe(), window.created_by
            )
        console.print(table if found else "No maintenance windows.")


@app.command("remove")
def remove(
    window_id: int = typer.Argument(..., help="The window's number."),
    project: str = PROJECT_OPTION,
) -> None:
    """Remove a window: what it held back is due again."""
    with fail_on_errors():

        async def work(context: Context) -> rules.Window:
            project_id = await find_project(context, project)
            return await service.remove_window(context, project_id, window_id)

        window = act(load_settings(), work)
        console.print(f"Removed maintenance window {window.id} ({window.name}).", markup=False)


def describe(window: rules.Window) -> str:
    return f"{window.name}, {window.scope.describe()}, {window.when.describe()}"
