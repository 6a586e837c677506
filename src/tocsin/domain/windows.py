"""Maintenance windows and snoozes: when a check may not go down and an incident does
not escalate. Pure.

A window is recurring (on listed weekdays, from a local start to a local end in a zone:
`schedule.Maintenance`, overnight allowed) or one-off (from one UTC instant until
another). It is scoped to one check, to every check with a tag, or to a whole project.
A snooze is a one-off window of a single check, made from a duration and named after
who made it. The window a check carries itself (Better Stack's daily one, on the check
row) is one more window here, so one set of rules answers for all of them.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tocsin.domain.durations import format_duration
from tocsin.domain.schedule import (
    WEEKDAYS,
    Maintenance,
    ScheduleError,
    end_of_window_covering,
    validate_maintenance,
)

MAX_NAME = 100
MAX_SNOOZE = timedelta(days=30)
MIN_SNOOZE = timedelta(seconds=1)
MAX_ONE_OFF = timedelta(days=366)
# Windows can chain (a daily window, a one-off reaching into it, the next day's): a
# chain that lasts a year is "covered for good", and its end is taken a year on.
COVERED_FOR_GOOD = timedelta(days=366)
SNOOZE_NAME = "snooze"
# One-off windows and snoozes that ended this long ago are deleted (by the pruner, and
# when the project's windows change): the Maintenance page stays a list of what matters.
KEEP_ENDED = timedelta(days=7)


class WindowError(ValueError):
    """A window that cannot be used, with a message a person can act on."""


@dataclass(frozen=True, slots=True)
class OneOff:
    """From `starts` until `ends`, UTC instants."""

    starts: datetime
    ends: datetime

    def describe(self) -> str:
        return f"{self.starts:%Y-%m-%d %H:%M} to {self.ends:%Y-%m-%d %H:%M} UTC"


When = Maintenance | OneOff


@dataclass(frozen=True, slots=True)
class Scope:
    """What a window covers: one check, every check with a tag, or (neither) the project."""

    check_id: int | None = None
    tag: str | None = None

    def describe(self, check_name: str = "") -> str:
        if self.check_id is not None:
            return f"check {check_name or self.check_id}"
        if self.tag is not None:
            return f"tag {self.tag}"
        return "project"


@dataclass(frozen=True, slots=True)
class Window:
    id: int
    project_id: int
    name: str
    when: When
    scope: Scope
    created_by: str = ""
    snooze: bool = False

    @property
    def until(self) -> datetime | None:
        """A one-off window's (a snooze's) end."""
        return self.when.ends if isinstance(self.when, OneOff) else None

    @property
    def label(self) -> str:
        return f"snooze by {self.created_by}" if self.snooze else f"window {self.name!r}"


def end_covering(when: When, moment: datetime) -> datetime | None:
    """The end of `when`'s stretch that covers `moment`, or None if none does."""
    if isinstance(when, OneOff):
        return when.ends if when.starts <= moment < when.ends else None
    if not when.days:
        return None
    return end_of_window_covering(when, moment)


def applies_to(window: Window, project_id: int, check_id: int, tags: str) -> bool:
    """A check's own windows, its tags' and its project's."""
    if window.project_id != project_id:
        return False
    if window.scope.check_id is not None:
        return window.scope.check_id == check_id
    if window.scope.tag is not None:
        return window.scope.tag in tags.split()
    return True


def windows_of(
    windows: Iterable[Window], project_id: int, check_id: int, tags: str
) -> list[Window]:
    return [w for w in windows if applies_to(w, project_id, check_id, tags)]


def covering(windows: Sequence[Window], moment: datetime) -> tuple[Window, datetime] | None:
    """The window covering `moment` that lasts longest, with its end; None outside all."""
    found = [(w, end) for w in windows if (end := end_covering(w.when, moment)) is not None]
    return max(found, key=lambda pair: pair[1], default=None)


def inside(windows: Sequence[Window], moment: datetime) -> bool:
    return covering(windows, moment) is not None


def first_uncovered(windows: Sequence[Window], moment: datetime) -> datetime:
    """The first moment at or after `moment` that no window covers. Back-to-back and
    overlapping windows chain; applying it again changes nothing."""
    # Each step moves past the end of one window's stretch: strictly later.
    limit = moment + COVERED_FOR_GOOD
    while moment < limit and (found := covering(windows, moment)) is not None:
        moment = min(found[1], limit)
    return moment


def held_until(windows: Sequence[Window], moment: datetime) -> tuple[Window, datetime] | None:
    """If a window covers `moment`: the one that does and where the chain of windows
    ends, for "paused by window X until T"."""
    found = covering(windows, moment)
    if found is None:
        return None
    return found[0], first_uncovered(windows, moment)


def one_off(starts: datetime, ends: datetime) -> OneOff:
    if starts.tzinfo is None or ends.tzinfo is None:
        raise WindowError("give instants with a zone, such as 2026-01-31T02:00:00Z")
    if ends <= starts:
        raise WindowError("a window must end after it starts")
    if ends - starts > MAX_ONE_OFF:
        raise WindowError(f"a one-off window lasts at most {format_duration(MAX_ONE_OFF)}")
    return OneOff(starts.astimezone(UTC), ends.astimezone(UTC))


def recurring(days: Sequence[str], start: str, end: str, tz: str) -> Maintenance:
    """Weekday names (`mon`…`sun`), `HH:MM` local times, a zone; overnight when the
    end comes before the start, as in Better Stack."""
    if not days:
        raise WindowError(f"name at least one day: {', '.join(WEEKDAYS)}")
    try:
        return validate_maintenance([d.strip().lower() for d in days], start, end, tz)
    except ScheduleError as error:
        raise WindowError(str(error)) from None


def snooze_length(length: timedelta) -> timedelta:
    if not MIN_SNOOZE <= length <= MAX_SNOOZE:
        low, high = format_duration(MIN_SNOOZE), format_duration(MAX_SNOOZE)
        raise WindowError(f"a snooze lasts between {low} and {high}")
    return length


def window_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise WindowError("a window needs a name (its reason)")
    if len(name) > MAX_NAME:
        raise WindowError(f"a window's name is at most {MAX_NAME} characters")
    return name


def check_scope(check_id: int | None, tag: str | None) -> Scope:
    if check_id is not None and tag is not None:
        raise WindowError("a window covers a check, a tag or the project: not both")
    if tag is not None and (not tag.strip() or len(tag) > 50 or " " in tag.strip()):
        raise WindowError("a tag is one word of at most 50 characters")
    return Scope(check_id, tag.strip() if tag is not None else None)


def own_window(project_id: int, check_id: int, window: Maintenance | None) -> list[Window]:
    """The daily window a check carries on its own row, as a window like the others."""
    if window is None or not window.days:
        return []
    return [Window(0, project_id, "maintenance", window, Scope(check_id))]


def when_words(when: When) -> str:
    """`every Mon, Tue, 23:00 to 01:00 Europe/Berlin`, `every day, all day UTC`, or
    `once, 2026-01-31 02:00 to 2026-01-31 04:00 UTC`."""
    if isinstance(when, OneOff):
        return f"once, {when.describe()}"
    if len(when.days) == len(WEEKDAYS):
        days = "every day"
    else:
        days = "every " + ", ".join(WEEKDAYS[day].capitalize() for day in sorted(when.days))
    if when.start == when.end:
        return f"{days}, all day {when.tz}"
    return f"{days}, {when.start:%H:%M} to {when.end:%H:%M} {when.tz}"


def scope_words(scope: Scope) -> str:
    """Whom a window covers, said from a check's side."""
    if scope.check_id is not None:
        return "this check"
    if scope.tag is not None:
        return f"every check tagged {scope.tag}"
    return "the whole project"


def window_words(window: Window) -> str:
    """A window that applies to a check, in a sentence: a snooze says who made it and
    when it ends, any other window its name, its times and what it covers."""
    if window.snooze and window.until is not None:
        return (
            f"Snoozed by {window.created_by or 'someone'} until {window.until:%Y-%m-%d %H:%M} UTC"
        )
    return f"{window.name}: {when_words(window.when)}, for {scope_words(window.scope)}"


def as_document(window: Window) -> dict[str, Any]:
    """A window as plain data, as the CLI's --json and Tocsin's API show it."""
    document: dict[str, Any] = {
        "id": window.id,
        "name": window.name,
        "check_id": window.scope.check_id,
        "tag": window.scope.tag,
        "snooze": window.snooze,
        "created_by": window.created_by,
    }
    if isinstance(window.when, OneOff):
        return document | {
            "starts_at": window.when.starts.isoformat(),
            "ends_at": window.when.ends.isoformat(),
        }
    return document | {
        "days": [WEEKDAYS[day] for day in sorted(window.when.days)],
        "from": window.when.start.strftime("%H:%M"),
        "to": window.when.end.strftime("%H:%M"),
        "tz": window.when.tz,
    }
