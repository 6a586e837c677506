"""Maintenance windows (snoozes of checks among them) and the holds they and snoozes
put on incidents' escalation. Synchronous, over a SQLAlchemy `Connection`: they run in
services' transactions and in the watcher's batch."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tocsin.domain.schedule import Maintenance
from tocsin.domain.windows import OneOff, Scope, Window
from tocsin.store.checks import maintenance_columns
from tocsin.store.rows import maintenance_from_columns
from tocsin.store.tables import checks, incident_holds, maintenance_windows


@dataclass(frozen=True, slots=True)
class Hold:
    """An incident's escalation held until `held_until`; `snoozed_by` for a snooze."""

    incident_id: int
    held_until: datetime
    reason: str
    snoozed_by: str


def window_columns(window: Window) -> dict[str, Any]:
    values: dict[str, Any] = {
        "project_id": window.project_id,
        "check_id": window.scope.check_id,
        "tag": window.scope.tag,
        "name": window.name,
        "snooze": window.snooze,
        "created_by": window.created_by,
    }
    if isinstance(window.when, OneOff):
        return values | {"starts_at": window.when.starts, "ends_at": window.when.ends}
    daily = maintenance_columns(window.when)
    return values | {
        "days": daily["maintenance_days"],
        "start_time": daily["maintenance_from"],
        "end_time": daily["maintenance_to"],
        "tz": daily["maintenance_tz"],
    }


def window_from_row(row: sa.Row[Any]) -> Window:
    when: Maintenance | OneOff | None
    if row.starts_at is not None and row.ends_at is not None:
        when = OneOff(row.starts_at, row.ends_at)
    else:
        when = maintenance_from_columns(row.days, row.start_time, row.end_time, row.tz)
        assert when is not None  # a window is one or the other
    return Window(
        id=row.id,
        project_id=row.project_id,
        name=row.name,
        when=when,
        scope=Scope(row.check_id, row.tag),
        created_by=row.created_by,
        snooze=row.snooze,
    )


def insert_window(connection: sa.Connection, window: Window, now: datetime) -> int:
    values = window_columns(window) | {"created": now}
    result = connection.execute(maintenance_windows.insert().values(values))
    assert result.inserted_primary_key is not None
    return int(result.inserted_primary_key[0])


def get_window(connection: sa.Connection, project_id: int, window_id: int) -> Window | None:
    query = sa.select(maintenance_windows).where(
        maintenance_windows.c.id == window_id, maintenance_windows.c.project_id == project_id
    )
    row = connection.execute(query).first()
    return None if row is None else window_from_row(row)


def delete_window(connection: sa.Connection, window_id: int) -> None:
    connection.execute(maintenance_windows.delete().where(maintenance_windows.c.id == window_id))


def project_windows(connection: sa.Connection, project_id: int) -> list[Window]:
    """A project's windows, snoozes too, in the order they were made."""
    return windows_of_projects(connection, [project_id])


def windows_of_projects(connection: sa.Connection, project_ids: Iterable[int]) -> list[Window]:
    query = (
        sa.select(maintenance_windows)
        .where(maintenance_windows.c.project_id.in_(sorted(set(project_ids))))
        .order_by(maintenance_windows.c.id)
    )
    return [window_from_row(row) for row in connection.execute(query)]


def delete_snoozes(connection: sa.Connection, check_id: int) -> int:
    statement = maintenance_windows.delete().where(
        maintenance_windows.c.check_id == check_id, maintenance_windows.c.snooze
    )
    return connection.execute(statement).rowcount


def delete_ended(connection: sa.Connection, project_id: int, before: datetime) -> int:
    """One-off windows and snoozes of the project that ended before `before`."""
    statement = maintenance_windows.delete().where(
        maintenance_windows.c.project_id == project_id,
        maintenance_windows.c.ends_at < before,
    )
    return connection.execute(statement).rowcount


def hold_of(connection: sa.Connection, incident_id: int) -> Hold | None:
    query = sa.select(incident_holds).where(incident_holds.c.incident_id == incident_id)
    row = connection.execute(query).first()
    return None if row is None else Hold(**row._mapping)


def holds_of(connection: sa.Connection, incident_ids: Iterable[int]) -> dict[int, Hold]:
    query = sa.select(incident_holds).where(incident_holds.c.incident_id.in_(list(incident_ids)))
    return {row.incident_id: Hold(**row._mapping) for row in connection.execute(query)}


def put_hold(connection: sa.Connection, hold: Hold) -> None:
    drop_hold(connection, hold.incident_id)
    connection.execute(
        incident_holds.insert().values(
            incident_id=hold.incident_id,
            held_until=hold.held_until,
            reason=hold.reason[:300],
            snoozed_by=hold.snoozed_by[:200],
        )
    )


def drop_hold(connection: sa.Connection, incident_id: int) -> None:
    connection.execute(incident_holds.delete().where(incident_holds.c.incident_id == incident_id))


@dataclass(frozen=True, slots=True)
class CheckScope:
    """What decides which windows cover a check: its project, tags and own window."""

    check_id: int
    project_id: int
    tags: str
    own: Maintenance | None


def check_scopes(connection: sa.Connection, check_ids: Iterable[int]) -> dict[int, CheckScope]:
    query = sa.select(
        checks.c.id,
        checks.c.project_id,
        checks.c.tags,
        checks.c.maintenance_days,
        checks.c.maintenance_from,
        checks.c.maintenance_to,
        checks.c.maintenance_tz,
    ).where(checks.c.id.in_(sorted(set(check_ids))))
    return {
        row.id: CheckScope(
            row.id,
            row.project_id,
            row.tags,
            maintenance_from_columns(
                row.maintenance_days, row.maintenance_from, row.maintenance_to, row.maintenance_tz
            ),
        )
        for row in connection.execute(query)
    }
