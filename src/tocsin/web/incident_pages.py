"""A project's incidents: the list (open first, then past ones) and one incident's page
with its timeline, where members acknowledge, resolve and comment through the same
`services.incidents` actions as the command line and the API."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from tocsin.domain.accounts import can_change
from tocsin.domain.records import (
    Event,
    Incident,
    IncidentCheck,
    IncidentFilter,
    IncidentStatus,
    Membership,
)
from tocsin.services import incidents as incident_service
from tocsin.services import maintenance as maintenance_service
from tocsin.services.context import Context
from tocsin.services.errors import ConflictError, NotFoundError
from tocsin.services.requests import services_of
from tocsin.store import dependencies as dependency_store
from tocsin.store import incidents as incident_store
from tocsin.web.access import (
    EditorDep,
    FormDep,
    MemberDep,
    WebError,
    field,
    not_found,
    parse_id,
    parse_uuid,
)
from tocsin.web.live import change_events
from tocsin.web.pages import render

router = APIRouter(include_in_schema=False)
ICONS: dict[str, str] = {
    IncidentStatus.OPEN: "▼",
    IncidentStatus.ACKNOWLEDGED: "◆",
    IncidentStatus.RESOLVED: "▲",
}
MAX_COMMENT = 2000
PAST_SHOWN = 100


def incidents_url(membership: Membership) -> str:
    return f"/projects/{membership.project_id}/incidents"


@router.get("/projects/{project_id}/incidents")
async def incidents_page(request: Request, membership: MemberDep, check: str = "") -> Response:
    """Every incident of the project, or, with `?check=<uuid>`, of one check."""
    return render(request, "incidents.html", await lists_context(request, membership, check))


# Registered before /incidents/{incident}, which would take these names for incident ids.
@router.get("/projects/{project_id}/incidents/lists")
async def incident_lists(request: Request, membership: MemberDep, check: str = "") -> Response:
    """The open and past lists alone, fetched again whenever the event stream says so."""
    return render(request, "incident_lists.html", await lists_context(request, membership, check))


@router.get("/projects/{project_id}/incidents/events")
async def incident_events(request: Request, membership: MemberDep) -> Response:
    return change_events(request, membership.project_id, incident_store.project_incident_signature)


async def lists_context(request: Request, membership: Membership, check: str) -> dict[str, Any]:
    """Every open incident (at most one a check) and the newest past ones, read a page
    at a time: a project's history of incidents only grows."""
    check_uuid = parse_uuid(check) if check else None

    def read(connection: sa.Connection) -> IncidentLists:
        project_id = membership.project_id
        if check and check_uuid is None:
            return IncidentLists([], [], 0)
        open_only = IncidentFilter(resolved=False, check_uuid=check_uuid)
        past_only = IncidentFilter(resolved=True, check_uuid=check_uuid)
        return IncidentLists(
            incident_store.project_incidents(connection, project_id, open_only),
            incident_store.project_incidents(connection, project_id, past_only, limit=PAST_SHOWN),
            incident_store.count_project_incidents(connection, project_id, past_only),
        )

    async with services_of(request).database.read() as connection:
        lists = await connection.run_sync(read)
    named = lists.open_ones or lists.past
    return {
        "membership": membership,
        "open_incidents": lists.open_ones,
        "past_incidents": lists.past,
        "more_past": max(0, lists.past_count - PAST_SHOWN),
        "check_name": (named[0][1].name or check) if check and named else "",
        "icons": ICONS,
        "base": incidents_url(membership),
    }


@dataclass(frozen=True, slots=True)
class IncidentLists:
    open_ones: list[tuple[Incident, IncidentCheck]]
    past: list[tuple[Incident, IncidentCheck]]  # the newest PAST_SHOWN
    past_count: int


def project_incident(connection: sa.Connection, membership: Membership, incident: str) -> Incident:
    """The incident in the URL, if it belongs to the project in the URL; else 404."""
    number = parse_id(incident)
    found = None
    if number is not None:
        found = incident_store.get_incident(connection, number)
    if found is None or found.project_id != membership.project_id:
        raise not_found()
    return found


def incident_details(
    connection: sa.Connection, membership: Membership, incident: str
) -> tuple[Incident, IncidentCheck, list[Event], tuple[str | None, list[str]]]:
    found = project_incident(connection, membership, incident)
    check = incident_store.incident_check(connection, found)
    holds = dependency_store.incident_holds(connection, found)
    return found, check, incident_store.events_of(connection, found.id), holds


@router.get("/projects/{project_id}/incidents/{incident}")
async def incident_page(request: Request, membership: MemberDep, incident: str) -> Response:
    return await render_incident(request, membership, incident)


async def render_incident(
    request: Request,
    membership: Membership,
    incident: str,
    comment: str = "",
    comment_error: str = "",
) -> Response:
    async with services_of(request).database.read() as connection:
        found, check, events, (held_by, holding) = await connection.run_sync(
            incident_details, membership, incident
        )
    context = {
        "membership": membership,
        "incident": found,
        "check": check,
        "events": events,
        "held_by": held_by,
        "holding": holding,
        "icon": ICONS[found.status],
        "word": found.status,
        "can_change": can_change(membership.role),
        "base": incidents_url(membership),
        "checks_base": f"/projects/{membership.project_id}/checks",
        "comment": comment,
        "comment_error": comment_error,
        "snooze": await maintenance_service.incident_snooze(services_of(request), found.id),
    }
    return render(request, "incident_detail.html", context, 400 if comment_error else 200)


# An action of `services.incidents` on (project, incident, who), bound to its other values.
Action = Callable[[Context, int, int, str], Awaitable[object]]


async def act(request: Request, membership: Membership, incident: str, action: Action) -> Response:
    """Run `action` on the incident, by the signed-in user; a refused action (resolving
    a resolved incident, say) is a page saying why, never an error."""
    number = parse_id(incident)
    if number is None:
        raise not_found()
    who = request.state.visitor.session.user.email
    try:
        await action(services_of(request), membership.project_id, number, who)
    except NotFoundError:
        raise not_found() from None
    except ConflictError as error:
        raise WebError(409, "Nothing to do", f"{error.message.capitalize()}.") from None
    return RedirectResponse(f"{incidents_url(membership)}/{incident}", status_code=303)


@router.post("/projects/{project_id}/incidents/{incident}/acknowledge")
async def acknowledge(request: Request, membership: EditorDep, incident: str) -> Response:
    async def work(context: Context, project_id: int, incident_id: int, who: str) -> None:
        await incident_service.acknowledge(context, project_id, incident_id, who, "the web app")

    return await act(request, membership, incident, work)


@router.post("/projects/{project_id}/incidents/{incident}/resolve")
async def resolve(request: Request, membership: EditorDep, incident: str) -> Response:
    return await act(request, membership, incident, incident_service.resolve)


@router.post("/projects/{project_id}/incidents/{incident}/comment")
async def comment(
    request: Request, membership: EditorDep, form: FormDep, incident: str
) -> Response:
    text = field(form, "text")
    if not text or len(text) > MAX_COMMENT:
        problem = f"A comment has 1 to {MAX_COMMENT} characters."
        return await render_incident(request, membership, incident, text, problem)

    async def work(context: Context, project_id: int, incident_id: int, who: str) -> None:
        await incident_service.comment(context, project_id, incident_id, who, text)

    return await act(request, membership, incident, work)
