"""The rotation and override forms read into what `services.oncall` takes, or an error
beside each field. Pure.

A rotation's members are chosen by giving each a turn (1, 2, …; empty: not in it), so
their order needs no script. Its first handoff is a date and a time in its zone; its
length a number of hours, days or weeks; a restriction (nights, weekdays) is a pair of
times and the days it applies on."""

from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData

from tocsin.domain.numbers import whole_number
from tocsin.domain.oncall import DAY_NAMES, EVERY_DAY, Restriction, RotationRecord, Unit
from tocsin.domain.schedule import ScheduleError, validate_timezone
from tocsin.services.oncall import RotationSpec

UNIT_NAMES: dict[str, Unit] = {"hours": "hour", "days": "day", "weeks": "week"}
MAX_LENGTH = 1000
MAX_LAYER = 100
YEARS = range(1971, 9000)


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


@dataclass
class RotationForm:
    name: str = ""
    turns: dict[int, str] = field(default_factory=dict)
    start_date: str = ""
    start_time: str = "09:00"
    zone: str = "UTC"
    length: str = "1"
    unit: str = "weeks"
    layer: str = "0"
    hours_from: str = ""
    hours_to: str = ""
    days: set[str] = field(default_factory=lambda: set(DAY_NAMES))
    errors: dict[str, str] = field(default_factory=dict)


def posted_rotation(form: FormData, member_ids: list[int]) -> RotationForm:
    return RotationForm(
        name=text(form, "name"),
        turns={user_id: text(form, f"turn-{user_id}") for user_id in member_ids},
        start_date=text(form, "start_date"),
        start_time=text(form, "start_time"),
        zone=text(form, "zone"),
        length=text(form, "length"),
        unit=text(form, "unit"),
        layer=text(form, "layer"),
        hours_from=text(form, "hours_from"),
        hours_to=text(form, "hours_to"),
        days={d for d in DAY_NAMES if text(form, f"day-{d}") == "yes"},
    )


def rotation_form_of(record: RotationRecord) -> RotationForm:
    rotation = record.rotation
    first = rotation.first_handoff.astimezone(ZoneInfo(rotation.zone))
    unit = {unit: name for name, unit in UNIT_NAMES.items()}[rotation.unit]
    restriction = rotation.restriction
    return RotationForm(
        name=record.name,
        turns={user_id: str(n) for n, user_id in enumerate(rotation.members, 1)},
        start_date=first.date().isoformat(),
        start_time=first.strftime("%H:%M"),
        zone=rotation.zone,
        length=str(rotation.length),
        unit=unit,
        layer=str(rotation.layer),
        hours_from=restriction.start.strftime("%H:%M") if restriction else "",
        hours_to=restriction.end.strftime("%H:%M") if restriction else "",
        days={DAY_NAMES[d] for d in (restriction.weekdays if restriction else EVERY_DAY)},
    )


def read_rotation(form: RotationForm) -> RotationSpec | None:
    """The rotation the form describes; None with `form.errors` filled in if it can't."""
    errors = form.errors
    if not form.name or len(form.name) > 100:
        errors["name"] = "a name needs 1 to 100 characters"
    members = ordered_members(form)
    zone = valid_zone(form.zone, errors)
    first = local_instant(form.start_date, form.start_time, zone, errors)
    length = whole_number(form.length)
    if length is None or not 1 <= length <= MAX_LENGTH:
        errors["length"] = f"a whole number from 1 to {MAX_LENGTH}"
    if form.unit not in UNIT_NAMES:
        errors["length"] = "choose hours, days or weeks"
    layer = whole_number(form.layer)
    if layer is None or layer > MAX_LAYER:
        errors["layer"] = f"a whole number from 0 to {MAX_LAYER}"
    restriction = read_restriction(form)
    if errors or members is None or first is None or length is None or layer is None:
        return None
    return RotationSpec(
        form.name, members, first, form.zone, length, UNIT_NAMES[form.unit], layer, restriction
    )


def ordered_members(form: RotationForm) -> list[int] | None:
    turns: dict[int, int] = {}
    for user_id, given in form.turns.items():
        if not given:
            continue
        turn = whole_number(given)
        if turn is None or not 1 <= turn <= len(form.turns):
            form.errors["members"] = f"a turn is a number from 1 to {len(form.turns)}"
            return None
        if turn in turns.values():
            form.errors["members"] = f"two members have turn {turn}: give each their own"
            return None
        turns[user_id] = turn
    if not turns:
        form.errors["members"] = "give at least one member a turn"
        return None
    return sorted(turns, key=lambda user_id: turns[user_id])


def valid_zone(zone: str, errors: dict[str, str]) -> ZoneInfo | None:
    try:
        validate_timezone(zone)
    except ScheduleError as error:
        errors["zone"] = str(error)
        return None
    return ZoneInfo(zone)


def local_instant(
    day: str, at: str, zone: ZoneInfo | None, errors: dict[str, str], name: str = "start"
) -> datetime | None:
    try:
        found = datetime.combine(date.fromisoformat(day), time.fromisoformat(at))
    except ValueError:
        errors[name] = "give a date and a time, e.g. 2026-03-02 and 09:00"
        return None
    if found.year not in YEARS:
        errors[name] = f"give a date from {YEARS[0]} to {YEARS[-1]}"
        return None
    return None if zone is None else found.replace(tzinfo=zone)


def read_restriction(form: RotationForm) -> Restriction | None:
    if not form.hours_from and not form.hours_to and len(form.days) == len(DAY_NAMES):
        return None
    if not form.days:
        form.errors["restriction"] = "tick at least one day"
        return None
    try:
        opens = time.fromisoformat(form.hours_from or "00:00")
        closes = time.fromisoformat(form.hours_to or "00:00")
    except ValueError:
        form.errors["restriction"] = "give the hours as HH:MM, e.g. 20:00 and 08:00"
        return None
    return Restriction(opens, closes, frozenset(DAY_NAMES.index(d) for d in form.days))


@dataclass
class OverrideForm:
    member: str = ""
    start: str = ""
    end: str = ""
    zone: str = "UTC"
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OverrideSpec:
    user_id: int
    start: datetime
    end: datetime


def posted_override(form: FormData) -> OverrideForm:
    return OverrideForm(
        text(form, "member"), text(form, "start"), text(form, "end"), text(form, "zone")
    )


def read_override(form: OverrideForm, member_ids: list[int]) -> OverrideSpec | None:
    """`start` and `end` as a browser's datetime-local sends them (2026-03-02T20:00)."""
    errors = form.errors
    user_id = whole_number(form.member, max_digits=9)
    if user_id is None or user_id not in member_ids:
        errors["member"] = "choose a member of the project"
    zone = valid_zone(form.zone, errors)
    start = local_instant(*split(form.start), zone, errors, "start")
    end = local_instant(*split(form.end), zone, errors, "end")
    if start is not None and end is not None and end <= start:
        errors["end"] = "the override must end after it starts"
    if errors or user_id is None or start is None or end is None:
        return None
    return OverrideSpec(user_id, start, end)


def split(value: str) -> tuple[str, str]:
    day, _, at = value.partition("T")
    return day, at
