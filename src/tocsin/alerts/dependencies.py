"""Held incidents (domain.dependencies): a check that goes down while a parent is down
opens its incident held, waking nobody; the watcher looks at it again when the parent
recovers (and every `HOLD_RECHECK` meanwhile) and, once every parent has been up for
the settle, releases it: it then alerts normally from its policy's first step. Every
function runs inside the caller's transaction, as `alerts.incidents` does."""

from dataclasses import replace
from datetime import datetime, timedelta

import sqlalchemy as sa

from tocsin.alerts import reach
from tocsin.alerts import windows as maintenance
from tocsin.domain import escalation
from tocsin.domain.dependencies import (
    HOLD_RECHECK,
    Action,
    Parent,
    held_message,
    holding_parent,
    release_verdict,
    released_message,
)
from tocsin.domain.records import Incident, IncidentStatus
from tocsin.store import dependencies as store
from tocsin.store import incidents as incident_store


def holds(connection: sa.Connection, check_ids: list[int]) -> dict[int, Parent]:
    """The checks among these a down parent holds, with the parent holding each."""
    found = {}
    for child_id, parents in store.parent_states(connection, check_ids).items():
        holder = holding_parent(parents)
        if holder is not None:
            found[child_id] = holder
    return found


def held_values(holder: Parent, opened_at: datetime) -> dict[str, object]:
    """What a held incident stores instead of its escalation: the parent, and when the
    watcher looks at it again if nothing hastens it."""
    return {
        "held_by": holder.check_id,
        "release_at": opened_at + HOLD_RECHECK,
        "next_step": 0,
        "round": 0,
        "next_escalation_at": None,
        "next_nag_at": None,
    }


def parent_recovered(connection: sa.Connection, parent_id: int, at: datetime) -> None:
    """The parent's incident resolved: what it holds is due a look now."""
    store.look_again(connection, parent_id, at)


def release_due(
    connection: sa.Connection,
    now: datetime,
    settle: timedelta,
    limit: int,
    *,
    skip_locked: bool,
) -> int:
    """Look at the held incidents that are due: hold on, wait for the settle, or
    release; returns notifications queued."""
    due = store.due_releases(connection, now, limit, skip_locked=skip_locked)
    parents = store.parent_states(connection, [incident.check_id for incident in due])
    queued = 0
    for incident in due:
        queued += look_at(connection, incident, parents.get(incident.check_id, []), now, settle)
    return queued


def look_at(
    connection: sa.Connection,
    incident: Incident,
    parents: list[Parent],
    now: datetime,
    settle: timedelta,
) -> int:
    verdict = release_verdict(parents, now, settle)
    if verdict.action == Action.HOLD:
        assert verdict.parent is not None
        holder = verdict.parent.check_id
        incident_store.update_incident(
            connection, incident.id, held_by=holder, release_at=verdict.at
        )
        if holder != incident.held_by:
            message = held_message(verdict.parent.name)
            incident_store.add_event(connection, incident.id, "held", now, message=message)
        return 0
    if verdict.action == Action.WAIT:
        incident_store.update_incident(connection, incident.id, release_at=verdict.at)
        return 0
    names = {parent.check_id: parent.name for parent in parents}
    return release(connection, incident, names.get(incident.held_by or 0), now)


def release(
    connection: sa.Connection, incident: Incident, parent_name: str | None, now: datetime
) -> int:
    """The incident alerts from its policy's first step, as if it opened now; an
    acknowledged one is only let go, since someone is on it already."""
    values: dict[str, object] = {"release_at": None}
    message = released_message(parent_name)
    incident_store.add_event(connection, incident.id, "released", now, message=message)
    if incident.status == IncidentStatus.ACKNOWLEDGED:
        incident_store.update_incident(connection, incident.id, **values)
        return 0
    policy_id, policy = incident_store.check_policies(connection, [incident.check_id])[
        incident.check_id
    ]
    if waits_for_window(connection, incident, policy, now):
        return 0
    steps = reach.run_due(
        connection, incident.project_id, policy, escalation.start(policy, now), now
    )
    progress = steps.progress
    incident_store.update_incident(
        connection,
        incident.id,
        policy_id=policy_id if steps.handed_to is None else steps.handed_to,
        next_step=progress.next_step,
        round=progress.round,
        next_escalation_at=progress.due_at,
        next_nag_at=escalation.first_nag(policy, now),
        **values,
    )
    return notify(connection, incident.id, steps, now)


def waits_for_window(
    connection: sa.Connection, incident: Incident, policy: escalation.Policy, now: datetime
) -> bool:
    """Whether a maintenance window or a snooze holds the released incident now: its
    first step is then due when the hold ends, and the watcher runs it as any other."""
    fresh = replace(
        incident,
        next_step=0,
        round=0,
        next_escalation_at=now,
        next_nag_at=escalation.first_nag(policy, now),
        release_at=None,
    )
    incident_store.update_incident(
        connection,
        incident.id,
        next_step=0,
        round=0,
        next_escalation_at=fresh.next_escalation_at,
        next_nag_at=fresh.next_nag_at,
        release_at=None,
    )
    # `runnable` moves the timers of a held incident to the end of its hold.
    return not maintenance.runnable(connection, [fresh], now)


def notify(connection: sa.Connection, incident_id: int, steps: reach.Pass, now: datetime) -> int:
    lines = [
        incident_store.event_row(incident_id, "escalated", now, message=line)
        for line in steps.lines
    ]
    incident_store.add_events(connection, lines)
    contacts = [(c, note, method) for c, (note, method) in steps.contacts.items()]
    queued = incident_store.enqueue_people(connection, incident_id, contacts, "down", now)
    return queued + incident_store.enqueue(connection, incident_id, steps.channel_ids, "down", now)
