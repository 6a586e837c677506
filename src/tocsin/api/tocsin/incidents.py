"""Incidents in Tocsin's own API: list (by status and check), read, timeline, and the
three things people do to one: acknowledge, resolve, comment. The actions are
`alerts.incidents`' own, as the command line and the incident page use them."""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Path, Query, Request

from tocsin.alerts import incidents as actions
from tocsin.api.common.auth import ApiAccess
from tocsin.api.common.errors import ApiError
from tocsin.api.tocsin.http import ReadKey, WriteKey, endpoint_router
from tocsin.api.tocsin.models import (
    Acknowledge,
    Comment,
    ErrorOut,
    EventOut,
    IncidentOut,
    IncidentStatus,
    Page,
    Resolve,
)
from tocsin.api.tocsin.pages import CursorParam, Limit, decode_cursor, page_of, paginate
from tocsin.api.tocsin.render import event_out, incident_out
from tocsin.domain.naming import unique_key
from tocsin.domain.records import Event, Incident, IncidentCheck, IncidentFilter
from tocsin.services.requests import ServicesDep, services_of
from tocsin.store import incidents as store
from tocsin.store.channels import project_channels
from tocsin.store.tables import checks

IncidentId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Statuses = Annotated[list[IncidentStatus] | None, Query(max_length=3, description="Any may match.")]
OpenOnly = Annotated[bool, Query(description="Only incidents not yet resolved.")]
CheckFilter = Annotated[str | None, Query(max_length=40, description="A check's `id`.")]
CONFLICT: dict[int | str, dict[str, Any]] = {409: {"model": ErrorOut, "description": "conflict"}}
Action = Callable[[sa.Connection, Incident, datetime], None]


def owned(connection: sa.Connection, access: ApiAccess, incident_id: int) -> Incident:
    incident = store.get_incident(connection, incident_id, for_update=True)
    if incident is None or incident.project_id != access.project_id:
        raise ApiError(404, f"no incident {incident_id} in this key's project")
    return incident


def shown(connection: sa.Connection, access: ApiAccess, incident_id: int) -> IncidentOut:
    incident = store.get_incident(connection, incident_id)
    if incident is None or incident.project_id != access.project_id:
        raise ApiError(404, f"no incident {incident_id} in this key's project")
    check = store.incident_check(connection, incident)
    return incident_out(incident, check.uuid, check.name)


router = endpoint_router()


@router.get("/incidents", response_model=Page[IncidentOut], tags=["incidents"])
async def list_incidents(
    services: ServicesDep,
    access: ReadKey,
    status: Statuses = None,
    open_only: OpenOnly = False,
    check: CheckFilter = None,
    limit: Limit = 50,
    cursor: CursorParam = None,
) -> Page[IncidentOut]:
    """The project's incidents, newest first."""
    wanted = set(status or ()) | (set(store.OPEN) if open_only else set())
    below_id = decode_cursor(cursor)

    def read(connection: sa.Connection) -> list[tuple[Incident, IncidentCheck]]:
        check_ids = None if check is None else checks_keyed(connection, access, check)
        chosen = IncidentFilter(
            check_ids=check_ids, statuses=tuple(sorted(wanted)) or None, below_id=below_id
        )
        # One more than a page, to know whether there is a next one.
        return store.project_incidents_by_id(connection, access.project_id, chosen, limit + 1)

    async with services.database.read() as connection:
        found = await connection.run_sync(read)
    shown_ = [incident_out(i, c.uuid, c.name) for i, c in found]
    items, next_cursor = page_of(shown_, lambda i: i.id, limit)
    return Page[IncidentOut](items=items, next_cursor=next_cursor)


def checks_keyed(connection: sa.Connection, access: ApiAccess, key: str) -> list[int]:
    """The project's check (none, or one) whose API `id` is `key`."""
    query = sa.select(checks.c.id, checks.c.uuid).where(checks.c.project_id == access.project_id)
    return [row.id for row in connection.execute(query) if unique_key(row.uuid) == key]


@router.get("/incidents/{incident_id}", response_model=IncidentOut, tags=["incidents"])
async def get_incident(
    services: ServicesDep, access: ReadKey, incident_id: IncidentId
) -> IncidentOut:
    async with services.database.read() as connection:
        return await connection.run_sync(shown, access, incident_id)


@router.get("/incidents/{incident_id}/timeline", response_model=Page[EventOut], tags=["incidents"])
async def incident_timeline(
    services: ServicesDep,
    access: ReadKey,
    incident_id: IncidentId,
    limit: Limit = 50,
    cursor: CursorParam = None,
) -> Page[EventOut]:
    """What happened, oldest first: opened, escalations, deliveries, comments …"""

    def read(connection: sa.Connection) -> tuple[list[Event], dict[int, Any]]:
        shown(connection, access, incident_id)
        channels = {c.id: c.uuid for c in project_channels(connection, access.project_id)}
        return store.events_of(connection, incident_id), channels

    async with services.database.read() as connection:
        events, channels = await connection.run_sync(read)
    items, next_cursor = paginate(events, lambda e: e.id, limit, cursor)
    return Page[EventOut](items=[event_out(e, channels) for e in items], next_cursor=next_cursor)


async def act(request: Request, access: ApiAccess, incident_id: int, action: Action) -> IncidentOut:
    services = services_of(request)

    def work(connection: sa.Connection) -> IncidentOut:
        incident = owned(connection, access, incident_id)
        try:
            action(connection, incident, services.clock.now())
        except actions.IncidentError as error:
            raise ApiError(409, str(error)) from None
        return shown(connection, access, incident_id)

    async with services.database.write() as connection:
        result = await connection.run_sync(work)
    services.wake_notifier()
    return result


def actor(by: str) -> str:
    return by or "api"


@router.post(
    "/incidents/{incident_id}/acknowledge",
    response_model=IncidentOut,
    responses=CONFLICT,
    tags=["incidents"],
)
async def acknowledge_incident(
    request: Request, access: WriteKey, incident_id: IncidentId, body: Acknowledge
) -> IncidentOut:
    """Stop escalation and reminders; the incident stays open. Acknowledging twice is
    no error; a resolved incident is a 409."""

    def ack(connection: sa.Connection, incident: Incident, now: datetime) -> None:
        actions.acknowledge(connection, incident, now, actor(body.by), "the API")

    return await act(request, access, incident_id, ack)


@router.post(
    "/incidents/{incident_id}/resolve",
    response_model=IncidentOut,
    responses=CONFLICT,
    tags=["incidents"],
)
async def resolve_incident(
    request: Request, access: WriteKey, incident_id: IncidentId, body: Resolve
) -> IncidentOut:
    """Close the incident; channels that were alerted hear of the recovery."""

    def resolve(connection: sa.Connection, incident: Incident, now: datetime) -> None:
        actions.resolve(connection, incident, now, actor(body.by))

    return await act(request, access, incident_id, resolve)


@router.post(
    "/incidents/{incident_id}/comments",
    response_model=IncidentOut,
    status_code=201,
    tags=["incidents"],
)
async def comment_incident(
    request: Request, access: WriteKey, incident_id: IncidentId, body: Comment
) -> IncidentOut:
    """Add a comment to the timeline."""

    def comment(connection: sa.Connection, incident: Incident, now: datetime) -> None:
        actions.comment(connection, incident, now, actor(body.by), body.text)

    return await act(request, access, incident_id, comment)
