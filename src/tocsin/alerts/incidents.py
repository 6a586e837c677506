"""Incidents: opened by a flip to down, resolved by the flip back up (or by a person, or
by pausing the check), escalated through their policy. Every function runs inside the
caller's transaction, so a flip, its incident and the notifications it needs commit
together (the outbox).
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from tocsin.alerts import dependencies, reach
from tocsin.alerts import windows as maintenance
from tocsin.domain import escalation
from tocsin.domain.checks import CheckState, Flip, Reason, Status
from tocsin.domain.dependencies import Parent, held_message
from tocsin.domain.describe import stamp
from tocsin.domain.durations import format_duration
from tocsin.domain.records import ACKNOWLEDGING_KINDS, CheckRecord, Incident, IncidentStatus
from tocsin.domain.run_rules import rule_of, split_reason
from tocsin.domain.windows import Window
from tocsin.store import incidents as store
from tocsin.store.checks import flip_rows
from tocsin.store.fastpath.bulk import insert_many
from tocsin.store.tables import flips as flips_table
from tocsin.store.tables import incidents as incidents_table

BODY_EXCERPT_LINES = 20
BODY_EXCERPT_CHARS = 2000


class IncidentError(ValueError):
    """An action that does not apply to the incident (already resolved, say)."""


@dataclass(slots=True)
class FlipFacts:
    """A flip with what its incident should say: the check and its state at the flip,
    and the ping behind it, if a ping caused it."""

    check: CheckRecord
    state: CheckState
    flip: Flip
    exit_status: int | None = None
    body: bytes | None = None


def record_flips(connection: sa.Connection, facts: list[FlipFacts], now: datetime) -> int:
    """Store the flips, open and resolve their incidents; returns notifications queued."""
    if not facts:
        return 0
    rows = flip_rows([(f.check.id, f.flip) for f in facts], processed=now)
    insert_many(connection, flips_table, rows)
    downs = [f for f in facts if f.flip.new_status == Status.DOWN]
    queued = open_incidents(connection, downs, now)
    for fact in facts:
        if fact.flip.old_status == Status.DOWN and fact.flip.new_status == Status.UP:
            queued += resolve_check(connection, fact.check.id, fact.flip.at, "ping")
    return queued


def open_incidents(connection: sa.Connection, facts: list[FlipFacts], now: datetime) -> int:
    """One incident per check that has none open (a check has at most one), with a
    handful of statements however many checks went down at once."""
    already = store.checks_with_open_incident(connection, [f.check.id for f in facts])
    fresh = list({f.check.id: f for f in facts if f.check.id not in already}.values())
    if not fresh:
        return 0
    chosen = store.check_policies(connection, [f.check.id for f in fresh])
    held = dependencies.holds(connection, [f.check.id for f in fresh])
    # A failure inside a maintenance window or a snooze opens its incident all the same;
    # its first step waits for the window's end.
    covered = maintenance.covering_now(connection, [f.check for f in fresh], now)
    plans = [
        plan_incident(
            connection,
            fact,
            *chosen[fact.check.id],
            now,
            held.get(fact.check.id),
            covered.get(fact.check.id),
        )
        for fact in fresh
    ]
    incident_ids = store.insert_incidents(connection, [plan.values for plan in plans])
    events: list[dict[str, object]] = []
    queued: list[tuple[int, list[int]]] = []
    people = 0
    for incident_id, plan in zip(incident_ids, plans, strict=True):
        events.append(
            store.event_row(
                incident_id, "opened", plan.values["opened_at"], message=plan.values["cause_detail"]
            )
        )
        if plan.paused is not None:
            maintenance.pause_opened(connection, incident_id, *plan.paused, now)
        if plan.holder is not None:
            why = held_message(plan.holder.name)
            events.append(
                store.event_row(incident_id, "held", plan.values["opened_at"], message=why)
            )
        events.extend(step_events(incident_id, plan.steps, now))
        if plan.steps.channel_ids:
            queued.append((incident_id, plan.steps.channel_ids))
        people += enqueue_people(connection, incident_id, plan.steps, "down", now)
    store.add_events(connection, events)
    return store.enqueue_many(connection, queued, "down", now) + people


@dataclass(slots=True)
class IncidentPlan:
    values: dict[str, Any]
    steps: reach.Pass
    holder: Parent | None = None  # the down parent holding it: it wakes nobody
    paused: tuple[Window, datetime] | None = None  # a window holding its first step


def plan_incident(
    connection: sa.Connection,
    fact: FlipFacts,
    policy_id: int | None,
    policy: escalation.Policy,
    now: datetime,
    holder: Parent | None = None,
    covered: tuple[Window, datetime] | None = None,
) -> IncidentPlan:
    opened_at = fact.flip.at
    project_id = fact.check.project_id
    paused = covered if holder is None else None  # a held one looks at windows on release
    if holder is not None:
        steps = reach.Pass(escalation.Progress(0, 0, None))
    elif paused is not None:
        steps = reach.Pass(waiting(escalation.start(policy, opened_at), paused[1]))
    else:
        progress = escalation.start(policy, opened_at)
        steps = reach.run_due(connection, project_id, policy, progress, now)
    progress = steps.progress
    cause, detail = describe_cause(fact)
    values = {
        "project_id": project_id,
        "check_id": fact.check.id,
        "status": IncidentStatus.OPEN.value,
        "cause": cause,
        "cause_detail": detail,
        "expected_at": expected_at(fact),
        "last_ping": fact.state.last_ping,
        "exit_status": fact.exit_status,
        "body_excerpt": excerpt(fact.body),
        "opened_at": opened_at,
        "policy_id": policy_id if steps.handed_to is None else steps.handed_to,
        "next_step": progress.next_step,
        "round": progress.round,
        "next_escalation_at": progress.due_at,
        "next_nag_at": escalation.first_nag(policy, opened_at),
    }
    if holder is not None:
        values.update(dependencies.held_values(holder, opened_at))
    first_nag = escalation.first_nag(policy, opened_at)
    if paused is not None and first_nag is not None:
        values["next_nag_at"] = max(first_nag, paused[1])
    return IncidentPlan(values, steps, holder, paused)


def waiting(progress: escalation.Progress, until: datetime) -> escalation.Progress:
    """The progress of an incident whose steps wait for a window to end."""
    if progress.due_at is None:
        return progress  # a policy with no steps: nothing to wait for
    return replace(progress, due_at=max(progress.due_at, until))


def step_events(incident_id: int, steps: reach.Pass, now: datetime) -> list[dict[str, object]]:
    """The pass's timeline lines: each step run that notifies anyone, named by its step
    and round (`step 1, round 2: notifying 2 channel(s)`), and whatever it could not
    do (nobody on call, a person with no contact method, hours it is outside of)."""
    return [store.event_row(incident_id, "escalated", now, message=line) for line in steps.lines]


def enqueue_people(
    connection: sa.Connection, incident_id: int, steps: reach.Pass, kind: str, now: datetime
) -> int:
    contacts = [(c, note, method) for c, (note, method) in steps.contacts.items()]
    return store.enqueue_people(connection, incident_id, contacts, kind, now)


def notify_steps(
    connection: sa.Connection, incident_id: int, steps: reach.Pass, now: datetime
) -> int:
    """The pass's timeline lines and its alerts; a channel or contact method that
    several runs of one pass reach (a late watcher, waits of 0 s) gets one alert."""
    store.add_events(connection, step_events(incident_id, steps, now))
    queued = enqueue_people(connection, incident_id, steps, "down", now)
    if not steps.channel_ids:
        return queued
    return queued + store.enqueue(connection, incident_id, steps.channel_ids, "down", now)


def resolve_check(connection: sa.Connection, check_id: int, at: datetime, by: str) -> int:
    incident = store.open_incident(connection, check_id)
    return 0 if incident is None else resolve(connection, incident, at, by)


def resolve(connection: sa.Connection, incident: Incident, at: datetime, by: str) -> int:
    """Close the incident and tell every channel that heard of it, with the downtime."""
    if incident.status == IncidentStatus.RESOLVED:
        raise IncidentError(f"incident {incident.id} is already resolved")
    downtime = format_duration(round_seconds(at - incident.opened_at))
    close(connection, incident, at, by, f"down {downtime}")
    people = store.reached_contacts(connection, incident.id, ("sent", "sending"))
    queued = store.enqueue_people(connection, incident.id, people, "up", at)
    return queued + store.enqueue(
        connection, incident.id, store.notified_channels(connection, incident.id), "up", at
    )


PAUSED_BY = "pause"


def resolve_paused(connection: sa.Connection, check_id: int, at: datetime) -> bool:
    """A paused check keeps no open incident (Better Stack: no incidents while a
    heartbeat is paused): its incident is resolved, so escalation and reminders stop
    and the next down after a resume opens a fresh one. No recovery notice goes out,
    since the check is not up; the timeline says why it closed. Whether there was one."""
    incident = store.open_incident(connection, check_id)
    if incident is None:
        return False
    held = format_duration(round_seconds(at - incident.opened_at))
    why = f"check paused after {held} down: escalation and reminders stopped, no recovery notice"
    close(connection, incident, at, PAUSED_BY, why)
    return True


def close(connection: sa.Connection, incident: Incident, at: datetime, by: str, why: str) -> None:
    store.update_incident(
        connection,
        incident.id,
        status=IncidentStatus.RESOLVED.value,
        resolved_at=at,
        resolved_by=by,
        next_escalation_at=None,
        next_nag_at=None,
        release_at=None,
    )
    store.add_event(connection, incident.id, "resolved", at, actor=by, message=why)
    dependencies.parent_recovered(connection, incident.check_id, at)
    # An alert nobody has been sent yet need not be sent, nor recovered from.
    store.cancel_pending(connection, incident.id, ("down", "nag"))


def acknowledge(
    connection: sa.Connection, incident: Incident, at: datetime, by: str, how: str
) -> int:
    """Acknowledging stops escalation and nagging; the incident stays open. The
    alerted channels that act on it hear of it (PagerDuty and Opsgenie acknowledge
    their alert, Pushover cancels its emergency receipts); returns how many."""
    if incident.status == IncidentStatus.RESOLVED:
        raise IncidentError(f"incident {incident.id} is already resolved")
    if incident.status == IncidentStatus.ACKNOWLEDGED:
        return 0
    store.update_incident(
        connection,
        incident.id,
        status=IncidentStatus.ACKNOWLEDGED.value,
        acknowledged_at=at,
        acknowledged_by=by,
        next_escalation_at=None,
        next_nag_at=None,
    )
    store.add_event(connection, incident.id, "acknowledged", at, actor=by, message=f"via {how}")
    told = store.acknowledging_channels(connection, incident.id, ACKNOWLEDGING_KINDS)
    return store.enqueue(connection, incident.id, told, "ack", at)


def comment(
    connection: sa.Connection, incident: Incident, at: datetime, by: str, text: str
) -> None:
    store.add_event(connection, incident.id, "comment", at, actor=by, message=text)


def escalate_due(connection: sa.Connection, now: datetime, limit: int, *, skip_locked: bool) -> int:
    """Run escalation steps and nags whose time has come; returns notifications queued."""
    queued = 0
    due = store.due_incidents(
        connection, incidents_table.c.next_escalation_at, now, limit, skip_locked=skip_locked
    )
    due = maintenance.runnable(connection, due, now)  # windows and snoozes hold the rest
    for incident in due:
        policy = incident_policy(connection, incident)
        steps = reach.run_due(connection, incident.project_id, policy, incident.progress, now)
        progress = steps.progress
        handed = {} if steps.handed_to is None else {"policy_id": steps.handed_to}
        store.update_incident(
            connection,
            incident.id,
            next_step=progress.next_step,
            round=progress.round,
            next_escalation_at=progress.due_at,
            **handed,
        )
        queued += notify_steps(connection, incident.id, steps, now)
    nagging = store.due_incidents(
        connection, incidents_table.c.next_nag_at, now, limit, skip_locked=skip_locked
    )
    nagging = maintenance.runnable(connection, nagging, now)
    for incident in nagging:
        queued += nag(connection, incident, now)
    return queued


def nag(connection: sa.Connection, incident: Incident, now: datetime) -> int:
    policy = incident_policy(connection, incident)
    assert incident.next_nag_at is not None
    next_nag = None
    if policy.nag_interval:
        next_nag = incident.next_nag_at
        while next_nag <= now:
            next_nag += policy.nag_interval
    store.update_incident(connection, incident.id, next_nag_at=next_nag)
    channel_ids = store.alerted_channels(connection, incident.id)
    people = store.reached_contacts(connection, incident.id, ("pending", "sending", "sent"))
    whom = f"{len(channel_ids)} channel(s)"
    if people:
        whom += f" and {len(people)} contact method(s)"
    store.add_event(connection, incident.id, "nagged", now, message=f"still down: reminding {whom}")
    queued = store.enqueue_people(connection, incident.id, people, "nag", now)
    return queued + store.enqueue(connection, incident.id, channel_ids, "nag", now)


def incident_policy(connection: sa.Connection, incident: Incident) -> escalation.Policy:
    if incident.policy_id is None:
        return store.default_policies(connection, [incident.check_id])[incident.check_id]
    return store.load_policy(connection, incident.policy_id)


def describe_cause(fact: FlipFacts) -> tuple[str, str]:
    """(cause, sentence): `missed` with the expected time, `failed` with the exit status,
    or `started but not finished`."""
    state = fact.state
    # A failure threshold's count comes first: `3rd failure in a row (threshold 3): `.
    counted, reason = split_reason(fact.flip.reason)
    if reason == Reason.MISSED:
        expected = expected_at(fact)
        last = stamp(state.last_ping)
        return "missed", f"{counted}no ping since {last}; expected by {stamp(expected)}"
    if reason == Reason.NOT_FINISHED:
        grace = format_duration(state.grace)
        return "started but not finished", (
            f"{counted}started at {stamp(state.last_start)}, not finished within {grace}"
        )
    return rule_of(reason) or "failed", counted + reason


def expected_at(fact: FlipFacts) -> datetime | None:
    _, reason = split_reason(fact.flip.reason)
    if reason == Reason.MISSED:
        return fact.flip.at - fact.state.grace
    if reason == Reason.NOT_FINISHED:
        return fact.flip.at
    return None


def excerpt(body: bytes | None) -> str:
    """The first lines of the captured output, for the alert."""
    if not body:
        return ""
    text = body.decode("utf-8", errors="replace")
    lines = text.splitlines()[:BODY_EXCERPT_LINES]
    return "\n".join(lines)[:BODY_EXCERPT_CHARS]


def round_seconds(delta: timedelta) -> timedelta:
    return timedelta(seconds=round(delta.total_seconds()))
