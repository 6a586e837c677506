"""People's contact methods, the targets of escalation steps, and who is in a project."""

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tocsin.domain.people import (
    ActiveHours,
    Contact,
    ContactKind,
    Method,
    Reach,
    Target,
    TargetKind,
    from_minutes,
    methods_text,
    minutes,
    parse_methods,
)
from tocsin.store.tables import (
    channels,
    contact_methods,
    memberships,
    policy_step_targets,
    policy_steps,
    users,
)


def hours_columns(hours: ActiveHours | None) -> dict[str, Any]:
    if hours is None:
        return {"active_from": None, "active_to": None, "active_tz": "UTC"}
    return {
        "active_from": minutes(hours.start),
        "active_to": minutes(hours.end),
        "active_tz": hours.zone,
    }


def hours_of(row: Any) -> ActiveHours | None:
    if row.active_from is None or row.active_to is None:
        return None
    return ActiveHours(from_minutes(row.active_from), from_minutes(row.active_to), row.active_tz)


def contact_from_row(row: Any) -> Contact:
    return Contact(
        id=row.id,
        user_id=row.user_id,
        kind=ContactKind(row.kind),
        address=row.address,
        verified=row.verified,
        hours=hours_of(row),
        last_error=row.last_error,
        created=row.created,
        uuid=row.uuid,
    )


def insert_contact(
    connection: sa.Connection,
    user_id: int,
    kind: ContactKind,
    address: str,
    now: datetime,
    *,
    verified: datetime | None,
    hours: ActiveHours | None,
) -> int:
    values = {
        "user_id": user_id,
        "uuid": uuid.uuid4(),
        "kind": kind.value,
        "address": address,
        "verified": verified,
        "created": now,
        **hours_columns(hours),
    }
    inserted = connection.execute(
        contact_methods.insert().values(values).returning(contact_methods.c.id)
    ).scalar_one()
    return int(inserted)


def contacts_of(connection: sa.Connection, user_ids: list[int]) -> dict[int, list[Contact]]:
    """Each person's contact methods, in the order they were added."""
    if not user_ids:
        return {}
    query = (
        sa.select(contact_methods)
        .where(contact_methods.c.user_id.in_(user_ids))
        .order_by(contact_methods.c.id)
    )
    found: dict[int, list[Contact]] = {user_id: [] for user_id in user_ids}
    for row in connection.execute(query):
        found[row.user_id].append(contact_from_row(row))
    return found


def contact(connection: sa.Connection, contact_id: int) -> Contact | None:
    row = connection.execute(
        sa.select(contact_methods).where(contact_methods.c.id == contact_id)
    ).first()
    return None if row is None else contact_from_row(row)


def find_contact(
    connection: sa.Connection, user_id: int, kind: ContactKind, address: str
) -> Contact | None:
    row = connection.execute(
        sa.select(contact_methods).where(
            contact_methods.c.user_id == user_id,
            contact_methods.c.kind == kind.value,
            contact_methods.c.address == address,
        )
    ).first()
    return None if row is None else contact_from_row(row)


def update_contact(connection: sa.Connection, contact_id: int, **values: Any) -> None:
    connection.execute(
        contact_methods.update().where(contact_methods.c.id == contact_id).values(values)
    )


def delete_contact(connection: sa.Connection, contact_id: int) -> None:
    connection.execute(contact_methods.delete().where(contact_methods.c.id == contact_id))


def member_ids(connection: sa.Connection, project_id: int) -> list[int]:
    """The project's members, by the order they got accounts."""
    query = (
        sa.select(memberships.c.user_id)
        .where(memberships.c.project_id == project_id)
        .order_by(memberships.c.user_id)
    )
    return list(connection.scalars(query))


def emails_of(connection: sa.Connection, user_ids: list[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    query = sa.select(users.c.id, users.c.email).where(users.c.id.in_(user_ids))
    return {row.id: row.email for row in connection.execute(query)}


def channels_of_kind(connection: sa.Connection, project_id: int, kind: str) -> list[int]:
    """The project's enabled channels of a kind, read when a step runs."""
    query = (
        sa.select(channels.c.id)
        .where(
            channels.c.project_id == project_id,
            channels.c.kind == kind,
            channels.c.disabled.is_(False),
        )
        .order_by(channels.c.id)
    )
    return list(connection.scalars(query))


# Step targets


def step_columns(reach: Reach) -> dict[str, Any]:
    return {"methods": methods_text(reach.methods), **hours_columns(reach.hours)}


def insert_targets(connection: sa.Connection, step_id: int, targets: tuple[Target, ...]) -> None:
    rows = [
        {
            "step_id": step_id,
            "position": position,
            "kind": target.kind.value,
            "user_id": target.user_id,
            "calendar_id": target.calendar_id,
            "user_ids": ",".join(str(i) for i in target.user_ids),
            "channel_kind": target.channel_kind,
        }
        for position, target in enumerate(targets)
    ]
    if rows:
        connection.execute(policy_step_targets.insert(), rows)


def target_from_row(row: Any) -> Target:
    return Target(
        kind=TargetKind(row.kind),
        user_id=row.user_id,
        calendar_id=row.calendar_id,
        user_ids=tuple(int(i) for i in row.user_ids.split(",") if i),
        channel_kind=row.channel_kind,
    )


def reaches_of(connection: sa.Connection, step_ids: list[int]) -> dict[int, Reach]:
    """Each step's targets, methods and hours, by step id."""
    if not step_ids:
        return {}
    steps = connection.execute(
        sa.select(
            policy_steps.c.id,
            policy_steps.c.methods,
            policy_steps.c.active_from,
            policy_steps.c.active_to,
            policy_steps.c.active_tz,
        ).where(policy_steps.c.id.in_(step_ids))
    ).all()
    targets: dict[int, list[Target]] = {step_id: [] for step_id in step_ids}
    query = (
        sa.select(policy_step_targets)
        .where(policy_step_targets.c.step_id.in_(step_ids))
        .order_by(policy_step_targets.c.step_id, policy_step_targets.c.position)
    )
    for row in connection.execute(query):
        targets[row.step_id].append(target_from_row(row))
    return {
        row.id: Reach(tuple(targets[row.id]), methods_of(row.methods), hours_of(row), row.id)
        for row in steps
    }


def methods_of(text: str) -> frozenset[Method]:
    try:
        return parse_methods(text)
    except ValueError:
        return frozenset()


def take_turn(connection: sa.Connection, step_id: int, position: int) -> int:
    """The next turn of a round robin target of the step (0 for its first), taken in one
    statement, so two watchers running the step at once never take the same turn."""
    taken = connection.execute(
        policy_step_targets.update()
        .where(policy_step_targets.c.step_id == step_id, policy_step_targets.c.position == position)
        .values(last_index=policy_step_targets.c.last_index + 1)
        .returning(policy_step_targets.c.last_index)
    ).scalar()
    return 0 if taken is None else int(taken)
