"""A project's escalation policies: the list, the create and edit form (`web.policy_form`)
and deletion, written through the same store functions as the command line and the API.
Everyone in the project may look; owners and admins make the changes."""

import uuid
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData
from starlette.responses import Response

from tocsin.accounts import can_manage
from tocsin.domain.durations import format_duration
from tocsin.domain.numbers import whole_number
from tocsin.domain.records import ChannelRow, Membership, PolicyRow
from tocsin.services.requests import ServicesDep, services_of
from tocsin.store import channels as channel_store
from tocsin.web.access import (
    FormDep,
    ManagerDep,
    MemberDep,
    field,
    not_found,
    parse_id,
    require_confirmation,
)
from tocsin.web.pages import render
from tocsin.web.policy_form import (
    MAX_STEPS,
    PolicyForm,
    PolicySpec,
    StepValues,
    form_of,
    read_policy_form,
    rearranged,
)

router = APIRouter(include_in_schema=False)


def policies_url(membership: Membership) -> str:
    return f"/projects/{membership.project_id}/policies"


def described(policy: PolicyRow[uuid.UUID], names: dict[uuid.UUID, str]) -> list[str]:
    return [
        f"after {format_duration(wait)}: {', '.join(names.get(c, '?') for c in chosen) or 'nobody'}"
        for wait, chosen in policy.steps
    ]


@router.get("/projects/{project_id}/policies")
async def policies_page(request: Request, services: ServicesDep, membership: MemberDep) -> Response:
    async with services.database.read() as connection:
        found = await connection.run_sync(channel_store.project_policies, membership.project_id)
        channels = await connection.run_sync(channel_store.project_channels, membership.project_id)
    names = {channel.uuid: channel.label for channel in channels}
    context = {
        "membership": membership,
        "policies": [(policy, described(policy, names)) for policy in found],
        "format_duration": format_duration,
        "can_manage": can_manage(membership.role),
        "base": policies_url(membership),
    }
    return render(request, "policies.html", context)


async def render_form(
    request: Request,
    membership: Membership,
    form: PolicyForm,
    action: str,
    status_code: int = 200,
) -> Response:
    async with services_of(request).database.read() as connection:
        channels = await connection.run_sync(channel_store.project_channels, membership.project_id)
    context = {
        "membership": membership,
        "form": form,
        "channels": channels,
        "action": action,
        "max_steps": MAX_STEPS,
        "base": policies_url(membership),
    }
    return render(request, "policy_form.html", context, status_code)


def posted_form(form: FormData) -> PolicyForm:
    count = field(form, "steps")
    steps = [
        StepValues(
            field(form, f"step-{n}-wait"),
            {c for c in form.getlist(f"step-{n}-channel") if isinstance(c, str)},
        )
        for n in range(min(whole_number(count) or 0, MAX_STEPS))
    ]
    return PolicyForm(
        name=field(form, "name"),
        repeat=field(form, "repeat"),
        repeat_delay=field(form, "repeat_delay"),
        nag=field(form, "nag"),
        steps=steps,
    )


@router.get("/projects/{project_id}/policies/new")
async def new_policy_form(request: Request, membership: MemberDep) -> Response:
    return await render_form(request, membership, PolicyForm(), f"{policies_url(membership)}/new")


@router.post("/projects/{project_id}/policies/new")
async def create_policy(request: Request, membership: ManagerDep, form: FormDep) -> Response:
    return await save(request, membership, form, None)


async def save(
    request: Request, membership: Membership, posted: FormData, policy_id: int | None
) -> Response:
    """Re-render after adding or removing a step; else validate and store."""
    form = posted_form(posted)
    action = str(request.url.path)
    if rearranged(form, field(posted, "action")):
        return await render_form(request, membership, form, action)
    services = services_of(request)

    def work(connection: sa.Connection) -> bool:
        channels = channel_store.project_channels(connection, membership.project_id)
        spec = read_policy_form(form, {str(c.uuid) for c in channels})
        names = channel_store.policy_names(connection, membership.project_id)
        if spec is not None and any(
            name == spec.name and pid != policy_id for pid, name in names.items()
        ):
            form.errors["name"] = "another policy has this name"
        if spec is None or form.errors:
            return False
        store_policy(connection, membership, spec, policy_id, channels, services.clock.now())
        return True

    async with services.database.write() as connection:
        saved = await connection.run_sync(work)
    if not saved:
        return await render_form(request, membership, form, action, 400)
    return RedirectResponse(policies_url(membership), status_code=303)


def store_policy(
    connection: sa.Connection,
    membership: Membership,
    spec: PolicySpec,
    policy_id: int | None,
    channels: list[ChannelRow],
    now: Any,
) -> None:
    ids = {channel.uuid: channel.id for channel in channels}
    steps = [(wait, [ids[c] for c in chosen]) for wait, chosen in spec.steps]
    options = (spec.repeat_count, spec.repeat_delay, spec.nag_interval)
    if policy_id is None:
        channel_store.insert_policy(
            connection,
            membership.project_id,
            spec.name,
            steps,
            now,
            repeat_count=spec.repeat_count,
            repeat_delay=spec.repeat_delay,
            nag_interval=spec.nag_interval,
        )
    else:
        values = channel_store.policy_values(spec.name, *options)
        channel_store.update_policy(connection, policy_id, values, steps)


def project_policy(
    connection: sa.Connection, membership: Membership, policy: str
) -> PolicyRow[uuid.UUID]:
    """The policy in the URL, if it belongs to the project in the URL; else 404."""
    number = parse_id(policy)
    found = []
    if number is not None:
        found = channel_store.project_policies(connection, membership.project_id, number)
    if not found:
        raise not_found()
    return found[0]


@router.get("/projects/{project_id}/policies/{policy}/edit")
async def edit_policy_form(
    request: Request, services: ServicesDep, membership: MemberDep, policy: str
) -> Response:
    async with services.database.read() as connection:
        found = await connection.run_sync(project_policy, membership, policy)
    return await render_form(request, membership, form_of(found), str(request.url.path))


@router.post("/projects/{project_id}/policies/{policy}/edit")
async def edit_policy(
    request: Request, services: ServicesDep, membership: ManagerDep, form: FormDep, policy: str
) -> Response:
    async with services.database.read() as connection:
        found = await connection.run_sync(project_policy, membership, policy)
    return await save(request, membership, form, found.id)


@router.post("/projects/{project_id}/policies/{policy}/delete")
async def delete_policy(
    services: ServicesDep, membership: ManagerDep, form: FormDep, policy: str
) -> Response:
    def work(connection: sa.Connection) -> None:
        found = project_policy(connection, membership, policy)
        require_confirmation(form, "delete")
        channel_store.delete_policy(connection, found.id)

    async with services.database.write() as connection:
        await connection.run_sync(work)
    return RedirectResponse(policies_url(membership), status_code=303)
