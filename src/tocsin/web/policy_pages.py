"""A project's escalation policies: the list, the create and edit form (`web.policy_form`)
and deletion, through the same `services.policies` actions as the command line and the API.
Everyone in the project may look; owners and admins make the changes."""

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData
from starlette.responses import Response

from tocsin.domain.accounts import can_manage
from tocsin.domain.durations import format_duration
from tocsin.domain.numbers import whole_number
from tocsin.domain.people import Method, Reach, TargetKind
from tocsin.domain.records import Membership, PolicyRow
from tocsin.notify.kinds import KINDS
from tocsin.services import policies as policy_service
from tocsin.services.context import Context
from tocsin.services.errors import ConflictError, InvalidError, NotFoundError
from tocsin.services.policies import (
    NameScope,
    PolicyChanges,
    PolicyDraft,
    ReachSpec,
    TargetSpec,
    UnknownChannelsError,
)
from tocsin.services.requests import ServicesDep, services_of
from tocsin.store import channels as channel_store
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
from tocsin.web.pages import render
from tocsin.web.policy_form import (
    MAX_STEPS,
    PolicyForm,
    PolicySpec,
    StepReach,
    StepValues,
    form_of,
    read_policy_form,
    rearranged,
)

router = APIRouter(include_in_schema=False)


def policies_url(membership: Membership) -> str:
    return f"/projects/{membership.project_id}/policies"


PEOPLE_CHOICES = (
    (TargetKind.ON_CALL.value, "Whoever is on call, in the calendar below"),
    (TargetKind.ENTIRE_TEAM.value, "The entire team"),
    (TargetKind.ROUND_ROBIN.value, "The next member each time (round robin)"),
)
PEOPLE_WORDS = {
    TargetKind.ON_CALL: "whoever is on call",
    TargetKind.ENTIRE_TEAM: "the entire team",
    TargetKind.ROUND_ROBIN: "the next member in turn",
}


@dataclass(frozen=True, slots=True)
class Names:
    """What a policy's steps name, in words: channels, members, calendars and policies."""

    channels: dict[uuid.UUID, str]
    emails: dict[int, str]
    calendars: dict[int, str]
    policies: dict[int, str]


def described(policy: PolicyRow[uuid.UUID], names: Names) -> list[str]:
    reaches = policy.reaches or [Reach()] * len(policy.steps)
    return [
        f"after {format_duration(wait)}: {whom(chosen, reach, names)}"
        for (wait, chosen), reach in zip(policy.steps, reaches, strict=True)
    ]


def whom(chosen: list[uuid.UUID], reach: Reach, names: Names) -> str:
    parts = [names.channels.get(c, "?") for c in chosen]
    for target in reach.targets:
        if target.kind == TargetKind.MEMBER and target.user_id is not None:
            parts.append(names.emails.get(target.user_id, "a former member"))
        elif target.kind == TargetKind.CHANNELS_OF_KIND:
            parts.append(f"every {target.channel_kind} channel")
        elif target.kind == TargetKind.ON_CALL and target.calendar_id is not None:
            calendar = names.calendars.get(target.calendar_id, "a removed calendar")
            parts.append(f"whoever is on call in {calendar}")
        elif target.kind == TargetKind.POLICY and target.policy_id is not None:
            policy = names.policies.get(target.policy_id, "a removed policy")
            parts.append(f"hand over to policy {policy}")
        elif target.kind == TargetKind.ROUND_ROBIN and target.user_ids:
            turns = ", ".join(names.emails.get(u, "a former member") for u in target.user_ids)
            parts.append(f"the next of {turns} in turn")
        else:
            parts.append(PEOPLE_WORDS.get(target.kind, target.kind.value))
    words = ", ".join(parts) or "nobody"
    if any(t.kind not in (TargetKind.CHANNELS_OF_KIND, TargetKind.POLICY) for t in reach.targets):
        words += f" by {', '.join(m.value for m in Method if m in reach.methods) or 'no method'}"
    if reach.hours is not None:
        words += f", {reach.hours.text} only"
    return words


@router.get("/projects/{project_id}/policies")
async def policies_page(request: Request, services: ServicesDep, membership: MemberDep) -> Response:
    async with services.database.read() as connection:
        found = await connection.run_sync(channel_store.project_policies, membership.project_id)
        channels = await connection.run_sync(channel_store.project_channels, membership.project_id)
        members = await connection.run_sync(user_store.project_members, membership.project_id)
        calendars = await connection.run_sync(oncall_store.calendars_of, membership.project_id)
    names = Names(
        {channel.uuid: channel.label for channel in channels},
        {user.id: user.email for user, _role in members},
        {calendar.id: calendar.name for calendar in calendars},
        {policy.id: policy.name for policy in found},
    )
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
    policy_id: int | None = None,
) -> Response:
    async with services_of(request).database.read() as connection:
        found = await connection.run_sync(channel_store.project_policies, membership.project_id)
        channels = await connection.run_sync(channel_store.project_channels, membership.project_id)
        members = await connection.run_sync(user_store.project_members, membership.project_id)
        calendars = await connection.run_sync(oncall_store.calendars_of, membership.project_id)
    named = {policy for step in form.steps for policy in step.policies}
    context = {
        "membership": membership,
        "form": form,
        "channels": channels,
        "calendars": calendars,
        "members": [user for user, _role in members],
        # Another policy to hand over to; the policy itself only if a step names it.
        "policies": [p for p in found if p.id != policy_id or str(p.id) in named],
        "people_boxes": PEOPLE_CHOICES,
        "kinds": sorted(KINDS),
        "method_names": [m.value for m in Method],
        "action": action,
        "max_steps": MAX_STEPS,
        "base": policies_url(membership),
    }
    return render(request, "policy_form.html", context, status_code)


def chosen(form: FormData, name: str) -> set[str]:
    return {value for value in form.getlist(name) if isinstance(value, str)}


def posted_form(form: FormData) -> PolicyForm:
    count = field(form, "steps")
    steps = [
        StepValues(
            field(form, f"step-{n}-wait"),
            chosen(form, f"step-{n}-channel"),
            members=chosen(form, f"step-{n}-member"),
            people=chosen(form, f"step-{n}-people"),
            every=chosen(form, f"step-{n}-every"),
            calendar=field(form, f"step-{n}-calendar"),
            methods=chosen(form, f"step-{n}-method"),
            start=field(form, f"step-{n}-start"),
            end=field(form, f"step-{n}-end"),
            zone=field(form, f"step-{n}-zone"),
            rotation=chosen(form, f"step-{n}-rotation"),
            policies=chosen(form, f"step-{n}-policy"),
            order=field(form, f"step-{n}-order"),
            rotation_order=field(form, f"step-{n}-rotation-order"),
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
        return await render_form(request, membership, form, action, policy_id=policy_id)
    services = services_of(request)
    async with services.database.read() as connection:
        channels = await connection.run_sync(channel_store.project_channels, membership.project_id)
    spec = read_policy_form(form, {str(c.uuid) for c in channels})
    if spec is None:
        return await render_form(request, membership, form, action, 400, policy_id)
    try:
        await store_policy(services, membership, spec, policy_id)
    except NotFoundError:
        raise not_found() from None
    except ConflictError:
        form.errors["name"] = "another policy has this name"
    except UnknownChannelsError as error:
        for n, step in enumerate(form.steps):
            if step.channels & set(error.unknown):
                form.errors[f"step-{n}-channels"] = "a chosen channel no longer exists"
    except InvalidError as error:  # a member who has left, say
        form.errors["steps"] = error.message
    if form.errors:
        return await render_form(request, membership, form, action, 400, policy_id)
    return RedirectResponse(policies_url(membership), status_code=303)


async def store_policy(
    services: Context, membership: Membership, spec: PolicySpec, policy_id: int | None
) -> None:
    steps = [(wait, [str(c) for c in chosen]) for wait, chosen in spec.steps]
    reaches = tuple(reach_spec(reach) for reach in spec.reaches)
    draft = PolicyDraft(
        spec.name, steps, spec.repeat_count, spec.repeat_delay, spec.nag_interval, reaches
    )
    project_id, scope = membership.project_id, NameScope.PROJECT
    if policy_id is None:
        await policy_service.create_policy(services, project_id, draft, scope=scope)
    else:
        changes = PolicyChanges.whole(draft)
        await policy_service.update_policy(services, project_id, policy_id, changes, scope=scope)


def reach_spec(reach: StepReach) -> ReachSpec:
    targets = tuple(target_spec(kind, value, reach.rotation) for kind, value in reach.targets)
    return ReachSpec(targets, reach.methods, reach.hours)


def target_spec(kind: TargetKind, value: str, rotation: tuple[str, ...] = ()) -> TargetSpec:
    if kind == TargetKind.MEMBER:
        return TargetSpec(kind, member=value)
    if kind == TargetKind.ROUND_ROBIN:
        return TargetSpec(kind, members=rotation)
    if kind == TargetKind.POLICY:
        # An id that is no number names no policy: the service refuses it.
        return TargetSpec(kind, policy=whole_number(value))
    if kind == TargetKind.ON_CALL:
        # An id that is no number names no calendar: the service refuses it.
        return TargetSpec(kind, calendar=whole_number(value) if value else None)
    return TargetSpec(kind, channel_kind=value)


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
    return await render_form(
        request, membership, form_of(found), str(request.url.path), policy_id=found.id
    )


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
    async with services.database.read() as connection:
        found = await connection.run_sync(project_policy, membership, policy)
    require_confirmation(form, "delete")
    try:
        await policy_service.delete_policy(services, membership.project_id, found.id)
    except NotFoundError:
        raise not_found() from None
    return RedirectResponse(policies_url(membership), status_code=303)
