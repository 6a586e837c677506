"""`tocsin check …`: create, list, pause, resume, delete checks and read their history."""

import contextlib
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import typer
from rich.table import Table

from tocsin.cli import check_rules, dependencies
from tocsin.cli.check_keywords import keywords_command
from tocsin.cli.check_lookup import check_gone, find_check
from tocsin.cli.common import CommandError, act, console, fail_on_errors, load_settings, reading
from tocsin.cli.helpscreens import Group
from tocsin.config import Settings
from tocsin.domain import describe
from tocsin.domain.checks import Flip, is_slug, shown_status
from tocsin.domain.clock import SystemClock
from tocsin.domain.dependencies import Links
from tocsin.domain.describe import (
    EXAMPLE_CRON,
    describe_schedule,
    schedule_hint,
)
from tocsin.domain.durations import format_duration, parse_duration
from tocsin.domain.naming import slugify
from tocsin.domain.records import CheckDetails, CheckRecord, FlipRecord, NewCheck, Ping
from tocsin.domain.schedule import (
    Schedule,
    cron_schedule,
    oncalendar_schedule,
    period_schedule,
    validate_grace,
)
from tocsin.output.checks import check_json, print_check_list
from tocsin.services.errors import ConflictError, InvalidError
from tocsin.store import checks as check_store
from tocsin.store import pings as ping_store
from tocsin.store.channels import policies_named
from tocsin.store.projects import ping_key

if TYPE_CHECKING:
    from tocsin.services.context import Context
    from tocsin.services.dependencies import ParentChoice

# `tocsin.services.checks` (with the alerting it pulls in) is imported by the commands that
# change a check, inside them: `check list` and the other readers load the store's
# query functions and the domain only.

app = typer.Typer(cls=Group, help="Create, list and manage checks.", no_args_is_help=True)

CHECK_ARGUMENT = typer.Argument(..., help="The check's uuid, slug or name.")

app.command("keywords")(keywords_command)


@app.command("create")
def create(
    name: str = typer.Option("", metavar="NAME", help="A name people recognise, e.g. 'db backup'."),
    slug: str = typer.Option("", metavar="SLUG", help="Slug for /ping/<ping-key>/<slug> URLs."),
    tags: str = typer.Option("", metavar="TAGS", help="Space-separated tags."),
    desc: str = typer.Option("", metavar="TEXT", help="Free-form description."),
    period: str | None = typer.Option(
        None, metavar="DURATION", help="Expected time between pings, e.g. 15m, 1h. [default: 1d]"
    ),
    cron: str | None = typer.Option(
        None, metavar="CRON", help="Cron schedule instead, e.g. '0 2 * * *' (daily at 02:00)."
    ),
    oncalendar: list[str] = typer.Option(
        [],
        metavar="EXPRESSION",
        help="Or a systemd OnCalendar schedule, e.g. 'Mon..Fri *-*-* 02:00'; repeat the"
        " option (or put one a line) for several, any match counts.",
    ),
    tz: str | None = typer.Option(
        None,
        metavar="ZONE",
        help="Time zone of the cron or OnCalendar schedule (IANA name). [default: UTC]",
    ),
    grace: str = typer.Option(
        "1h", metavar="DURATION", help="How late a ping may be before the check is down."
    ),
    manual_resume: bool = typer.Option(
        False, help="A paused check stays paused when pinged, until resumed by hand."
    ),
    post_only: bool = typer.Option(False, help="Ignore GET and HEAD pings (link previewers)."),
    policy: str = typer.Option(
        "", metavar="POLICY", help="Escalation policy; default: all channels at once."
    ),
    depends_on: list[str] = dependencies.DEPENDS_ON,
    min_duration: str | None = check_rules.MIN_DURATION,
    max_duration: str | None = check_rules.MAX_DURATION,
    min_interval: str | None = check_rules.MIN_INTERVAL,
    interval_from: str | None = check_rules.INTERVAL_FROM,
    failure_threshold: int | None = check_rules.FAILURE_THRESHOLD,
    recovery_threshold: int | None = check_rules.RECOVERY_THRESHOLD,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """Create a check and print its ping URLs."""
    with fail_on_errors():
        settings = load_settings()
        parents = dependencies.parents_chosen(depends_on, none=False)
        spec = NewCheck(
            schedule=read_schedule(period, cron, tz, oncalendar),
            grace=validate_grace(parse_duration(grace)),
            name=name,
            slug=validate_slug(slug or slugify(name)),  # as the APIs make it
            tags=" ".join(tags.split()),
            description=desc,
            manual_resume=manual_resume,
            methods="POST" if post_only else "",
            rules=check_rules.read_rules(
                min_duration,
                max_duration,
                min_interval,
                interval_from,
                failure_threshold,
                recovery_threshold,
            ),
        )
        record, ping_key = act(settings, lambda c: create_check(c, spec, policy, parents))
        urls = ping_urls(settings, record, ping_key)
        if as_json:
            console.print_json(json.dumps(check_json(record, urls)))
            return
        console.print(f"Created check {record.label!r} ({describe_schedule(record.state)}).")
        for label, url in urls.items():
            console.print(f"  {label + ':':<16} {url}")
        print_hint(record.state.schedule)


def read_schedule(
    period: str | None, cron: str | None, tz: str | None, oncalendar: list[str] | None = None
) -> Schedule:
    given = [name for name, value in (("period", period), ("cron", cron)) if value is not None]
    if oncalendar:
        given.append("oncalendar")
    if len(given) > 1:
        raise CommandError(f"give either --{given[0]} or --{given[1]}, not both")
    if cron is not None:
        return cron_schedule(cron, tz or "UTC")
    if oncalendar:
        return oncalendar_schedule("\n".join(oncalendar), tz or "UTC")
    if tz is not None:
        # A period counts from the last ping, so a zone would change nothing.
        raise CommandError(
            "--tz is the time zone of a --cron or --oncalendar schedule; a --period has none"
        )
    return period_schedule(parse_duration(period or "1d"))


def print_hint(schedule: Schedule) -> None:
    hint = schedule_hint(schedule)
    if hint is not None:
        console.print(
            f"Hint: {hint}; for example --cron '{EXAMPLE_CRON}' --tz Europe/Berlin",
            highlight=False,
        )


def validate_slug(slug: str) -> str:
    if not is_slug(slug):
        raise CommandError(f"invalid slug {slug!r}: use lower-case letters, digits, - and _")
    return slug


async def create_check(
    services: "Context", spec: NewCheck, policy: str, parents: "ParentChoice | None" = None
) -> tuple[CheckRecord, str]:
    """A check in the default project notifying every channel of it; with its ping key."""
    from tocsin.services import checks as check_service
    from tocsin.services.checks import CheckOptions, UsePolicy

    use_policy = None
    if policy:
        use_policy = UsePolicy(await services.database.read_with(policy_named, policy))
    options = CheckOptions(channels=check_service.every_channel, policy=use_policy, parents=parents)
    with policy_refused(policy):
        details = await check_service.create_check(services, None, spec, options)
    key = await services.database.read_with(ping_key, details.record.project_id)
    return details.record, key


def policy_named(connection: sa.Connection, name: str) -> int:
    found = policies_named(connection, name)
    if not found:
        raise CommandError(no_policy(name))
    return found[0]


def no_policy(name: str) -> str:
    return f"no policy named {name!r}; see `tocsin policy list`"


@contextlib.contextmanager
def policy_refused(name: str) -> Iterator[None]:
    """A policy of another project is none of the check's."""
    try:
        yield
    except InvalidError as error:
        if error.field != "policy":
            raise
        raise CommandError(no_policy(name)) from None


def ping_urls(settings: Settings, record: CheckRecord, ping_key: str) -> dict[str, str]:
    return describe.ping_urls(
        settings.base_url, str(record.uuid), record.token, record.slug, ping_key
    )


@app.command("edit")
def edit_command(
    check: str = CHECK_ARGUMENT,
    min_duration: str | None = check_rules.MIN_DURATION,
    max_duration: str | None = check_rules.MAX_DURATION,
    min_interval: str | None = check_rules.MIN_INTERVAL,
    interval_from: str | None = check_rules.INTERVAL_FROM,
    failure_threshold: int | None = check_rules.FAILURE_THRESHOLD,
    recovery_threshold: int | None = check_rules.RECOVERY_THRESHOLD,
    depends_on: list[str] = dependencies.DEPENDS_ON,
    no_depends_on: bool = dependencies.NO_DEPENDS_ON,
) -> None:
    """Change a check's settings; what is not given stays ('off' clears a duration)."""
    with fail_on_errors():
        parents = dependencies.parents_chosen(depends_on, no_depends_on)

        def change(spec: NewCheck) -> NewCheck:
            rules = check_rules.read_rules(
                min_duration,
                max_duration,
                min_interval,
                interval_from,
                failure_threshold,
                recovery_threshold,
                current=spec.rules,
            )
            return replace(spec, rules=rules)

        async def work(services: "Context") -> tuple[CheckDetails, Links]:
            from tocsin.services import checks as check_service
            from tocsin.services.checks import CheckOptions

            record = await services.database.read_with(find_check, check)
            with check_gone(record):
                details = await check_service.update_check(
                    services, record.project_id, record.id, change, CheckOptions(parents=parents)
                )
            links = await services.database.read_with(dependencies.links_of, record.id)
            return details, links

        details, links = act(load_settings(), work)
        console.print(f"Updated {details.record.label!r}.")
        print_details(details, links, SystemClock().now())


@app.command("show")
def show_command(
    check: str = CHECK_ARGUMENT,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """One check: its settings, status, rules, and the checks it depends on and that need it."""
    with fail_on_errors():

        def work(connection: sa.Connection) -> tuple[CheckDetails, Links]:
            record = find_check(connection, check)
            details = check_store.written_details(connection, record.id)
            return details, dependencies.links_of(connection, record.id)

        details, links = reading(load_settings(), work)
        now = SystemClock().now()
        if as_json:
            shown = check_json(details.record, {}, now)
            rules = {"rules": check_rules.rules_json(details.spec.rules)}
            console.print_json(json.dumps(shown | rules | dependencies.links_json(links)))
            return
        print_details(details, links, now)


def print_details(details: CheckDetails, links: Links, now: datetime) -> None:
    record = details.record
    lines = [
        ("Name", record.label),
        ("UUID", str(record.uuid)),
        ("Status", shown_status(record.state, now)),
        ("Schedule", describe_schedule(record.state)),
        ("Grace", format_duration(record.state.grace)),
        *check_rules.rules_lines(details.spec.rules),
        ("Depends on", dependencies.listed(links.parents)),
        ("Needed by", dependencies.listed(links.children)),
    ]
    for label, value in lines:
        console.print(f"{label + ':':<20} {value}", highlight=False)


@app.command("list")
def list_command(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List checks with their status, last ping and next expected ping."""
    with fail_on_errors():
        records = reading(load_settings(), check_store.list_checks)
        print_check_list(records, SystemClock().now(), as_json=as_json)


@app.command("set-policy")
def set_policy_command(
    check: str = CHECK_ARGUMENT,
    policy: str = typer.Argument(..., help="A policy's name, or 'default'."),
) -> None:
    """Choose the escalation policy a check's incidents follow."""
    with fail_on_errors():

        def chosen(connection: sa.Connection) -> tuple[CheckRecord, int | None]:
            record = find_check(connection, check)
            return record, None if policy == "default" else policy_named(connection, policy)

        async def work(services: "Context") -> CheckRecord:
            from tocsin.services import checks as check_service
            from tocsin.services.checks import CheckOptions, UsePolicy

            record, policy_id = await services.database.read_with(chosen)
            options = CheckOptions(policy=UsePolicy(policy_id))
            with check_gone(record), policy_refused(policy):
                await check_service.update_check(
                    services, record.project_id, record.id, options=options
                )
            return record

        record = act(load_settings(), work)
        console.print(f"{record.label!r} now follows the {policy!r} policy.")


@app.command("pause")
def pause_command(check: str = CHECK_ARGUMENT) -> None:
    """Pause a check: no deadlines until a ping (or `resume`) wakes it."""
    with fail_on_errors():

        async def work(services: "Context") -> tuple[CheckRecord, Flip | None]:
            from tocsin.services import checks as check_service

            record = await services.database.read_with(find_check, check)
            with check_gone(record):
                _details, flip = await check_service.pause_check(
                    services, record.project_id, record.id
                )
            return record, flip

        record, flip = act(load_settings(), work)
        console.print(f"Paused {record.label!r}." if flip else f"{record.label!r} was paused.")


@app.command("resume")
def resume_command(check: str = CHECK_ARGUMENT) -> None:
    """Resume a paused check; it waits for its next ping as a new check."""
    with fail_on_errors():

        async def work(services: "Context") -> CheckRecord:
            from tocsin.services import checks as check_service

            record = await services.database.read_with(find_check, check)
            try:
                with check_gone(record):
                    await check_service.resume_check(services, record.project_id, record.id)
            except ConflictError:
                raise CommandError(f"check {record.label!r} is not paused") from None
            return record

        record = act(load_settings(), work)
        console.print(f"Resumed {record.label!r}; it is new until its next ping.")


@app.command("delete")
def delete_command(
    check: str = CHECK_ARGUMENT,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Delete a check with its pings and flips."""
    with fail_on_errors():
        settings = load_settings()

        async def work(services: "Context") -> CheckRecord:
            from tocsin.services import checks as check_service

            record = await services.database.read_with(find_check, check)
            if not yes and not typer.confirm(f"Delete check {record.label!r}?"):
                raise typer.Abort()
            with check_gone(record):
                await check_service.delete_check(services, record.project_id, record.id)
            return record

        record = act(settings, work)
        console.print(f"Deleted {record.label!r}.")


@app.command("flips")
def flips_command(
    check: str = CHECK_ARGUMENT,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List a check's status changes, newest first."""
    with fail_on_errors():

        def work(connection: sa.Connection) -> list[FlipRecord]:
            record = find_check(connection, check)
            return check_store.list_flips(connection, record.id)

        flips = reading(load_settings(), work)
        if as_json:
            rows = [flip_json(f.flip) for f in flips]
            console.print_json(json.dumps(rows))
            return
        table = Table("At", "From", "To", "Reason")
        for record in flips:
            flip = record.flip
            table.add_row(
                timestamp(flip.at),
                flip.old_status.value,
                flip.new_status.value,
                flip.reason,
            )
        console.print(table if flips else "No flips yet.")


def timestamp(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S.%f}"[:-3] + " UTC"


def flip_json(flip: Flip) -> dict[str, str]:
    return {
        "at": flip.at.isoformat(),
        "from": flip.old_status.value,
        "to": flip.new_status.value,
        "reason": flip.reason,
    }


@app.command("pings")
def pings_command(
    check: str = CHECK_ARGUMENT,
    limit: int = typer.Option(20, min=1, max=1000, help="How many of the newest pings."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List a check's newest pings."""
    with fail_on_errors():

        def work(connection: sa.Connection) -> list[Ping]:
            record = find_check(connection, check)
            return ping_store.list_pings(connection, record.id, limit)

        pings = reading(load_settings(), work)
        if as_json:
            console.print_json(json.dumps([ping_json(p) for p in pings]))
            return
        table = Table("#", "At", "Kind", "Exit", "Duration", "Method", "From", "Body")
        for ping in pings:
            table.add_row(
                str(ping.n),
                f"{ping.created:%Y-%m-%d %H:%M:%S}",
                ping.kind,
                "" if ping.exit_status is None else str(ping.exit_status),
                "" if ping.duration is None else format_duration(timedelta(seconds=ping.duration)),
                ping.method,
                ping.remote_addr or "",
                f"{ping.body_size} B" + (" (truncated)" if ping.body_truncated else ""),
            )
        console.print(table if pings else "No pings yet.")


def ping_json(ping: Ping) -> dict[str, Any]:
    return {
        "n": ping.n,
        "at": ping.created.isoformat(),
        "kind": ping.kind,
        "exit_status": ping.exit_status,
        "rid": None if ping.rid is None else str(ping.rid),
        "duration": ping.duration,
        "method": ping.method,
        "remote_addr": ping.remote_addr,
        "ua": ping.ua,
        "body_size": ping.body_size,
        "body_truncated": ping.body_truncated,
    }


@app.command("snooze")
def snooze_command(
    check: str = CHECK_ARGUMENT,
    length: str = typer.Argument(..., help="How long, such as 2h or 30m."),
    by: str = typer.Option("cli", "--by", help="Who you are, for the timeline."),
) -> None:
    """Snooze a check: it does not go down, nor its incident escalate, until it wakes."""
    with fail_on_errors():
        duration = parse_duration(length)

        async def work(services: "Context") -> tuple[CheckRecord, datetime | None]:
            from tocsin.services import maintenance

            record = await services.database.read_with(find_check, check)
            with check_gone(record):
                window = await maintenance.snooze_check(
                    services, record.project_id, record.id, duration, by
                )
            return record, window.until

        record, until = act(load_settings(), work)
        console.print(f"Snoozed {record.label!r} until {describe.stamp(until)}.")


@app.command("unsnooze")
def unsnooze_command(
    check: str = CHECK_ARGUMENT,
    by: str = typer.Option("cli", "--by", help="Who you are, for the timeline."),
) -> None:
    """Wake a snoozed check now."""
    with fail_on_errors():

        async def work(services: "Context") -> CheckRecord:
            from tocsin.services import maintenance

            record = await services.database.read_with(find_check, check)
            with check_gone(record):
                await maintenance.unsnooze_check(services, record.project_id, record.id, by)
            return record

        record = act(load_settings(), work)
        console.print(f"{record.label!r} is awake.")
