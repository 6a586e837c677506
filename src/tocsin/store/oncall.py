"""On-call calendars: calendars, rotations and their members, overrides, warnings.

Synchronous, over a SQLAlchemy `Connection`. `on_call_user` is what escalation asks,
inside its own transaction: three small queries and the pure rules of domain.oncall.
"""

from collections import defaultdict
from datetime import datetime, time
from typing import Any

import sqlalchemy as sa

from tocsin.domain.oncall import (
    Calendar,
    CalendarRecord,
    CalendarWarning,
    Override,
    OverrideRecord,
    Restriction,
    Rotation,
    RotationRecord,
    who_is_on_call,
)
from tocsin.store.tables import (
    oncall_calendars,
    oncall_members,
    oncall_overrides,
    oncall_rotations,
    oncall_warnings,
)

WARNINGS_KEPT = 10
CALENDAR_COLUMNS = (
    oncall_calendars.c.id,
    oncall_calendars.c.project_id,
    oncall_calendars.c.name,
    oncall_calendars.c.is_default,
    oncall_calendars.c.feed_token,
    oncall_calendars.c.created,
)


# Calendars


def insert_calendar(
    connection: sa.Connection, project_id: int, name: str, feed_token: str, now: datetime
) -> int:
    values = {"project_id": project_id, "name": name, "feed_token": feed_token, "created": now}
    statement = oncall_calendars.insert().values(values).returning(oncall_calendars.c.id)
    return int(connection.execute(statement).scalar_one())


def calendars_of(connection: sa.Connection, project_id: int) -> list[CalendarRecord]:
    """The project's calendars, the default first, then by name."""
    query = (
        sa.select(*CALENDAR_COLUMNS)
        .where(oncall_calendars.c.project_id == project_id)
        .order_by(oncall_calendars.c.is_default.desc(), oncall_calendars.c.name)
    )
    return [CalendarRecord(*row) for row in connection.execute(query)]


def calendar_in(
    connection: sa.Connection, project_id: int, calendar_id: int | None
) -> CalendarRecord | None:
    """The project's calendar with this id, or its default calendar for None."""
    query = sa.select(*CALENDAR_COLUMNS).where(oncall_calendars.c.project_id == project_id)
    query = query.where(_which(calendar_id))
    row = connection.execute(query).first()
    return None if row is None else CalendarRecord(*row)


def _which(calendar_id: int | None) -> sa.ColumnElement[bool]:
    if calendar_id is None:
        return oncall_calendars.c.is_default
    return oncall_calendars.c.id == calendar_id


def calendar_by_feed_token(connection: sa.Connection, token: str) -> CalendarRecord | None:
    query = sa.select(*CALENDAR_COLUMNS).where(oncall_calendars.c.feed_token == token)
    row = connection.execute(query).first()
    return None if row is None else CalendarRecord(*row)


def update_calendar(connection: sa.Connection, calendar_id: int, **values: Any) -> None:
    statement = oncall_calendars.update().where(oncall_calendars.c.id == calendar_id)
    connection.execute(statement.values(**values))


def make_default(connection: sa.Connection, project_id: int, calendar_id: int) -> None:
    """This calendar becomes the project's default; the previous one stops being it
    first, so the one-default index never sees two."""
    others = oncall_calendars.update().where(
        (oncall_calendars.c.project_id == project_id) & (oncall_calendars.c.id != calendar_id)
    )
    connection.execute(others.values(is_default=False))
    update_calendar(connection, calendar_id, is_default=True)


def delete_calendar(connection: sa.Connection, calendar_id: int) -> None:
    connection.execute(oncall_calendars.delete().where(oncall_calendars.c.id == calendar_id))


# Rotations


def insert_rotation(
    connection: sa.Connection, calendar_id: int, name: str, rotation: Rotation, now: datetime
) -> int:
    values = {"calendar_id": calendar_id, "name": name, "created": now, **_columns(rotation)}
    statement = oncall_rotations.insert().values(values).returning(oncall_rotations.c.id)
    rotation_id = int(connection.execute(statement).scalar_one())
    _insert_members(connection, rotation_id, rotation.members)
    return rotation_id


def replace_rotation(
    connection: sa.Connection, rotation_id: int, name: str, rotation: Rotation
) -> None:
    statement = oncall_rotations.update().where(oncall_rotations.c.id == rotation_id)
    connection.execute(statement.values(name=name, **_columns(rotation)))
    connection.execute(oncall_members.delete().where(oncall_members.c.rotation_id == rotation_id))
    _insert_members(connection, rotation_id, rotation.members)


def delete_rotation(connection: sa.Connection, rotation_id: int) -> None:
    connection.execute(oncall_rotations.delete().where(oncall_rotations.c.id == rotation_id))


def _insert_members(connection: sa.Connection, rotation_id: int, members: tuple[int, ...]) -> None:
    rows = [
        {"rotation_id": rotation_id, "position": position, "user_id": user_id}
        for position, user_id in enumerate(members)
    ]
    if rows:
        connection.execute(oncall_members.insert(), rows)


def _columns(rotation: Rotation) -> dict[str, Any]:
    restriction = rotation.restriction
    return {
        "layer": rotation.layer,
        "first_handoff": rotation.first_handoff,
        "zone": rotation.zone,
        "length": rotation.length,
        "unit": rotation.unit,
        "restrict_from": None if restriction is None else _minutes(restriction.start),
        "restrict_to": None if restriction is None else _minutes(restriction.end),
        "restrict_days": None if restriction is None else _day_bits(restriction.weekdays),
        "ends": rotation.ends,
    }


def _minutes(at: time) -> int:
    return at.hour * 60 + at.minute


def _day_bits(weekdays: frozenset[int]) -> int:
    return sum(1 << day for day in weekdays)


def rotations_of(connection: sa.Connection, calendar_id: int) -> list[RotationRecord]:
    """The calendar's rotations in the order they were added, with their members."""
    members = _members_of(connection, calendar_id)
    query = (
        sa.select(oncall_rotations)
        .where(oncall_rotations.c.calendar_id == calendar_id)
        .order_by(oncall_rotations.c.id)
    )
    return [_rotation(row, members[row.id]) for row in connection.execute(query)]


def _members_of(connection: sa.Connection, calendar_id: int) -> dict[int, tuple[int, ...]]:
    query = (
        sa.select(oncall_members.c.rotation_id, oncall_members.c.user_id)
        .join(oncall_rotations, oncall_rotations.c.id == oncall_members.c.rotation_id)
        .where(oncall_rotations.c.calendar_id == calendar_id)
        .order_by(oncall_members.c.rotation_id, oncall_members.c.position)
    )
    found: dict[int, list[int]] = defaultdict(list)
    for rotation_id, user_id in connection.execute(query):
        found[rotation_id].append(user_id)
    return defaultdict(tuple, {key: tuple(value) for key, value in found.items()})


def _rotation(row: sa.Row[Any], members: tuple[int, ...]) -> RotationRecord:
    rotation = Rotation(
        members,
        row.first_handoff,
        row.zone,
        row.length,
        row.unit,
        row.layer,
        _restriction(row),
        row.ends,
    )
    return RotationRecord(row.id, row.calendar_id, row.name, rotation)


def _restriction(row: sa.Row[Any]) -> Restriction | None:
    if row.restrict_from is None:
        return None
    days = frozenset(day for day in range(7) if row.restrict_days >> day & 1)
    return Restriction(_time(row.restrict_from), _time(row.restrict_to), days)


def _time(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


# Overrides


def insert_override(
    connection: sa.Connection, calendar_id: int, override: Override, now: datetime
) -> int:
    values = {
        "calendar_id": calendar_id,
        "user_id": override.user_id,
        "starts": override.start,
        "ends": override.end,
        "created": now,
    }
    statement = oncall_overrides.insert().values(values).returning(oncall_overrides.c.id)
    return int(connection.execute(statement).scalar_one())


def delete_override(connection: sa.Connection, override_id: int) -> None:
    connection.execute(oncall_overrides.delete().where(oncall_overrides.c.id == override_id))


def overrides_of(
    connection: sa.Connection, calendar_id: int, start: datetime, end: datetime
) -> list[OverrideRecord]:
    """The calendar's overrides that touch [start, end), oldest first (a later one wins)."""
    query = (
        sa.select(oncall_overrides)
        .where(oncall_overrides.c.calendar_id == calendar_id)
        .where(oncall_overrides.c.ends > start, oncall_overrides.c.starts < end)
        .order_by(oncall_overrides.c.id)
    )
    return [
        OverrideRecord(row.id, row.calendar_id, Override(row.user_id, row.starts, row.ends))
        for row in connection.execute(query)
    ]


def calendar_for(
    connection: sa.Connection, calendar_id: int, start: datetime, end: datetime
) -> Calendar:
    """The calendar's rules, with the overrides that matter in [start, end)."""
    rotations = tuple(record.rotation for record in rotations_of(connection, calendar_id))
    overrides = overrides_of(connection, calendar_id, start, end)
    return Calendar(rotations, tuple(record.override for record in overrides))


def on_call_user(
    connection: sa.Connection, project_id: int, calendar_id: int | None, at: datetime
) -> int | None:
    """Who is on call at `at` in the project's calendar (its default for None); None
    when there is no such calendar or nobody is on call."""
    query = sa.select(oncall_calendars.c.id).where(oncall_calendars.c.project_id == project_id)
    found = connection.execute(query.where(_which(calendar_id))).scalar()
    if found is None:
        return None
    return who_is_on_call(calendar_for(connection, found, at, at), at)


# Members leaving, and the warnings that say so


def calendars_with_member(
    connection: sa.Connection, project_id: int, user_id: int
) -> dict[int, list[str]]:
    """The project's calendars where the person has a place: the names of the rotations
    they are in (empty when they only have overrides there)."""
    in_rotations = (
        sa.select(oncall_rotations.c.calendar_id, oncall_rotations.c.name)
        .join(oncall_members, oncall_members.c.rotation_id == oncall_rotations.c.id)
        .join(oncall_calendars, oncall_calendars.c.id == oncall_rotations.c.calendar_id)
        .where(oncall_members.c.user_id == user_id, oncall_calendars.c.project_id == project_id)
        .order_by(oncall_rotations.c.id)
    )
    in_overrides = (
        sa.select(oncall_overrides.c.calendar_id)
        .join(oncall_calendars, oncall_calendars.c.id == oncall_overrides.c.calendar_id)
        .where(oncall_overrides.c.user_id == user_id, oncall_calendars.c.project_id == project_id)
    )
    found: dict[int, list[str]] = {cid: [] for cid in connection.execute(in_overrides).scalars()}
    for calendar_id, name in connection.execute(in_rotations):
        found.setdefault(calendar_id, []).append(name)
    return found


def remove_member(connection: sa.Connection, project_id: int, user_id: int) -> None:
    """The person out of every rotation and override of the project's calendars."""
    calendars = sa.select(oncall_calendars.c.id).where(oncall_calendars.c.project_id == project_id)
    rotations = sa.select(oncall_rotations.c.id).where(
        oncall_rotations.c.calendar_id.in_(calendars)
    )
    connection.execute(
        oncall_members.delete().where(
            oncall_members.c.user_id == user_id, oncall_members.c.rotation_id.in_(rotations)
        )
    )
    connection.execute(
        oncall_overrides.delete().where(
            oncall_overrides.c.user_id == user_id, oncall_overrides.c.calendar_id.in_(calendars)
        )
    )


def add_warning(connection: sa.Connection, calendar_id: int, message: str, now: datetime) -> None:
    """Record a warning, keeping the newest WARNINGS_KEPT of the calendar."""
    values = {"calendar_id": calendar_id, "message": message[:300], "created": now}
    connection.execute(oncall_warnings.insert().values(values))
    kept = (
        sa.select(oncall_warnings.c.id)
        .where(oncall_warnings.c.calendar_id == calendar_id)
        .order_by(oncall_warnings.c.id.desc())
        .limit(WARNINGS_KEPT)
    )
    stale = oncall_warnings.delete().where(
        oncall_warnings.c.calendar_id == calendar_id,
        oncall_warnings.c.id.not_in(sa.select(kept.subquery().c.id)),
    )
    connection.execute(stale)


def warnings_of(connection: sa.Connection, calendar_id: int) -> list[CalendarWarning]:
    query = (
        sa.select(oncall_warnings.c.message, oncall_warnings.c.created)
        .where(oncall_warnings.c.calendar_id == calendar_id)
        .order_by(oncall_warnings.c.id.desc())
    )
    return [CalendarWarning(*row) for row in connection.execute(query)]


def clear_warnings(connection: sa.Connection, calendar_id: int) -> None:
    connection.execute(oncall_warnings.delete().where(oncall_warnings.c.calendar_id == calendar_id))


def project_of_rotation(connection: sa.Connection, rotation_id: int) -> tuple[int, int] | None:
    """The rotation's calendar and that calendar's project."""
    query = (
        sa.select(oncall_calendars.c.id, oncall_calendars.c.project_id)
        .join(oncall_rotations, oncall_rotations.c.calendar_id == oncall_calendars.c.id)
        .where(oncall_rotations.c.id == rotation_id)
    )
    row = connection.execute(query).first()
    return None if row is None else (row[0], row[1])


def project_of_override(connection: sa.Connection, override_id: int) -> tuple[int, int] | None:
    """The override's calendar and that calendar's project."""
    query = (
        sa.select(oncall_calendars.c.id, oncall_calendars.c.project_id)
        .join(oncall_overrides, oncall_overrides.c.calendar_id == oncall_calendars.c.id)
        .where(oncall_overrides.c.id == override_id)
    )
    row = connection.execute(query).first()
    return None if row is None else (row[0], row[1])
