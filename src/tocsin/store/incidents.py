"""Queries on incidents, their timeline, policies and the notification outbox.

Synchronous, over a SQLAlchemy `Connection`: they run inside batches (store.fastpath.batch),
in the transaction that writes the flip, and from async code via `run_sync`.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from tocsin.domain.escalation import Policy, Step, default_policy, on_call_then_team
from tocsin.domain.records import (
    UNRESOLVED,
    AlertFlags,
    Event,
    Incident,
    IncidentCheck,
    IncidentFilter,
)
from tocsin.store import heartbeats as heartbeat_store
from tocsin.store import people as people_store
from tocsin.store.fastpath.bulk import insert_many, insert_returning_ids
from tocsin.store.tables import (
    channels,
    check_channels,
    checks,
    incident_events,
    incident_unresolved,
    incidents,
    notifications,
    policies,
    policy_step_channels,
    policy_steps,
)

OPEN = tuple(status.value for status in UNRESOLVED)


def incident_from_row(row: sa.Row[Any]) -> Incident:
    return Incident(**row._mapping)


def incident_of(row: sa.Row[Any]) -> Incident:
    return Incident(**{name: getattr(row, name) for name in Incident.__slots__})


def open_incident(connection: sa.Connection, check_id: int) -> Incident | None:
    query = sa.select(incidents).where(incidents.c.check_id == check_id, incident_unresolved())
    row = connection.execute(query).first()
    return None if row is None else incident_from_row(row)


def get_incident(
    connection: sa.Connection, incident_id: int, *, for_update: bool = False
) -> Incident | None:
    query = sa.select(incidents).where(incidents.c.id == incident_id)
    if for_update:
        query = query.with_for_update()
    row = connection.execute(query).first()
    return None if row is None else incident_from_row(row)


def insert_incidents(connection: sa.Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Insert many incidents at once; their ids, in the order of `rows`."""
    return insert_returning_ids(connection, incidents, rows)


def checks_with_open_incident(connection: sa.Connection, check_ids: list[int]) -> set[int]:
    query = sa.select(incidents.c.check_id).where(
        incidents.c.check_id.in_(check_ids), incident_unresolved()
    )
    return set(connection.scalars(query))


def update_incident(connection: sa.Connection, incident_id: int, **values: Any) -> None:
    connection.execute(incidents.update().where(incidents.c.id == incident_id).values(values))


def event_row(
    incident_id: int,
    kind: str,
    at: datetime,
    *,
    message: str = "",
    actor: str = "",
    channel_id: int | None = None,
    attempt: int | None = None,
) -> dict[str, Any]:
    return {
        "incident_id": incident_id,
        "kind": kind,
        "created": at,
        "message": message,
        "actor": actor,
        "channel_id": channel_id,
        "attempt": attempt,
    }


def add_event(
    connection: sa.Connection, incident_id: int, kind: str, at: datetime, **details: Any
) -> None:
    add_events(connection, [event_row(incident_id, kind, at, **details)])


def add_events(connection: sa.Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        insert_many(connection, incident_events, rows)


def events_of(connection: sa.Connection, incident_id: int) -> list[Event]:
    query = (
        sa.select(incident_events)
        .where(incident_events.c.incident_id == incident_id)
        .order_by(incident_events.c.id)
    )
    return [Event(**row._mapping) for row in connection.execute(query)]


def enqueue(
    connection: sa.Connection,
    incident_id: int | None,
    channel_ids: Iterable[int],
    kind: str,
    at: datetime,
) -> int:
    """Put notifications in the outbox; the notifier delivers them after commit."""
    return enqueue_many(connection, [(incident_id, list(channel_ids))], kind, at)


def enqueue_many(
    connection: sa.Connection,
    wanted: Sequence[tuple[int | None, Sequence[int]]],
    kind: str,
    at: datetime,
) -> int:
    """Notifications of `kind` for (incident, channels) pairs, in one statement."""
    rows = [
        {
            "incident_id": incident_id,
            "channel_id": channel_id,
            "kind": kind,
            "status": "pending",
            "next_attempt_at": at,
            "created": at,
        }
        for incident_id, channel_ids in wanted
        for channel_id in channel_ids
    ]
    if rows:
        insert_many(connection, notifications, rows)
    return len(rows)


def enqueue_people(
    connection: sa.Connection,
    incident_id: int,
    contacts: Sequence[tuple[int, str, str]],
    kind: str,
    at: datetime,
) -> int:
    """Notifications of `kind` to people's contact methods, each with why the person
    is reached (`on call in Primary`) and, for a phone, how (`sms` or `call`)."""
    rows = [
        {
            "incident_id": incident_id,
            "contact_id": contact_id,
            "note": note[:200],
            "method": method,
            "kind": kind,
            "status": "pending",
            "next_attempt_at": at,
            "created": at,
        }
        for contact_id, note, method in contacts
    ]
    if rows:
        insert_many(connection, notifications, rows)
    return len(rows)


def reached_contacts(
    connection: sa.Connection, incident_id: int, statuses: Sequence[str]
) -> list[tuple[int, str, str]]:
    """People's contact methods given a down alert of this incident in one of the
    statuses, each once, with the note and method of its first alert."""
    query = (
        sa.select(notifications.c.contact_id, notifications.c.note, notifications.c.method)
        .where(
            notifications.c.incident_id == incident_id,
            notifications.c.contact_id.is_not(None),
            notifications.c.kind.in_(("down", "nag")),
            notifications.c.status.in_(statuses),
        )
        .order_by(notifications.c.id)
    )
    found: dict[int, tuple[int, str, str]] = {}
    for contact_id, note, method in connection.execute(query):
        found.setdefault(contact_id, (contact_id, note, method))
    return list(found.values())


def notified_channels(connection: sa.Connection, incident_id: int) -> list[int]:
    """Channels a down alert of this incident reached, or may have (mid-delivery)."""
    query = (
        sa.select(notifications.c.channel_id)
        .where(
            notifications.c.incident_id == incident_id,
            notifications.c.channel_id.is_not(None),
            notifications.c.kind.in_(("down", "nag")),
            notifications.c.status.in_(("sent", "sending")),
        )
        .distinct()
        .order_by(notifications.c.channel_id)
    )
    return list(connection.scalars(query))


def acknowledging_channels(
    connection: sa.Connection, incident_id: int, kinds: Iterable[str]
) -> list[int]:
    """Channels a down alert of this incident reached (or may have) that hear of an
    acknowledgement: those of `kinds`, and those holding a receipt to cancel. A
    receipt still on its way (the alert is mid-delivery) is missed: the alert then
    repeats until it is acknowledged on the phone, or until the incident resolves."""
    query = (
        sa.select(notifications.c.channel_id)
        .join(channels, channels.c.id == notifications.c.channel_id)
        .where(
            notifications.c.incident_id == incident_id,
            notifications.c.kind.in_(("down", "nag")),
            notifications.c.status.in_(("sent", "sending")),
            sa.or_(channels.c.kind.in_(list(kinds)), notifications.c.receipt.is_not(None)),
        )
        .distinct()
        .order_by(notifications.c.channel_id)
    )
    return list(connection.scalars(query))


def alerted_channels(connection: sa.Connection, incident_id: int) -> list[int]:
    """Channels given a down alert for this incident, delivered or not yet."""
    query = (
        sa.select(notifications.c.channel_id)
        .where(
            notifications.c.incident_id == incident_id,
            notifications.c.channel_id.is_not(None),
            notifications.c.kind == "down",
        )
        .distinct()
        .order_by(notifications.c.channel_id)
    )
    return list(connection.scalars(query))


def cancel_pending(connection: sa.Connection, incident_id: int, kinds: Sequence[str]) -> int:
    """Alerts not yet handed to a channel are moot once the incident resolves."""
    statement = (
        notifications.update()
        .where(
            notifications.c.incident_id == incident_id,
            notifications.c.kind.in_(kinds),
            notifications.c.status == "pending",
        )
        .values(status="cancelled")
    )
    return connection.execute(statement).rowcount


def check_policies(
    connection: sa.Connection, check_ids: list[int]
) -> dict[int, tuple[int | None, Policy]]:
    """Each check's policy, or the default one over its enabled channels; each policy
    is read once however many checks use it."""
    query = sa.select(checks.c.id, checks.c.policy_id).where(checks.c.id.in_(check_ids))
    policy_of: dict[int, int | None] = {row.id: row.policy_id for row in connection.execute(query)}
    defaults = default_policies(connection, [c for c, p in policy_of.items() if p is None])
    loaded = {p: load_policy(connection, p) for p in set(policy_of.values()) if p is not None}
    return {
        check_id: (None, defaults[check_id])
        if policy_id is None
        else (policy_id, loaded[policy_id])
        for check_id, policy_id in policy_of.items()
    }


def default_policies(connection: sa.Connection, check_ids: list[int]) -> dict[int, Policy]:
    """The policy of each check that names none: its enabled channels at once, and,
    with Better Stack's simple alerting set, whoever is on call then the team."""
    channel_ids = channels_of_checks(connection, check_ids)
    flags = heartbeat_store.alert_flags(connection, check_ids)
    return {
        check_id: simple_policy(channel_ids.get(check_id, []), flags.get(check_id))
        for check_id in check_ids
    }


def simple_policy(channel_ids: list[int], flags: AlertFlags | None) -> Policy:
    if flags is None:
        return default_policy(channel_ids)
    return on_call_then_team(channel_ids, flags.methods, flags.team_wait)


def check_channel_ids(connection: sa.Connection, check_id: int) -> list[int]:
    return channels_of_checks(connection, [check_id]).get(check_id, [])


def channels_of_checks(connection: sa.Connection, check_ids: list[int]) -> dict[int, list[int]]:
    """The enabled channels of each check."""
    if not check_ids:
        return {}
    query = (
        sa.select(check_channels.c.check_id, check_channels.c.channel_id)
        .join(channels, channels.c.id == check_channels.c.channel_id)
        .where(check_channels.c.check_id.in_(check_ids), channels.c.disabled.is_(False))
        .order_by(check_channels.c.check_id, check_channels.c.channel_id)
    )
    found: dict[int, list[int]] = {}
    for check_id, channel_id in connection.execute(query):
        found.setdefault(check_id, []).append(channel_id)
    return found


def load_policy(connection: sa.Connection, policy_id: int) -> Policy:
    row = connection.execute(sa.select(policies).where(policies.c.id == policy_id)).one()
    query = (
        sa.select(policy_steps.c.id, policy_steps.c.wait_before, policy_step_channels.c.channel_id)
        .outerjoin(policy_step_channels, policy_step_channels.c.step_id == policy_steps.c.id)
        .where(policy_steps.c.policy_id == policy_id)
        .order_by(policy_steps.c.position, policy_step_channels.c.channel_id)
    )
    steps: dict[int, Step] = {}
    for step_id, wait_before, channel_id in connection.execute(query):
        step = steps.setdefault(step_id, Step(timedelta(seconds=wait_before)))
        if channel_id is not None:
            step.channel_ids.append(channel_id)
    reaches = people_store.reaches_of(connection, list(steps))
    for step_id, step in steps.items():
        step.reach = reaches[step_id]
    nag = None if row.nag_interval is None else timedelta(seconds=row.nag_interval)
    return Policy(list(steps.values()), row.repeat_count, timedelta(seconds=row.repeat_delay), nag)


def due_incidents(
    connection: sa.Connection,
    column: sa.Column[Any],
    now: datetime,
    limit: int,
    *,
    skip_locked: bool,
) -> list[Incident]:
    """Open incidents whose escalation step (or nag) is due, by a partial index."""
    query = (
        sa.select(incidents).where(column.is_not(None), column <= now).order_by(column).limit(limit)
    )
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    return [incident_from_row(row) for row in connection.execute(query)]


def earliest_timer(connection: sa.Connection) -> datetime | None:
    """The next escalation step or nag of any incident."""
    found: list[datetime] = []
    for column in (incidents.c.next_escalation_at, incidents.c.next_nag_at):
        query = sa.select(column).where(column.is_not(None)).order_by(column).limit(1)
        value = connection.scalar(query)
        if value is not None:
            found.append(value)
    return min(found, default=None)


def project_incidents(
    connection: sa.Connection,
    project_id: int,
    chosen: IncidentFilter | None = None,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> list[tuple[Incident, IncidentCheck]]:
    """The project's incidents with their check, newest opened first; `limit` and
    `offset` take one page of them in the database, not in Python."""
    query = listing(project_id, chosen).order_by(
        incidents.c.opened_at.desc(), incidents.c.id.desc()
    )
    return listed(connection, query.limit(limit).offset(offset or None))


def project_incidents_by_id(
    connection: sa.Connection, project_id: int, chosen: IncidentFilter, limit: int
) -> list[tuple[Incident, IncidentCheck]]:
    """Highest id first, for lists paged by a cursor holding the last id shown."""
    query = listing(project_id, chosen).order_by(incidents.c.id.desc()).limit(limit)
    return listed(connection, query)


def count_project_incidents(
    connection: sa.Connection, project_id: int, chosen: IncidentFilter | None = None
) -> int:
    conditions = listing_conditions(project_id, chosen)
    query = sa.select(sa.func.count()).select_from(incidents.join(checks)).where(*conditions)
    return int(connection.execute(query).scalar_one())


def listing(project_id: int, chosen: IncidentFilter | None) -> sa.Select[Any]:
    return (
        sa.select(incidents, checks.c.uuid.label("check_uuid"), checks.c.name.label("check_name"))
        .join(checks, checks.c.id == incidents.c.check_id)
        .where(*listing_conditions(project_id, chosen))
    )


def listing_conditions(
    project_id: int, chosen: IncidentFilter | None
) -> list[sa.ColumnElement[bool]]:
    return [incidents.c.project_id == project_id, *filter_conditions(chosen or IncidentFilter())]


def listed(
    connection: sa.Connection, query: sa.Select[Any]
) -> list[tuple[Incident, IncidentCheck]]:
    return [
        (incident_of(row), IncidentCheck(row.check_uuid, row.check_name))
        for row in connection.execute(query)
    ]


def project_incident_signature(
    connection: sa.Connection, project_id: int
) -> tuple[int, int | None]:
    """How many incidents the project has and its newest timeline entry: cheap to poll,
    and different after any incident opens, is acknowledged, commented, resolved or
    deleted."""
    count = sa.select(sa.func.count()).where(incidents.c.project_id == project_id)
    newest = (
        sa.select(sa.func.max(incident_events.c.id))
        .join(incidents, incidents.c.id == incident_events.c.incident_id)
        .where(incidents.c.project_id == project_id)
    )
    row = connection.execute(sa.select(count.scalar_subquery(), newest.scalar_subquery())).one()
    return int(row[0]), row[1]


def incident_check(connection: sa.Connection, incident: Incident) -> IncidentCheck:
    query = sa.select(checks.c.uuid, checks.c.name).where(checks.c.id == incident.check_id)
    row = connection.execute(query).one()
    return IncidentCheck(row.uuid, row.name)


def filter_conditions(chosen: IncidentFilter) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if chosen.opened_from is not None:
        conditions.append(incidents.c.opened_at >= chosen.opened_from)
    if chosen.opened_before is not None:
        conditions.append(incidents.c.opened_at < chosen.opened_before)
    if chosen.resolved is not None:
        resolved = incidents.c.status == "resolved"
        conditions.append(resolved if chosen.resolved else ~resolved)
    if chosen.acknowledged is not None:
        acknowledged = incidents.c.acknowledged_at.is_not(None)
        conditions.append(acknowledged if chosen.acknowledged else ~acknowledged)
    if chosen.check_ids is not None:
        conditions.append(incidents.c.check_id.in_(chosen.check_ids))
    if chosen.check_uuid is not None:
        conditions.append(checks.c.uuid == chosen.check_uuid)
    if chosen.statuses is not None:
        conditions.append(incidents.c.status.in_(chosen.statuses))
    if chosen.below_id is not None:
        conditions.append(incidents.c.id < chosen.below_id)
    return conditions


def delete_incident(connection: sa.Connection, incident_id: int) -> None:
    """With its timeline and outbox rows (their foreign keys cascade)."""
    connection.execute(incidents.delete().where(incidents.c.id == incident_id))
