"""The incident page an alert links to: a signed, expiring token shows that one incident
and lets whoever holds the link acknowledge it, without logging in. Opening the link
changes nothing (mail scanners open links); acknowledging is a POST."""

import contextlib
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from tocsin.domain.describe import stamp
from tocsin.domain.signing import ACK_PURPOSE, verify
from tocsin.services import incidents as incident_service
from tocsin.services import maintenance
from tocsin.services.context import Context
from tocsin.services.errors import ConflictError, NotFoundError
from tocsin.services.requests import ServicesDep
from tocsin.store import incidents as incident_store
from tocsin.store.tables import checks

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def refuse(request: Request) -> Response:
    return templates.TemplateResponse(
        request,
        "message.html",
        {
            "heading": "This link does not work",
            "text": "It has expired, or it belongs to another incident. Sign in to Tocsin to "
            "see this incident.",
        },
        status_code=403,
    )


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
async def show(
    request: Request, services: ServicesDep, incident_id: int, token: str = "", done: str = ""
) -> Response:
    now = services.clock.now()
    if not verify(services.secret, token, ACK_PURPOSE, incident_id, now):
        return refuse(request)
    async with services.database.read() as connection:
        found = await connection.run_sync(lambda sync: load(sync, incident_id))
    if found is None:
        return refuse(request)
    incident, check_name, events = found
    return templates.TemplateResponse(
        request,
        "incident.html",
        {
            "incident": incident,
            "check_name": check_name,
            "events": events,
            "token": token,
            "acknowledged_now": done == "ack",
            "snoozed_now": done == "snooze",
            "stamp": stamp,
        },
    )


@router.post("/incidents/{incident_id}/ack")
async def acknowledge(
    request: Request,
    services: ServicesDep,
    incident_id: int,
    token: str = Form(""),
    by: str = Form(""),
) -> Response:
    def act(who: str) -> Awaitable[object]:
        return incident_service.acknowledge(services, None, incident_id, who, "the alert's link")

    return await by_the_link(request, services, incident_id, token, by, act, "ack")


ACK_PAGE_SNOOZE = timedelta(hours=2)


@router.post("/incidents/{incident_id}/snooze")
async def snooze(
    request: Request,
    services: ServicesDep,
    incident_id: int,
    token: str = Form(""),
    by: str = Form(""),
) -> Response:
    """ "Snooze 2h" from the alert's link: no escalation or reminders for two hours."""

    def act(who: str) -> Awaitable[object]:
        return maintenance.snooze_incident(services, None, incident_id, ACK_PAGE_SNOOZE, who)

    return await by_the_link(request, services, incident_id, token, by, act, "snooze")


async def by_the_link(
    request: Request,
    services: Context,
    incident_id: int,
    token: str,
    by: str,
    act: Callable[[str], Awaitable[object]],
    done: str,
) -> Response:
    """An action from the alert's link: its token checked, done in the name typed (or
    the link's), then back to the page, which shows the incident as it is now."""
    if not verify(services.secret, token, ACK_PURPOSE, incident_id, services.clock.now()):
        return refuse(request)
    who = " ".join(by.split())[:100] or "someone with the alert's link"
    # Gone, or resolved meanwhile: the page shows the incident as it is now.
    with contextlib.suppress(NotFoundError, ConflictError):
        await act(who)
    return RedirectResponse(f"/incidents/{incident_id}?token={token}&done={done}", status_code=303)


def load(connection: sa.Connection, incident_id: int) -> Any:
    incident = incident_store.get_incident(connection, incident_id)
    if incident is None:
        return None
    name = connection.scalar(sa.select(checks.c.name).where(checks.c.id == incident.check_id))
    return incident, name or "a check", incident_store.events_of(connection, incident_id)
