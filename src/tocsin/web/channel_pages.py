"""A project's channels: the list with each one's last delivery and error, the add form
(made from the kind's settings model by `web.channel_form`), a real test message sent
the way `tocsin channel test` sends it, and removal. Everyone in the project may look;
owners and admins make the changes."""

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from tocsin.domain.accounts import can_manage
from tocsin.domain.records import ChannelRow, Membership
from tocsin.notify.kinds import KINDS
from tocsin.services import channels as channel_service
from tocsin.services.errors import NotFoundError
from tocsin.services.requests import ServicesDep, services_of
from tocsin.store import channels as channel_store
from tocsin.web.access import (
    FormDep,
    ManagerDep,
    MemberDep,
    WebError,
    field,
    not_found,
    parse_uuid,
    require_confirmation,
)
from tocsin.web.channel_form import ChannelForm, channel_form, read_channel_form
from tocsin.web.pages import render

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True, slots=True)
class TestOutcome:
    """How a test message went, shown beside its channel."""

    channel: str
    sent: bool
    text: str


def channels_url(membership: Membership) -> str:
    return f"/projects/{membership.project_id}/channels"


async def render_list(
    request: Request, membership: Membership, outcome: TestOutcome | None = None
) -> Response:
    async with services_of(request).database.read() as connection:
        found = await connection.run_sync(channel_store.project_channels, membership.project_id)
    context = {
        "membership": membership,
        "channels": found,
        "kinds": sorted(KINDS.values(), key=lambda kind: kind.label.lower()),
        "can_manage": can_manage(membership.role),
        "outcome": outcome,
        "base": channels_url(membership),
    }
    return render(request, "channels.html", context)


@router.get("/projects/{project_id}/channels")
async def channels_page(request: Request, membership: MemberDep) -> Response:
    return await render_list(request, membership)


def chosen_kind(name: str) -> Any:
    if name not in KINDS:
        raise WebError(404, "No such kind of channel", "Pick a kind from the list of channels.")
    return KINDS[name]


@router.get("/projects/{project_id}/channels/new")
async def new_channel_form(request: Request, membership: MemberDep, kind: str = "") -> Response:
    form = channel_form(chosen_kind(kind))
    return render_form(request, membership, form, {"name": "", "assign": True})


def render_form(
    request: Request,
    membership: Membership,
    form: ChannelForm,
    extra: dict[str, Any],
    status_code: int = 200,
) -> Response:
    context = {"membership": membership, "form": form, "base": channels_url(membership), **extra}
    return render(request, "channel_new.html", context, status_code)


@router.post("/projects/{project_id}/channels/new")
async def create_channel(
    request: Request, services: ServicesDep, membership: ManagerDep, form: FormDep
) -> Response:
    kind = chosen_kind(field(form, "kind"))
    typed = {name: value for name, value in form.items() if isinstance(value, str)}
    name, assign = field(form, "name"), field(form, "assign") == "yes"
    config, checked = read_channel_form(kind, typed)
    if config is None:
        extra = {"name": name, "assign": assign}
        return render_form(request, membership, checked, extra, 400)

    await channel_service.create_channel(
        services, membership.project_id, kind.name, name, config, assign_to_all_checks=assign
    )
    return RedirectResponse(channels_url(membership), status_code=303)


def project_channel(connection: sa.Connection, membership: Membership, channel: str) -> ChannelRow:
    """The channel in the URL, if it belongs to the project in the URL; else 404."""
    wanted = parse_uuid(channel)
    for found in channel_store.project_channels(connection, membership.project_id):
        if found.uuid == wanted:
            return found
    raise not_found()


@router.post("/projects/{project_id}/channels/{channel}/test")
async def test_channel(
    request: Request, services: ServicesDep, membership: ManagerDep, channel: str
) -> Response:
    channel_uuid = parse_uuid(channel)
    if channel_uuid is None:
        raise not_found()
    try:
        sent = await channel_service.send_test_message(
            services, membership.project_id, channel_uuid
        )
    except NotFoundError:
        raise not_found() from None
    row = sent.channel
    if sent.error is None:
        outcome = TestOutcome(str(row.uuid), True, f"Test message sent to {row.label}.")
    else:
        how = "permanent" if sent.error.permanent else "temporary"
        text = f"Test to {row.label} failed ({how}): {sent.error}"
        outcome = TestOutcome(str(row.uuid), False, text)
    return await render_list(request, membership, outcome)


@router.post("/projects/{project_id}/channels/{channel}/delete")
async def delete_channel(
    services: ServicesDep, membership: ManagerDep, form: FormDep, channel: str
) -> Response:
    async with services.database.read() as connection:
        row = await connection.run_sync(project_channel, membership, channel)
    require_confirmation(form, "remove")
    try:
        await channel_service.delete_channel(services, membership.project_id, row.uuid)
    except NotFoundError:
        raise not_found() from None
    return RedirectResponse(channels_url(membership), status_code=303)
