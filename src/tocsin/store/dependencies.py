"""Dependencies between checks, and the incidents a parent holds (domain.dependencies)."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tocsin.domain.dependencies import LinkedCheck, Links, Parent
from tocsin.domain.records import Incident
from tocsin.store.incidents import incident_from_row
from tocsin.store.tables import check_dependencies, checks, incident_unresolved, incidents

deps = check_dependencies


def project_edges(connection: sa.Connection, project_id: int) -> dict[int, list[int]]:
    """Each check of the project that has parents, with their ids."""
    query = (
        sa.select(deps.c.child_id, deps.c.parent_id)
        .join(checks, checks.c.id == deps.c.child_id)
        .where(checks.c.project_id == project_id)
        .order_by(deps.c.child_id, deps.c.parent_id)
    )
    edges: dict[int, list[int]] = {}
    for child_id, parent_id in connection.execute(query):
        edges.setdefault(child_id, []).append(parent_id)
    return edges


def project_checks(connection: sa.Connection, project_id: int) -> list[LinkedCheck]:
    """The project's checks a parent may be chosen from."""
    query = (
        sa.select(checks.c.id, checks.c.uuid, checks.c.name, checks.c.status)
        .where(checks.c.project_id == project_id)
        .order_by(checks.c.name, checks.c.id)
    )
    return [LinkedCheck(*row) for row in connection.execute(query)]


def set_parents(connection: sa.Connection, child_id: int, parent_ids: Sequence[int]) -> None:
    connection.execute(deps.delete().where(deps.c.child_id == child_id))
    if parent_ids:
        rows = [{"child_id": child_id, "parent_id": parent_id} for parent_id in parent_ids]
        connection.execute(deps.insert(), rows)


def parents_of(connection: sa.Connection, child_ids: Sequence[int]) -> dict[int, list[LinkedCheck]]:
    """Each check's parents, by name."""
    return linked(connection, deps.c.child_id, deps.c.parent_id, child_ids)


def children_of(
    connection: sa.Connection, parent_ids: Sequence[int]
) -> dict[int, list[LinkedCheck]]:
    return linked(connection, deps.c.parent_id, deps.c.child_id, parent_ids)


def links_of(connection: sa.Connection, check_id: int) -> Links:
    return Links(
        parents_of(connection, [check_id]).get(check_id, []),
        children_of(connection, [check_id]).get(check_id, []),
    )


def linked(
    connection: sa.Connection, side: sa.Column[int], other: sa.Column[int], ids: Sequence[int]
) -> dict[int, list[LinkedCheck]]:
    if not ids:
        return {}
    query = (
        sa.select(side, checks.c.id, checks.c.uuid, checks.c.name, checks.c.status)
        .join(checks, checks.c.id == other)
        .where(side.in_(ids))
        .order_by(side, checks.c.name, checks.c.id)
    )
    found: dict[int, list[LinkedCheck]] = {}
    for key, *fields in connection.execute(query):
        found.setdefault(key, []).append(LinkedCheck(*fields))
    return found


def parent_states(connection: sa.Connection, child_ids: Sequence[int]) -> dict[int, list[Parent]]:
    """Each check's parents as the rules see them: down (its status, or an incident
    still open) and since when up (its last incident's resolution)."""
    if not child_ids:
        return {}
    open_incident = (
        sa.exists().where(incidents.c.check_id == checks.c.id, incident_unresolved()).label("open")
    )
    last_resolved = (
        sa.select(sa.func.max(incidents.c.resolved_at))
        .where(incidents.c.check_id == checks.c.id)
        .scalar_subquery()
    )
    query = (
        sa.select(
            deps.c.child_id,
            checks.c.id,
            checks.c.name,
            checks.c.uuid,
            checks.c.status,
            open_incident,
            last_resolved.label("up_since"),
        )
        .join(checks, checks.c.id == deps.c.parent_id)
        .where(deps.c.child_id.in_(child_ids))
    )
    found: dict[int, list[Parent]] = {}
    for row in connection.execute(query):
        down = row.status == "down" or bool(row.open)
        parent = Parent(row.id, row.name or str(row.uuid), down, row.up_since)
        found.setdefault(row.child_id, []).append(parent)
    return found


def held_children(connection: sa.Connection, parent_ids: Sequence[int]) -> dict[int, list[str]]:
    """The names of the checks whose open incident each parent holds."""
    if not parent_ids:
        return {}
    return held_by(connection, incidents.c.held_by, incidents.c.held_by.in_(parent_ids))


def held_children_by_uuid(
    connection: sa.Connection, parent_uuids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    """The same by the parents' uuids: what a notification claimed knows of its check."""
    if not parent_uuids:
        return {}
    parent = checks.alias("parent")
    condition = parent.c.uuid.in_(parent_uuids)
    return held_by(connection, parent.c.uuid, condition, parent)


def held_by(
    connection: sa.Connection,
    key: sa.ColumnElement[Any],
    condition: sa.ColumnElement[bool],
    parent: sa.FromClause | None = None,
) -> dict[Any, list[str]]:
    """The names of the checks held still, by `key`, among the holds `condition` picks."""
    held = incidents.join(checks, checks.c.id == incidents.c.check_id)
    if parent is not None:
        held = held.join(parent, parent.c.id == incidents.c.held_by)
    query = (
        sa.select(key, checks.c.name, checks.c.uuid)
        .select_from(held)
        .where(
            condition,
            incidents.c.release_at.is_not(None),  # held still, not released
            incident_unresolved(),
        )
        .order_by(key, checks.c.name)
    )
    found: dict[Any, list[str]] = {}
    for holder, name, check_uuid in connection.execute(query):
        found.setdefault(holder, []).append(name or str(check_uuid))
    return found


Holds = tuple[str | None, list[str]]


def incident_holds(connection: sa.Connection, incident: Incident) -> Holds:
    return holds_of(connection, [incident])[incident.id]


def holds_of(connection: sa.Connection, found: Sequence[Incident]) -> dict[int, Holds]:
    """Each incident's holding parent by name (None unless held still), and the checks
    whose incidents its check holds while it is open; two queries for them all."""
    holding = held_children(connection, [i.check_id for i in found if i.status != "resolved"])
    holders = {i.held_by for i in found if i.release_at is not None and i.held_by is not None}
    names = {}
    if holders:
        query = sa.select(checks.c.id, checks.c.name, checks.c.uuid).where(checks.c.id.in_(holders))
        names = {row.id: row.name or str(row.uuid) for row in connection.execute(query)}
    return {
        i.id: (
            None if i.release_at is None or i.held_by is None else names.get(i.held_by, "a parent"),
            [] if i.status == "resolved" else holding.get(i.check_id, []),
        )
        for i in found
    }


def look_again(connection: sa.Connection, parent_id: int, at: datetime) -> None:
    """The incidents the parent holds are due a look at `at` (it has recovered)."""
    statement = (
        incidents.update()
        .where(
            incidents.c.held_by == parent_id,
            incident_unresolved(),
            incidents.c.release_at > at,  # held still, and not due sooner
        )
        .values(release_at=at)
    )
    connection.execute(statement)


def due_releases(
    connection: sa.Connection, now: datetime, limit: int, *, skip_locked: bool
) -> list[Incident]:
    query = (
        sa.select(incidents)
        .where(incidents.c.release_at.is_not(None), incidents.c.release_at <= now)
        .order_by(incidents.c.release_at)
        .limit(limit)
    )
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    return [incident_from_row(row) for row in connection.execute(query)]


def earliest_release(connection: sa.Connection) -> datetime | None:
    column = incidents.c.release_at
    return connection.scalar(sa.select(column).where(column.is_not(None)).order_by(column).limit(1))
