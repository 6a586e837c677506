"""A project's on-call calendars: the list with who is on call now and next on each;
one calendar's week (`web.oncall_week`) with its gaps, warnings, rotations, overrides
and secret iCalendar feed URL; the rotation and override forms (`web.oncall_form`).
Everything acts through `services.oncall`, as the command line and the API do.
Everyone in the project may look; owners and admins make the changes."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData
from starlette.responses import Response

from tocsin.domain.accounts import can_manage
from tocsin.domain.oncall import DAY_NAMES, RotationRecord
from tocsin.domain.records import Membership
from tocsin.services import oncall as oncall_service
from tocsin.services.errors import ConflictError, InvalidError, NotFoundError
from tocsin.services.requests import ServicesDep, services_of
from tocsin.store import oncall as oncall_store
from tocsin.store import users as user_store
from tocsin.web.access import (
    FormDep,
    ManagerDep,
    MemberDep,
    field,
    not_found,
    parse_id,
    require_confirmation,
)
from tocsin.web.oncall_form import (
    UNIT_NAMES,
    OverrideForm,
    RotationForm,
    posted_override,
    posted_rotation,
    read_override,
    read_rotation,
    rotation_form_of,
    valid_zone,
)
from tocsin.web.oncall_week import colours_of, parse_week, week_view, week_window
from tocsin.web.pages import render

router = APIRouter(include_in_schema=False)
CALENDARS = "/projects/{project_id}/calendars"
CALENDAR = CALENDARS + "/{calendar}"


def calendars_url(membership: Membership) -> str:
    return f"/projects/{membership.project_id}/calendars"


def calendar_url(membership: Membership, calendar_id: int) -> str:
    return f"{calendars_url(membership)}/{calendar_id}"


def calendar_id_of(text: str) -> int:
    number = parse_id(text)
    if number is None:
        raise not_found()
    return number


def redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


# The list


async def render_list(
    request: Request,
    membership: Membership,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    services = services_of(request)
    views = await oncall_service.calendar_views(services, membership.project_id)
    context = {
        "membership": membership,
        "views": views,
        "now": services.clock.now(),
        "can_manage": can_manage(membership.role),
        "base": calendars_url(membership),
        "errors": errors or {},
        "name": "",
    }
    return render(request, "calendars.html", context, status)


@router.get(CALENDARS)
async def calendars_page(request: Request, membership: MemberDep) -> Response:
    return await render_list(request, membership)


@router.post(CALENDARS + "/new")
async def create_calendar(
    request: Request, services: ServicesDep, membership: ManagerDep, form: FormDep
) -> Response:
    try:
        made = await oncall_service.create_calendar(
            services, membership.project_id, field(form, "name")
        )
    except (InvalidError, ConflictError) as error:
        return await render_list(request, membership, {"new": error.message}, 400)
    return redirect(calendar_url(membership, made.id))


@router.post(CALENDAR + "/rename")
async def rename_calendar(
    request: Request, services: ServicesDep, membership: ManagerDep, form: FormDep, calendar: str
) -> Response:
    calendar_id = calendar_id_of(calendar)
    try:
        await oncall_service.rename_calendar(
            services, membership.project_id, calendar_id, field(form, "name")
        )
    except NotFoundError:
        raise not_found() from None
    except (InvalidError, ConflictError) as error:
        return await render_list(request, membership, {f"rename-{calendar_id}": error.message}, 400)
    return redirect(calendars_url(membership))


@router.post(CALENDAR + "/default")
async def make_default(services: ServicesDep, membership: ManagerDep, calendar: str) -> Response:
    try:
        await oncall_service.make_default(services, membership.project_id, calendar_id_of(calendar))
    except NotFoundError:
        raise not_found() from None
    return redirect(calendars_url(membership))


@router.post(CALENDAR + "/delete")
async def delete_calendar(
    services: ServicesDep, membership: ManagerDep, form: FormDep, calendar: str
) -> Response:
    require_confirmation(form, "delete")
    try:
        await oncall_service.delete_calendar(
            services, membership.project_id, calendar_id_of(calendar)
        )
    except NotFoundError:
        raise not_found() from None
    return redirect(calendars_url(membership))


# One calendar


async def rotations_of(
    request: Request, membership: Membership, calendar_id: int
) -> list[RotationRecord]:
    """The calendar's rotations, if it is the project's; else 404."""

    def work(connection: sa.Connection) -> list[RotationRecord]:
        if oncall_store.calendar_in(connection, membership.project_id, calendar_id) is None:
            raise not_found()
        return oncall_store.rotations_of(connection, calendar_id)

    async with services_of(request).database.read() as connection:
        return await connection.run_sync(work)


def shown_zone(asked: str, rotations: list[RotationRecord]) -> str:
    """The zone the week is shown in: the one asked for, else the first rotation's."""
    if asked and valid_zone(asked, {}) is not None:
        return asked
    return rotations[0].rotation.zone if rotations else "UTC"


@router.get(CALENDAR)
async def calendar_page(
    request: Request, services: ServicesDep, membership: MemberDep, calendar: str
) -> Response:
    calendar_id = calendar_id_of(calendar)
    rotations = await rotations_of(request, membership, calendar_id)
    zone = shown_zone(request.query_params.get("zone", "").strip(), rotations)
    now = services.clock.now()
    today = now.astimezone(ZoneInfo(zone)).date()
    monday = parse_week(request.query_params.get("week", "").strip(), today)
    start, end = week_window(monday, zone)
    try:
        view = await oncall_service.calendar_view(
            services, membership.project_id, calendar_id, start, end
        )
    except NotFoundError:
        raise not_found() from None
    except InvalidError:  # a window the services refuse: this week instead
        return redirect(calendar_url(membership, calendar_id))
    colours = colours_of(list(view.emails))
    week = week_view(view.shifts, monday, zone, view.emails, colours, today)
    local = ZoneInfo(zone)
    context = {
        "membership": membership,
        "view": view,
        "week": week,
        "zone": zone,
        "colours": colours,
        "now": now,
        "at": lambda moment: moment.astimezone(local).strftime("%a %-d %b %H:%M"),
        "name_of": lambda user_id: (
            view.emails.get(user_id, "nobody") if user_id is not None else "nobody"
        ),
        "rotations": [(r, rotation_words(r, view.emails)) for r in view.rotations],
        "feed_url": oncall_service.feed_url(services.settings.base_url, view.calendar.feed_token),
        "can_manage": can_manage(membership.role),
        "base": calendar_url(membership, calendar_id),
        "list_url": calendars_url(membership),
    }
    return render(request, "calendar.html", context)


def rotation_words(record: RotationRecord, emails: dict[int, str]) -> dict[str, str]:
    rotation = record.rotation
    unit = {unit: name for name, unit in UNIT_NAMES.items()}[rotation.unit]
    if rotation.length == 1:
        unit = unit.rstrip("s")
    first = rotation.first_handoff.astimezone(ZoneInfo(rotation.zone))
    restriction = rotation.restriction
    covers = "all the time"
    if restriction is not None:
        days = ", ".join(DAY_NAMES[d] for d in sorted(restriction.weekdays))
        hours = f"{restriction.start:%H:%M}-{restriction.end:%H:%M}"
        covers = f"{hours} on {days}" if len(restriction.weekdays) < 7 else f"{hours} every day"
    return {
        "members": ", ".join(emails.get(m, f"user {m}") for m in rotation.members) or "nobody",
        "every": f"every {rotation.length} {unit}",
        "from": f"{first:%Y-%m-%d %H:%M} {rotation.zone}",
        "covers": covers,
        "layer": str(rotation.layer),
    }


@router.post(CALENDAR + "/feed")
async def new_feed_secret(services: ServicesDep, membership: ManagerDep, calendar: str) -> Response:
    calendar_id = calendar_id_of(calendar)
    try:
        await oncall_service.rotate_feed_token(services, membership.project_id, calendar_id)
    except NotFoundError:
        raise not_found() from None
    return redirect(calendar_url(membership, calendar_id) + "#feed")


@router.post(CALENDAR + "/warnings/dismiss")
async def dismiss_warnings(
    services: ServicesDep, membership: ManagerDep, calendar: str
) -> Response:
    calendar_id = calendar_id_of(calendar)
    try:
        await oncall_service.dismiss_warnings(services, membership.project_id, calendar_id)
    except NotFoundError:
        raise not_found() from None
    return redirect(calendar_url(membership, calendar_id))


# Rotations


async def members_of(request: Request, membership: Membership) -> list[tuple[int, str]]:
    async with services_of(request).database.read() as connection:
        found = await connection.run_sync(user_store.project_members, membership.project_id)
    return [(user.id, user.email) for user, _role in found]


async def render_member_form(
    request: Request,
    membership: Membership,
    calendar_id: int,
    page: str,
    form: RotationForm | OverrideForm,
    status: int,
    **extra: object,
) -> Response:
    """A rotation's or an override's form: both choose among the project's members and
    post back to where they were shown."""
    context = {
        "membership": membership,
        "form": form,
        "members": await members_of(request, membership),
        "action": str(request.url.path),
        "base": calendar_url(membership, calendar_id),
        **extra,
    }
    return render(request, page, context, status)


async def render_rotation(
    request: Request,
    membership: Membership,
    calendar_id: int,
    form: RotationForm,
    status: int = 200,
) -> Response:
    return await render_member_form(
        request,
        membership,
        calendar_id,
        "rotation_form.html",
        form,
        status,
        day_names=DAY_NAMES,
        units=list(UNIT_NAMES),
    )


def new_rotation_form(now: datetime) -> RotationForm:
    return RotationForm(start_date=now.date().isoformat())


@router.get(CALENDAR + "/rotations/new")
async def new_rotation(
    request: Request, services: ServicesDep, membership: MemberDep, calendar: str
) -> Response:
    calendar_id = calendar_id_of(calendar)
    await rotations_of(request, membership, calendar_id)
    form = new_rotation_form(services.clock.now())
    return await render_rotation(request, membership, calendar_id, form)


@router.post(CALENDAR + "/rotations/new")
async def add_rotation(
    request: Request, membership: ManagerDep, form: FormDep, calendar: str
) -> Response:
    return await save_rotation(request, membership, form, calendar_id_of(calendar), None)


async def found_rotation(
    request: Request, membership: Membership, calendar_id: int, rotation: str
) -> RotationRecord:
    rotation_id = parse_id(rotation)
    for record in await rotations_of(request, membership, calendar_id):
        if record.id == rotation_id:
            return record
    raise not_found()


@router.get(CALENDAR + "/rotations/{rotation}/edit")
async def edit_rotation_form(
    request: Request, membership: MemberDep, calendar: str, rotation: str
) -> Response:
    calendar_id = calendar_id_of(calendar)
    record = await found_rotation(request, membership, calendar_id, rotation)
    return await render_rotation(request, membership, calendar_id, rotation_form_of(record))


@router.post(CALENDAR + "/rotations/{rotation}/edit")
async def edit_rotation(
    request: Request, membership: ManagerDep, form: FormDep, calendar: str, rotation: str
) -> Response:
    calendar_id = calendar_id_of(calendar)
    record = await found_rotation(request, membership, calendar_id, rotation)
    return await save_rotation(request, membership, form, calendar_id, record.id)


async def save_rotation(
    request: Request,
    membership: Membership,
    posted: FormData,
    calendar_id: int,
    rotation_id: int | None,
) -> Response:
    await rotations_of(request, membership, calendar_id)
    members = await members_of(request, membership)
    form = posted_rotation(posted, [user_id for user_id, _ in members])
    spec = read_rotation(form)
    if spec is None:
        return await render_rotation(request, membership, calendar_id, form, 400)
    services = services_of(request)
    try:
        if rotation_id is None:
            await oncall_service.add_rotation(services, membership.project_id, calendar_id, spec)
        else:
            await oncall_service.replace_rotation(
                services, membership.project_id, rotation_id, spec
            )
    except NotFoundError:
        raise not_found() from None
    except InvalidError as error:
        where = error.field if error.field in ("name", "members", "zone") else "rotation"
        form.errors[where] = error.message
        return await render_rotation(request, membership, calendar_id, form, 400)
    return redirect(calendar_url(membership, calendar_id))


@router.post(CALENDAR + "/rotations/{rotation}/delete")
async def delete_rotation(
    request: Request, membership: ManagerDep, form: FormDep, calendar: str, rotation: str
) -> Response:
    calendar_id = calendar_id_of(calendar)
    record = await found_rotation(request, membership, calendar_id, rotation)
    require_confirmation(form, "delete")
    try:
        await oncall_service.delete_rotation(services_of(request), membership.project_id, record.id)
    except NotFoundError:
        raise not_found() from None
    return redirect(calendar_url(membership, calendar_id))


# Overrides


async def render_override(
    request: Request,
    membership: Membership,
    calendar_id: int,
    form: OverrideForm,
    status: int = 200,
) -> Response:
    return await render_member_form(
        request, membership, calendar_id, "override_form.html", form, status
    )


@router.get(CALENDAR + "/overrides/new")
async def new_override(
    request: Request, services: ServicesDep, membership: MemberDep, calendar: str
) -> Response:
    calendar_id = calendar_id_of(calendar)
    rotations = await rotations_of(request, membership, calendar_id)
    zone = shown_zone(request.query_params.get("zone", "").strip(), rotations)
    opens = next_hour(services.clock.now().astimezone(ZoneInfo(zone)))
    closes = opens + timedelta(hours=12)
    form = OverrideForm("", f"{opens:%Y-%m-%dT%H:%M}", f"{closes:%Y-%m-%dT%H:%M}", zone)
    return await render_override(request, membership, calendar_id, form)


def next_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


@router.post(CALENDAR + "/overrides/new")
async def add_override(
    request: Request, services: ServicesDep, membership: ManagerDep, form: FormDep, calendar: str
) -> Response:
    calendar_id = calendar_id_of(calendar)
    await rotations_of(request, membership, calendar_id)
    members = await members_of(request, membership)
    posted = posted_override(form)
    spec = read_override(posted, [user_id for user_id, _ in members])
    if spec is None:
        return await render_override(request, membership, calendar_id, posted, 400)
    try:
        await oncall_service.add_override(
            services, membership.project_id, calendar_id, spec.user_id, spec.start, spec.end
        )
    except NotFoundError:
        raise not_found() from None
    except InvalidError as error:
        where = error.field if error.field in ("member", "start") else "end"
        posted.errors["member" if error.field == "members" else where] = error.message
        return await render_override(request, membership, calendar_id, posted, 400)
    week = spec.start.date().isoformat()
    return redirect(f"{calendar_url(membership, calendar_id)}?week={week}")


@router.post(CALENDAR + "/overrides/{override}/delete")
async def delete_override(
    services: ServicesDep, membership: ManagerDep, form: FormDep, calendar: str, override: str
) -> Response:
    calendar_id = calendar_id_of(calendar)
    override_id = parse_id(override)
    if override_id is None:
        raise not_found()
    require_confirmation(form, "delete")
    try:
        # The service checks the override is the project's; the URL's calendar is the way back.
        await oncall_service.delete_override(services, membership.project_id, override_id)
    except NotFoundError:
        raise not_found() from None
    return redirect(calendar_url(membership, calendar_id))
