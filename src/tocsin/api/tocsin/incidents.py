"""Incidents in Tocsin's own API: list (by status and check), read, timeline, and the
three things people do to one: acknowledge, resolve, comment. The actions are
`services.incidents`' own, as the command line and the incident page use them."""

from collections.abc import Awaitable
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Path, Query

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
from tocsin.services import incidents as incident_service
from tocsin.services.context import Context
from tocsin.services.errors import ConflictError, NotFoundError
from tocsin.services.requests import ServicesDep
from tocsin.store import dependencies as dependency_store
from tocsin.store import incidents as store
from tocsin.store.channels import project_channels
from tocsin.store.tables import checks

IncidentId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Statuses = Annotated[list[IncidentStatus] | None, Query(max_length=3, description="Any may match.")]
OpenOnly = Annotated[bool, Query(description="Only incidents not yet resolved.")]
CheckFilter = Annotated[str | None, Query(max_length=40, description="A check's `id`.")]
CONFLICT: dict[int | str, dict[str, Any]] = {409: {"model": ErrorOut, "description": "conflict"}}


def not_found(incident_id: int) -> ApiError:
    return ApiError(404, f"no incident {incident_id} in this key's project")


def shown(connection: sa.Connection, access: ApiAccess, incident_id: int) -> IncidentOut:
    incident = store.get_incident(connection, incident_id)
    if incident is None or incident.project_id != access.project_id:
        raise not_found(incident_id)
    check = store.incident_check(connection, incident)
    holds = dependency_store.incident_holds(connection, incident)
    return incident_out(incident, check.uuid, check.name, holds)


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

    def read(
        connection: sa.Connection,
    ) -> tuple[list[tuple[Incident, IncidentCheck]], dict[int, dependency_store.Holds]]:
        check_ids = None if check is None else checks_keyed(connection, access, check)
        chosen = IncidentFilter(
            check_ids=check_ids, statuses=tuple(sorted(wanted)) or None, below_id=below_id
        )
        # One more than a page, to know whether there is a next one.
        listed = store.project_incidents_by_id(connection, access.project_id, chosen, limit + 1)
        return listed, dependency_store.holds_of(connection, [i for i, _ in listed])

    async with services.database.read() as connection:
        found, holds = await connection.run_sync(read)
    shown_ = [incident_out(i, c.uuid, c.name, holds[i.id]) for i, c in found]
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


async def act(
    context: Context, access: ApiAccess, incident_id: int, action: Awaitable[object]
) -> IncidentOut:
    """Await `action` (of `services.incidents`, on this incident), then show the incident."""
    try:
        await action
    except NotFoundError:
        raise not_found(incident_id) from None
    except ConflictError as error:
        raise ApiError(409, error.message) from None
    async with context.database.read() as connection:
        return await connection.run_sync(shown, access, incident_id)


def actor(by: str) -> str:
    return by or "api"


@router.post(
    "/incidents/{incident_id}/acknowledge",
    response_model=IncidentOut,
    responses=CONFLICT,
    tags=["incidents"],
)
async def acknowledge_incident(
    services: ServicesDep, access: WriteKey, incident_id: IncidentId, body: Acknowledge
) -> IncidentOut:
    """Stop escalation and reminders; the incident stays open. Acknowledging twice is
    no error; a resolved incident is a 409."""
    action = incident_service.acknowledge(
        services, access.project_id, incident_id, actor(body.by), "the API"
    )
    return await act(services, access, incident_id, action)


@router.post(
    "/incidents/{incident_id}/resolve",
    response_model=IncidentOut,
    responses=CONFLICT,
    tags=["incidents"],
)
async def resolve_incident(
    services: ServicesDep, access: WriteKey, incident_id: IncidentId, body: Resolve
) -> IncidentOut:
    """Close the incident; channels that were alerted hear of the recovery."""
    action = incident_service.resolve(services, access.project_id, incident_id, actor(body.by))
    return await act(services, access, incident_id, action)


@router.post(
    "/incidents/{incident_id}/comments",
    response_model=IncidentOut,
    status_code=201,
    tags=["incidents"],
)
async def comment_incident(
    services: ServicesDep, access: WriteKey, incident_id: IncidentId, body: Comment
) -> IncidentOut:
    """Add a comment to the timeline."""
    action = incident_service.comment(
        services, access.project_id, incident_id, actor(body.by), body.text
    )
    return await act(services, access, incident_id, action)
