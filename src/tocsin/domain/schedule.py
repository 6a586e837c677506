"""When a check's next ping is due: a fixed period, a cron expression in a time zone, or
systemd OnCalendar expressions in a time zone.

Pure functions only. Cron semantics come from cronsim, the library Healthchecks uses,
so DST gaps and repeats behave exactly as they do there: a slot that falls into a
spring-forward gap fires at the first valid time after it, and a slot inside an autumn
repeat fires once, in the first (summer-time) pass. OnCalendar semantics come from the
`oncalendar` library, Healthchecks' too, which follows systemd: a slot inside a
spring-forward gap is skipped, and one inside an autumn repeat fires once.
"""

import itertools
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from cronsim import CronSim, CronSimError
from oncalendar import OnCalendar as OnCalendarIterator
from oncalendar import OnCalendarError

from tocsin.domain.durations import format_duration

MIN_PERIOD = timedelta(seconds=1)
MAX_PERIOD = timedelta(days=365)
MIN_GRACE = timedelta(0)
MAX_GRACE = timedelta(days=365)
MAX_CRON_LENGTH = 100
MAX_ONCALENDAR_LENGTH = 100
# Past its last occurrence (a schedule naming a year), an OnCalendar check is never due
# again, as in Healthchecks; a far-off due time says so without a special case.
NEVER = datetime(3000, 1, 1, tzinfo=UTC)


def unless_never(due: datetime | None) -> datetime | None:
    """A due time as APIs and exports show it: None when nothing is ever due again
    (Healthchecks' `next_ping: null`), never the far-off stand-in."""
    return None if due == NEVER else due


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


@dataclass(frozen=True, slots=True)
class OnCalendar:
    """A ping is due at the next moment any of the systemd OnCalendar expressions
    (one a line, as in `Mon..Fri *-*-* 02:00`) names, in `tz` unless a line names its own
    zone at its end."""

    expression: str
    tz: str = "UTC"

    def describe(self) -> str:
        return f"OnCalendar {'; '.join(self.expression.splitlines())} ({self.tz})"


Schedule = Period | Cron | OnCalendar
# The schedules with an expression in a zone, firing at set times rather than a period.
Calendar = Cron | OnCalendar


def next_due(schedule: Schedule, after: datetime) -> datetime:
    """The first moment after `after` when the job should have pinged, in UTC."""
    if isinstance(schedule, Period):
        return (after + schedule.period).astimezone(UTC)
    if isinstance(schedule, OnCalendar):
        return next_oncalendar(schedule, after)
    # Through UTC: astimezone() to an aware datetime's own zone returns it unchanged,
    # even when it names a wall time that does not exist (inside a DST gap).
    local = after.astimezone(UTC).astimezone(ZoneInfo(schedule.tz))
    # Back to UTC at once: adding grace to a local time would be wrong across DST.
    # In the hour a DST change repeats, cronsim may answer the first pass of a wall
    # time when `after` lies in the second (fold=1): an instant before `after`.
    # Due times only go forward, so skip those.
    due_times = (moment.astimezone(UTC) for moment in CronSim(schedule.expression, local))
    return next(due for due in due_times if due > after)


def next_oncalendar(schedule: OnCalendar, after: datetime) -> datetime:
    local = after.astimezone(UTC).astimezone(ZoneInfo(schedule.tz))
    # As with cron: in an hour that DST repeats, a first-pass slot may come out before
    # `after` when `after` lies in the second pass; due times only go forward.
    due_times = (
        moment.astimezone(UTC) for moment in OnCalendarIterator(schedule.expression, local)
    )
    return next((due for due in due_times if due > after), NEVER)


SAMPLED_RUNS = 8


def typical_interval(schedule: Schedule, now: datetime) -> timedelta:
    """A period's own length; for a cron schedule, the gap between runs seen most often
    over its next few (the longer on a tie), for APIs whose checks only have periods:
    a day for `0 2 * * *` even across a DST change, and for `0 9 * * 1-5`."""
    if isinstance(schedule, Period):
        return schedule.period
    times = upcoming(schedule, now, SAMPLED_RUNS)
    if len(times) < 2:  # an OnCalendar schedule near its last occurrence
        return MAX_PERIOD
    gaps = Counter(later - earlier for earlier, later in itertools.pairwise(times))
    return max(gaps, key=lambda gap: (gaps[gap], gap))


def upcoming(schedule: Schedule, after: datetime, count: int) -> list[datetime]:
    """The next `count` due times (fewer if the schedule ends before), for previews."""
    times: list[datetime] = []
    for _ in range(count):
        after = next_due(schedule, after)
        if after == NEVER:
            break
        times.append(after)
    return times


def rescheduled(
    current: Schedule,
    *,
    cron: str | None,
    period: timedelta | None,
    tz: str,
    oncalendar: str | None = None,
) -> Schedule:
    """The schedule after a change: an expression sent wins over a period sent with it;
    a zone alone moves a cron or OnCalendar schedule and is kept for a period one."""
    if oncalendar is not None:
        return oncalendar_schedule(oncalendar, tz)
    if cron is not None:
        return cron_schedule(cron, tz)
    if period is not None:
        return Period(period)
    if isinstance(current, Cron) and current.tz != tz:
        return cron_schedule(current.expression, tz)
    if isinstance(current, OnCalendar) and current.tz != tz:
        return oncalendar_schedule(current.expression, tz)
    return current


def is_cron_form(expression: str) -> bool:
    """Healthchecks' reading of a `schedule`: one line of exactly 5 fields is cron,
    anything else OnCalendar."""
    return "\n" not in expression.strip() and len(expression.split()) == 5


def expression_schedule(expression: str, tz: str = "UTC") -> Cron | OnCalendar:
    """A cron or OnCalendar schedule, whichever form the expression has."""
    if is_cron_form(expression):
        return cron_schedule(expression, tz)
    return oncalendar_schedule(expression, tz)


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


# Healthchecks validates an OnCalendar expression by its first occurrence after this
# moment: one that names a past year is accepted, and never due.
VALIDATED_FROM = datetime(2000, 1, 1, tzinfo=UTC)


def oncalendar_schedule(expression: str, tz: str = "UTC") -> OnCalendar:
    """Validate OnCalendar expressions (one a line; blank and repeated lines and the
    spaces around each dropped) and the zone by computing an occurrence of each line."""
    lines = [" ".join(line.split()) for line in expression.splitlines()]
    expression = "\n".join(dict.fromkeys(line for line in lines if line))  # once each
    if not expression:
        raise ScheduleError("OnCalendar expression is empty: give one such as 'Mon *-*-* 02:00'")
    if len(expression) > MAX_ONCALENDAR_LENGTH:
        raise ScheduleError(
            f"OnCalendar expression is longer than {MAX_ONCALENDAR_LENGTH} characters"
        )
    validate_timezone(tz)
    # One line at a time, to name the wrong one. A line that never fires (`*-02-30`) is
    # refused even beside others, where Healthchecks accepts it: it is surely a mistake,
    # and each due time would search it through to 2200 again.
    for line in expression.split("\n"):
        try:
            next(OnCalendarIterator(line, VALIDATED_FROM))
        except OnCalendarError as error:
            raise ScheduleError(f"invalid OnCalendar expression {line!r}: {error}") from None
        except StopIteration:
            raise ScheduleError(
                f"invalid OnCalendar expression {line!r}: it names no moment before 2200"
            ) from None
    return OnCalendar(expression, tz)


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


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class Maintenance:
    """A daily maintenance window, as Better Stack has them: on each listed weekday,
    from `start` to `end` local time in `tz`. A window whose end comes before its
    start runs overnight, and, as in Better Stack, each day it touches must be listed
    (Mon 23:00-02:00 is `mon`, `tue` with 23:00 and 02:00); equal start and end mean the
    whole day. No check goes down inside a window: its deadline moves to the end."""

    days: frozenset[int]  # 0 is Monday
    start: time
    end: time
    tz: str = "UTC"

    def describe(self) -> str:
        days = ", ".join(WEEKDAYS[day] for day in sorted(self.days))
        return f"{days} {self.start:%H:%M}-{self.end:%H:%M} ({self.tz})"


def outside_maintenance(window: Maintenance | None, moment: datetime) -> datetime:
    """The first moment at or after `moment` that no maintenance window covers."""
    if window is None or not window.days:
        return moment
    # Back-to-back windows (whole days, overnight ones) chain: a week of them at most.
    for _ in range(len(WEEKDAYS) + 1):
        window_end = end_of_window_covering(window, moment)
        if window_end is None:
            return moment
        moment = window_end
    return moment


def end_of_window_covering(window: Maintenance, moment: datetime) -> datetime | None:
    zone = ZoneInfo(window.tz)
    local = moment.astimezone(UTC).astimezone(zone)
    if local.weekday() not in window.days:
        return None
    now, today = local.time(), local.date()
    midnight = today + timedelta(days=1)
    if window.start == window.end:
        end_date, end_time = midnight, time(0)
    elif window.start < window.end:
        if not window.start <= now < window.end:
            return None
        end_date, end_time = today, window.end
    elif now >= window.start:  # overnight, before midnight: on to the next day's part
        end_date, end_time = midnight, time(0)
    elif now < window.end:  # overnight, after midnight
        end_date, end_time = today, window.end
    else:
        return None
    found = datetime.combine(end_date, end_time, tzinfo=zone).astimezone(UTC)
    # A window end inside a DST gap can map to a moment no later than this one.
    return found if found > moment else moment + timedelta(minutes=1)


def validate_maintenance(days: list[str], start: str, end: str, tz: str) -> Maintenance:
    """From Better Stack's fields: weekday names, `HH:MM:SS` (or `HH:MM`) times, a zone."""
    validate_timezone(tz)
    return Maintenance(weekdays(days), clock_time(start), clock_time(end), tz)


def weekdays(days: list[str]) -> frozenset[int]:
    unknown = sorted({day for day in days if day not in WEEKDAYS})
    if unknown:
        raise ScheduleError(f"unknown weekday {', '.join(unknown)}: use {', '.join(WEEKDAYS)}")
    return frozenset(WEEKDAYS.index(day) for day in days)


def clock_time(text: str) -> time:
    try:
        parsed = time.fromisoformat(text)
    except (TypeError, ValueError):
        parsed = None
    if parsed is None or parsed.tzinfo is not None:
        raise ScheduleError(f"invalid time of day {text!r}: use HH:MM:SS")
    return parsed
