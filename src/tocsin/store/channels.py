"""Queries on channels and escalation policies, and which checks use them.

Store query functions are synchronous, over a SQLAlchemy `Connection`; async code
reaches them through `store.database.Database` (`read_with`, `write_with`, or
`run_sync` inside its `read()`/`write()` transactions)."""

import json
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa

from tocsin.domain.people import Reach
from tocsin.domain.records import ChannelRow, PolicyRow
from tocsin.store import people as people_store
from tocsin.store.tables import (
    channels,
    check_channels,
    checks,
    policies,
    policy_step_channels,
    policy_steps,
)

Label = TypeVar("Label")


def channel_from_row(row: sa.Row[Any]) -> ChannelRow:
    values = dict(row._mapping)
    values["config"] = json.loads(values["config"])
    return ChannelRow(**values)


def insert_channel(
    connection: sa.Connection,
    project_id: int,
    kind: str,
    name: str,
    config: dict[str, Any],
    now: datetime,
    *,
    assign_to_all_checks: bool,
) -> ChannelRow:
    values = {
        "project_id": project_id,
        "uuid": uuid.uuid4(),
        "name": name,
        "kind": kind,
        "config": json.dumps(config),
        "created": now,
    }
    row = connection.execute(channels.insert().values(values).returning(channels)).one()
    if assign_to_all_checks:
        project_checks = sa.select(checks.c.id, sa.literal(row.id)).where(
            checks.c.project_id == project_id
        )
        connection.execute(
            check_channels.insert().from_select(["check_id", "channel_id"], project_checks)
        )
    return channel_from_row(row)


def list_channels(connection: sa.Connection) -> list[ChannelRow]:
    query = sa.select(channels).order_by(channels.c.created, channels.c.id)
    return [channel_from_row(row) for row in connection.execute(query)]


def channels_named(connection: sa.Connection, identifier: str) -> list[ChannelRow]:
    """Channels whose uuid, name or kind is `identifier`."""
    try:
        condition = channels.c.uuid == uuid.UUID(identifier)
    except ValueError:
        condition = (channels.c.name == identifier) | (channels.c.kind == identifier)
    query = sa.select(channels).where(condition).order_by(channels.c.id)
    return [channel_from_row(row) for row in connection.execute(query)]


def channel_by_uuid(connection: sa.Connection, channel_uuid: uuid.UUID) -> ChannelRow | None:
    row = connection.execute(sa.select(channels).where(channels.c.uuid == channel_uuid)).first()
    return None if row is None else channel_from_row(row)


def update_channel(
    connection: sa.Connection, channel_id: int, kind: str, config: dict[str, Any]
) -> None:
    values = {"kind": kind, "config": json.dumps(config)}
    connection.execute(channels.update().where(channels.c.id == channel_id).values(values))


def delete_channel(connection: sa.Connection, channel_id: int) -> None:
    connection.execute(channels.delete().where(channels.c.id == channel_id))


def insert_policy(
    connection: sa.Connection,
    project_id: int,
    name: str,
    steps: list[tuple[timedelta, list[int]]],
    now: datetime,
    *,
    repeat_count: int = 0,
    repeat_delay: timedelta = timedelta(0),
    nag_interval: timedelta | None = None,
    reaches: list[Reach] | None = None,
) -> int:
    values = policy_values(name, repeat_count, repeat_delay, nag_interval)
    policy_id = connection.execute(
        policies.insert()
        .values(project_id=project_id, created=now, **values)
        .returning(policies.c.id)
    ).scalar_one()
    insert_steps(connection, policy_id, steps, reaches)
    return int(policy_id)


def policy_values(
    name: str, repeat_count: int, repeat_delay: timedelta, nag_interval: timedelta | None
) -> dict[str, Any]:
    return {
        "name": name,
        "repeat_count": repeat_count,
        "repeat_delay": seconds(repeat_delay),
        "nag_interval": None if nag_interval is None else seconds(nag_interval),
    }


def insert_steps(
    connection: sa.Connection,
    policy_id: int,
    steps: list[tuple[timedelta, list[int]]],
    reaches: list[Reach] | None = None,
) -> None:
    """The steps, each with its channels and, from `reaches` by position (missing:
    nobody else), its people targets, methods and hours."""
    for position, (wait_before, channel_ids) in enumerate(steps):
        reach = reaches[position] if reaches and position < len(reaches) else Reach()
        step_id = connection.execute(
            policy_steps.insert()
            .values(
                policy_id=policy_id,
                position=position,
                wait_before=seconds(wait_before),
                **people_store.step_columns(reach),
            )
            .returning(policy_steps.c.id)
        ).scalar_one()
        rows = [{"step_id": step_id, "channel_id": c} for c in channel_ids]
        if rows:
            connection.execute(policy_step_channels.insert(), rows)
        people_store.insert_targets(connection, step_id, reach.targets)


def update_policy(
    connection: sa.Connection,
    policy_id: int,
    values: dict[str, Any],
    steps: list[tuple[timedelta, list[int]]] | None,
    reaches: list[Reach] | None = None,
) -> None:
    """New settings (column values) and, unless None, a new list of steps. Incidents
    already escalating keep their place: the watcher reads the policy at each step."""
    if values:
        connection.execute(policies.update().where(policies.c.id == policy_id).values(values))
    if steps is not None:
        connection.execute(policy_steps.delete().where(policy_steps.c.policy_id == policy_id))
        insert_steps(connection, policy_id, steps, reaches)


def project_policies(
    connection: sa.Connection, project_id: int, policy_id: int | None = None
) -> list[PolicyRow[uuid.UUID]]:
    """A project's policies as an API shows them: steps name their channels by uuid."""
    query = sa.select(policies).where(policies.c.project_id == project_id)
    if policy_id is not None:
        query = query.where(policies.c.id == policy_id)
    rows = connection.execute(query.order_by(policies.c.id)).all()
    return [policy_row(connection, row, channels.c.uuid) for row in rows]


def policy_names(connection: sa.Connection, project_id: int) -> dict[int, str]:
    """The project's policies by id, oldest first."""
    query = (
        sa.select(policies.c.id, policies.c.name)
        .where(policies.c.project_id == project_id)
        .order_by(policies.c.id)
    )
    return {row.id: row.name for row in connection.execute(query)}


def list_policies(connection: sa.Connection) -> list[PolicyRow[str]]:
    """Every policy as the command line shows it: channels by name, or kind if unnamed."""
    rows = connection.execute(sa.select(policies).order_by(policies.c.id)).all()
    label = sa.func.coalesce(sa.func.nullif(channels.c.name, ""), channels.c.kind)
    return [policy_row(connection, row, label) for row in rows]


def policy_row(
    connection: sa.Connection, row: sa.Row[Any], label: sa.ColumnElement[Label]
) -> PolicyRow[Label]:
    query = (
        sa.select(policy_steps.c.id, policy_steps.c.wait_before, label)
        .outerjoin(policy_step_channels, policy_step_channels.c.step_id == policy_steps.c.id)
        .outerjoin(channels, channels.c.id == policy_step_channels.c.channel_id)
        .where(policy_steps.c.policy_id == row.id)
        .order_by(policy_steps.c.position, channels.c.id)
    )
    steps: dict[int, tuple[timedelta, list[Label]]] = {}
    for step_id, wait_before, channel in connection.execute(query):
        step = steps.setdefault(step_id, (timedelta(seconds=wait_before), []))
        if channel is not None:
            step[1].append(channel)
    nag = None if row.nag_interval is None else timedelta(seconds=row.nag_interval)
    reaches = people_store.reaches_of(connection, list(steps))
    return PolicyRow(
        row.id,
        row.name,
        row.repeat_count,
        timedelta(seconds=row.repeat_delay),
        nag,
        list(steps.values()),
        [replace(reaches[step_id], step_id=None) for step_id in steps],
    )


def policies_named(connection: sa.Connection, name: str) -> list[int]:
    return list(connection.scalars(sa.select(policies.c.id).where(policies.c.name == name)))


def policy_project(connection: sa.Connection, policy_id: int) -> int | None:
    found = connection.scalar(sa.select(policies.c.project_id).where(policies.c.id == policy_id))
    return None if found is None else int(found)


def delete_policy(connection: sa.Connection, policy_id: int) -> None:
    connection.execute(policies.delete().where(policies.c.id == policy_id))


def set_check_policy(connection: sa.Connection, check_id: int, policy_id: int | None) -> None:
    connection.execute(checks.update().where(checks.c.id == check_id).values(policy_id=policy_id))


def check_policies(connection: sa.Connection, project_id: int) -> dict[int, int]:
    """The policy of each check of a project that has one, by check id."""
    query = sa.select(checks.c.id, checks.c.policy_id).where(
        (checks.c.project_id == project_id) & checks.c.policy_id.is_not(None)
    )
    return {row.id: row.policy_id for row in connection.execute(query)}


def seconds(delta: timedelta) -> int:
    return round(delta.total_seconds())


def project_channels(connection: sa.Connection, project_id: int) -> list[ChannelRow]:
    query = (
        sa.select(channels)
        .where(channels.c.project_id == project_id)
        .order_by(channels.c.created, channels.c.id)
    )
    return [channel_from_row(row) for row in connection.execute(query)]


def channel_uuids(
    connection: sa.Connection, *, project_id: int | None = None, check_id: int | None = None
) -> dict[int, list[uuid.UUID]]:
    """The channels each check of a project (or one check) notifies, by check id."""
    query = (
        sa.select(check_channels.c.check_id, channels.c.uuid)
        .join(channels, channels.c.id == check_channels.c.channel_id)
        .join(checks, checks.c.id == check_channels.c.check_id)
    )
    if project_id is not None:
        query = query.where(checks.c.project_id == project_id)
    if check_id is not None:
        query = query.where(checks.c.id == check_id)
    found: dict[int, list[uuid.UUID]] = {}
    for owner, channel_uuid in connection.execute(query):
        found.setdefault(owner, []).append(channel_uuid)
    return found


def set_check_channels(connection: sa.Connection, check_id: int, channel_ids: list[int]) -> None:
    connection.execute(check_channels.delete().where(check_channels.c.check_id == check_id))
    rows = [{"check_id": check_id, "channel_id": channel_id} for channel_id in channel_ids]
    if rows:
        connection.execute(check_channels.insert(), rows)
