"""Better Stack's on-call calendars (`/api/v2/on-calls`) over Tocsin's.

A calendar is `on_call_calendar` with `name`, `default_calendar` and `team_name` (null),
and who is on call now as JSON:API `relationships.on_call_users` (users by id), their
emails in `included`. `/on-calls/default` is the project's default calendar, made
empty ("Primary") when the project has none, as Better Stack always answers it.
`/on-calls/{id}/events` are the shifts of the next two weeks (or between `from` and
`to`), each with `starts_at`, `ends_at`, `users` (emails) and `override`; times when
nobody is on call are not events. `POST /on-calls/{id}/rotation` adds a rotation of
`users` (emails of the project's members, in turn) every `rotation_length`
`rotation_period`s (`hour`, `day`, `week`) from `start_rotations_at` until
`end_rotations_at` (null: for ever), in UTC.
"""

from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import Field

from tocsin.api.betterstack.http import (
    Body,
    Page,
    ReadAccess,
    WriteAccess,
    invalid,
    object_id,
    page_response,
)
from tocsin.api.betterstack.pages import page_of
from tocsin.api.betterstack.render import resource, timestamp
from tocsin.api.betterstack.spec import MAX_MEMBERS, Strict, parse, require
from tocsin.api.common.errors import ApiError
from tocsin.api.common.routes import RouteTable
from tocsin.domain.oncall import CalendarRecord, RotationRecord, Shift
from tocsin.services import oncall as oncall_service
from tocsin.services.context import Context
from tocsin.services.errors import InvalidError, NotFoundError
from tocsin.services.oncall import CalendarView, RotationSpec
from tocsin.services.requests import ServicesDep

ROTATION_NAME = "Rotation"


class RotationBody(Strict):
    users: list[str] | None = Field(None, max_length=MAX_MEMBERS)
    rotation_length: int | None = Field(None, ge=1, le=1000)
    rotation_period: Literal["hour", "day", "week"] | None = None
    start_rotations_at: str | None = Field(None, max_length=40)
    end_rotations_at: str | None = Field(None, max_length=40)


def not_found(calendar_id: str) -> ApiError:
    return ApiError(404, f"on-call calendar {calendar_id!r} not found")


def calendar_json(view: CalendarView) -> dict[str, Any]:
    record = view.calendar
    attributes = {
        "name": record.name,
        "default_calendar": record.is_default,
        "team_name": None,
    }
    shown = resource("on_call_calendar", record.id, attributes)
    on_call = [] if view.now.current is None else [view.now.current]
    users = [{"id": str(user_id), "type": "user"} for user_id in on_call]
    return shown | {"relationships": {"on_call_users": {"data": users}}}


def user_json(user_id: int, email: str) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "first_name": None,
        "last_name": None,
        "email": email,
        "phone_numbers": [],
    }
    return resource("user", user_id, attributes)


def one_calendar(view: CalendarView) -> dict[str, Any]:
    """A calendar with the people on call now in `included`."""
    on_call = [] if view.now.current is None else [view.now.current]
    included = [user_json(u, view.emails.get(u, "")) for u in on_call]
    return {"data": calendar_json(view), "included": included}


def event_json(calendar_id: int, shift: Shift, emails: dict[int, str]) -> dict[str, Any]:
    """A shift; its id is its start (a calendar's shifts never overlap)."""
    assert shift.user_id is not None
    attributes = {
        "starts_at": timestamp(shift.start),
        "ends_at": timestamp(shift.end),
        "users": [emails.get(shift.user_id, str(shift.user_id))],
        "override": shift.override,
        "calendar_id": calendar_id,
    }
    return resource("on_call_event", round(shift.start.timestamp()), attributes)


async def calendar_of(services: Context, project_id: int, calendar_id: str) -> CalendarRecord:
    """The project's calendar by id, or its default one (made if it has none)."""
    if calendar_id == "default":
        return await oncall_service.default_calendar(services, project_id)
    number = object_id(calendar_id, "on-call calendar")
    found = await oncall_service.list_calendars(services, project_id)
    calendar = next((c for c in found if c.id == number), None)
    if calendar is None:
        raise not_found(calendar_id)
    return calendar


async def view_of(services: Context, project_id: int, calendar_id: str) -> CalendarView:
    calendar = await calendar_of(services, project_id, calendar_id)
    try:
        return await oncall_service.calendar_view(services, project_id, calendar.id)
    except NotFoundError:  # deleted meanwhile
        raise not_found(calendar_id) from None


routes = RouteTable()


@routes("/on-calls", "GET")
async def list_calendars(
    request: Request, services: ServicesDep, access: ReadAccess, page: Page
) -> JSONResponse:
    """The project's calendars, the default first."""
    views = await oncall_service.calendar_views(services, access.project_id)
    shown = [calendar_json(view) for view in page_of(views, page)]
    return page_response(request, page, shown, len(views))


@routes("/on-calls/{calendar_id}", "GET")
async def get_calendar(services: ServicesDep, access: ReadAccess, calendar_id: str) -> JSONResponse:
    """A calendar by id, or `default`."""
    return JSONResponse(one_calendar(await view_of(services, access.project_id, calendar_id)))


@routes("/on-calls/{calendar_id}/events", "GET")
async def list_events(
    request: Request, services: ServicesDep, access: ReadAccess, page: Page, calendar_id: str
) -> JSONResponse:
    """The calendar's shifts in a window: the next two weeks unless `from`/`to` say."""
    calendar = await calendar_of(services, access.project_id, calendar_id)
    start, end = moment(request, "from"), moment(request, "to")
    try:
        view = await oncall_service.calendar_view(
            services, access.project_id, calendar.id, start, end
        )
    except InvalidError as error:
        raise ApiError(400, error.message) from None
    except NotFoundError:
        raise not_found(calendar_id) from None
    found = [shift for shift in view.shifts if shift.user_id is not None]
    shown = [event_json(calendar.id, s, view.emails) for s in page_of(found, page)]
    return page_response(request, page, shown, len(found))


def moment(request: Request, name: str) -> datetime | None:
    text = request.query_params.get(name)
    if text is None:
        return None
    found = aware(text)
    if found is None:
        raise ApiError(400, f"{name} must be an ISO 8601 date or time")
    return found


def aware(text: str) -> datetime | None:
    """An ISO 8601 date or time, in UTC when it names no zone; None if it is not one."""
    try:
        found = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


@routes("/on-calls/{calendar_id}/rotation", "POST", 201)
async def create_rotation(
    services: ServicesDep, access: WriteAccess, body: Body, calendar_id: str
) -> JSONResponse:
    """A rotation of the users, in turn, added to the calendar."""
    calendar = await calendar_of(services, access.project_id, calendar_id)
    spec = parse(RotationBody, body)
    require(body, ("users", "rotation_length", "rotation_period", "start_rotations_at"))
    rotation = RotationSpec(
        ROTATION_NAME,
        spec.users or [],
        when(spec.start_rotations_at, "start_rotations_at"),
        "UTC",
        spec.rotation_length or 1,
        spec.rotation_period or "week",
        ends=None
        if spec.end_rotations_at is None
        else when(spec.end_rotations_at, "end_rotations_at"),
    )
    try:
        made = await oncall_service.add_rotation(services, access.project_id, calendar.id, rotation)
    except NotFoundError:
        raise not_found(calendar_id) from None
    except InvalidError as error:
        raise invalid(RULE_FIELDS.get(error.field, error.field), f"{error.message}.") from None
    return JSONResponse({"data": rotation_json(made, spec.users or [])}, status_code=201)


# Where the services' refusals of a rotation point, in this request's words.
RULE_FIELDS = {
    "members": "users",
    "first_handoff": "start_rotations_at",
    "ends": "end_rotations_at",
}


def when(text: str | None, field: str) -> datetime:
    found = None if text is None else aware(text)
    if found is None:
        raise invalid(field, "must be an ISO 8601 time.")
    return found


def rotation_json(made: RotationRecord, users: list[str]) -> dict[str, Any]:
    rule = made.rotation
    attributes = {
        "users": users,
        "rotation_length": rule.length,
        "rotation_period": rule.unit,
        "start_rotations_at": timestamp(rule.first_handoff),
        "end_rotations_at": timestamp(rule.ends),
        "on_call_calendar_id": made.calendar_id,
    }
    return resource("on_call_rotation", made.id, attributes)
