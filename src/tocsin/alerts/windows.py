"""What maintenance windows and snoozes do inside the watcher's transaction: hold back
the deadlines they cover, and hold an open incident's escalation steps and reminders
until they end, with a timeline line when it pauses and when it resumes.

The ping path computes a deadline from the check's own window only (it is on the
check's row, at no cost); windows of a tag or a project, and snoozes, are applied here
when the deadline comes due, the way outages are: the deadline moves to the end of the
windows and the watcher looks again then. An incident is looked at when one of its
timers comes due: inside a window its timers move to the window's end, so it continues
from where it was once the window is over. An incident opened inside a window (a
failure ping, a rule on runs broken) is held from the start, and one a parent held and
released inside a window waits for its end the same way (`alerts.dependencies`).
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from tocsin.domain import windows as rules
from tocsin.domain.describe import stamp
from tocsin.domain.records import CheckRecord, Incident
from tocsin.store import incidents as incident_store
from tocsin.store import maintenance as store


def held_deadlines(
    connection: sa.Connection, due: Sequence[CheckRecord], due_by: datetime
) -> list[tuple[int, datetime]]:
    """(check id, where its deadline moves) of the due checks a window covers."""
    if not due:
        return []
    windows = store.windows_of_projects(connection, {record.project_id for record in due})
    if not windows:
        return []
    held = []
    for record in due:
        assert record.alert_after is not None  # a due check has a deadline
        mine = rules.windows_of(windows, record.project_id, record.id, record.tags)
        mine += rules.own_window(record.project_id, record.id, record.state.maintenance)
        until = rules.first_uncovered(mine, record.alert_after)
        if until > due_by:
            held.append((record.id, until))
    return held


def covering_now(
    connection: sa.Connection, records: Sequence[CheckRecord], now: datetime
) -> dict[int, tuple[rules.Window, datetime]]:
    """The checks among these a window or a snooze covers now, each with the window and
    where the hold ends: an incident they open now waits for it to alert."""
    if not records:
        return {}
    windows = store.windows_of_projects(connection, {record.project_id for record in records})
    covered = {}
    for record in records:
        mine = rules.windows_of(windows, record.project_id, record.id, record.tags)
        mine += rules.own_window(record.project_id, record.id, record.state.maintenance)
        found = rules.held_until(mine, now)
        if found is not None:
            covered[record.id] = found
    return covered


def pause_opened(
    connection: sa.Connection,
    incident_id: int,
    window: rules.Window,
    until: datetime,
    now: datetime,
) -> None:
    """An incident opened inside a window: held from the start (its timers were set to
    the window's end), with the timeline's "paused" line and "resumed" when it ends."""
    reason = f"escalation paused by {window.label} until {stamp(until)}"
    store.put_hold(connection, store.Hold(incident_id, until, reason, ""))
    incident_store.add_event(connection, incident_id, "paused", now, message=reason)


def runnable(connection: sa.Connection, due: list[Incident], now: datetime) -> list[Incident]:
    """The due incidents no window or snooze holds now. The held ones get their timers
    moved to the end of the hold; those whose hold has ended get a "resumed" line."""
    if not due:
        return []
    holds = store.holds_of(connection, [incident.id for incident in due])
    scopes = store.check_scopes(connection, [incident.check_id for incident in due])
    windows = store.windows_of_projects(connection, {incident.project_id for incident in due})
    free = []
    for incident in due:
        hold = holds.get(incident.id)
        covered = window_hold(windows, scopes.get(incident.check_id), now)
        if hold is not None and hold.held_until > now:
            hold_timers(connection, incident, hold.held_until)
        elif covered is not None:
            pause(connection, incident, *covered, now)
        else:
            if hold is not None:
                resume(connection, incident, hold, now)
            free.append(incident)
    return free


def window_hold(
    windows: Sequence[rules.Window], scope: store.CheckScope | None, now: datetime
) -> tuple[rules.Window, datetime] | None:
    if scope is None:
        return None
    mine = rules.windows_of(windows, scope.project_id, scope.check_id, scope.tags)
    mine += rules.own_window(scope.project_id, scope.check_id, scope.own)
    return rules.held_until(mine, now)


def pause(
    connection: sa.Connection,
    incident: Incident,
    window: rules.Window,
    until: datetime,
    now: datetime,
) -> None:
    reason = f"escalation paused by {window.label} until {stamp(until)}"
    store.put_hold(connection, store.Hold(incident.id, until, reason, ""))
    hold_timers(connection, incident, until)
    incident_store.add_event(connection, incident.id, "paused", now, message=reason)


def resume(connection: sa.Connection, incident: Incident, hold: store.Hold, now: datetime) -> None:
    store.drop_hold(connection, incident.id)
    why = "snooze ended" if hold.snoozed_by else "window ended"
    message = f"escalation resumed: {why}"
    incident_store.add_event(connection, incident.id, "resumed", now, message=message)


def hold_timers(connection: sa.Connection, incident: Incident, until: datetime) -> None:
    """Move the incident's timers that come before `until` to it."""
    moved = {
        name: until
        for name, at in (
            ("next_escalation_at", incident.next_escalation_at),
            ("next_nag_at", incident.next_nag_at),
        )
        if at is not None and at < until
    }
    if moved:
        incident_store.update_incident(connection, incident.id, **moved)
