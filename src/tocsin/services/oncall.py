"""What people do with on-call calendars: make, rename, delete them and choose the
project's default; add, replace and delete rotations and overrides; read who is on
call now and next, the shifts of a window and the gaps of the next two weeks; the
secret iCalendar feed.

A project has no calendar until it needs one: the first calendar made becomes its
default, and `default_calendar` makes one named "Primary" when asked for a default
that does not exist (as Better Stack's /on-calls/default always answers). Deleting
the default hands the role to the oldest calendar left.

Every function acts within one project: calendars, rotations and overrides of
another project are "not found", and only the project's members can be put on call.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from tocsin.domain import ical
from tocsin.domain.accounts import AccountError, normalize_email
from tocsin.domain.identifiers import new_token
from tocsin.domain.oncall import (
    LOOKAHEAD,
    Calendar,
    CalendarRecord,
    CalendarWarning,
    OnCallError,
    OnCallNow,
    Override,
    OverrideRecord,
    Restriction,
    Rotation,
    RotationRecord,
    Shift,
    Unit,
    gaps,
    on_call_now,
    parse_restriction,
    shifts,
    validate_override,
    validate_rotation,
)
from tocsin.domain.schedule import ScheduleError, validate_timezone
from tocsin.services.context import Context
from tocsin.services.errors import ConflictError, InvalidError, NotFoundError
from tocsin.store import oncall as store
from tocsin.store.users import project_members

DEFAULT_NAME = "Primary"
GAP_HORIZON = timedelta(days=14)
# The feed shows a week back and eight weeks ahead: what calendar apps display.
FEED_PAST = timedelta(days=7)
FEED_AHEAD = timedelta(days=56)
LONGEST_WINDOW = timedelta(days=366)
NAME_LENGTH = 100
# Where the web app serves a calendar's feed; the command line and APIs print it.
FEED_PATH = "/oncall/feed/{token}.ics"

Member = int | str


@dataclass(frozen=True, slots=True)
class RotationSpec:
    """A rotation as people give it: members by user id or email, in order."""

    name: str
    members: Sequence[Member]
    first_handoff: datetime
    zone: str = "UTC"
    length: int = 1
    unit: Unit = "week"
    layer: int = 0
    restriction: Restriction | None = None
    ends: datetime | None = None


@dataclass(frozen=True, slots=True)
class CalendarView:
    """A calendar as people read it: its rules, who is on call now and next, its
    shifts in the window asked for, gaps in the next two weeks, and its warnings.
    `emails` names every user id the rest mentions."""

    calendar: CalendarRecord
    rotations: list[RotationRecord]
    overrides: list[OverrideRecord]
    now: OnCallNow
    shifts: list[Shift]
    gaps: list[tuple[datetime, datetime]]
    warnings: list[CalendarWarning]
    emails: dict[int, str]


# Calendars


async def list_calendars(context: Context, project_id: int) -> list[CalendarRecord]:
    """The project's calendars, the default first."""
    async with context.database.read() as connection:
        return await connection.run_sync(store.calendars_of, project_id)


async def create_calendar(context: Context, project_id: int, name: str) -> CalendarRecord:
    """A new calendar; the project's first becomes its default. `ConflictError` when
    the name is taken in the project."""
    name = valid_name(name)
    now = context.clock.now()

    def work(connection: sa.Connection) -> CalendarRecord:
        return create_calendar_in(connection, project_id, name, now)

    async with context.database.write() as connection:
        return await connection.run_sync(work)


def create_calendar_in(
    connection: sa.Connection, project_id: int, name: str, now: datetime
) -> CalendarRecord:
    existing = store.calendars_of(connection, project_id)
    if any(calendar.name == name for calendar in existing):
        raise ConflictError(f"a calendar named {name!r} exists already")
    calendar_id = store.insert_calendar(connection, project_id, name, new_token(), now)
    if not any(calendar.is_default for calendar in existing):
        store.make_default(connection, project_id, calendar_id)
    return found_calendar(connection, project_id, calendar_id)


async def default_calendar(context: Context, project_id: int) -> CalendarRecord:
    """The project's default calendar, made (empty, named "Primary") if it has none."""
    now = context.clock.now()

    def work(connection: sa.Connection) -> CalendarRecord:
        found = store.calendar_in(connection, project_id, None)
        if found is not None:
            return found
        existing = store.calendars_of(connection, project_id)
        if existing:  # calendars, none the default: cannot happen, but heal it
            store.make_default(connection, project_id, existing[0].id)
            return found_calendar(connection, project_id, existing[0].id)
        return create_calendar_in(connection, project_id, DEFAULT_NAME, now)

    async with context.database.write() as connection:
        return await connection.run_sync(work)


async def rename_calendar(context: Context, project_id: int, calendar_id: int, name: str) -> None:
    name = valid_name(name)

    def work(connection: sa.Connection) -> None:
        found_calendar(connection, project_id, calendar_id)
        others = store.calendars_of(connection, project_id)
        if any(c.name == name and c.id != calendar_id for c in others):
            raise ConflictError(f"a calendar named {name!r} exists already")
        store.update_calendar(connection, calendar_id, name=name)

    async with context.database.write() as connection:
        await connection.run_sync(work)


async def delete_calendar(context: Context, project_id: int, calendar_id: int) -> None:
    """Delete a calendar with its rotations and overrides; if it was the default, the
    oldest calendar left becomes the default."""

    def work(connection: sa.Connection) -> None:
        found = found_calendar(connection, project_id, calendar_id)
        store.delete_calendar(connection, calendar_id)
        left = sorted(store.calendars_of(connection, project_id), key=lambda c: c.id)
        if found.is_default and left:
            store.make_default(connection, project_id, left[0].id)

    async with context.database.write() as connection:
        await connection.run_sync(work)


async def make_default(context: Context, project_id: int, calendar_id: int) -> None:
    def work(connection: sa.Connection) -> None:
        found_calendar(connection, project_id, calendar_id)
        store.make_default(connection, project_id, calendar_id)

    async with context.database.write() as connection:
        await connection.run_sync(work)


async def rotate_feed_token(context: Context, project_id: int, calendar_id: int) -> str:
    """A new secret for the calendar's feed; the old URL stops working at once."""
    token = new_token()

    def work(connection: sa.Connection) -> None:
        found_calendar(connection, project_id, calendar_id)
        store.update_calendar(connection, calendar_id, feed_token=token)

    async with context.database.write() as connection:
        await connection.run_sync(work)
    return token


def found_calendar(
    connection: sa.Connection, project_id: int, calendar_id: int | None
) -> CalendarRecord:
    found = store.calendar_in(connection, project_id, calendar_id)
    if found is None:
        what = "no default calendar" if calendar_id is None else f"no calendar {calendar_id}"
        raise NotFoundError(f"{what} in this project")
    return found


def valid_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > NAME_LENGTH:
        raise InvalidError("name", f"a name needs 1 to {NAME_LENGTH} characters")
    return name


# Rotations


async def add_rotation(
    context: Context, project_id: int, calendar_id: int, spec: RotationSpec
) -> RotationRecord:
    """Add a rotation to the calendar. `InvalidError` names the field at fault: a
    member who is not in the project, an unknown zone, a length out of range."""
    now = context.clock.now()

    def work(connection: sa.Connection) -> RotationRecord:
        found_calendar(connection, project_id, calendar_id)
        name, rotation = valid_rotation(connection, project_id, spec)
        rotation_id = store.insert_rotation(connection, calendar_id, name, rotation, now)
        return RotationRecord(rotation_id, calendar_id, name, rotation)

    async with context.database.write() as connection:
        return await connection.run_sync(work)


async def replace_rotation(
    context: Context, project_id: int, rotation_id: int, spec: RotationSpec
) -> RotationRecord:
    def work(connection: sa.Connection) -> RotationRecord:
        calendar_id = rotation_calendar(connection, project_id, rotation_id)
        name, rotation = valid_rotation(connection, project_id, spec)
        store.replace_rotation(connection, rotation_id, name, rotation)
        return RotationRecord(rotation_id, calendar_id, name, rotation)

    async with context.database.write() as connection:
        return await connection.run_sync(work)


async def delete_rotation(context: Context, project_id: int, rotation_id: int) -> None:
    def work(connection: sa.Connection) -> None:
        rotation_calendar(connection, project_id, rotation_id)
        store.delete_rotation(connection, rotation_id)

    async with context.database.write() as connection:
        await connection.run_sync(work)


def rotation_calendar(connection: sa.Connection, project_id: int, rotation_id: int) -> int:
    found = store.project_of_rotation(connection, rotation_id)
    if found is None or found[1] != project_id:
        raise NotFoundError(f"no rotation {rotation_id} in this project")
    return found[0]


def valid_rotation(
    connection: sa.Connection, project_id: int, spec: RotationSpec
) -> tuple[str, Rotation]:
    if not spec.members:
        raise InvalidError("members", "a rotation needs at least one member")
    members = tuple(member_ids(connection, project_id, spec.members))
    zone = valid_zone(spec.zone)
    first = aware(spec.first_handoff, "first_handoff")
    ends = None if spec.ends is None else aware(spec.ends, "ends")
    rotation = Rotation(
        members, first, zone, spec.length, spec.unit, spec.layer, spec.restriction, ends
    )
    try:
        validate_rotation(rotation)
    except OnCallError as error:
        raise InvalidError("rotation", str(error)) from None
    return valid_name(spec.name), rotation


def valid_zone(zone: str) -> str:
    try:
        validate_timezone(zone)
    except ScheduleError as error:
        raise InvalidError("zone", str(error)) from None
    return zone


def aware(at: datetime, field: str) -> datetime:
    if at.tzinfo is None:
        raise InvalidError(field, f"{field} needs a time zone (or Z for UTC)")
    return at


def member_ids(connection: sa.Connection, project_id: int, given: Sequence[Member]) -> list[int]:
    """User ids for members given by id or email; each must be in the project."""
    emails = {user.id: user.email for user, _role in project_members(connection, project_id)}
    ids = {email: user_id for user_id, email in emails.items()}
    return [member_id(member, emails, ids) for member in given]


def member_id(member: Member, emails: dict[int, str], ids: dict[str, int]) -> int:
    if isinstance(member, int) and not isinstance(member, bool):
        if member in emails:
            return member
        raise InvalidError("members", f"user {member} is not a member of this project")
    try:
        email = normalize_email(str(member))
    except AccountError:
        raise InvalidError("members", f"{member!r} is neither a user id nor an email") from None
    if email not in ids:
        raise InvalidError("members", f"{email} is not a member of this project")
    return ids[email]


# Overrides


async def add_override(
    context: Context, project_id: int, calendar_id: int, member: Member, start: datetime,
    end: datetime,
) -> OverrideRecord:  # fmt: skip
    """Someone covers [start, end), whatever the rotations say."""
    now = context.clock.now()

    def work(connection: sa.Connection) -> OverrideRecord:
        found_calendar(connection, project_id, calendar_id)
        [user_id] = member_ids(connection, project_id, [member])
        override = Override(user_id, aware(start, "start"), aware(end, "end"))
        try:
            validate_override(override)
        except OnCallError as error:
            raise InvalidError("end", str(error)) from None
        override_id = store.insert_override(connection, calendar_id, override, now)
        return OverrideRecord(override_id, calendar_id, override)

    async with context.database.write() as connection:
        return await connection.run_sync(work)


async def delete_override(context: Context, project_id: int, override_id: int) -> None:
    def work(connection: sa.Connection) -> None:
        found = store.project_of_override(connection, override_id)
        if found is None or found[1] != project_id:
            raise NotFoundError(f"no override {override_id} in this project")
        store.delete_override(connection, override_id)

    async with context.database.write() as connection:
        await connection.run_sync(work)


# Reading


async def calendar_view(
    context: Context,
    project_id: int,
    calendar_id: int | None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> CalendarView:
    """The calendar (the default for None) with its shifts in [start, end), by
    default the next two weeks."""
    now = context.clock.now()
    start = start or now
    end = end or start + GAP_HORIZON
    valid_window(start, end)

    def work(connection: sa.Connection) -> CalendarView:
        return view_in(connection, project_id, calendar_id, now, start, end)

    async with context.database.read() as connection:
        return await connection.run_sync(work)


def view_in(
    connection: sa.Connection,
    project_id: int,
    calendar_id: int | None,
    now: datetime,
    start: datetime,
    end: datetime,
) -> CalendarView:
    record = found_calendar(connection, project_id, calendar_id)
    rotations = store.rotations_of(connection, record.id)
    # Overrides as far ahead as the next handoff is looked for.
    overrides = store.overrides_of(
        connection, record.id, min(now, start), max(end, now + LOOKAHEAD)
    )
    rules = Calendar(tuple(r.rotation for r in rotations), tuple(o.override for o in overrides))
    emails = {user.id: user.email for user, _ in project_members(connection, project_id)}
    return CalendarView(
        record,
        rotations,
        [o for o in overrides if o.override.start < end],
        on_call_now(rules, now),
        shifts(rules, start, end),
        gaps(rules, now, now + GAP_HORIZON),
        store.warnings_of(connection, record.id),
        emails,
    )


async def calendar_views(context: Context, project_id: int) -> list[CalendarView]:
    """Every calendar of the project, as `calendar_view` reads it for the next two weeks."""
    now = context.clock.now()

    def work(connection: sa.Connection) -> list[CalendarView]:
        calendars = store.calendars_of(connection, project_id)
        return [
            view_in(connection, project_id, c.id, now, now, now + GAP_HORIZON) for c in calendars
        ]

    async with context.database.read() as connection:
        return await connection.run_sync(work)


def valid_window(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidError("from", "give times with a time zone (or Z for UTC)")
    if end <= start:
        raise InvalidError("to", "the end of the window must come after its start")
    if end - start > LONGEST_WINDOW:
        raise InvalidError("to", "a window can span a year at most")


async def feed(context: Context, token: str) -> str | None:
    """The iCalendar feed of the calendar with this secret token; None if none has it."""
    now = context.clock.now()

    def work(connection: sa.Connection) -> str | None:
        record = store.calendar_by_feed_token(connection, token)
        if record is None:
            return None
        view = view_in(
            connection, record.project_id, record.id, now, now - FEED_PAST, now + FEED_AHEAD
        )
        return ical.feed(record.id, record.name, feed_shifts(view), now)

    async with context.database.read() as connection:
        return await connection.run_sync(work)


def feed_url(base_url: str, token: str) -> str:
    return base_url + FEED_PATH.format(token=token)


def feed_shifts(view: CalendarView) -> list[ical.FeedShift]:
    return [
        ical.FeedShift(view.emails.get(s.user_id, f"user {s.user_id}"), s.start, s.end, s.override)
        for s in view.shifts
        if s.user_id is not None
    ]


# Members leaving a project


def take_out_of_calendars(
    connection: sa.Connection, project_id: int, user_id: int, email: str, now: datetime
) -> None:
    """Someone left the project: out of its rotations and overrides, with a warning on
    each calendar they had a place in. Runs in the transaction that removes them."""
    places = store.calendars_with_member(connection, project_id, user_id)
    store.remove_member(connection, project_id, user_id)
    for calendar_id, rotations in places.items():
        store.add_warning(connection, calendar_id, left_message(email, rotations), now)


def left_message(email: str, rotations: list[str]) -> str:
    if not rotations:
        return f"{email} was removed from the project and their overrides deleted"
    names = ", ".join(rotations)
    plural = "rotations" if len(rotations) > 1 else "rotation"
    return f"{email} was removed from the project and taken out of {plural} {names}"


async def dismiss_warnings(context: Context, project_id: int, calendar_id: int) -> None:
    def work(connection: sa.Connection) -> None:
        found_calendar(connection, project_id, calendar_id)
        store.clear_warnings(connection, calendar_id)

    async with context.database.write() as connection:
        await connection.run_sync(work)


def restriction(hours: str, weekdays: str = "") -> Restriction:
    """A restriction from text (`20:00-08:00`, `mon-fri`), refused as `InvalidError`."""
    try:
        return parse_restriction(hours, weekdays)
    except OnCallError as error:
        raise InvalidError("restriction", str(error)) from None
