"""Queries behind Better Stack's heartbeats and heartbeat groups: the groups, where a
check sits among them, and what a heartbeat shows beyond the check itself (its policy,
when it was paused, whether it e-mails).

Synchronous, over a SQLAlchemy `Connection` (async callers use `run_sync`)."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from tocsin.domain.checks import Status
from tocsin.domain.records import AlertFlags, Group, HeartbeatFacts, Place
from tocsin.store.tables import (
    checks,
    flips,
    heartbeat_alerts,
    heartbeat_groups,
    heartbeat_places,
    policies,
)


def group_from_row(row: sa.Row[Any]) -> Group:
    return Group(**row._mapping)


def project_groups(connection: sa.Connection, project_id: int) -> list[Group]:
    query = (
        sa.select(heartbeat_groups)
        .where(heartbeat_groups.c.project_id == project_id)
        .order_by(heartbeat_groups.c.id)
    )
    return [group_from_row(row) for row in connection.execute(query)]


def project_group(connection: sa.Connection, project_id: int, group_id: int) -> Group | None:
    query = sa.select(heartbeat_groups).where(
        heartbeat_groups.c.id == group_id, heartbeat_groups.c.project_id == project_id
    )
    row = connection.execute(query).first()
    return None if row is None else group_from_row(row)


def insert_group(
    connection: sa.Connection, project_id: int, values: dict[str, Any], now: datetime
) -> Group:
    """`values`: any of name, sort_index, paused."""
    row = {"project_id": project_id, "created": now, "updated": now, **values}
    return group_from_row(
        connection.execute(heartbeat_groups.insert().values(row).returning(heartbeat_groups)).one()
    )


def update_group(
    connection: sa.Connection, group_id: int, values: dict[str, Any], now: datetime
) -> None:
    statement = heartbeat_groups.update().where(heartbeat_groups.c.id == group_id)
    connection.execute(statement.values(updated=now, **values))


def delete_group(connection: sa.Connection, group_id: int) -> None:
    """Its heartbeats stay, outside any group (the foreign key sets theirs to null)."""
    connection.execute(heartbeat_groups.delete().where(heartbeat_groups.c.id == group_id))


def group_check_ids(connection: sa.Connection, group_id: int) -> list[int]:
    query = (
        sa.select(heartbeat_places.c.check_id)
        .where(heartbeat_places.c.group_id == group_id)
        .order_by(heartbeat_places.c.check_id)
    )
    return list(connection.scalars(query))


def set_place(connection: sa.Connection, check_id: int, place: Place) -> None:
    connection.execute(heartbeat_places.delete().where(heartbeat_places.c.check_id == check_id))
    if place != Place():
        values = {"check_id": check_id, "group_id": place.group_id, "sort_index": place.sort_index}
        connection.execute(heartbeat_places.insert().values(values))


def project_policy_exists(connection: sa.Connection, project_id: int, policy_id: int) -> bool:
    query = sa.select(policies.c.id).where(
        policies.c.id == policy_id, policies.c.project_id == project_id
    )
    return connection.scalar(query) is not None


def heartbeat_facts(
    connection: sa.Connection, check_ids: Sequence[int]
) -> dict[int, HeartbeatFacts]:
    """The facts of many checks in three queries (a page of a list needs them all)."""
    query = (
        sa.select(
            checks.c.id,
            checks.c.updated,
            checks.c.policy_id,
            heartbeat_places.c.group_id,
            heartbeat_places.c.sort_index,
        )
        .outerjoin(heartbeat_places, heartbeat_places.c.check_id == checks.c.id)
        .where(checks.c.id.in_(check_ids))
    )
    paused = paused_since(connection, check_ids)
    flags = alert_flags(connection, check_ids)
    return {
        row.id: HeartbeatFacts(
            updated=row.updated,
            policy_id=row.policy_id,
            place=Place(row.group_id, row.sort_index),
            paused_at=paused.get(row.id),
            alerts=flags.get(row.id, AlertFlags()),
        )
        for row in connection.execute(query)
    }


def paused_since(connection: sa.Connection, check_ids: Sequence[int]) -> dict[int, datetime]:
    """When each paused check was last paused, from its flips (there is no column)."""
    query = (
        sa.select(flips.c.check_id, sa.func.max(flips.c.created))
        .join(checks, checks.c.id == flips.c.check_id)
        .where(
            flips.c.check_id.in_(check_ids),
            flips.c.new_status == Status.PAUSED.value,
            checks.c.status == Status.PAUSED.value,
        )
        .group_by(flips.c.check_id)
    )
    return {row[0]: row[1] for row in connection.execute(query)}


FLAG_COLUMNS = ("email", "sms", "call", "push", "critical_alert")


def alert_flags(connection: sa.Connection, check_ids: Sequence[int]) -> dict[int, AlertFlags]:
    """The simple alerting of the checks that have it set."""
    query = sa.select(heartbeat_alerts).where(heartbeat_alerts.c.check_id.in_(check_ids))
    return {row.check_id: flags_from_row(row) for row in connection.execute(query)}


def flags_from_row(row: sa.Row[Any]) -> AlertFlags:
    wait = None if row.team_wait is None else timedelta(seconds=row.team_wait)
    flags = {c: bool(getattr(row, c)) for c in FLAG_COLUMNS}
    return AlertFlags(**flags, team_wait=wait)


def set_alert_flags(connection: sa.Connection, check_id: int, flags: AlertFlags) -> None:
    """Replace the check's simple alerting; all off and no team wait keeps no row."""
    connection.execute(heartbeat_alerts.delete().where(heartbeat_alerts.c.check_id == check_id))
    if flags == AlertFlags():
        return
    wait = None if flags.team_wait is None else round(flags.team_wait.total_seconds())
    values = {c: getattr(flags, c) for c in FLAG_COLUMNS}
    row = {"check_id": check_id, "team_wait": wait, **values}
    connection.execute(heartbeat_alerts.insert().values(row))
