"""Maintenance windows and snoozes in Tocsin's own API: a project's windows listed,
added and removed; a check or an incident snoozed for a while and woken. The models
are this module's own, beside the endpoints that alone use them; the actions are
`services.maintenance`' own, as the command line and the web app use them."""

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import Path, Query, Response
from pydantic import Field

from tocsin.api.common.auth import ApiAccess
from tocsin.api.common.errors import ApiError
from tocsin.api.tocsin.checks import CheckId, find_check
from tocsin.api.tocsin.http import FieldsError, ReadKey, WriteKey, endpoint_router
from tocsin.api.tocsin.incidents import IncidentId, act, actor
from tocsin.api.tocsin.models import Actor, Duration, ErrorOut, IncidentOut, Model, Text
from tocsin.domain import windows as rules
from tocsin.domain.naming import unique_key
from tocsin.services import maintenance as service
from tocsin.services.errors import ConflictError, InvalidError, NotFoundError
from tocsin.services.requests import ServicesDep
from tocsin.store import checks as check_store

WindowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
ClockTime = Annotated[str, Field(max_length=8, pattern=r"^\d{2}:\d{2}(:\d{2})?$")]
REFUSALS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "not found"},
    409: {"model": ErrorOut, "description": "conflict"},
}


class WindowIn(Model):
    """A recurring window (`days`, `from`, `to`, `tz`) or a one-off one (`starts_at`,
    `ends_at`); of one check (`check`), every check with a `tag`, or the whole project."""

    name: Annotated[Text, Field(min_length=1, max_length=rules.MAX_NAME)]
    check: Annotated[str, Field(max_length=40, description="A check's `id` or uuid.")] | None = None
    tag: Annotated[Text, Field(min_length=1, max_length=50)] | None = None
    days: Annotated[list[Weekday], Field(max_length=7, default_factory=list)]
    from_: ClockTime | None = Field(None, alias="from", description="Local start, HH:MM.")
    to: ClockTime | None = Field(None, description="Local end, HH:MM; before `from`: overnight.")
    tz: Annotated[str, Field(max_length=64)] = "UTC"
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    by: Actor = ""


class WindowOut(Model):
    id: int
    name: str
    check: str | None = Field(description="The check's `id`, for a window of one check.")
    tag: str | None
    snooze: bool
    created_by: str
    days: list[str] | None = None
    from_: str | None = Field(None, alias="from")
    to: str | None = None
    tz: str | None = None
    starts_at: str | None = None
    ends_at: str | None = None


class SnoozeIn(Model):
    duration: Duration = Field(
        timedelta(hours=1),
        description="How long, such as `2h` or 7200 (seconds); 1 hour if not given.",
    )
    by: Actor = ""


class WakeIn(Model):
    by: Actor = ""


def window_out(window: rules.Window, keys: dict[int, str]) -> WindowOut:
    document = rules.as_document(window)
    check_id = document.pop("check_id")
    return WindowOut.model_validate(document | {"check": keys.get(check_id)})


def check_keys(connection: sa.Connection, project_id: int) -> dict[int, str]:
    """The API `id` of each of the project's checks, by its row id."""
    found = check_store.project_checks(connection, project_id)
    return {d.record.id: unique_key(d.record.uuid) for d in found}


async def shown(services: ServicesDep, project_id: int, window: rules.Window) -> WindowOut:
    async with services.database.read() as connection:
        keys = await connection.run_sync(check_keys, project_id)
    return window_out(window, keys)


def when_of(body: WindowIn) -> rules.When:
    try:
        if body.starts_at is not None or body.ends_at is not None:
            if body.days or body.from_ or body.to:
                raise rules.WindowError("give starts_at and ends_at, or days, from and to")
            if body.starts_at is None or body.ends_at is None:
                raise rules.WindowError("a one-off window needs starts_at and ends_at")
            return rules.one_off(body.starts_at, body.ends_at)
        if not (body.days and body.from_ and body.to):
            raise rules.WindowError("a recurring window needs days, from and to")
        return rules.recurring(list(body.days), body.from_, body.to, body.tz)
    except rules.WindowError as error:
        raise FieldsError({"window": str(error)}) from None


def scope_of(connection: sa.Connection, access: ApiAccess, body: WindowIn) -> rules.Scope:
    check_id = None if body.check is None else find_check(connection, access, body.check).record.id
    try:
        return rules.check_scope(check_id, body.tag)
    except rules.WindowError as error:
        raise FieldsError({"tag": str(error)}) from None


router = endpoint_router()


CheckFilter = Annotated[
    str | None,
    Query(max_length=40, description="A check's `id`: only the windows that cover it."),
]


@router.get(
    "/maintenance", response_model=list[WindowOut], responses=REFUSALS, tags=["maintenance"]
)
async def list_windows(
    services: ServicesDep, access: ReadKey, check: CheckFilter = None
) -> list[WindowOut]:
    """The project's maintenance windows and snoozes, oldest first; with `check`, those
    that cover that check (its own, its tags', the project's) and have not ended."""
    if check is None:
        found = await service.list_windows(services, access.project_id)
    else:
        async with services.database.read() as connection:
            details = await connection.run_sync(find_check, access, check)
        found = await service.check_windows(services, details.record)
    async with services.database.read() as connection:
        keys = await connection.run_sync(check_keys, access.project_id)
    return [window_out(w, keys) for w in found]


@router.post(
    "/maintenance",
    response_model=WindowOut,
    status_code=201,
    responses=REFUSALS,
    tags=["maintenance"],
)
async def add_window(services: ServicesDep, access: WriteKey, body: WindowIn) -> WindowOut:
    """Add a window: no deadline inside it turns a check down (it moves to the window's
    end), and open incidents do not escalate until it ends."""
    when = when_of(body)
    async with services.database.read() as connection:
        scope = await connection.run_sync(scope_of, access, body)
    new = service.NewWindow(body.name, when, scope)
    try:
        window = await service.add_window(services, access.project_id, new, actor(body.by))
    except InvalidError as error:
        raise FieldsError({error.field: error.message}) from None
    return await shown(services, access.project_id, window)


@router.delete(
    "/maintenance/{window_id}", status_code=204, responses=REFUSALS, tags=["maintenance"]
)
async def remove_window(services: ServicesDep, access: WriteKey, window_id: WindowId) -> Response:
    """Remove a window; what it held back is due again."""
    try:
        await service.remove_window(services, access.project_id, window_id)
    except NotFoundError as error:
        raise ApiError(404, error.message) from None
    return Response(status_code=204)


async def check_of(services: ServicesDep, access: ApiAccess, code: str) -> int:
    async with services.database.read() as connection:
        details = await connection.run_sync(find_check, access, code)
    return details.record.id


@router.post(
    "/checks/{check_id}/snooze",
    response_model=WindowOut,
    responses=REFUSALS,
    tags=["maintenance"],
)
async def snooze_check(
    services: ServicesDep, access: WriteKey, check_id: CheckId, body: SnoozeIn
) -> WindowOut:
    """Snooze a check: it does not go down, nor its incident escalate, until it wakes."""
    internal = await check_of(services, access, check_id)
    try:
        window = await service.snooze_check(
            services, access.project_id, internal, body.duration, actor(body.by)
        )
    except InvalidError as error:
        raise FieldsError({"duration": error.message}) from None
    return await shown(services, access.project_id, window)


@router.post(
    "/checks/{check_id}/unsnooze", status_code=204, responses=REFUSALS, tags=["maintenance"]
)
async def unsnooze_check(
    services: ServicesDep, access: WriteKey, check_id: CheckId, body: WakeIn
) -> Response:
    """Wake a snoozed check now; a 409 if it is not snoozed."""
    internal = await check_of(services, access, check_id)
    try:
        await service.unsnooze_check(services, access.project_id, internal, actor(body.by))
    except ConflictError as error:
        raise ApiError(409, error.message) from None
    return Response(status_code=204)


@router.post(
    "/incidents/{incident_id}/snooze",
    response_model=IncidentOut,
    responses=REFUSALS,
    tags=["incidents"],
)
async def snooze_incident(
    services: ServicesDep, access: WriteKey, incident_id: IncidentId, body: SnoozeIn
) -> IncidentOut:
    """No escalation steps or reminders until the snooze ends; the timeline says who
    snoozed it and when it wakes. An incident that is not open is a 409."""
    action = service.snooze_incident(
        services, access.project_id, incident_id, body.duration, actor(body.by)
    )
    try:
        return await act(services, access, incident_id, action)
    except InvalidError as error:
        raise FieldsError({"duration": error.message}) from None


@router.post(
    "/incidents/{incident_id}/unsnooze",
    response_model=IncidentOut,
    responses=REFUSALS,
    tags=["incidents"],
)
async def unsnooze_incident(
    services: ServicesDep, access: WriteKey, incident_id: IncidentId, body: WakeIn
) -> IncidentOut:
    """Wake a snoozed incident: what it held back runs now."""
    action = service.unsnooze_incident(services, access.project_id, incident_id, actor(body.by))
    return await act(services, access, incident_id, action)
