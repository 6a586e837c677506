"""Rows of the checks table into records, with no SQLAlchemy: the one mapping that
SQLAlchemy's rows (store.checks), the ping path's raw rows (store.fastpath.batch) and
the sqlite3 read lane of short commands (store.quickread) all go through."""

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from tocsin.domain.checks import CheckState, Status
from tocsin.domain.keywords import KeywordRules
from tocsin.domain.records import CheckRecord
from tocsin.domain.run_rules import NO_RULES, RunRules, run_rules
from tocsin.domain.schedule import WEEKDAYS, Cron, Maintenance, OnCalendar, Period, Schedule

# SQLite keeps times as integer microseconds since the epoch (store.tables.UTCDateTime)
# and uuids as 32 hex digits.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def to_epoch_microseconds(value: datetime) -> int:
    return (value - EPOCH) // MICROSECOND


def from_epoch_microseconds(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


def sqlite_time(value: Any) -> datetime | None:
    """A time as sqlite3 returns it."""
    return None if value is None else EPOCH + timedelta(microseconds=value)


def sqlite_uuid(value: Any) -> uuid.UUID | None:
    """A uuid as sqlite3 returns it."""
    return None if value is None else uuid.UUID(hex=value)


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


def rules_from_columns(
    min_duration: int | None,
    max_duration: int | None,
    min_interval: int | None,
    from_starts: Any,
    failure_threshold: int,
    recovery_threshold: int,
) -> RunRules:
    if (
        min_duration is None
        and max_duration is None
        and min_interval is None
        and failure_threshold == 1
        and recovery_threshold == 1
        and not from_starts
    ):
        return NO_RULES  # most checks: no record built, and the ping path tells by identity
    return run_rules(
        seconds_or_none(min_duration),
        seconds_or_none(max_duration),
        seconds_or_none(min_interval),
        bool(from_starts),
        failure_threshold,
        recovery_threshold,
    )


def seconds_or_none(seconds: int | None) -> timedelta | None:
    return None if seconds is None else timedelta(seconds=seconds)


def keywords_from_columns(start: str, success: str, failure: str, *flags: Any) -> KeywordRules:
    """The values of the KEYWORD_COLUMNS, in order (store.checks)."""
    subject, body, http_body, default_fail, regex = (bool(flag) for flag in flags)
    return KeywordRules(start, success, failure, subject, body, http_body, default_fail, regex)


def time_of_day(seconds: int) -> time:
    return time(seconds // 3600, seconds // 60 % 60, seconds % 60)


def schedule_of(kind: str, period: int | None, cron: str | None, tz: str) -> Schedule:
    if kind == "cron":
        assert cron is not None
        return Cron(cron, tz)
    if kind == "oncalendar":  # its expressions are kept in the cron column
        assert cron is not None
        return OnCalendar(cron, tz)
    assert period is not None
    return Period(timedelta(seconds=period))


def as_read(value: Any) -> Any:
    """Values SQLAlchemy has already converted."""
    return value


def record_from_values(
    values: Sequence[Any],
    read_time: Callable[[Any], datetime | None] = as_read,
    read_uuid: Callable[[Any], uuid.UUID | None] = as_read,
) -> CheckRecord:
    """A record from the values of RECORD_COLUMNS, in order: a SQLAlchemy row of them,
    or the ping path's raw row with its driver's decoders of times and uuids."""
    (
        check_id,
        project_id,
        check_uuid,
        token,
        name,
        slug,
        tags,
        description,
        n_pings,
        created,
        deadline,
        kind,
        period,
        cron,
        tz,
        grace,
        status,
        last_ping,
        last_start,
        last_start_rid,
        last_duration,
        manual_resume,
        methods,
        maintenance_days,
        maintenance_from,
        maintenance_to,
        maintenance_tz,
        min_duration,
        max_duration,
        min_interval,
        from_starts,
        failure_threshold,
        recovery_threshold,
        failure_streak,
        success_streak,
        missed_due,
        last_run,
        *keyword_values,
    ) = values
    state = CheckState(
        schedule=schedule_of(kind, period, cron, tz),
        grace=timedelta(seconds=grace),
        status=Status(status),
        last_ping=read_time(last_ping),
        last_start=read_time(last_start),
        last_start_rid=read_uuid(last_start_rid),
        last_duration=None if last_duration is None else timedelta(seconds=last_duration),
        manual_resume=bool(manual_resume),
        post_only=methods == "POST",
        maintenance=maintenance_from_columns(
            maintenance_days, maintenance_from, maintenance_to, maintenance_tz
        ),
        rules=rules_from_columns(
            min_duration,
            max_duration,
            min_interval,
            from_starts,
            failure_threshold,
            recovery_threshold,
        ),
        failures=failure_streak,
        successes=success_streak,
        missed_due=read_time(missed_due),
        last_run=read_time(last_run),
        held_until=read_time(deadline),
    )
    record_uuid = read_uuid(check_uuid)
    created_at = read_time(created)
    assert record_uuid is not None
    assert created_at is not None
    return CheckRecord(
        check_id,
        project_id,
        record_uuid,
        token,
        name,
        slug,
        tags,
        description,
        n_pings,
        created_at,
        read_time(deadline),
        state,
        # Nearly every check has no rules: three flags tested, nothing built.
        keywords_from_columns(*keyword_values)
        if keyword_values[3] or keyword_values[4] or keyword_values[5]
        else None,
    )
