"""On-call calendars as pure rules: layered rotations and overrides, who is on call when.

A rotation hands off from one member to the next every `length`, counted from its first
handoff. Hour rotations are absolute durations; day and week rotations hand off at the
same wall-clock time in the rotation's zone, so a DST change makes one shift an hour
shorter or longer instead of moving the handoff. A rotation may be restricted to part of
the day or week in its zone (nights, weekdays); outside that it covers nobody and the
layers below show through. Later layers win where they cover; overrides win over all.

Every question (who at an instant, the shifts of a window) is answered from the same
two definitions, `handoff` and `restriction_intervals`, so they cannot disagree.
"""

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Unit = Literal["hour", "day", "week"]
UNITS: tuple[Unit, ...] = ("hour", "day", "week")
DAYS_PER_UNIT = {"day": 1, "week": 7}
EVERY_DAY = frozenset(range(7))
# How far ahead `on_call_now` looks for the next handoff.
LOOKAHEAD = timedelta(days=120)
INSTANT = timedelta(microseconds=1)


class OnCallError(ValueError):
    """A rotation, restriction or override that does not make sense."""


@dataclass(frozen=True, slots=True)
class Restriction:
    """Part of the day or week a rotation covers, in its zone: a window that opens at
    `start` on each of `weekdays` (0 is Monday) and closes at the next `end`. When `end`
    is not after `start` the window runs past midnight (20:00 to 08:00); equal times
    mean a whole day from `start`."""

    start: time
    end: time
    weekdays: frozenset[int] = EVERY_DAY


@dataclass(frozen=True, slots=True)
class Rotation:
    members: tuple[int, ...]
    first_handoff: datetime
    zone: str
    length: int = 1
    unit: Unit = "week"
    layer: int = 0
    restriction: Restriction | None = None
    ends: datetime | None = None


@dataclass(frozen=True, slots=True)
class Override:
    user_id: int
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Calendar:
    rotations: tuple[Rotation, ...] = ()
    overrides: tuple[Override, ...] = ()


@dataclass(frozen=True, slots=True)
class Shift:
    """Who is on call from `start` to `end` (None: nobody), and whether by an override."""

    user_id: int | None
    start: datetime
    end: datetime
    override: bool = False


@dataclass(frozen=True, slots=True)
class OnCallNow:
    """The person on call now, the next one, and when the next one takes over
    (`handoff` is None when nothing changes within the lookahead)."""

    current: int | None
    next: int | None
    handoff: datetime | None


@dataclass(frozen=True, slots=True)
class CalendarRecord:
    id: int
    project_id: int
    name: str
    is_default: bool
    feed_token: str
    created: datetime


@dataclass(frozen=True, slots=True)
class RotationRecord:
    id: int
    calendar_id: int
    name: str
    rotation: Rotation


@dataclass(frozen=True, slots=True)
class OverrideRecord:
    id: int
    calendar_id: int
    override: Override


@dataclass(frozen=True, slots=True)
class CalendarWarning:
    message: str
    created: datetime


def validate_rotation(rotation: Rotation) -> None:
    if rotation.unit not in UNITS:
        raise OnCallError(f"unknown rotation unit {rotation.unit!r}: use hour, day or week")
    if not 1 <= rotation.length <= 1000:
        raise OnCallError("a rotation's length must be a whole number from 1 to 1000")
    if rotation.first_handoff.tzinfo is None:
        raise OnCallError("the first handoff needs a time zone")
    if rotation.ends is not None and rotation.ends <= rotation.first_handoff:
        raise OnCallError("a rotation must end after its first handoff")
    if rotation.restriction is not None and not rotation.restriction.weekdays:
        raise OnCallError("a restriction needs at least one day of the week")
    if len(set(rotation.members)) != len(rotation.members):
        raise OnCallError("a member appears twice in the rotation")


def validate_override(override: Override) -> None:
    if override.end <= override.start:
        raise OnCallError("an override must end after it starts")


def handoff(rotation: Rotation, index: int) -> datetime:
    """The instant shift `index` starts (0 is the first handoff)."""
    if rotation.unit == "hour":
        return rotation.first_handoff + timedelta(hours=rotation.length * index)
    zone = ZoneInfo(rotation.zone)
    first = rotation.first_handoff.astimezone(zone)
    days = DAYS_PER_UNIT[rotation.unit] * rotation.length * index
    # Wall-clock arithmetic: 09:00 stays 09:00 across a DST change. A handoff that
    # falls in a spring-forward gap lands where zoneinfo puts that time; the fold is
    # kept so the first handoff, even in a repeated hour, is exactly itself.
    wall = first.replace(tzinfo=None) + timedelta(days=days)
    return wall.replace(tzinfo=zone, fold=first.fold).astimezone(UTC)


def shift_index(rotation: Rotation, at: datetime) -> int:
    """The shift running at `at` (negative before the first handoff)."""
    period = _nominal_period(rotation)
    index = (at - rotation.first_handoff) // period
    # Day and week shifts differ from their nominal length by at most a DST shift.
    while handoff(rotation, index) > at:
        index -= 1
    while handoff(rotation, index + 1) <= at:
        index += 1
    return index


def _nominal_period(rotation: Rotation) -> timedelta:
    hours = 1 if rotation.unit == "hour" else 24 * DAYS_PER_UNIT[rotation.unit]
    return timedelta(hours=hours * rotation.length)


def restriction_intervals(
    rotation: Rotation, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The rotation's restricted windows that touch [start, end), in UTC, in order."""
    restriction = rotation.restriction
    if restriction is None:
        return [(start, end)]
    zone = ZoneInfo(rotation.zone)
    first = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date()
    intervals = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        if day.weekday() in restriction.weekdays:
            opens, closes = _window(restriction, day, zone)
            if opens < end and closes > start:
                intervals.append((opens, closes))
    return intervals


def _window(restriction: Restriction, day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    closing_day = day if restriction.end > restriction.start else day + timedelta(days=1)
    opens = datetime.combine(day, restriction.start, tzinfo=zone).astimezone(UTC)
    closes = datetime.combine(closing_day, restriction.end, tzinfo=zone).astimezone(UTC)
    return opens, closes


def rotation_member_at(rotation: Rotation, at: datetime) -> int | None:
    """Who the rotation puts on call at `at`, or None where it does not cover."""
    if not rotation.members or at < rotation.first_handoff:
        return None
    if rotation.ends is not None and at >= rotation.ends:
        return None
    windows = restriction_intervals(rotation, at, at + INSTANT)
    if not any(opens <= at < closes for opens, closes in windows):
        return None
    return rotation.members[shift_index(rotation, at) % len(rotation.members)]


def on_call_at(calendar: Calendar, at: datetime) -> Shift:
    """Who is on call at `at`, as a one-instant shift (so an override says so)."""
    for override in reversed(calendar.overrides):
        if override.start <= at < override.end:
            return Shift(override.user_id, at, at, override=True)
    for rotation in _by_precedence(calendar.rotations):
        member = rotation_member_at(rotation, at)
        if member is not None:
            return Shift(member, at, at)
    return Shift(None, at, at)


def who_is_on_call(calendar: Calendar, at: datetime) -> int | None:
    return on_call_at(calendar, at).user_id


def _by_precedence(rotations: tuple[Rotation, ...]) -> list[Rotation]:
    """Highest layer first; within a layer, the one added later."""
    ranked = sorted(enumerate(rotations), key=lambda item: (item[1].layer, item[0]))
    return [rotation for _, rotation in reversed(ranked)]


def shifts(calendar: Calendar, start: datetime, end: datetime) -> list[Shift]:
    """Who is on call over [start, end): consecutive shifts covering it exactly, equal
    neighbours merged."""
    if end <= start:
        return []
    points = sorted({start, end, *_changes(calendar, start, end)})
    merged: list[Shift] = []
    for opens, closes in itertools.pairwise(points):
        who = on_call_at(calendar, opens)
        if merged and (merged[-1].user_id, merged[-1].override) == (who.user_id, who.override):
            merged[-1] = Shift(who.user_id, merged[-1].start, closes, who.override)
        else:
            merged.append(Shift(who.user_id, opens, closes, who.override))
    return merged


def _changes(calendar: Calendar, start: datetime, end: datetime) -> set[datetime]:
    """Every instant in (start, end) where who is on call might change."""
    found: set[datetime] = set()
    for override in calendar.overrides:
        found.update((override.start, override.end))
    for rotation in calendar.rotations:
        found.update(_rotation_changes(rotation, start, end))
    return {at for at in found if start < at < end}


def _rotation_changes(rotation: Rotation, start: datetime, end: datetime) -> set[datetime]:
    found = {rotation.first_handoff}
    if rotation.ends is not None:
        found.add(rotation.ends)
    for opens, closes in restriction_intervals(rotation, start, end):
        found.update((opens, closes))
    index = max(shift_index(rotation, start), 0)
    while (at := handoff(rotation, index)) < end:
        found.add(at)
        index += 1
    return found


def gaps(calendar: Calendar, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The times in [start, end) when nobody is on call."""
    return [(s.start, s.end) for s in shifts(calendar, start, end) if s.user_id is None]


def on_call_now(calendar: Calendar, now: datetime, lookahead: timedelta = LOOKAHEAD) -> OnCallNow:
    """The person on call at `now`, the next different one and when they take over."""
    current = who_is_on_call(calendar, now)
    # Short windows first: an hourly rotation need not be walked for months.
    for span in (timedelta(days=2), timedelta(days=16), lookahead):
        for shift in shifts(calendar, now, now + min(span, lookahead)):
            if shift.user_id != current:
                return OnCallNow(current, shift.user_id, shift.start)
    return OnCallNow(current, None, None)


def without_member(calendar: Calendar, user_id: int) -> Calendar:
    """The calendar once a person has left: out of every rotation and override."""
    rotations = tuple(
        _replace_members(rotation, tuple(m for m in rotation.members if m != user_id))
        for rotation in calendar.rotations
    )
    overrides = tuple(o for o in calendar.overrides if o.user_id != user_id)
    return Calendar(rotations, overrides)


def _replace_members(rotation: Rotation, members: tuple[int, ...]) -> Rotation:
    return Rotation(
        members,
        rotation.first_handoff,
        rotation.zone,
        rotation.length,
        rotation.unit,
        rotation.layer,
        rotation.restriction,
        rotation.ends,
    )


def parse_restriction(hours: str, weekdays: str = "") -> Restriction:
    """A restriction from text people type: hours `20:00-08:00`, days `mon-fri` or
    `sat,sun` (empty: every day)."""
    try:
        opens, closes = (time.fromisoformat(part.strip()) for part in hours.split("-"))
    except ValueError:
        raise OnCallError(f"hours {hours!r}: write them as HH:MM-HH:MM, e.g. 20:00-08:00") from None
    return Restriction(opens, closes, parse_weekdays(weekdays) if weekdays else EVERY_DAY)


DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_weekdays(text: str) -> frozenset[int]:
    days: set[int] = set()
    for part in text.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in DAY_NAMES or (last and last not in DAY_NAMES):
            raise OnCallError(f"days {text!r}: use mon…sun, e.g. mon-fri or sat,sun")
        a, b = DAY_NAMES.index(first), DAY_NAMES.index(last or first)
        days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(b + 1)])
    return frozenset(days)
