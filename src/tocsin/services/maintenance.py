"""Maintenance windows made and removed, checks and incidents snoozed and woken. Each
runs in one transaction and tells the watcher when a deadline or an incident's timer
may have come nearer (a window removed, a snooze ended early): adding a window needs no
notice, since the watcher applies windows when a deadline or timer comes due."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

import sqlalchemy as sa

from tocsin.domain import windows as rules
from tocsin.domain.checks import alert_after
from tocsin.domain.describe import stamp
from tocsin.domain.records import CheckDetails, CheckRecord, Incident, IncidentStatus
from tocsin.services.context import Context
from tocsin.services.errors import ConflictError, InvalidError, NotFoundError
from tocsin.store import checks as check_store
from tocsin.store import incidents as incident_store
from tocsin.store import maintenance as store

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class NewWindow:
    """What a person sets on a window; `scope` names a check by id, a tag, or neither."""

    name: str
    when: rules.When
    scope: rules.Scope


async def in_transaction(context: Context, work: Callable[[sa.Connection, datetime], T]) -> T:
    now = context.clock.now()
    async with context.database.write() as connection:
        return await connection.run_sync(lambda sync: work(sync, now))


async def list_windows(context: Context, project_id: int) -> list[rules.Window]:
    async with context.database.read() as connection:
        return await connection.run_sync(lambda sync: store.project_windows(sync, project_id))


async def add_window(context: Context, project_id: int, new: NewWindow, by: str) -> rules.Window:
    """A window of the project's; a check it names must be the project's."""
    try:
        name = rules.window_name(new.name)
    except rules.WindowError as error:
        raise InvalidError("name", str(error)) from None

    def work(connection: sa.Connection, now: datetime) -> rules.Window:
        if new.scope.check_id is not None:
            project_check(connection, project_id, new.scope.check_id)
        window = rules.Window(0, project_id, name, new.when, new.scope, by[:200])
        store.delete_ended(connection, project_id, now - rules.KEEP_ENDED)
        window_id = store.insert_window(connection, window, now)
        found = store.get_window(connection, project_id, window_id)
        assert found is not None
        return found

    return await in_transaction(context, work)


async def remove_window(context: Context, project_id: int, window_id: int) -> rules.Window:
    """The window goes; deadlines and incidents it held come back to where they were."""

    def work(connection: sa.Connection, now: datetime) -> rules.Window:
        window = store.get_window(connection, project_id, window_id)
        if window is None:
            raise NotFoundError(f"no maintenance window {window_id}")
        store.delete_window(connection, window_id)
        release(connection, window, now)
        return window

    window = await in_transaction(context, work)
    context.deadline_moved(context.clock.now())
    return window


async def snooze_check(
    context: Context, project_id: int, check_id: int, length: timedelta, by: str
) -> rules.Window:
    """A one-off window of the check from now, in place of any snooze it had; its open
    incident's timeline says who snoozed it and when it wakes."""
    try:
        rules.snooze_length(length)
    except rules.WindowError as error:
        raise InvalidError("duration", str(error)) from None

    def work(connection: sa.Connection, now: datetime) -> rules.Window:
        project_check(connection, project_id, check_id)
        store.delete_snoozes(connection, check_id)
        store.delete_ended(connection, project_id, now - rules.KEEP_ENDED)
        until = now + length
        when = rules.OneOff(now, until)
        scope = rules.Scope(check_id)
        window = rules.Window(0, project_id, rules.SNOOZE_NAME, when, scope, by[:200], snooze=True)
        window_id = store.insert_window(connection, window, now)
        message = f"check snoozed until {stamp(until)}"
        note_on_incident(connection, check_id, "snoozed", now, by, message)
        found = store.get_window(connection, project_id, window_id)
        assert found is not None
        return found

    return await in_transaction(context, work)


async def unsnooze_check(context: Context, project_id: int, check_id: int, by: str) -> None:
    """The check's snooze ends now; a deadline it held is due again at once if passed."""

    def work(connection: sa.Connection, now: datetime) -> None:
        project_check(connection, project_id, check_id)
        windows = [w for w in store.project_windows(connection, project_id) if w.snooze]
        mine = [w for w in windows if w.scope.check_id == check_id]
        if not mine:
            raise ConflictError("check is not snoozed")
        store.delete_snoozes(connection, check_id)
        for window in mine:
            release(connection, window, now)
        note_on_incident(connection, check_id, "unsnoozed", now, by, "check snooze ended")

    await in_transaction(context, work)
    context.deadline_moved(context.clock.now())


async def snooze_incident(
    context: Context, project_id: int | None, incident_id: int, length: timedelta, by: str
) -> Incident:
    """No escalation step or reminder until the snooze ends; then it continues."""
    try:
        rules.snooze_length(length)
    except rules.WindowError as error:
        raise InvalidError("duration", str(error)) from None

    def work(connection: sa.Connection, now: datetime) -> Incident:
        incident = open_incident(connection, project_id, incident_id)
        until = now + length
        reason = f"snoozed by {by} until {stamp(until)}"
        store.put_hold(connection, store.Hold(incident.id, until, reason, by or "someone"))
        hold_timers(connection, incident, until)
        message = f"snoozed until {stamp(until)}: no escalation or reminders until then"
        incident_store.add_event(connection, incident.id, "snoozed", now, actor=by, message=message)
        return reread(connection, incident.id)

    return await in_transaction(context, work)


async def unsnooze_incident(
    context: Context, project_id: int | None, incident_id: int, by: str
) -> Incident:
    """The incident's snooze ends now; what it held runs at the watcher's next pass."""

    def work(connection: sa.Connection, now: datetime) -> Incident:
        incident = open_incident(connection, project_id, incident_id)
        hold = store.hold_of(connection, incident.id)
        if hold is None or not hold.snoozed_by or hold.held_until <= now:
            raise ConflictError(f"incident {incident_id} is not snoozed")
        store.drop_hold(connection, incident.id)
        bring_back(connection, incident, hold.held_until, now)
        incident_store.add_event(
            connection, incident.id, "unsnoozed", now, actor=by, message="snooze ended"
        )
        return reread(connection, incident.id)

    incident = await in_transaction(context, work)
    context.deadline_moved(context.clock.now())
    return incident


async def check_windows(context: Context, record: CheckRecord) -> list[rules.Window]:
    """The windows that apply to the check (its own, its tags', its project's) and
    have not ended, snoozes among them."""
    now = context.clock.now()
    async with context.database.read() as connection:
        return await connection.run_sync(lambda sync: windows_in_effect(sync, record, now))


def windows_in_effect(
    connection: sa.Connection, record: CheckRecord, now: datetime
) -> list[rules.Window]:
    """`check_windows` inside a read the caller holds (the command line's)."""
    found = store.project_windows(connection, record.project_id)
    mine = rules.windows_of(found, record.project_id, record.id, record.tags)
    return [w for w in mine if w.until is None or w.until > now]


async def incident_snooze(context: Context, incident_id: int) -> store.Hold | None:
    """The incident's hold by a snooze, if one holds it (for pages that show it)."""
    async with context.database.read() as connection:
        hold = await connection.run_sync(lambda sync: store.hold_of(sync, incident_id))
    if hold is None or not hold.snoozed_by or hold.held_until <= context.clock.now():
        return None
    return hold


# The steps.


def project_check(connection: sa.Connection, project_id: int, check_id: int) -> CheckDetails:
    found = check_store.project_check(connection, project_id, check_id, for_update=True)
    if found is None:
        raise NotFoundError(f"no check {check_id} in this project")
    return found


def open_incident(connection: sa.Connection, project_id: int | None, incident_id: int) -> Incident:
    found = incident_store.get_incident(connection, incident_id, for_update=True)
    if found is None or (project_id is not None and found.project_id != project_id):
        raise NotFoundError(f"no incident {incident_id}")
    if found.status != IncidentStatus.OPEN:
        raise ConflictError(f"incident {incident_id} is {found.status}: nothing to snooze")
    return found


def reread(connection: sa.Connection, incident_id: int) -> Incident:
    found = incident_store.get_incident(connection, incident_id)
    assert found is not None
    return found


def note_on_incident(
    connection: sa.Connection, check_id: int, kind: str, now: datetime, by: str, message: str
) -> None:
    incident = incident_store.open_incident(connection, check_id)
    if incident is not None:
        incident_store.add_event(connection, incident.id, kind, now, actor=by, message=message)


def hold_timers(connection: sa.Connection, incident: Incident, until: datetime) -> None:
    moved = {name: until for name, at in timers(incident) if at is not None and at < until}
    if moved:
        incident_store.update_incident(connection, incident.id, **moved)


def bring_back(
    connection: sa.Connection, incident: Incident, held_until: datetime, now: datetime
) -> None:
    """Timers a hold moved to its end are due now instead."""
    moved = {name: now for name, at in timers(incident) if at == held_until}
    if moved:
        incident_store.update_incident(connection, incident.id, **moved)


def timers(incident: Incident) -> list[tuple[str, datetime | None]]:
    return [
        ("next_escalation_at", incident.next_escalation_at),
        ("next_nag_at", incident.next_nag_at),
    ]


def release(connection: sa.Connection, window: rules.Window, now: datetime) -> None:
    """What a window that goes held comes back: the deadlines of the checks it covered
    return to what their own state gives (the watcher holds them again if another
    window still covers them), and incidents it paused are due again now."""
    covered = [
        details.record
        for details in check_store.project_checks(connection, window.project_id, for_update=True)
        if rules.applies_to(window, window.project_id, details.record.id, details.record.tags)
    ]
    moved = [
        r for r in covered if r.alert_after is not None and r.alert_after != alert_after(r.state)
    ]
    check_store.save_states(connection, [(r.id, r.state, 0) for r in moved], now)
    for record in covered:
        incident = incident_store.open_incident(connection, record.id)
        hold = None if incident is None else store.hold_of(connection, incident.id)
        if incident is not None and hold is not None and not hold.snoozed_by:
            store.put_hold(connection, store.Hold(incident.id, now, hold.reason, ""))
            bring_back(connection, incident, hold.held_until, now)
