"""A check's settings on the command line: the options `tocsin check create` and `edit`
share (name, schedule, grace and the rest), read over the settings a check has.

Only what is given changes: `create` reads them over a new check's defaults (a daily
period, an hour of grace), `edit` over the check's own. A schedule follows
`domain.schedule.rescheduled`, as the APIs do: an expression given wins, a zone alone
moves a cron or OnCalendar schedule, and a period has no zone.
"""

from dataclasses import dataclass, replace
from typing import TypeVar

import typer

from tocsin.cli.common import CommandError
from tocsin.cli.option_groups import option, option_group
from tocsin.domain.checks import is_slug
from tocsin.domain.durations import parse_duration
from tocsin.domain.naming import slugify
from tocsin.domain.records import NewCheck, new_check_defaults
from tocsin.domain.schedule import Period, Schedule, period_schedule, rescheduled, validate_grace

V = TypeVar("V")
DEFAULT_POLICY = "default"
# As the web form and the checks table bound them.
LIMITS = {"name": 100, "slug": 100, "tags": 500, "desc": 10_000}
NO_ZONE = "--tz is the time zone of a --cron or --oncalendar schedule; a --period has none"


@option_group
@dataclass(frozen=True, slots=True)
class SettingsOptions:
    name: str | None = option(
        typer.Option(None, metavar="NAME", help="A name people recognise, e.g. 'db backup'.")
    )
    slug: str | None = option(
        typer.Option(None, metavar="SLUG", help="Slug for /ping/<ping-key>/<slug> URLs.")
    )
    tags: str | None = option(typer.Option(None, metavar="TAGS", help="Space-separated tags."))
    desc: str | None = option(typer.Option(None, metavar="TEXT", help="Free-form description."))
    period: str | None = option(
        typer.Option(
            None,
            metavar="DURATION",
            help="Expected time between pings, e.g. 15m, 1h (a new check: 1d).",
        )
    )
    cron: str | None = option(
        typer.Option(
            None, metavar="CRON", help="Cron schedule instead, e.g. '0 2 * * *' (daily at 02:00)."
        )
    )
    oncalendar: list[str] = option(  # noqa: RUF009 (a dataclasses.field)
        typer.Option(
            [],
            metavar="EXPRESSION",
            help="Or a systemd OnCalendar schedule, e.g. 'Mon..Fri *-*-* 02:00'; repeat the"
            " option (or put one a line) for several, any match counts.",
        )
    )
    tz: str | None = option(
        typer.Option(
            None,
            metavar="ZONE",
            help="Time zone of the cron or OnCalendar schedule (IANA name; a new check: UTC);"
            " alone, it moves the schedule to that zone.",
        )
    )
    grace: str | None = option(
        typer.Option(
            None,
            metavar="DURATION",
            help="How late a ping may be before the check is down (a new check: 1h).",
        )
    )
    manual_resume: bool | None = option(
        typer.Option(
            None,
            "--manual-resume/--no-manual-resume",
            help="A paused check stays paused when pinged, until resumed by hand.",
        )
    )
    post_only: bool | None = option(
        typer.Option(
            None, "--post-only/--no-post-only", help="Ignore GET and HEAD pings (link previewers)."
        )
    )
    policy: str | None = option(
        typer.Option(
            None,
            metavar="POLICY",
            help="Escalation policy by name, or 'default': all channels at once.",
        )
    )


def new_settings(given: SettingsOptions) -> NewCheck:
    """A new check's settings: the defaults, then what was given; the slug follows the
    name unless one is given, as the APIs make it."""
    created = settings_after(new_check_defaults(), given)
    if not given.slug:
        created = replace(created, slug=validate_slug(slugify(created.name)))
    return created


def settings_after(current: NewCheck, given: SettingsOptions) -> NewCheck:
    """The settings once what was given is applied; the rest stay."""
    refuse_long_texts(given)
    tz = kept(current.tz, given.tz)
    grace = None if given.grace is None else validate_grace(parse_duration(given.grace))
    slug = None if given.slug is None else validate_slug(given.slug)
    tags = None if given.tags is None else " ".join(given.tags.split())
    methods = None if given.post_only is None else ("POST" if given.post_only else "")
    return replace(
        current,
        schedule=schedule_after(current.schedule, given, tz),
        grace=kept(current.grace, grace),
        name=kept(current.name, given.name),
        slug=kept(current.slug, slug),
        tags=kept(current.tags, tags),
        description=kept(current.description, given.desc),
        manual_resume=kept(current.manual_resume, given.manual_resume),
        methods=kept(current.methods, methods),
        tz=tz,
    )


def schedule_after(current: Schedule, given: SettingsOptions, tz: str) -> Schedule:
    named = [name for name in ("period", "cron") if getattr(given, name) is not None]
    if given.oncalendar:
        named.append("oncalendar")
    if len(named) > 1:
        raise CommandError(f"give either --{named[0]} or --{named[1]}, not both")
    period = None if given.period is None else period_schedule(parse_duration(given.period))
    schedule = rescheduled(
        current,
        cron=given.cron,
        oncalendar="\n".join(given.oncalendar) if given.oncalendar else None,
        period=None if period is None else period.period,
        tz=tz,
    )
    if given.tz is not None and isinstance(schedule, Period):
        # A period counts from the last ping, so a zone would change nothing.
        raise CommandError(NO_ZONE)
    return schedule


def refuse_long_texts(given: SettingsOptions) -> None:
    for name, limit in LIMITS.items():
        text = getattr(given, name)
        if text is not None and len(text) > limit:
            raise CommandError(f"--{name} is at most {limit} characters")


def kept(current: V, given: V | None) -> V:
    return current if given is None else given


def validate_slug(slug: str) -> str:
    if not is_slug(slug):
        raise CommandError(f"invalid slug {slug!r}: use lower-case letters, digits, - and _")
    return slug
