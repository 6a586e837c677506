"""Queries on checks, flips and projects, in terms of the pure check state."""

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tocsin.domain.checks import CheckState, Flip, Status, alert_after
from tocsin.domain.identifiers import new_check_uuid, new_token
from tocsin.domain.records import CheckDetails, CheckRecord, FlipRecord, NewCheck
from tocsin.domain.schedule import WEEKDAYS, Cron, Maintenance, Period, Schedule
from tocsin.store.projects import default_project, ping_key
from tocsin.store.tables import checks, flips


def schedule_columns(schedule: Schedule) -> dict[str, Any]:
    if isinstance(schedule, Period):
        return {"kind": "simple", "period": round(schedule.period.total_seconds()), "cron": None}
    return {"kind": "cron", "period": None, "cron": schedule.expression, "tz": schedule.tz}


def maintenance_columns(window: Maintenance | None) -> dict[str, Any]:
    if window is None or not window.days:
        return {
            "maintenance_days": "",
            "maintenance_from": None,
            "maintenance_to": None,
            "maintenance_tz": "UTC",
        }
    return {
        "maintenance_days": ",".join(WEEKDAYS[day] for day in sorted(window.days)),
        "maintenance_from": seconds_after_midnight(window.start),
        "maintenance_to": seconds_after_midnight(window.end),
        "maintenance_tz": window.tz,
    }


def maintenance_from_columns(
    days: str, start: int | None, end: int | None, tz: str
) -> Maintenance | None:
    if not days or start is None or end is None:
        return None
    return Maintenance(
        frozenset(WEEKDAYS.index(day) for day in days.split(",")),
        time_of_day(start),
        time_of_day(end),
        tz,
    )


def seconds_after_midnight(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def time_of_day(seconds: int) -> time:
    return time(seconds // 3600, seconds // 60 % 60, seconds % 60)


def maintenance_from_row(row: sa.Row[Any]) -> Maintenance | None:
    return maintenance_from_columns(
        row.maintenance_days, row.maintenance_from, row.maintenance_to, row.maintenance_tz
    )


def schedule_from_row(row: sa.Row[Any]) -> Schedule:
    if row.kind == "cron":
        return Cron(row.cron, row.tz)
    return Period(timedelta(seconds=row.period))


def state_from_row(row: sa.Row[Any]) -> CheckState:
    return CheckState(
        schedule=schedule_from_row(row),
        grace=timedelta(seconds=row.grace),
        status=Status(row.status),
        last_ping=row.last_ping,
        last_start=row.last_start,
        last_start_rid=row.last_start_rid,
        last_duration=None if row.last_duration is None else timedelta(seconds=row.last_duration),
        manual_resume=row.manual_resume,
        post_only=row.methods == "POST",
        maintenance=maintenance_from_row(row),
    )


STATE_COLUMNS = (
    "status",
    "last_ping",
    "last_start",
    "last_start_rid",
    "last_duration",
    "alert_after",
)


def state_columns(state: CheckState) -> dict[str, Any]:
    """The columns a state change writes, by name."""
    return dict(zip(STATE_COLUMNS, state_values(state), strict=True))


def state_values(state: CheckState) -> tuple[Any, ...]:
    """The values of STATE_COLUMNS, in order; alert_after is derived here and only here."""
    duration = state.last_duration
    return (
        state.status.value,
        state.last_ping,
        state.last_start,
        state.last_start_rid,
        None if duration is None else duration.total_seconds(),
        alert_after(state),
    )


def record_from_row(row: sa.Row[Any]) -> CheckRecord:
    return CheckRecord(
        id=row.id,
        project_id=row.project_id,
        uuid=row.uuid,
        token=row.token,
        name=row.name,
        slug=row.slug,
        tags=row.tags,
        description=row.description,
        n_pings=row.n_pings,
        created=row.created,
        alert_after=row.alert_after,
        state=state_from_row(row),
    )


async def ensure_default_project(connection: AsyncConnection, now: datetime) -> int:
    return await connection.run_sync(default_project, now)


async def project_ping_key(connection: AsyncConnection, project_id: int) -> str:
    return await connection.run_sync(ping_key, project_id)


def spec_columns(spec: NewCheck) -> dict[str, Any]:
    """The columns of what people set on a check."""
    return {
        "name": spec.name,
        "slug": spec.slug,
        "tags": spec.tags,
        "description": spec.description,
        "grace": round(spec.grace.total_seconds()),
        "manual_resume": spec.manual_resume,
        "methods": spec.methods,
        "tz": spec.tz,
        **schedule_columns(spec.schedule),
        **maintenance_columns(spec.maintenance),
    }


def spec_from_row(row: sa.Row[Any]) -> NewCheck:
    return NewCheck(
        schedule=schedule_from_row(row),
        grace=timedelta(seconds=row.grace),
        name=row.name,
        slug=row.slug,
        tags=row.tags,
        description=row.description,
        manual_resume=row.manual_resume,
        methods=row.methods,
        tz=row.tz,
        maintenance=maintenance_from_row(row),
    )


def with_spec(state: CheckState, spec: NewCheck) -> CheckState:
    """The check's state under new settings (its deadline follows from it)."""
    return replace(
        state,
        schedule=spec.schedule,
        grace=spec.grace,
        manual_resume=spec.manual_resume,
        post_only=spec.methods == "POST",
        maintenance=spec.maintenance,
    )


def new_check_values(project_id: int, spec: NewCheck, now: datetime) -> dict[str, Any]:
    """Column values of a new check; both write paths insert exactly these."""
    state = with_spec(CheckState(spec.schedule, spec.grace), spec)
    return {
        "project_id": project_id,
        "uuid": new_check_uuid(),
        "token": new_token(),
        "n_pings": 0,
        "created": now,
        "updated": now,
        **spec_columns(spec),
        **state_columns(state),
    }


def insert_check_row(
    connection: sa.Connection, project_id: int, spec: NewCheck, now: datetime
) -> CheckRecord:
    values = new_check_values(project_id, spec, now)
    return record_from_row(
        connection.execute(checks.insert().values(values).returning(checks)).one()
    )


async def insert_check(
    connection: AsyncConnection, project_id: int, spec: NewCheck, now: datetime
) -> CheckRecord:
    return await connection.run_sync(insert_check_row, project_id, spec, now)


def select_checks(*, for_update: bool = False) -> sa.Select[Any]:
    query = sa.select(checks)
    # Row locks order concurrent writers on PostgreSQL; SQLite ignores them and
    # serialises writers with BEGIN IMMEDIATE instead.
    return query.with_for_update() if for_update else query


async def checks_where(
    connection: AsyncConnection, condition: sa.ColumnElement[bool], *, for_update: bool = False
) -> list[CheckRecord]:
    query = select_checks(for_update=for_update).where(condition).order_by(checks.c.id)
    return [record_from_row(row) for row in await connection.execute(query)]


async def check_by_uuid(
    connection: AsyncConnection, check_uuid: uuid.UUID, *, for_update: bool = False
) -> CheckRecord | None:
    found = await checks_where(connection, checks.c.uuid == check_uuid, for_update=for_update)
    return found[0] if found else None


async def details_where(
    connection: AsyncConnection, condition: sa.ColumnElement[bool], *, for_update: bool = False
) -> list[CheckDetails]:
    query = select_checks(for_update=for_update).where(condition)
    rows = await connection.execute(query.order_by(checks.c.created, checks.c.id))
    return [CheckDetails(record_from_row(row), spec_from_row(row)) for row in rows]


async def project_checks(
    connection: AsyncConnection, project_id: int, *, for_update: bool = False
) -> list[CheckDetails]:
    return await details_where(connection, checks.c.project_id == project_id, for_update=for_update)


async def written_details(connection: AsyncConnection, check_id: int) -> CheckDetails:
    """A check this transaction has just written, read back with its settings."""
    (found,) = await details_where(connection, checks.c.id == check_id)
    return found


async def project_check(
    connection: AsyncConnection, project_id: int, check_id: int, *, for_update: bool = False
) -> CheckDetails | None:
    """The check with this id if it is the project's."""
    condition = (checks.c.id == check_id) & (checks.c.project_id == project_id)
    found = await details_where(connection, condition, for_update=for_update)
    return found[0] if found else None


async def checks_with_ids(
    connection: AsyncConnection, check_ids: Sequence[int], *, for_update: bool = False
) -> list[CheckRecord]:
    return await checks_where(connection, checks.c.id.in_(check_ids), for_update=for_update)


async def details_by_uuid(
    connection: AsyncConnection, check_uuid: uuid.UUID, *, for_update: bool = False
) -> CheckDetails | None:
    found = await details_where(connection, checks.c.uuid == check_uuid, for_update=for_update)
    return found[0] if found else None


async def update_spec(
    connection: AsyncConnection, record: CheckRecord, spec: NewCheck, now: datetime
) -> None:
    """Save new settings with the deadline they give (`alert_after`), so the watcher
    acts on the new schedule and grace from now on."""
    state = with_spec(record.state, spec)
    values = {**spec_columns(spec), **state_columns(state), "updated": now}
    await connection.execute(checks.update().where(checks.c.id == record.id).values(values))


Transition = Callable[[CheckState, datetime], tuple[CheckState, Flip | None]]


async def apply_transition(
    connection: AsyncConnection, record: CheckRecord, transition: Transition, now: datetime
) -> tuple[CheckState, Flip | None]:
    """Pause or resume a check (locked by the caller) by hand; the flip needs no alert."""
    new_state, flip = transition(record.state, now)
    await save_states(connection, [(record.id, new_state, 0)], now)
    if flip is not None:
        await insert_flips(connection, [(record.id, flip)], processed=now)
    return new_state, flip


async def list_checks(connection: AsyncConnection) -> list[CheckRecord]:
    query = sa.select(checks).order_by(checks.c.created, checks.c.id)
    return [record_from_row(row) for row in await connection.execute(query)]


async def save_states(
    connection: AsyncConnection, changes: Sequence[tuple[int, CheckState, int]], now: datetime
) -> None:
    """Write (check id, new state, pings added) for many checks in one statement."""
    if not changes:
        return
    statement = (
        checks.update()
        .where(checks.c.id == sa.bindparam("check_id"))
        .values(n_pings=checks.c.n_pings + sa.bindparam("added"))
    )
    rows = [
        {"check_id": check_id, "added": added, "updated": now, **state_columns(state)}
        for check_id, state, added in changes
    ]
    await connection.execute(statement, rows)


def flip_rows(
    new_flips: Iterable[tuple[int, Flip]], processed: datetime | None = None
) -> list[dict[str, Any]]:
    """`processed` marks flips that need no incident or notification (pause, resume)."""
    return [
        {
            "check_id": check_id,
            "created": flip.at,
            "old_status": flip.old_status.value,
            "new_status": flip.new_status.value,
            "reason": flip.reason,
            "processed": processed,
        }
        for check_id, flip in new_flips
    ]


async def insert_flips(
    connection: AsyncConnection,
    new_flips: Iterable[tuple[int, Flip]],
    processed: datetime | None = None,
) -> None:
    rows = flip_rows(new_flips, processed)
    if rows:
        await connection.execute(flips.insert(), rows)


async def list_flips(
    connection: AsyncConnection,
    check_id: int,
    *,
    since: datetime | None = None,
    before: datetime | None = None,
    limit: int | None = None,
) -> list[FlipRecord]:
    """The check's flips, newest first; `since` inclusive, `before` exclusive; the
    newest `limit` of them if given."""
    query = (
        sa.select(flips)
        .where(flips.c.check_id == check_id)
        .order_by(flips.c.created.desc(), flips.c.id.desc())
    )
    if since is not None:
        query = query.where(flips.c.created >= since)
    if before is not None:
        query = query.where(flips.c.created < before)
    return [flip_from_row(row) for row in await connection.execute(query.limit(limit))]


async def flips_by_id(
    connection: AsyncConnection, check_id: int, below_id: int | None, limit: int
) -> list[FlipRecord]:
    """Highest id first, for lists paged by a cursor holding the last id shown."""
    query = sa.select(flips).where(flips.c.check_id == check_id)
    if below_id is not None:
        query = query.where(flips.c.id < below_id)
    query = query.order_by(flips.c.id.desc()).limit(limit)
    return [flip_from_row(row) for row in await connection.execute(query)]


def flip_from_row(row: sa.Row[Any]) -> FlipRecord:
    flip = Flip(row.created, Status(row.old_status), Status(row.new_status), row.reason)
    return FlipRecord(row.id, row.check_id, flip, row.processed)


async def delete_check(connection: AsyncConnection, check_id: int) -> None:
    await connection.execute(checks.delete().where(checks.c.id == check_id))


async def earliest_deadline(connection: AsyncConnection) -> datetime | None:
    query = (
        sa.select(checks.c.alert_after)
        .where(checks.c.alert_after.is_not(None))
        .order_by(checks.c.alert_after)
        .limit(1)
    )
    value: datetime | None = await connection.scalar(query)
    return value


async def checks_by_column(
    connection: AsyncConnection, column: str, value: str, *, for_update: bool = False
) -> list[CheckRecord]:
    return await checks_where(connection, checks.c[column] == value, for_update=for_update)


async def project_signature(
    connection: AsyncConnection, project_id: int
) -> tuple[int, datetime | None]:
    """How many checks the project has and when one last changed: cheap to poll, and
    different after any ping, flip, edit, creation or deletion."""
    query = sa.select(sa.func.count(), sa.func.max(checks.c.updated)).where(
        checks.c.project_id == project_id
    )
    count, updated = (await connection.execute(query)).one()
    return int(count), updated
