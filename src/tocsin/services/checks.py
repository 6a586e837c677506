"""Checks: create one, change its settings, pause, resume and delete it, with what is
set along with its settings (the channels it notifies, its escalation policy, its
heartbeat group, Better Stack's e-mail flag) in the same transaction.

Each action owns its transaction and then tells the watcher of the deadline it left.
Each also has an `…_in` form doing the same writes on a connection whose transaction
its caller owns, for callers that do many actions as one: the ping batch that
provisions a check by its slug (which tells the watcher itself), and the services that
apply a monitors file or a crontab all or nothing (`services.monitors`,
`services.crontab`). The actions run their `…_in` form, so each write has one path.

A front end may pass functions of its own (how to choose channels, how to change
settings or a place, what the check must still be): they run inside the transaction,
and whatever they raise leaves nothing written and reaches the front end unchanged."""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TypeVar

import sqlalchemy as sa

from tocsin.alerts import incidents
from tocsin.domain.checks import Flip, Status, pause, resume
from tocsin.domain.keywords import plain_name, rules_problem
from tocsin.domain.naming import BLANK_NAME, blank_name
from tocsin.domain.records import (
    AlertFlags,
    ChannelRow,
    CheckDetails,
    CheckRecord,
    Group,
    NewCheck,
    Place,
    new_check_defaults,
)
from tocsin.domain.run_rules import RunRulesError, checked
from tocsin.services import dependencies
from tocsin.services.context import Context
from tocsin.services.errors import ConflictError, InvalidError, NotFoundError
from tocsin.store import channels as channel_store
from tocsin.store import checks as check_store
from tocsin.store import heartbeats as heartbeat_store
from tocsin.store.fastpath.batch import BatchWriter
from tocsin.store.projects import default_project

T = TypeVar("T")

ChannelChoice = Callable[[list[ChannelRow]], list[int]]
"""From the project's channels, the ids of those the check is to notify."""

SettingsChange = NewCheck | Callable[[NewCheck], NewCheck]
"""New settings, or how to make them from the current ones. A function sees them as
locked, so a change to a field it leaves alone, made meanwhile, is kept."""


def every_channel(available: list[ChannelRow]) -> list[int]:
    return [channel.id for channel in available]


def these_channels(channel_ids: Sequence[int]) -> ChannelChoice:
    """Channels already chosen by id; each must still be one of the project's."""

    def choose(available: list[ChannelRow]) -> list[int]:
        known = {channel.id for channel in available}
        if any(channel_id not in known for channel_id in channel_ids):
            raise InvalidError("channels", "not a channel of this project")
        return list(dict.fromkeys(channel_ids))

    return choose


@dataclass(frozen=True, slots=True)
class UsePolicy:
    """The escalation policy a check's incidents follow; None is the project's default
    (every channel of the check at once)."""

    policy_id: int | None


@dataclass(frozen=True, slots=True)
class CheckOptions:
    """What is set along with a check's settings. None leaves each as it is; a new
    check starts with no channel, the default policy, outside any group, not paused."""

    channels: ChannelChoice | None = None
    # Better Stack's simple alerting, from the current flags to the new.
    alerts: Callable[[AlertFlags], AlertFlags] | None = None
    policy: UsePolicy | None = None
    place: Callable[[Place], Place] | None = None  # from the current place to the new
    paused: bool | None = None  # resuming a check that is not paused changes nothing
    parents: dependencies.ParentChoice | None = None  # the checks it depends on
    # Every front end refuses a blank name but Healthchecks' API, whose checks may be
    # nameless (its `name` defaults to ""); such a check shows as its uuid.
    nameless: bool = False


@dataclass(frozen=True, slots=True)
class Alerting:
    """Whom a check alerts: the channels it notifies and the policy it follows (and the
    checks whose being down holds its alerts)."""

    channels: list[uuid.UUID]
    policy_id: int | None
    parents: list[uuid.UUID] = field(default_factory=list)


Expectation = Callable[[CheckDetails, Alerting], None]
"""Raises unless the check, as locked, is still as the caller read it (an If-Match)."""


# The actions, each in its own transaction.


async def create_check(
    context: Context,
    project_id: int | None,
    settings: NewCheck,
    options: CheckOptions = CheckOptions(),
) -> CheckDetails:
    """A new check in the project (None: the default one, made if there is none)."""

    def work(connection: sa.Connection, now: datetime) -> CheckDetails:
        project = default_project(connection, now) if project_id is None else project_id
        return create_check_in(connection, project, settings, now, options)

    details = await in_transaction(context, work)
    context.deadline_moved(details.record.alert_after)
    return details


async def create_or_update_check(
    context: Context,
    project_id: int,
    settings: Callable[[NewCheck], NewCheck],
    same_as: Callable[[CheckDetails], bool] | None,
    options: CheckOptions = CheckOptions(),
) -> tuple[CheckDetails, bool]:
    """Change the first check of the project that is `same_as` the one asked for, else
    make one from the defaults (always, without `same_as`); the check, and whether it
    is new. The search and the write are one transaction, as they were in the
    Healthchecks dialect (on SQLite, whose writers take turns, two such requests at
    once cannot both create the check)."""

    def work(connection: sa.Connection, now: datetime) -> tuple[CheckDetails, bool]:
        found = same_check(connection, project_id, same_as)
        if found is not None:
            return update_check_in(connection, found, settings, now, options), False
        new_settings = settings(new_check_defaults())
        return create_check_in(connection, project_id, new_settings, now, options), True

    details, created = await in_transaction(context, work)
    context.deadline_moved(details.record.alert_after)
    return details, created


async def update_check(
    context: Context,
    project_id: int,
    check_id: int,
    settings: SettingsChange | None = None,
    options: CheckOptions = CheckOptions(),
    *,
    expect: Expectation | None = None,
) -> CheckDetails:
    """New settings (None: the same) and options. A new schedule or grace moves the
    deadline at once (`store.checks.update_spec` derives it), and the watcher hears."""

    def work(connection: sa.Connection, now: datetime) -> CheckDetails:
        details = locked_check(connection, project_id, check_id)
        if expect is not None:
            expect(details, alerting_of(connection, project_id, check_id))
        return update_check_in(connection, details, settings, now, options)

    details = await in_transaction(context, work)
    context.deadline_moved(details.record.alert_after)
    return details


async def pause_check(
    context: Context, project_id: int, check_id: int
) -> tuple[CheckDetails, Flip | None]:
    """No deadline until a ping or a resume, and the open incident, if any, resolved;
    the flip, None if it was paused already."""

    def work(connection: sa.Connection, now: datetime) -> tuple[CheckDetails, Flip | None]:
        flip = pause_check_in(
            connection, locked_check(connection, project_id, check_id).record, now
        )
        return check_store.written_details(connection, check_id), flip

    details, flip = await in_transaction(context, work)
    context.deadline_moved(details.record.alert_after)
    return details, flip


async def resume_check(context: Context, project_id: int, check_id: int) -> CheckDetails:
    """The paused check is new again until its next ping; ConflictError, with nothing
    written, if it is not paused."""

    def work(connection: sa.Connection, now: datetime) -> CheckDetails:
        record = locked_check(connection, project_id, check_id).record
        if resume_check_in(connection, record, now) is not None:
            return check_store.written_details(connection, check_id)
        raise ConflictError("check is not paused")

    details = await in_transaction(context, work)
    context.deadline_moved(details.record.alert_after)
    return details


async def delete_check(context: Context, project_id: int, check_id: int) -> CheckDetails:
    """The check goes with its pings, flips and incidents; returns it as it was. No
    deadline is left to tell the watcher of."""

    def work(connection: sa.Connection, _now: datetime) -> CheckDetails:
        details = locked_check(connection, project_id, check_id)
        delete_check_in(connection, check_id)
        return details

    return await in_transaction(context, work)


async def in_transaction(context: Context, work: Callable[[sa.Connection, datetime], T]) -> T:
    """`work` in a write transaction of its own, at the clock's present."""
    return await context.database.write_with(work, context.clock.now())


# The same actions on a connection whose transaction the caller owns.


def insert_check_in(
    target: sa.Connection | BatchWriter,
    project_id: int,
    settings: NewCheck,
    now: datetime,
    channels: ChannelChoice | None,
) -> CheckRecord:
    """A new check and the channels it notifies, the one way every check is made: in
    the ping batch, through its writer (which keeps the batch's cache of checks), or
    on a plain connection."""
    if isinstance(target, BatchWriter):
        record, connection = target.insert_check(project_id, settings, now), target.connection
    else:
        record, connection = check_store.insert_check(target, project_id, settings, now), target
    if channels is not None:
        choose_channels(connection, project_id, record.id, channels)
    return record


def create_check_in(
    connection: sa.Connection,
    project_id: int,
    settings: NewCheck,
    now: datetime,
    options: CheckOptions = CheckOptions(),
) -> CheckDetails:
    refuse_blank_name(settings, options)
    refuse_broken_rules(settings)
    refuse_bad_keywords(settings)
    record = insert_check_in(connection, project_id, settings, now, options.channels)
    set_options(connection, project_id, record.id, now, replace(options, channels=None))
    return check_store.written_details(connection, record.id)


def update_check_in(
    connection: sa.Connection,
    details: CheckDetails,
    settings: SettingsChange | None,
    now: datetime,
    options: CheckOptions = CheckOptions(),
) -> CheckDetails:
    """`details` as locked by the caller; settings equal to the current ones write
    nothing (the check's `updated` stays)."""
    record = details.record
    if settings is not None:
        new_settings = settings if isinstance(settings, NewCheck) else settings(details.spec)
        if new_settings.name != details.spec.name:  # a check nameless already may stay so
            refuse_blank_name(new_settings, options)
        refuse_broken_rules(new_settings)
        if new_settings != details.spec:
            refuse_bad_keywords(new_settings)
            check_store.update_spec(connection, record, new_settings, now)
    set_options(connection, record.project_id, record.id, now, options)
    return check_store.written_details(connection, record.id)


def refuse_broken_rules(settings: NewCheck) -> None:
    """Rules on runs that cannot hold together, whichever front end sent them."""
    try:
        checked(settings.rules)
    except RunRulesError as error:
        raise InvalidError("rules", str(error)) from None


def pause_check_in(connection: sa.Connection, record: CheckRecord, now: datetime) -> Flip | None:
    """`record` as locked by the caller. Pausing a paused check writes its state again
    and no flip. An incident left open is resolved (`alerts.incidents.resolve_paused`):
    without that its escalation would page on, and no ping could ever close it, since
    a ping takes a paused check to up, not down to up."""
    _state, flip = check_store.apply_transition(connection, record, pause, now)
    incidents.resolve_paused(connection, record.id, now)
    return flip


def resume_check_in(connection: sa.Connection, record: CheckRecord, now: datetime) -> Flip | None:
    """`record` as locked by the caller; None, with nothing written, if not paused."""
    if record.state.status != Status.PAUSED:
        return None
    _state, flip = check_store.apply_transition(connection, record, resume, now)
    return flip


def delete_check_in(connection: sa.Connection, check_id: int) -> None:
    check_store.delete_check(connection, check_id)


# The steps.


def refuse_blank_name(settings: NewCheck, options: CheckOptions) -> None:
    if blank_name(settings.name) and not options.nameless:
        raise InvalidError("name", BLANK_NAME)


def refuse_bad_keywords(settings: NewCheck) -> None:
    """Keyword rules that cannot be stored or run; the field in Tocsin's words
    (`keywords.failure`), for each front end to word it its own way."""
    found = rules_problem(settings.keywords)
    if found is not None:
        plain = plain_name(found[0])
        raise InvalidError(f"keywords.{plain}", f"{plain} is {found[1]}")


def locked_check(connection: sa.Connection, project_id: int, check_id: int) -> CheckDetails:
    """The project's check, locked so that no ping changes it between read and write."""
    found = check_store.project_check(connection, project_id, check_id, for_update=True)
    if found is None:
        raise NotFoundError(f"no check {check_id} in this project")
    return found


def same_check(
    connection: sa.Connection,
    project_id: int,
    same_as: Callable[[CheckDetails], bool] | None,
) -> CheckDetails | None:
    if same_as is None:
        return None
    for details in check_store.project_checks(connection, project_id):
        if same_as(details):
            return locked_check(connection, project_id, details.record.id)
    return None


def alerting_of(connection: sa.Connection, project_id: int, check_id: int) -> Alerting:
    channels = channel_store.channel_uuids(connection, check_id=check_id).get(check_id, [])
    policy_id = channel_store.check_policies(connection, project_id).get(check_id)
    parents = dependencies.parent_uuids(connection, check_id)
    return Alerting(channels, policy_id, parents)


def set_options(
    connection: sa.Connection,
    project_id: int,
    check_id: int,
    now: datetime,
    options: CheckOptions,
) -> None:
    paused = set_links(connection, project_id, check_id, options)
    if paused is None:
        return
    (record,) = check_store.checks_with_ids(connection, [check_id])
    if paused:
        pause_check_in(connection, record, now)
    else:
        resume_check_in(connection, record, now)


def set_links(
    connection: sa.Connection, project_id: int, check_id: int, options: CheckOptions
) -> bool | None:
    """Channels, alerting, policy and place, in that order (the first refused is the one
    reported); whether the check is then to be paused or resumed, if either."""
    if options.channels is not None:
        choose_channels(connection, project_id, check_id, options.channels)
    if options.alerts is not None:
        current = heartbeat_store.alert_flags(connection, [check_id]).get(check_id, AlertFlags())
        heartbeat_store.set_alert_flags(connection, check_id, options.alerts(current))
    if options.policy is not None:
        set_policy(connection, project_id, check_id, options.policy.policy_id)
    if options.parents is not None:
        dependencies.set_parents_in(connection, project_id, check_id, options.parents)
    paused = options.paused
    if options.place is not None:
        group = set_place(connection, project_id, check_id, options.place)
        if paused is None and group is not None and group.paused:
            paused = True  # a check joining a paused group is held with the rest
    return paused


def choose_channels(
    connection: sa.Connection, project_id: int, check_id: int, channels: ChannelChoice
) -> None:
    chosen = channels(channel_store.project_channels(connection, project_id))
    channel_store.set_check_channels(connection, check_id, chosen)


def set_policy(
    connection: sa.Connection, project_id: int, check_id: int, policy_id: int | None
) -> None:
    if policy_id is not None and not heartbeat_store.project_policy_exists(
        connection, project_id, policy_id
    ):
        raise InvalidError("policy", f"no escalation policy {policy_id} in this project")
    channel_store.set_check_policy(connection, check_id, policy_id)


def set_place(
    connection: sa.Connection, project_id: int, check_id: int, change: Callable[[Place], Place]
) -> Group | None:
    """The check's new group and place in it; the group it is then in, if any."""
    current = heartbeat_store.heartbeat_facts(connection, [check_id])[check_id].place
    place = change(current)
    group = None
    if place.group_id is not None:
        group = heartbeat_store.project_group(connection, project_id, place.group_id)
        if group is None:
            raise InvalidError("group", f"no heartbeat group {place.group_id} in this project")
    heartbeat_store.set_place(connection, check_id, place)
    return group
