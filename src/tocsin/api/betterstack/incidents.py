"""Better Stack's incidents (`/api/v3/incidents`, also under /api/v2) over Tocsin's.

List (newest first; `from` and `to` are dates, both inclusive, in UTC; `resolved`,
`acknowledged` true or false; `heartbeat_id`; `monitor_id` matches nothing, as Tocsin
has no monitors; `team_name` and `metadata` are refused, as Tocsin has neither), get,
acknowledge, resolve, timeline (every item, unpaginated) and delete. Acknowledging
and resolving go through `services.incidents`, so the timeline, escalation and the
notifications that follow are those of the command line and the alert links; a second
acknowledge or resolve answers 409. Deleting an open incident leaves its check down
without an incident until it recovers and fails again.
"""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncConnection

from tocsin.api.betterstack.http import (
    Body,
    Page,
    ReadAccess,
    WriteAccess,
    object_id,
    page_response,
)
from tocsin.api.betterstack.render import incident_json, timeline_item
from tocsin.api.betterstack.spec import AcknowledgeSpec, ResolveSpec, parse
from tocsin.api.common.auth import ApiAccess
from tocsin.api.common.errors import ApiError
from tocsin.api.common.routes import RouteTable
from tocsin.domain.numbers import whole_number
from tocsin.domain.records import Incident, IncidentFilter, IncidentStatus
from tocsin.services import incidents as incident_service
from tocsin.services.context import Context
from tocsin.services.errors import ConflictError, NotFoundError
from tocsin.services.requests import ServicesDep
from tocsin.store import incidents as store

UNSUPPORTED_FILTERS = {"team_name": "Tocsin has no teams", "metadata": "Tocsin keeps no metadata"}
MAX_ID = 2**31 - 1


def incident_filter(query: dict[str, str]) -> IncidentFilter:
    """The list's filters from its query, each refused with a reason if malformed."""
    for name, reason in UNSUPPORTED_FILTERS.items():
        if name in query:
            raise ApiError(400, f"{name} is not supported: {reason}")
    first, last = day(query, "from"), day(query, "to")
    check_ids = None
    if "heartbeat_id" in query:
        check_ids = [whole(query["heartbeat_id"], "heartbeat_id")]
    if "monitor_id" in query:
        check_ids = []
    return IncidentFilter(
        opened_from=first,
        opened_before=None if last is None else last + timedelta(days=1),
        resolved=flag(query, "resolved"),
        acknowledged=flag(query, "acknowledged"),
        check_ids=check_ids,
    )


def day(query: dict[str, str], name: str) -> datetime | None:
    """The start of a UTC day given as YYYY-MM-DD."""
    value = query.get(name)
    if value is None:
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise ApiError(400, f"{name} must be a date, YYYY-MM-DD") from None
    return datetime.combine(parsed, time(), tzinfo=UTC)


def flag(query: dict[str, str], name: str) -> bool | None:
    value = query.get(name)
    if value is None:
        return None
    if value not in ("true", "false"):
        raise ApiError(400, f"{name} must be true or false")
    return value == "true"


def whole(value: str, name: str) -> int:
    number = whole_number(value, max_digits=10)
    if number is None or number > MAX_ID:
        raise ApiError(400, f"{name} must be the id of a heartbeat")
    return number


def not_found(incident_id: str) -> ApiError:
    return ApiError(404, f"incident {incident_id!r} not found")


async def owned_incident(
    connection: AsyncConnection, access: ApiAccess, incident_id: str
) -> Incident:
    number = object_id(incident_id, "incident")
    incident = await connection.run_sync(store.get_incident, number)
    if incident is None or incident.project_id != access.project_id:
        raise not_found(incident_id)
    return incident


async def found_incident(services: Context, access: ApiAccess, incident_id: str) -> Incident:
    async with services.database.read() as connection:
        return await owned_incident(connection, access, incident_id)


async def shown_now(services: Context, access: ApiAccess, incident_id: int) -> JSONResponse:
    async with services.database.read() as connection:
        return JSONResponse(await shown(connection, access, incident_id))


async def shown(connection: AsyncConnection, access: ApiAccess, incident_id: int) -> dict[str, Any]:
    incident = await owned_incident(connection, access, str(incident_id))
    check = await connection.run_sync(store.incident_check, incident)
    return {"data": incident_json(incident, check.name)}


routes = RouteTable()


@routes("/incidents", "GET")
async def list_incidents(
    request: Request, services: ServicesDep, access: ReadAccess, page: Page
) -> JSONResponse:
    chosen = incident_filter(dict(request.query_params))
    async with services.database.read() as connection:
        found = await connection.run_sync(
            lambda sync: store.project_incidents(
                sync, access.project_id, chosen, limit=page.per_page, offset=page.offset
            )
        )
        total = await connection.run_sync(store.count_project_incidents, access.project_id, chosen)
    rendered = [incident_json(i, check.name) for i, check in found]
    return page_response(request, page, rendered, total)


@routes("/incidents/{incident_id}", "GET")
async def get_incident(services: ServicesDep, access: ReadAccess, incident_id: str) -> JSONResponse:
    async with services.database.read() as connection:
        incident = await owned_incident(connection, access, incident_id)
        return JSONResponse(await shown(connection, access, incident.id))


def actor(access: ApiAccess, given: str | None) -> str:
    """Who acted, for the timeline: the name sent, else the key."""
    return given or f"API key #{access.key_id}"


@routes("/incidents/{incident_id}/acknowledge", "POST")
async def acknowledge(
    services: ServicesDep, access: WriteAccess, body: Body, incident_id: str
) -> JSONResponse:
    """Stop the escalation; the incident stays open until the check recovers."""
    incident = await found_incident(services, access, incident_id)
    spec = parse(AcknowledgeSpec, body)
    # Better Stack's rule, stricter than Tocsin's own: a second acknowledge is a 409.
    if incident.status != IncidentStatus.OPEN:
        raise ApiError(409, f"incident {incident_id} is already {incident.status}")
    by = actor(access, spec.acknowledged_by)
    try:
        await incident_service.acknowledge(services, access.project_id, incident.id, by, "the API")
    except NotFoundError:
        raise not_found(incident_id) from None
    except ConflictError as error:
        raise ApiError(409, error.message) from None
    return await shown_now(services, access, incident.id)


@routes("/incidents/{incident_id}/resolve", "POST")
async def resolve(
    services: ServicesDep, access: WriteAccess, body: Body, incident_id: str
) -> JSONResponse:
    """Close the incident and tell every channel that heard of it."""
    incident = await found_incident(services, access, incident_id)
    spec = parse(ResolveSpec, body)
    by = actor(access, spec.resolved_by)
    try:
        await incident_service.resolve(services, access.project_id, incident.id, by)
    except NotFoundError:
        raise not_found(incident_id) from None
    except ConflictError as error:
        raise ApiError(409, error.message) from None
    return await shown_now(services, access, incident.id)


@routes("/incidents/{incident_id}/timeline", "GET")
async def timeline(services: ServicesDep, access: ReadAccess, incident_id: str) -> JSONResponse:
    """Every event of the incident, oldest first."""
    async with services.database.read() as connection:
        incident = await owned_incident(connection, access, incident_id)
        events = await connection.run_sync(store.events_of, incident.id)
    return JSONResponse({"data": [timeline_item(event) for event in events]})


@routes("/incidents/{incident_id}", "DELETE", 204)
async def delete_incident(services: ServicesDep, access: WriteAccess, incident_id: str) -> Response:
    incident = await found_incident(services, access, incident_id)
    try:
        await incident_service.delete_incident(services, access.project_id, incident.id)
    except NotFoundError:
        raise not_found(incident_id) from None
    return Response(status_code=204)
