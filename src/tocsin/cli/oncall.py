"""`tocsin oncall …`: on-call calendars, who is on call now and next, rotations, overrides."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from tocsin.cli.common import CommandError, act, console, fail_on_errors, load_settings
from tocsin.cli.helpscreens import Group
from tocsin.domain.oncall import Unit
from tocsin.services import oncall as oncall_service
from tocsin.services.context import Context
from tocsin.services.oncall import CalendarView, RotationSpec
from tocsin.services.projects import UnknownProjectError, project_id_of

app = typer.Typer(
    cls=Group,
    help="On-call calendars: who is on call now and next, rotations and overrides.",
    invoke_without_command=True,
)

PROJECT_OPTION = typer.Option("", "--project", help="Project name or id; default: the first.")
CALENDAR_ARGUMENT = typer.Argument(..., help="The calendar's name or id.")
EVERY = re.compile(r"(\d+)\s*([hdw])")
UNITS: dict[str, Unit] = {"h": "hour", "d": "day", "w": "week"}


async def find_project(context: Context, project: str) -> int:
    try:
        return await project_id_of(context, project)
    except UnknownProjectError as error:
        known = ", ".join(repr(name) for name in error.known) or "none yet"
        raise CommandError(f"no project named {project!r} (projects: {known})") from None


async def find_calendar(context: Context, project_id: int, calendar: str) -> int:
    found = await oncall_service.list_calendars(context, project_id)
    for record in found:
        if calendar in (record.name, str(record.id)):
            return record.id
    known = ", ".join(repr(record.name) for record in found) or "none yet"
    raise CommandError(f"no calendar {calendar!r} in this project (calendars: {known})")


@app.callback()
def listing(ctx: typer.Context, project: str = PROJECT_OPTION) -> None:
    """List calendars with who is on call now and next, and the gaps of the next two weeks."""
    if ctx.invoked_subcommand is not None:
        return
    with fail_on_errors():

        async def work(context: Context) -> list[CalendarView]:
            return await oncall_service.calendar_views(
                context, await find_project(context, project)
            )

        views = act(load_settings(), work)
        if not views:
            console.print("No on-call calendars yet: make one with `tocsin oncall create NAME`.")
            return
        console.print(calendar_table(views, load_settings().base_url))
        for view in views:
            for line in warnings(view):
                console.print(line, markup=False)


def calendar_table(views: list[CalendarView], base_url: str) -> Table:
    table = Table("ID", "Calendar", "On call now", "Next", "From", "iCalendar feed")
    for view in views:
        default = " (default)" if view.calendar.is_default else ""
        table.add_row(
            str(view.calendar.id),
            view.calendar.name + default,
            who(view, view.now.current),
            who(view, view.now.next) if view.now.handoff else "—",
            stamp(view.now.handoff),
            oncall_service.feed_url(base_url, view.calendar.feed_token),
        )
    return table


def who(view: CalendarView, user_id: int | None) -> str:
    return "nobody" if user_id is None else view.emails.get(user_id, f"user {user_id}")


def stamp(at: datetime | None) -> str:
    return "—" if at is None else f"{at:%Y-%m-%d %H:%M} UTC"


def warnings(view: CalendarView) -> list[str]:
    name = view.calendar.name
    lines = [f"warning: {name}: {warning.message}" for warning in view.warnings]
    if view.gaps:
        start, end = view.gaps[0]
        more = f" and {len(view.gaps) - 1} more" if len(view.gaps) > 1 else ""
        lines.append(f"warning: {name}: nobody is on call {stamp(start)} to {stamp(end)}{more}")
    return lines


@app.command("create")
def create(
    name: str = typer.Argument(..., help="The calendar's name."), project: str = PROJECT_OPTION
) -> None:
    """Make a calendar; a project's first calendar is its default."""
    with fail_on_errors():

        async def work(context: Context) -> str:
            project_id = await find_project(context, project)
            made = await oncall_service.create_calendar(context, project_id, name)
            return f"Created calendar {made.id} {made.name!r}" + (
                " (the project's default)." if made.is_default else "."
            )

        console.print(act(load_settings(), work), markup=False)


@app.command("rotation")
def rotation(
    calendar: str = CALENDAR_ARGUMENT,
    members: list[str] = typer.Option(..., "--member", help="A member's email or id, in order."),
    starts: str = typer.Option(..., help="First handoff, e.g. 2026-03-02T09:00 (in --zone)."),
    zone: str = typer.Option("UTC", help="IANA time zone of the handoffs, e.g. Europe/Berlin."),
    every: str = typer.Option(
        "1w", help="Length of a shift: N hours, days or weeks (12h, 1d, 2w)."
    ),
    layer: int = typer.Option(0, help="Higher layers win where they cover."),
    hours: str = typer.Option("", help="Only these hours, e.g. 20:00-08:00."),
    days: str = typer.Option("", help="Only shifts starting on these days, e.g. mon-fri."),
    name: str = typer.Option("", help="The rotation's name; default: from --hours or 'Rotation'."),
    project: str = PROJECT_OPTION,
) -> None:
    """Add a rotation: the members take turns, each for one shift."""
    with fail_on_errors():
        length, unit = shift_length(every)
        restriction = (
            oncall_service.restriction(hours or "00:00-00:00", days) if hours or days else None
        )
        spec = RotationSpec(
            name or (f"Hours {hours}" if hours else "Rotation"),
            [int(m) if m.isdigit() else m for m in members],
            instant(starts, zone, "--starts"),
            zone,
            length,
            unit,
            layer,
            restriction,
        )

        async def work(context: Context) -> int:
            project_id = await find_project(context, project)
            calendar_id = await find_calendar(context, project_id, calendar)
            return (await oncall_service.add_rotation(context, project_id, calendar_id, spec)).id

        console.print(f"Added rotation {act(load_settings(), work)} to {calendar!r}.", markup=False)


def shift_length(every: str) -> tuple[int, Unit]:
    found = EVERY.fullmatch(every.strip().lower())
    if found is None:
        raise CommandError(f"--every {every!r}: write a number and h, d or w, e.g. 1w or 12h")
    return int(found[1]), UNITS[found[2]]


def instant(text: str, zone: str, option: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"{option} {text!r}: write a date and time, e.g. 2026-03-02T09:00"
        ) from None
    if at.tzinfo is None:
        oncall_service.valid_zone(zone)
        at = at.replace(tzinfo=ZoneInfo(zone))
    return at


@app.command("override")
def override(
    calendar: str = CALENDAR_ARGUMENT,
    member: str = typer.Option(..., "--member", help="Who covers: a member's email or id."),
    start: str = typer.Option(..., "--from", help="Start, e.g. 2026-03-02T20:00 (in --zone)."),
    end: str = typer.Option("", "--to", help="End; default: --for after the start."),
    duration: int = typer.Option(0, "--for", help="Hours, instead of --to."),
    zone: str = typer.Option("UTC", help="IANA time zone of --from and --to."),
    project: str = PROJECT_OPTION,
) -> None:
    """Someone covers a time range, whatever the rotations say."""
    with fail_on_errors():
        opens = instant(start, zone, "--from")
        if not end and duration <= 0:
            raise CommandError("give --to or --for")
        closes = instant(end, zone, "--to") if end else opens + timedelta(hours=duration)

        async def work(context: Context) -> int:
            project_id = await find_project(context, project)
            calendar_id = await find_calendar(context, project_id, calendar)
            who = int(member) if member.isdigit() else member
            made = await oncall_service.add_override(
                context, project_id, calendar_id, who, opens, closes
            )
            return made.id

        console.print(f"Added override {act(load_settings(), work)} to {calendar!r}.", markup=False)
