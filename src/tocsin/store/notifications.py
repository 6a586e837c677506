"""The outbox: claiming due notifications, and recording how delivery went.

Synchronous, over a SQLAlchemy `Connection`, run in batches (store.fastpath.batch)."""

from datetime import datetime
from itertools import groupby
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from tocsin.domain.identifiers import ALPHANUMERIC, random_string
from tocsin.domain.records import AlertedIncident, Delivery, PersonAddress
from tocsin.store.dependencies import held_children_by_uuid
from tocsin.store.incidents import add_event, add_events, event_row
from tocsin.store.tables import (
    channels,
    checks,
    contact_methods,
    incidents,
    instance,
    notification_is,
    notifications,
    users,
)

INCIDENT_FIELDS = [name for name in AlertedIncident.__slots__ if name != "id"]


def claim_due(
    connection: sa.Connection,
    now: datetime,
    lease_until: datetime,
    limit: int,
    *,
    skip_locked: bool,
) -> list[Delivery]:
    """Take up to `limit` notifications that are due, or whose sender's lease ran out
    (it crashed mid-delivery). The conditional update is the claim: no two senders
    hold one notification at once."""
    pending = (
        sa.select(notifications.c.id)
        .where(notification_is("pending"), notifications.c.next_attempt_at <= now)
        .order_by(notifications.c.next_attempt_at)
        .limit(limit)
    )
    lapsed = (
        sa.select(notifications.c.id)
        .where(notification_is("sending"), notifications.c.claimed_until < now)
        .order_by(notifications.c.claimed_until)
        .limit(limit)
    )
    if skip_locked:
        pending = pending.with_for_update(skip_locked=True)
        lapsed = lapsed.with_for_update(skip_locked=True)
    ids = list(connection.scalars(pending))
    if len(ids) < limit:
        ids += list(connection.scalars(lapsed.limit(limit - len(ids))))
    if not ids:
        return []
    claimed = connection.execute(
        notifications.update()
        .where(notifications.c.id.in_(ids))
        .values(status="sending", attempts=notifications.c.attempts + 1, claimed_until=lease_until)
        .returning(notifications.c.id)
    )
    return deliveries(connection, [row.id for row in claimed], lease_until)


def deliveries(connection: sa.Connection, ids: list[int], lease_until: datetime) -> list[Delivery]:
    """The claimed notifications with their channel (or person's contact method), check
    and incident: one query."""
    query = (
        sa.select(
            notifications.c.id,
            notifications.c.attempts,
            notifications.c.created,
            notifications.c.kind,
            notifications.c.channel_id,
            sa.func.coalesce(channels.c.uuid, contact_methods.c.uuid).label("channel_uuid"),
            channels.c.kind.label("channel_kind"),
            channels.c.name.label("channel_name"),
            channels.c.config,
            notifications.c.incident_id,
            checks.c.name.label("check_name"),
            checks.c.uuid.label("check_uuid"),
            checks.c.tags.label("check_tags"),
            *(incidents.c[name] for name in INCIDENT_FIELDS),
            notifications.c.contact_id,
            contact_methods.c.kind.label("contact_kind"),
            contact_methods.c.address,
            users.c.email,
            notifications.c.note,
            notifications.c.method,
        )
        .outerjoin(channels, channels.c.id == notifications.c.channel_id)
        .outerjoin(contact_methods, contact_methods.c.id == notifications.c.contact_id)
        .outerjoin(users, users.c.id == contact_methods.c.user_id)
        .outerjoin(incidents, incidents.c.id == notifications.c.incident_id)
        .outerjoin(checks, checks.c.id == incidents.c.check_id)
        .where(notifications.c.id.in_(ids))
        .order_by(notifications.c.id)
    )
    found = [delivery(row, lease_until) for row in connection.execute(query)]
    add_receipts(connection, found)
    add_holding(connection, found)
    return found


def add_holding(connection: sa.Connection, items: list[Delivery]) -> None:
    """Give each alert and reminder the checks its incident's check holds (their own
    incidents held while it is down, domain.dependencies): one query, only when there
    are such notifications (the incident, with its check, came with the claim)."""
    holding = [item for item in items if item.kind in HOLDING_KINDS and item.incident]
    if not holding:
        return
    held = held_children_by_uuid(connection, list({item.check_uuid for item in holding}))
    for item in holding:
        item.holding = tuple(held.get(item.check_uuid, ()))


HOLDING_KINDS = ("down", "nag")


FOLLOW_UPS = ("ack", "up")  # the notifications that cancel what alerts left


def add_receipts(connection: sa.Connection, items: list[Delivery]) -> None:
    """Give each acknowledgement and recovery the receipts its incident's alerts to
    the same channel left; one query, only when there are such notifications."""
    wanted = {
        (item.incident.id, item.channel_id)
        for item in items
        if item.kind in FOLLOW_UPS and item.incident is not None and item.channel_id is not None
    }
    if not wanted:
        return
    query = (
        sa.select(notifications.c.incident_id, notifications.c.channel_id, notifications.c.receipt)
        .where(
            notifications.c.incident_id.in_({incident for incident, _ in wanted}),
            notifications.c.receipt.is_not(None),
        )
        .order_by(notifications.c.id)
    )
    receipts: dict[tuple[int, int], list[str]] = {}
    for row in connection.execute(query):
        receipts.setdefault((row.incident_id, row.channel_id), []).append(row.receipt)
    for item in items:
        if item.kind in FOLLOW_UPS and item.incident is not None and item.channel_id is not None:
            item.receipts = tuple(receipts.get((item.incident.id, item.channel_id), ()))


def keep_receipts(connection: sa.Connection, receipts: dict[int, str]) -> None:
    """What delivered notifications' services answered that a later one needs."""
    for notification_id, receipt in receipts.items():
        connection.execute(
            notifications.update()
            .where(notifications.c.id == notification_id)
            .values(receipt=receipt[:64])
        )


PERSON_COLUMNS = 6


def delivery(row: Any, lease_until: datetime) -> Delivery:
    # By position: a burst of alerts builds thousands of these.
    (notification_id, attempts, created, kind, channel_id, channel_uuid) = row[:6]
    channel_kind, channel_name, config = row[6:9]
    incident_id, check_name, check_uuid, check_tags, *incident_values = row[9:-PERSON_COLUMNS]
    contact_id, contact_kind, address, email, note, method = row[-PERSON_COLUMNS:]
    incident = None
    if incident_id is not None:
        incident = AlertedIncident(incident_id, *incident_values)
    person = None
    if contact_id is not None:
        person = PersonAddress(contact_id, contact_kind, address, email, note, method)
    return Delivery(
        notification_id=notification_id,
        attempt=attempts,
        lease_until=lease_until,
        created=created,
        kind=kind,
        channel_id=channel_id,
        channel_uuid=channel_uuid,
        channel_kind=channel_kind or "",
        channel_name=channel_name or "",
        channel_config=config or "{}",
        check_name=check_name or "",
        check_uuid=check_uuid or UUID(int=0),
        check_tags=check_tags or "",
        incident=incident,
        person=person,
    )


def mark_sent(connection: sa.Connection, items: list[Delivery], now: datetime) -> list[Delivery]:
    """Record deliveries, except those whose lease ran out and another sender took over
    (they are still `sending`, but with another lease), and those recorded already.
    Returns the ones recorded."""
    confirmed: set[int] = set()
    for lease, claim in groupby(sorted(items, key=lease_of), key=lease_of):
        confirmed |= set(
            connection.scalars(
                notifications.update()
                .where(
                    notifications.c.id.in_([item.notification_id for item in claim]),
                    notifications.c.status == "sending",
                    notifications.c.claimed_until == lease,
                )
                .values(status="sent", sent_at=now, claimed_until=None, last_error="")
                .returning(notifications.c.id)
            )
        )
    recorded = [item for item in items if item.notification_id in confirmed]
    if working := {item.channel_id for item in recorded if item.channel_id is not None}:
        # The channel works again: it is no longer failing.
        connection.execute(
            channels.update()
            .where(channels.c.id.in_(working))
            .values(last_notified=now, last_error="", last_error_at=None)
        )
    if reached := {item.person.contact_id for item in recorded if item.person is not None}:
        connection.execute(
            contact_methods.update().where(contact_methods.c.id.in_(reached)).values(last_error="")
        )
    add_events(
        connection,
        [
            event_row(
                item.incident.id,
                "notified",
                now,
                channel_id=item.channel_id,
                attempt=item.attempt,
                message=sent_words(item),
            )
            for item in recorded
            if item.incident is not None
        ],
    )
    return recorded


def sent_words(item: Delivery) -> str:
    """`down alert sent to Ops Slack`, or for a person `down alert: emailed
    alice@example.com (on call in Primary)`."""
    if item.person is not None:
        return f"{what_is_sent(item.kind)}: {item.person.reached}"
    return f"{what_is_sent(item.kind)} sent to {item.channel_label}"


def what_is_sent(kind: str) -> str:
    """How the timeline names a notification: `down alert`, `acknowledgement`."""
    return "acknowledgement" if kind == "ack" else f"{kind} alert"


def lease_of(item: Delivery) -> datetime:
    return item.lease_until


def mark_failed(
    connection: sa.Connection,
    item: Delivery,
    now: datetime,
    error: str,
    retry_at: datetime | None,
) -> bool:
    """A failed attempt: try again at `retry_at`, or give up when it is None. The
    channel is failing from its first failure since it last delivered."""
    status = "failed" if retry_at is None else "pending"
    statement = (
        notifications.update()
        .where(
            notifications.c.id == item.notification_id,
            notifications.c.status == "sending",
            notifications.c.attempts == item.attempt,
        )
        .values(
            status=status,
            claimed_until=None,
            last_error=error[:500],
            next_attempt_at=retry_at or now,
        )
    )
    if connection.execute(statement).rowcount != 1:
        return False
    if item.person is not None:
        connection.execute(
            contact_methods.update()
            .where(contact_methods.c.id == item.person.contact_id)
            .values(last_error=error[:500])
        )
    else:
        connection.execute(
            channels.update()
            .where(channels.c.id == item.channel_id)
            .values(
                last_error=error[:500],
                last_error_at=sa.func.coalesce(
                    channels.c.last_error_at, sa.literal(now, channels.c.last_error_at.type)
                ),
            )
        )
    if item.incident is not None and (retry_at is None or worth_telling(item.attempt)):
        add_failure_event(connection, item, now, error, retry_at)
    return True


def worth_telling(attempt: int) -> bool:
    """Whether a failed attempt that will be retried goes on the incident's timeline:
    the 1st, 2nd, 4th, 8th … A channel down for a day is retried about 150 times;
    a line for each would bury the rest of the incident."""
    return attempt & (attempt - 1) == 0


def add_failure_event(
    connection: sa.Connection,
    item: Delivery,
    now: datetime,
    error: str,
    retry_at: datetime | None,
) -> None:
    assert item.incident is not None
    what = f"{what_is_sent(item.kind)} to {item.channel_label}"
    if item.person is not None and item.person.note:
        what += f" ({item.person.note})"
    if retry_at is None:
        kind, text = "notify_gave_up", f"{what} given up after attempt {item.attempt}: {error}"
    else:
        kind, text = "notify_failed", f"{what} failed: {error}; retrying at {retry_at:%H:%M:%S} UTC"
    add_event(
        connection,
        item.incident.id,
        kind,
        now,
        channel_id=item.channel_id,
        attempt=item.attempt,
        message=text,
    )


def earliest_due(connection: sa.Connection) -> datetime | None:
    """When the next notification is due, or a lease runs out."""
    # Each is the first entry of its partial index.
    pending = connection.scalar(
        sa.select(sa.func.min(notifications.c.next_attempt_at)).where(notification_is("pending"))
    )
    leased = connection.scalar(
        sa.select(sa.func.min(notifications.c.claimed_until)).where(notification_is("sending"))
    )
    return min((v for v in (pending, leased) if v is not None), default=None)


def secret_key(connection: sa.Connection) -> str:
    """The deployment's signing key, made on first use."""
    found = connection.scalar(sa.select(instance.c.secret_key).where(instance.c.id == 1))
    if found is not None:
        return str(found)
    key = random_string(ALPHANUMERIC, 64)
    connection.execute(instance.insert().values(id=1, secret_key=key))
    return key
