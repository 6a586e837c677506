"""`tocsin channel …` and `tocsin policy …`: where alerts go, and in what order."""

import json
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
import typer
from rich.table import Table

from tocsin.cli.common import CommandError, act, console, fail_on_errors, load_settings, reading
from tocsin.cli.helpscreens import Group
from tocsin.domain.describe import stamp
from tocsin.domain.durations import format_duration, parse_duration
from tocsin.domain.numbers import whole_number
from tocsin.domain.people import (
    DEFAULT_METHODS,
    Reach,
    TargetKind,
    methods_text,
    parse_hours,
    parse_methods,
)
from tocsin.domain.records import ChannelRow, PolicyRow
from tocsin.notify.base import Kind, parse_config, setting_from_text
from tocsin.notify.kinds import KINDS, kind_named
from tocsin.services import channels as channel_service
from tocsin.services import policies as policy_service
from tocsin.services.channels import SentTest
from tocsin.services.context import Context
from tocsin.services.policies import NameScope, PolicyDraft, ReachSpec, TargetSpec
from tocsin.services.projects import project_id_of
from tocsin.store import channels as channel_store
from tocsin.store import people as people_store

channel_app = typer.Typer(
    cls=Group, help="Add, list, test and remove notification channels.", no_args_is_help=True
)
policy_app = typer.Typer(
    cls=Group, help="Escalation policies: who is notified, and when.", no_args_is_help=True
)

CHANNEL_ARGUMENT = typer.Argument(..., help="The channel's uuid, name or kind.")


def read_config(kind: Kind, config: str, settings: list[str]) -> dict[str, Any]:
    """`--config '{…}'` and `--set key=value` (dotted keys nest; JSON for the settings
    the kind declares as lists or objects, text for the others)."""
    try:
        values: dict[str, Any] = json.loads(config) if config else {}
    except json.JSONDecodeError as error:
        raise CommandError(f"--config is not valid JSON: {error}") from None
    if not isinstance(values, dict):
        raise CommandError("--config must be a JSON object")
    for item in settings:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise CommandError(f"--set wants key=value, not {item!r}")
        path = key.split(".")
        place_value(values, path, setting_from_text(kind.config, path, raw))
    return values


def place_value(values: dict[str, Any], path: list[str], value: Any) -> None:
    for part in path[:-1]:
        values = values.setdefault(part, {})
    values[path[-1]] = value


@channel_app.command("add")
def add(
    kind: str = typer.Argument(..., help=f"One of: {', '.join(sorted(KINDS))}."),
    name: str = typer.Option("", help="A name for the channel, e.g. 'ops email'."),
    config: str = typer.Option("", help="Settings as a JSON object."),
    settings_: list[str] = typer.Option([], "--set", help="One setting, key=value."),
    assign: bool = typer.Option(True, help="Use the channel for every existing check."),
) -> None:
    """Add a channel, e.g. `tocsin channel add slack --set url=https://hooks.slack.com/…`."""
    with fail_on_errors():
        settings = load_settings()
        channel_kind = kind_named(kind)
        values = read_config(channel_kind, config, settings_)
        parse_config(channel_kind, values)  # refuse bad settings before storing them

        async def work(context: Context) -> ChannelRow:
            project_id = await project_id_of(context)
            return await channel_service.create_channel(
                context, project_id, channel_kind.name, name, values, assign_to_all_checks=assign
            )

        channel = act(settings, work)
        console.print(f"Added {channel.kind} channel {channel.label!r} ({channel.uuid}).")


@channel_app.command("list")
def list_command(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List channels with their last delivery and last error."""
    with fail_on_errors():
        settings = load_settings()
        found = reading(settings, channel_store.list_channels)
        if as_json:
            console.print_json(json.dumps([channel_json(c) for c in found]))
            return
        table = Table("Name", "Kind", "UUID", "Last notified", "Status", "Last error")
        for channel in found:
            table.add_row(
                channel.label,
                channel.kind,
                str(channel.uuid),
                stamp(channel.last_notified),
                channel_status(channel),
                channel.last_error or "-",
            )
        console.print(table if found else "No channels yet: add one with `tocsin channel add`.")
        if warning := failing_warning(found, settings.notify_max_age):
            console.print(warning, style="bold red", markup=False)


def channel_status(channel: ChannelRow) -> str:
    since = channel.failing_since
    return "ok" if since is None else f"FAILING since {stamp(since)}"


def failing_warning(found: list[ChannelRow], max_age: timedelta) -> str:
    """A line that cannot be missed when alerts are not getting through; else ""."""
    failing = [channel.label for channel in found if channel.failing_since is not None]
    if not failing:
        return ""
    return (
        f"Warning: {len(failing)} channel(s) failing ({', '.join(failing)}): alerts to "
        f"them are not getting through. Each is retried for {format_duration(max_age)} "
        "(TOCSIN_NOTIFY_MAX_AGE), then given up."
    )


def channel_json(channel: ChannelRow) -> dict[str, Any]:
    return {
        "uuid": str(channel.uuid),
        "name": channel.name,
        "label": channel.label,
        "kind": channel.kind,
        "last_notified": None
        if channel.last_notified is None
        else channel.last_notified.isoformat(),
        "last_error": channel.last_error,
        "failing_since": None
        if channel.failing_since is None
        else channel.failing_since.isoformat(),
    }


def find_channel(connection: sa.Connection, identifier: str) -> ChannelRow:
    found = channel_store.channels_named(connection, identifier)
    if len(found) > 1:
        raise CommandError(f"{len(found)} channels match {identifier!r}; use a uuid")
    if not found:
        raise CommandError(f"no channel matches {identifier!r}")
    return found[0]


@channel_app.command("test")
def send_test_message(channel: str = CHANNEL_ARGUMENT) -> None:
    """Send a real test message now, and say how it went."""
    with fail_on_errors():
        settings = load_settings()

        async def work(context: Context) -> SentTest:
            async with context.database.read() as connection:
                row = await connection.run_sync(find_channel, channel)
            return await channel_service.send_test_message(context, None, row.uuid)

        sent = act(settings, work)
        row = sent.channel
        if (error := sent.error) is not None:
            kind = "permanent" if error.permanent else "temporary"
            console.print(f"Test to {row.label!r} failed ({kind}): {error}")
            raise typer.Exit(1)
        console.print(f"Test message sent to {row.label!r}.")


@channel_app.command("remove")
def remove(
    channel: str = CHANNEL_ARGUMENT,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Remove a channel; checks and policies stop using it."""
    with fail_on_errors():
        settings = load_settings()
        row = reading(settings, lambda c: find_channel(c, channel))
        if not yes and not typer.confirm(f"Remove channel {row.label!r}?"):
            raise typer.Abort()
        act(settings, lambda context: channel_service.delete_channel(context, None, row.uuid))
        console.print(f"Removed {row.label!r}.")


STEP_SYNTAX = (
    "WAIT:WHOM[,WHOM…][;methods=email,push][;hours=08:00-20:00@Europe/Berlin], e.g. "
    "0s:email or 0s:on-call or 4s:team"
)
# People targets in a step, beside channels named by uuid, name or kind.
PEOPLE_WORDS = {
    "team": TargetKind.ENTIRE_TEAM,
    "on-call": TargetKind.ON_CALL,
    "member": TargetKind.MEMBER,
    "next": TargetKind.ROUND_ROBIN,
    "every": TargetKind.CHANNELS_OF_KIND,
}


def parse_step(text: str, connection: sa.Connection) -> tuple[timedelta, list[str], ReachSpec]:
    """`WAIT:WHOM,WHOM;OPTION…`, e.g. `0s:email,slack` or `10m:on-call,pagerduty;methods=email`:
    the channels by uuid, and what the step reaches besides them (`team`, `on-call` or
    `on-call=CALENDAR`, `member=EMAIL`, `next` or `next=EMAIL+EMAIL`, `every=KIND`)."""
    head, *options = text.split(";")
    wait, sep, names = head.partition(":")
    if not sep:
        raise CommandError(f"a step is {STEP_SYNTAX}, not {text!r}")
    wait_before = parse_duration(wait)
    chosen: list[str] = []
    targets: list[TargetSpec] = []
    for name in (n.strip() for n in names.split(",") if n.strip()):
        word, _, value = name.partition("=")
        if word in PEOPLE_WORDS and (value or word in ("team", "on-call", "next")):
            targets.append(target_spec(PEOPLE_WORDS[word], value))
        else:
            chosen.append(str(find_channel(connection, name).uuid))
    return wait_before, chosen, step_options(tuple(targets), options)


def target_spec(kind: TargetKind, value: str) -> TargetSpec:
    if kind == TargetKind.ON_CALL:
        calendar = whole_number(value) if value else None
        if value and calendar is None:
            raise CommandError(f"on-call=CALENDAR takes a calendar's id, not {value!r}")
        return TargetSpec(kind, calendar=calendar)
    if kind == TargetKind.ROUND_ROBIN:
        return TargetSpec(kind, members=tuple(m for m in value.split("+") if m))
    if kind == TargetKind.CHANNELS_OF_KIND:
        return TargetSpec(kind, channel_kind=kind_named(value).name)
    return TargetSpec(kind, member=value)


def step_options(targets: tuple[TargetSpec, ...], options: list[str]) -> ReachSpec:
    methods, hours = DEFAULT_METHODS, None
    for option in options:
        key, _, value = option.strip().partition("=")
        try:
            if key == "methods":
                methods = parse_methods(value)
            elif key == "hours":
                span, _, zone = value.partition("@")
                hours = parse_hours(span, zone or "UTC")
            else:
                raise CommandError(f"a step's options are methods= and hours=, not {option!r}")
        except ValueError as error:
            raise CommandError(f"{key}: {error}") from None
    return ReachSpec(targets, methods, hours)


def name_taken(name: str) -> CommandError:
    return CommandError(f"a policy named {name!r} exists already")


@policy_app.command("create")
def create_policy(
    name: str = typer.Argument(..., help="The policy's name."),
    steps: list[str] = typer.Option(
        [],
        "--step",
        help=f"{STEP_SYNTAX}; in order, WAIT counting from the step before (or the "
        "incident's opening). WHOM is a channel (uuid, name or kind) or people: team, "
        "on-call[=CALENDAR], member=EMAIL, next[=EMAIL+EMAIL] (round robin), every=KIND "
        "(every channel of a kind).",
    ),
    repeat: int = typer.Option(0, min=0, max=100, help="Run the whole policy again N times."),
    repeat_delay: str = typer.Option("0s", help="Pause before each repeat."),
    nag: str = typer.Option("", help="Remind every so often while unacknowledged, e.g. 30m."),
) -> None:
    """Create an escalation policy. With no --step it notifies nobody ("do nothing")."""
    with fail_on_errors():
        settings = load_settings()
        delay = parse_duration(repeat_delay)
        nag_interval = parse_duration(nag) if nag else None
        if nag_interval is not None and nag_interval <= timedelta(0):
            raise CommandError("--nag must be longer than 0s")

        def prepare(connection: sa.Connection) -> list[tuple[timedelta, list[str], ReachSpec]]:
            # The name first, as the policy service would refuse it, then the steps.
            if channel_store.policies_named(connection, name):
                raise name_taken(name)
            return [parse_step(step, connection) for step in steps]

        async def work(context: Context) -> None:
            async with context.database.read() as connection:
                parsed = await connection.run_sync(prepare)
            draft = PolicyDraft(
                name,
                [(wait, chosen) for wait, chosen, _ in parsed],
                repeat,
                delay,
                nag_interval,
                tuple(reach for _, _, reach in parsed),
            )
            project_id = await project_id_of(context)
            await policy_service.create_policy(
                context, project_id, draft, scope=NameScope.EVERY_PROJECT
            )

        act(settings, work)
        console.print(f"Created policy {name!r} with {len(steps)} step(s).")


@policy_app.command("list")
def list_policies() -> None:
    """List escalation policies and their steps."""
    with fail_on_errors():
        found, emails = reading(load_settings(), policies_and_people)
        if not found:
            console.print("No policies: checks notify all their channels at once.")
            return
        table = Table("Name", "Steps", "Repeat", "Nag")
        named = {policy.id: policy.name for policy in found}
        for policy in found:
            reaches = policy.reaches or [Reach()] * len(policy.steps)
            steps = (
                "; ".join(
                    f"after {format_duration(wait)}: {whom(names, reach, emails, named)}"
                    for (wait, names), reach in zip(policy.steps, reaches, strict=True)
                )
                or "notify nobody"
            )
            repeat = (
                f"{policy.repeat_count}x after {format_duration(policy.repeat_delay)}"
                if policy.repeat_count
                else "-"
            )
            nag = format_duration(policy.nag_interval) if policy.nag_interval else "-"
            table.add_row(policy.name, steps, repeat, nag)
        console.print(table)


def policies_and_people(connection: sa.Connection) -> tuple[list[PolicyRow[str]], dict[int, str]]:
    found = channel_store.list_policies(connection)
    people = {
        u
        for policy in found
        for reach in policy.reaches
        for t in reach.targets
        for u in (*t.user_ids, *([] if t.user_id is None else [t.user_id]))
    }
    return found, people_store.emails_of(connection, sorted(people))


TARGET_WORDS = {
    TargetKind.ENTIRE_TEAM: "the entire team",
    TargetKind.ROUND_ROBIN: "the next person in turn",
}


def whom(
    names: list[str],
    reach: Reach,
    emails: dict[int, str],
    policies: dict[int, str] | None = None,
) -> str:
    """A step's channels and people in words, with its methods and hours; `policies`
    names the policies a step hands over to, by id."""
    parts = list(names)
    for target in reach.targets:
        if target.kind == TargetKind.MEMBER and target.user_id is not None:
            parts.append(emails.get(target.user_id, f"user {target.user_id}"))
        elif target.kind == TargetKind.ON_CALL:
            where = "" if target.calendar_id is None else f" in calendar {target.calendar_id}"
            parts.append(f"on call{where}")
        elif target.kind == TargetKind.CHANNELS_OF_KIND:
            parts.append(f"every {target.channel_kind} channel")
        elif target.kind == TargetKind.POLICY and target.policy_id is not None:
            named = (policies or {}).get(target.policy_id)
            parts.append(
                f"hand over to {named!r}" if named else f"hand over to policy {target.policy_id}"
            )
        elif target.kind == TargetKind.ROUND_ROBIN and target.user_ids:
            turns = ", ".join(emails.get(u, f"user {u}") for u in target.user_ids)
            parts.append(f"the next of {turns} in turn")
        else:
            parts.append(TARGET_WORDS.get(target.kind, target.kind.value))
    text = ", ".join(parts) or "nobody"
    if any(t.kind not in (TargetKind.CHANNELS_OF_KIND, TargetKind.POLICY) for t in reach.targets):
        text += f" by {methods_text(reach.methods) or 'no method'}"
    if reach.hours is not None:
        text += f" ({reach.hours.text} only)"
    return text


@policy_app.command("remove")
def remove_policy(name: str = typer.Argument(..., help="The policy's name.")) -> None:
    """Remove a policy; its checks go back to the default (all channels at once)."""
    with fail_on_errors():

        def find(connection: sa.Connection) -> int:
            found = channel_store.policies_named(connection, name)
            if not found:
                raise CommandError(f"no policy named {name!r}")
            return found[0]

        async def work(context: Context) -> None:
            async with context.database.read() as connection:
                policy_id = await connection.run_sync(find)
            await policy_service.delete_policy(context, None, policy_id)

        act(load_settings(), work)
        console.print(f"Removed policy {name!r}.")
