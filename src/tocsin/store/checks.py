"""Queries on checks and flips, in terms of the pure check state.

Store query functions are synchronous, over a SQLAlchemy `Connection`; async code
reaches them through `store.database.Database` (`read_with`, `write_with`, or
`run_sync` inside a `read()`/`write()` transaction). The ping path's batches
(store.fastpath.batch) write check states with the same statement (`STATE_UPDATE`) and read
records with the same mapping (`store.rows.record_from_values`).
"""

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from tocsin.domain.checks import CheckState, Flip, Status, alert_after
from tocsin.domain.identifiers import new_check_uuid, new_token
from tocsin.domain.keywords import KeywordRules
from tocsin.domain.records import CheckDetails, CheckRecord, FlipRecord, NewCheck
from tocsin.domain.run_rules import RunRules
from tocsin.domain.schedule import WEEKDAYS, Maintenance, OnCalendar, Period, Schedule
from tocsin.store.rows import (
    keywords_from_columns,
    maintenance_from_columns,
    record_from_values,
    rules_from_columns,
    schedule_of,
)
from tocsin.store.tables import checks, flips


def schedule_columns(schedule: Schedule) -> dict[str, Any]:
    if isinstance(schedule, Period):
        return {"kind": "simple", "period": round(schedule.period.total_seconds()), "cron": None}
    kind = "oncalendar" if isinstance(schedule, OnCalendar) else "cron"
    return {"kind": kind, "period": None, "cron": schedule.expression, "tz": schedule.tz}


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


def rules_columns(rules: RunRules) -> dict[str, Any]:
    return {
        "run_min_duration": whole_seconds(rules.min_duration),
        "run_max_duration": whole_seconds(rules.max_duration),
        "run_min_interval": whole_seconds(rules.min_interval),
        "run_interval_from_starts": rules.interval_from_starts,
        "failure_threshold": rules.failure_threshold,
        "recovery_threshold": rules.recovery_threshold,
    }


def whole_seconds(duration: timedelta | None) -> int | None:
    return None if duration is None else round(duration.total_seconds())


def rules_from_row(row: sa.Row[Any]) -> RunRules:
    return rules_from_columns(
        row.run_min_duration,
        row.run_max_duration,
        row.run_min_interval,
        row.run_interval_from_starts,
        row.failure_threshold,
        row.recovery_threshold,
    )


def seconds_after_midnight(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def maintenance_from_row(row: sa.Row[Any]) -> Maintenance | None:
    return maintenance_from_columns(
        row.maintenance_days, row.maintenance_from, row.maintenance_to, row.maintenance_tz
    )


def schedule_from_row(row: sa.Row[Any]) -> Schedule:
    return schedule_of(row.kind, row.period, row.cron, row.tz)


# The columns a state change writes, in the order of `state_values`.
STATE_COLUMNS: tuple[sa.Column[Any], ...] = (
    checks.c.status,
    checks.c.last_ping,
    checks.c.last_start,
    checks.c.last_start_rid,
    checks.c.last_duration,
    checks.c.alert_after,
    checks.c.failure_streak,
    checks.c.success_streak,
    checks.c.missed_due,
    checks.c.last_run,
)
STATE_NAMES = tuple(column.name for column in STATE_COLUMNS)


def state_columns(state: CheckState) -> dict[str, Any]:
    """The columns a state change writes, by name."""
    return dict(zip(STATE_NAMES, state_values(state), strict=True))


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
        state.failures,
        state.successes,
        state.missed_due,
        state.last_run,
    )


# The one statement that writes check states, on both roads: the STATE_COLUMNS (bound
# by their names), `added` more pings, `updated`, for the check whose id is `check_id`.
# `save_states` runs it through SQLAlchemy; the ping path runs its SQL text, compiled
# once, through the DBAPI cursor (store.fastpath.batch.UPDATE_STATE).
STATE_UPDATE = (
    checks.update()
    .where(checks.c.id == sa.bindparam("check_id"))
    .values(
        {
            **{column: sa.bindparam(column.name) for column in STATE_COLUMNS},
            checks.c.n_pings: checks.c.n_pings + sa.bindparam("added"),
            checks.c.updated: sa.bindparam("updated"),
        }
    )
)

# A check's keyword rules, in the order `store.rows.keywords_from_columns` takes them.
KEYWORD_COLUMNS: tuple[sa.Column[Any], ...] = (
    checks.c.start_kw,
    checks.c.success_kw,
    checks.c.failure_kw,
    checks.c.filter_subject,
    checks.c.filter_body,
    checks.c.filter_http_body,
    checks.c.filter_default_fail,
    checks.c.kw_regex,
)
KEYWORD_NAMES = tuple(column.name for column in KEYWORD_COLUMNS)


def keyword_columns(rules: KeywordRules) -> dict[str, Any]:
    return {name: getattr(rules, name) for name in KEYWORD_NAMES[:-1]} | {"kw_regex": rules.regex}


def keywords_from_row(row: sa.Row[Any]) -> KeywordRules:
    return keywords_from_columns(*(row._mapping[name] for name in KEYWORD_NAMES))


# The columns a CheckRecord is made of, in the order `record_from_values` takes them.
RECORD_COLUMNS: tuple[sa.Column[Any], ...] = (
    checks.c.id,
    checks.c.project_id,
    checks.c.uuid,
    checks.c.token,
    checks.c.name,
    checks.c.slug,
    checks.c.tags,
    checks.c.description,
    checks.c.n_pings,
    checks.c.created,
    checks.c.alert_after,
    checks.c.kind,
    checks.c.period,
    checks.c.cron,
    checks.c.tz,
    checks.c.grace,
    checks.c.status,
    checks.c.last_ping,
    checks.c.last_start,
    checks.c.last_start_rid,
    checks.c.last_duration,
    checks.c.manual_resume,
    checks.c.methods,
    checks.c.maintenance_days,
    checks.c.maintenance_from,
    checks.c.maintenance_to,
    checks.c.maintenance_tz,
    checks.c.run_min_duration,
    checks.c.run_max_duration,
    checks.c.run_min_interval,
    checks.c.run_interval_from_starts,
    checks.c.failure_threshold,
    checks.c.recovery_threshold,
    checks.c.failure_streak,
    checks.c.success_streak,
    checks.c.missed_due,
    checks.c.last_run,
    *KEYWORD_COLUMNS,
)


def record_from_row(row: sa.Row[Any]) -> CheckRecord:
    """A row of `select_checks` (or one returning RECORD_COLUMNS)."""
    return record_from_values(row)


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
        **rules_columns(spec.rules),
        **keyword_columns(spec.keywords),
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
        rules=rules_from_row(row),
        keywords=keywords_from_row(row),
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
        rules=spec.rules,
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


def insert_check(
    connection: sa.Connection, project_id: int, spec: NewCheck, now: datetime
) -> CheckRecord:
    values = new_check_values(project_id, spec, now)
    result = connection.execute(checks.insert().values(values).returning(*RECORD_COLUMNS))
    return record_from_row(result.one())


def select_checks(*, for_update: bool = False) -> sa.Select[Any]:
    query = sa.select(*RECORD_COLUMNS)
    # Row locks order concurrent writers on PostgreSQL; SQLite ignores them and
    # serialises writers with BEGIN IMMEDIATE instead.
    return query.with_for_update() if for_update else query


def checks_where(
    connection: sa.Connection, condition: sa.ColumnElement[bool], *, for_update: bool = False
) -> list[CheckRecord]:
    query = select_checks(for_update=for_update).where(condition).order_by(checks.c.id)
    return [record_from_row(row) for row in connection.execute(query)]


def check_by_uuid(
    connection: sa.Connection, check_uuid: uuid.UUID, *, for_update: bool = False
) -> CheckRecord | None:
    found = checks_where(connection, checks.c.uuid == check_uuid, for_update=for_update)
    return found[0] if found else None


def details_where(
    connection: sa.Connection, condition: sa.ColumnElement[bool], *, for_update: bool = False
) -> list[CheckDetails]:
    query = select_checks(for_update=for_update).where(condition)
    rows = connection.execute(query.order_by(checks.c.created, checks.c.id))
    return [CheckDetails(record_from_row(row), spec_from_row(row)) for row in rows]


def project_checks(
    connection: sa.Connection, project_id: int, *, for_update: bool = False
) -> list[CheckDetails]:
    return details_where(connection, checks.c.project_id == project_id, for_update=for_update)


def written_details(connection: sa.Connection, check_id: int) -> CheckDetails:
    """A check this transaction has just written, read back with its settings."""
    (found,) = details_where(connection, checks.c.id == check_id)
    return found


def project_check(
    connection: sa.Connection, project_id: int, check_id: int, *, for_update: bool = False
) -> CheckDetails | None:
    """The check with this id if it is the project's."""
    condition = (checks.c.id == check_id) & (checks.c.project_id == project_id)
    found = details_where(connection, condition, for_update=for_update)
    return found[0] if found else None


def checks_with_ids(
    connection: sa.Connection, check_ids: Sequence[int], *, for_update: bool = False
) -> list[CheckRecord]:
    return checks_where(connection, checks.c.id.in_(check_ids), for_update=for_update)


def details_by_uuid(
    connection: sa.Connection, check_uuid: uuid.UUID, *, for_update: bool = False
) -> CheckDetails | None:
    found = details_where(connection, checks.c.uuid == check_uuid, for_update=for_update)
    return found[0] if found else None


def update_spec(
    connection: sa.Connection, record: CheckRecord, spec: NewCheck, now: datetime
) -> None:
    """Save new settings with the deadline they give (`alert_after`), so the watcher
    acts on the new schedule and grace from now on."""
    state = with_spec(record.state, spec)
    values = {**spec_columns(spec), **state_columns(state), "updated": now}
    connection.execute(checks.update().where(checks.c.id == record.id).values(values))


Transition = Callable[[CheckState, datetime], tuple[CheckState, Flip | None]]


def apply_transition(
    connection: sa.Connection, record: CheckRecord, transition: Transition, now: datetime
) -> tuple[CheckState, Flip | None]:
    """Pause or resume a check (locked by the caller) by hand; the flip needs no alert."""
    new_state, flip = transition(record.state, now)
    save_states(connection, [(record.id, new_state, 0)], now)
    if flip is not None:
        insert_flips(connection, [(record.id, flip)], processed=now)
    return new_state, flip


# Every check, oldest first. On SQLite, `tocsin check list` runs this query's compiled
# text through sqlite3 (store.quickread.LIST_CHECKS_SQL; a test keeps them equal).
LIST_CHECKS = select_checks().order_by(checks.c.created, checks.c.id)


def list_checks(connection: sa.Connection) -> list[CheckRecord]:
    return [record_from_row(row) for row in connection.execute(LIST_CHECKS)]


def save_states(
    connection: sa.Connection, changes: Sequence[tuple[int, CheckState, int]], now: datetime
) -> None:
    """Write (check id, new state, pings added) for many checks in one statement."""
    if not changes:
        return
    rows = [
        {"check_id": check_id, "added": added, "updated": now, **state_columns(state)}
        for check_id, state, added in changes
    ]
    connection.execute(STATE_UPDATE, rows)


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


def insert_flips(
    connection: sa.Connection,
    new_flips: Iterable[tuple[int, Flip]],
    processed: datetime | None = None,
) -> None:
    rows = flip_rows(new_flips, processed)
    if rows:
        connection.execute(flips.insert(), rows)


def list_flips(
    connection: sa.Connection,
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
    return [flip_from_row(row) for row in connection.execute(query.limit(limit))]


def flips_by_id(
    connection: sa.Connection, check_id: int, below_id: int | None, limit: int
) -> list[FlipRecord]:
    """Highest id first, for lists paged by a cursor holding the last id shown."""
    query = sa.select(flips).where(flips.c.check_id == check_id)
    if below_id is not None:
        query = query.where(flips.c.id < below_id)
    query = query.order_by(flips.c.id.desc()).limit(limit)
    return [flip_from_row(row) for row in connection.execute(query)]


def flip_from_row(row: sa.Row[Any]) -> FlipRecord:
    flip = Flip(row.created, Status(row.old_status), Status(row.new_status), row.reason)
    return FlipRecord(row.id, row.check_id, flip, row.processed)


def delete_check(connection: sa.Connection, check_id: int) -> None:
    connection.execute(checks.delete().where(checks.c.id == check_id))


def earliest_deadline(connection: sa.Connection) -> datetime | None:
    query = (
        sa.select(checks.c.alert_after)
        .where(checks.c.alert_after.is_not(None))
        .order_by(checks.c.alert_after)
        .limit(1)
    )
    value: datetime | None = connection.scalar(query)
    return value


def checks_by_column(
    connection: sa.Connection, column: str, value: str, *, for_update: bool = False
) -> list[CheckRecord]:
    return checks_where(connection, checks.c[column] == value, for_update=for_update)


def project_signature(connection: sa.Connection, project_id: int) -> tuple[int, datetime | None]:
    """How many checks the project has and when one last changed: cheap to poll, and
    different after any ping, flip, edit, creation or deletion."""
    query = sa.select(sa.func.count(), sa.func.max(checks.c.updated)).where(
        checks.c.project_id == project_id
    )
    count, updated = connection.execute(query).one()
    return int(count), updated
