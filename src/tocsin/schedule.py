"""When a check's next ping is due: a fixed period, or a cron expression in a time zone.

Pure functions only. Cron semantics come from cronsim, the library Healthchecks uses,
so DST gaps and repeats behave exactly as they do there: a slot that falls into a
spring-forward gap fires at the first valid time after it, and a slot inside an autumn
repeat fires once, in the first (summer-time) pass.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from cronsim import CronSim, CronSimError

from tocsin.durations import format_duration

MIN_PERIOD = timedelta(seconds=1)
MAX_PERIOD = timedelta(days=365)
MIN_GRACE = timedelta(0)
MAX_GRACE = timedelta(days=365)
MAX_CRON_LENGTH = 100


class ScheduleError(ValueError):
    """A schedule that cannot be used, with a message a person can act on."""


@dataclass(frozen=True, slots=True)
class Period:
    """A ping is due `period` after the previous one."""

    period: timedelta

    def describe(self) -> str:
        return f"every {format_duration(self.period)}"


@dataclass(frozen=True, slots=True)
class Cron:
    """A ping is due at the next firing of a 5-field cron expression in `tz`."""

    expression: str
    tz: str = "UTC"

    def describe(self) -> str:
        return f"cron {self.expression} ({self.tz})"


Schedule = Period | Cron


def next_due(schedule: Schedule, after: datetime) -> datetime:
    """The first moment after `after` when the job should have pinged, in UTC."""
    if isinstance(schedule, Period):
        return (after + schedule.period).astimezone(UTC)
    # Through UTC: astimezone() to an aware datetime's own zone returns it unchanged,
    # even when it names a wall time that does not exist (inside a DST gap).
    local = after.astimezone(UTC).astimezone(ZoneInfo(schedule.tz))
    # Back to UTC at once: adding grace to a local time would be wrong across DST.
    return next(CronSim(schedule.expression, local)).astimezone(UTC)


def upcoming(schedule: Schedule, after: datetime, count: int) -> list[datetime]:
    """The next `count` due times, for previews."""
    times: list[datetime] = []
    for _ in range(count):
        after = next_due(schedule, after)
        times.append(after)
    return times


def rescheduled(
    current: Schedule, *, cron: str | None, period: timedelta | None, tz: str
) -> Schedule:
    """The schedule after a change: a cron expression sent wins over a period sent with
    it; a zone alone moves a cron schedule and is kept for a period one."""
    if cron is not None:
        return cron_schedule(cron, tz)
    if period is not None:
        return Period(period)
    if isinstance(current, Cron) and current.tz != tz:
        return cron_schedule(current.expression, tz)
    return current


def period_schedule(period: timedelta) -> Period:
    check_range("period", period, MIN_PERIOD, MAX_PERIOD)
    return Period(period)


def cron_schedule(expression: str, tz: str = "UTC") -> Cron:
    """Validate the expression and zone by computing one firing, as Healthchecks does."""
    expression = " ".join(expression.split())
    if len(expression) > MAX_CRON_LENGTH:
        raise ScheduleError(f"cron expression is longer than {MAX_CRON_LENGTH} characters")
    if len(expression.split(" ")) != 5:
        raise ScheduleError(
            f"invalid cron expression {expression!r}: it needs 5 fields "
            "(minute hour day-of-month month day-of-week)"
        )
    zone = validate_timezone(tz)
    try:
        next(CronSim(expression, datetime.now(zone)))
    except (CronSimError, StopIteration) as error:
        raise ScheduleError(f"invalid cron expression {expression!r}: {error}") from None
    return Cron(expression, tz)


def validate_timezone(tz: str) -> ZoneInfo:
    # The IANA list, not whatever file zoneinfo can open ("localtime", "posixrules").
    if tz not in iana_zones():
        raise ScheduleError(
            f"unknown time zone {tz!r}: use an IANA name such as Europe/Berlin or UTC"
        )
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"time zone {tz!r} has no data on this machine") from None


@cache
def iana_zones() -> frozenset[str]:
    return frozenset(available_timezones() - {"localtime", "posixrules", "Factory"})


def validate_grace(grace: timedelta) -> timedelta:
    check_range("grace", grace, MIN_GRACE, MAX_GRACE)
    return grace


def check_range(name: str, value: timedelta, low: timedelta, high: timedelta) -> None:
    if not low <= value <= high:
        raise ScheduleError(
            f"{name} must be between {format_duration(low)} and {format_duration(high)}, "
            f"not {format_duration(value)}"
        )
