"""On-call calendars in Tocsin's own API, read-only: each calendar with who is on call
now and next, the gaps of the next two weeks and its warnings; one calendar with its
shifts in a window. Changes go through the web app and `tocsin oncall`."""

from datetime import datetime
from typing import Annotated

from fastapi import Path, Query
from pydantic import Field

from tocsin.api.common.errors import ApiError
from tocsin.api.tocsin.http import FieldsError, ReadKey, endpoint_router
from tocsin.api.tocsin.models import Model
from tocsin.services import oncall as oncall_service
from tocsin.services.errors import InvalidError, NotFoundError
from tocsin.services.oncall import CalendarView
from tocsin.services.requests import ServicesDep

CalendarId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Since = Annotated[datetime | None, Query(alias="from", description="Default: now.")]
Until = Annotated[datetime | None, Query(alias="to", description="Default: two weeks on.")]


class PersonOut(Model):
    id: int
    email: str


class WindowOut(Model):
    starts_at: datetime
    ends_at: datetime


class ShiftOut(WindowOut):
    person: PersonOut | None = Field(description="null: nobody is on call.")
    override: bool


class CalendarOut(Model):
    id: int
    name: str
    default: bool = Field(description="The calendar a policy's on-call step uses by default.")
    on_call: PersonOut | None = Field(description="Who is on call now; null: nobody.")
    next_on_call: PersonOut | None = Field(description="Who takes over next; null: nobody.")
    next_handoff_at: datetime | None = Field(description="null: no change ahead.")
    gaps: list[WindowOut] = Field(description="When nobody is on call in the next two weeks.")
    warnings: list[str]


class CalendarShiftsOut(CalendarOut):
    shifts: list[ShiftOut]


def person(view: CalendarView, user_id: int | None) -> PersonOut | None:
    if user_id is None:
        return None
    return PersonOut(id=user_id, email=view.emails.get(user_id, ""))


def calendar_out(view: CalendarView) -> CalendarOut:
    return CalendarOut(
        id=view.calendar.id,
        name=view.calendar.name,
        default=view.calendar.is_default,
        on_call=person(view, view.now.current),
        next_on_call=person(view, view.now.next) if view.now.handoff else None,
        next_handoff_at=view.now.handoff,
        gaps=[WindowOut(starts_at=start, ends_at=end) for start, end in view.gaps],
        warnings=[warning.message for warning in view.warnings],
    )


def shifts_out(view: CalendarView) -> CalendarShiftsOut:
    shifts = [
        ShiftOut(
            starts_at=s.start, ends_at=s.end, person=person(view, s.user_id), override=s.override
        )
        for s in view.shifts
    ]
    return CalendarShiftsOut(**calendar_out(view).model_dump(), shifts=shifts)


router = endpoint_router()


@router.get("/oncall", response_model=list[CalendarOut], tags=["on-call"])
async def list_calendars(services: ServicesDep, access: ReadKey) -> list[CalendarOut]:
    """The project's on-call calendars, the default first."""
    views = await oncall_service.calendar_views(services, access.project_id)
    return [calendar_out(view) for view in views]


@router.get("/oncall/{calendar_id}", response_model=CalendarShiftsOut, tags=["on-call"])
async def get_calendar(
    services: ServicesDep,
    access: ReadKey,
    calendar_id: CalendarId,
    since: Since = None,
    until: Until = None,
) -> CalendarShiftsOut:
    """One calendar, with its shifts from `from` to `to` (at most a year)."""
    try:
        view = await oncall_service.calendar_view(
            services, access.project_id, calendar_id, since, until
        )
    except NotFoundError:
        raise ApiError(404, f"no calendar {calendar_id} in this key's project") from None
    except InvalidError as error:
        raise FieldsError({error.field: error.message}) from None
    return shifts_out(view)
