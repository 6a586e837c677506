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
from tocsin.cli.check_keywords import KeywordOptions, keywords_command, read_keywords
from tocsin.cli.check_lookup import check_gone, find_check
from tocsin.cli.check_rules import RunRuleOptions
from tocsin.cli.check_settings import DEFAULT_POLICY, SettingsOptions, new_settings, settings_after
from tocsin.cli.check_view import CheckView, print_view, read_view, view_json
from tocsin.cli.common import CommandError, act, console, fail_on_errors, load_settings, reading
from tocsin.cli.dependencies import DependencyOptions
from tocsin.cli.helpscreens import Group
from tocsin.cli.option_groups import with_option_groups
from tocsin.config import Settings
from tocsin.domain import describe
from tocsin.domain.checks import Flip
from tocsin.domain.clock import SystemClock
from tocsin.domain.describe import EXAMPLE_CRON, describe_schedule, schedule_hint
from tocsin.domain.durations import format_duration, parse_duration
from tocsin.domain.keywords import NO_RULES as NO_KEYWORDS
from tocsin.domain.records import CheckRecord, FlipRecord, NewCheck, Ping
from tocsin.domain.schedule import Schedule
from tocsin.output.checks import check_json, print_check_list
from tocsin.services.errors import ConflictError, InvalidError
from tocsin.store import checks as check_store
from tocsin.store import pings as ping_store
from tocsin.store.channels import policies_named
from tocsin.store.projects import ping_key

if TYPE_CHECKING:
    from tocsin.services.checks import UsePolicy
    from tocsin.services.context import Context
    from tocsin.services.dependencies import ParentChoice

# `tocsin.services.checks` (with the alerting it pulls in) is imported by the commands that
# change a check, inside them: `check list` and the other readers load the store's
# query functions and the domain only.

app = typer.Typer(cls=Group, help="Create, list and manage checks.", no_args_is_help=True)

CHECK_ARGUMENT = typer.Argument(..., help="The check's uuid, slug or name.")

app.command("keywords")(keywords_command)


@app.command("create")
@with_option_groups
def create(
    *,
    settings: SettingsOptions,
    dependency: DependencyOptions,
    rules: RunRuleOptions,
    keywords: KeywordOptions,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """Create a check and print its ping URLs."""
    with fail_on_errors():
        parents = dependencies.parents_chosen(dependency)
        spec = replace(
            new_settings(settings),
            rules=check_rules.read_rules(rules),
            keywords=read_keywords(keywords, NO_KEYWORDS),
        )
        loaded = load_settings()
        record, ping_key = act(loaded, lambda c: create_check(c, spec, settings.policy, parents))
        urls = ping_urls(loaded, record, ping_key)
        if as_json:
            console.print_json(json.dumps(check_json(record, urls)))
            return
        console.print(f"Created check {record.label!r} ({describe_schedule(record.state)}).")
        for label, url in urls.items():
            console.print(f"  {label + ':':<16} {url}")
        print_hint(record.state.schedule)


def print_hint(schedule: Schedule) -> None:
    hint = schedule_hint(schedule)
    if hint is not None:
        console.print(
            f"Hint: {hint}; for example --cron '{EXAMPLE_CRON}' --tz Europe/Berlin",
            highlight=False,
        )


async def create_check(
    services: "Context",
    spec: NewCheck,
    policy: str | None,
    parents: "ParentChoice | None" = None,
) -> tuple[CheckRecord, str]:
    """A check in the default project notifying every channel of it; with its ping key."""
    from tocsin.services import checks as check_service
    from tocsin.services.checks import CheckOptions

    use_policy = await policy_chosen(services, policy)
    options = CheckOptions(channels=check_service.every_channel, policy=use_policy, parents=parents)
    with policy_refused(policy or ""):
        details = await check_service.create_check(services, None, spec, options)
    key = await services.database.read_with(ping_key, details.record.project_id)
    return details.record, key


async def policy_chosen(services: "Context", policy: str | None) -> "UsePolicy | None":
    """The policy a name asks for (`default`: none, all channels at once); None leaves
    the check's as it is."""
    from tocsin.services.checks import UsePolicy

    if policy is None:
        return None
    if policy == DEFAULT_POLICY:
        return UsePolicy(None)
    return UsePolicy(await services.database.read_with(policy_named, policy))


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
@with_option_groups
def edit_command(
    check: str = CHECK_ARGUMENT,
    *,
    settings: SettingsOptions,
    dependency: DependencyOptions,
    rules: RunRuleOptions,
    keywords: KeywordOptions,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """Change a check's settings: only the options given ('off' clears a rule's duration);
    then print the check as `show` does."""
    with fail_on_errors():
        parents = dependencies.parents_chosen(dependency)

        def change(spec: NewCheck) -> NewCheck:
            return replace(
                settings_after(spec, settings),
                rules=check_rules.read_rules(rules, current=spec.rules),
                keywords=read_keywords(keywords, spec.keywords),
            )

        async def work(services: "Context") -> CheckView:
            from tocsin.services import checks as check_service
            from tocsin.services.checks import CheckOptions

            record = await services.database.read_with(find_check, check)
            options = CheckOptions(policy=await policy_chosen(services, settings.policy))
            options = replace(options, parents=parents)
            with check_gone(record), policy_refused(settings.policy or ""):
                await check_service.update_check(
                    services, record.project_id, record.id, change, options
                )
            return await services.database.read_with(read_view, record.id, services.clock.now())

        view = act(load_settings(), work)
        print_check(view, as_json, f"Updated {view.details.record.label!r}.")


@app.command("show")
def show_command(
    check: str = CHECK_ARGUMENT,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """One check: its settings, status, rules, whom it alerts, the checks it depends on
    and that need it, the maintenance windows that apply to it and its snooze."""
    with fail_on_errors():
        now = SystemClock().now()

        def work(connection: sa.Connection) -> CheckView:
            return read_view(connection, find_check(connection, check).id, now)

        print_check(reading(load_settings(), work), as_json)


def print_check(view: CheckView, as_json: bool, heading: str = "") -> None:
    now = SystemClock().now()
    if as_json:
        console.print_json(json.dumps(view_json(view, now)))
        return
    if heading:
        console.print(heading, markup=False)
    print_view(view, now)


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
