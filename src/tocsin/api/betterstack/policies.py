"""Better Stack's escalation policies (`/api/v3/policies`, also under /api/v2) over
Tocsin's policies.

The mapping: `repeat_count` and `repeat_delay` are Tocsin's own; each `escalation` step
is a Tocsin step, `wait_before` seconds after the previous one (or the incident's
opening), reaching what its `step_members` name (`members`): channels as `{"type":
"channel", "id": "<channel uuid>"}`, people (on call, the entire team, a user) by
e-mail and push, every channel of a kind, or another policy handed over to. A PATCH
that sends `steps` replaces them all. An empty list of steps
is a "silent" policy: incidents are recorded and nobody is paged. What is refused, and
why, is in `betterstack_spec`. Deleting a policy returns its heartbeats to the default
(every channel of the check at once).
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncConnection

from tocsin.api.betterstack.http import (
    Body,
    InvalidAttributesError,
    Page,
    ReadAccess,
    WriteAccess,
    invalid,
    object_id,
    page_response,
)
from tocsin.api.betterstack.members import UnknownMemberError, accepted_types, sort_members
from tocsin.api.betterstack.pages import page_of
from tocsin.api.betterstack.render import policy_json
from tocsin.api.betterstack.spec import PolicySpec, StepSpec, parse, require
from tocsin.api.common.auth import ApiAccess
from tocsin.api.common.errors import ApiError
from tocsin.api.common.routes import RouteTable
from tocsin.domain.records import PolicyRow
from tocsin.notify.kinds import KINDS
from tocsin.services import policies as policy_service
from tocsin.services.changes import KEEP
from tocsin.services.context import Context
from tocsin.services.errors import ConflictError, InvalidError, NotFoundError
from tocsin.services.policies import (
    NameScope,
    PolicyChanges,
    PolicyDraft,
    ReachSpec,
    Steps,
    UnknownChannelsError,
)
from tocsin.services.requests import ServicesDep
from tocsin.store import channels as store
from tocsin.store import people as people_store


def not_found(policy_id: str) -> ApiError:
    return ApiError(404, f"policy {policy_id!r} not found")


async def owned_policy(
    connection: AsyncConnection, access: ApiAccess, policy_id: str
) -> PolicyRow[uuid.UUID]:
    number = object_id(policy_id, "policy")
    found = await connection.run_sync(store.project_policies, access.project_id, number)
    if not found:
        raise not_found(policy_id)
    return found[0]


@dataclass(frozen=True, slots=True)
class SortedSteps:
    """The steps sent, as Tocsin takes them: each one's wait and channel uuids, and
    what each reaches besides."""

    steps: Steps
    reaches: tuple[ReachSpec, ...]


def tocsin_steps(steps: list[StepSpec]) -> SortedSteps:
    """Each step's members sorted out; a member Tocsin cannot take refused by its place."""
    kinds = sorted(KINDS)
    channels: Steps = []
    reaches: list[ReachSpec] = []
    for n, step in enumerate(steps):
        members = [m.model_dump(exclude_unset=True) for m in step.step_members]
        try:
            found = sort_members(members, kinds)
        except UnknownMemberError as error:
            raise invalid(member_place(n, error.place, members), error.message) from None
        channels.append((timedelta(seconds=step.wait_before), found.channels))
        reaches.append(ReachSpec(tuple(found.targets)))
    return SortedSteps(channels, tuple(reaches))


def member_place(step: int, member: int, members: list[dict[str, Any]]) -> str:
    """Where a refused member is: its `type` when that is what Tocsin does not know."""
    known = set(accepted_types(sorted(KINDS)))
    where = f"steps.{step}.step_members.{member}"
    return f"{where}.type" if members[member]["type"] not in known else where


def refused_target(error: InvalidError) -> InvalidAttributesError:
    """A member, calendar or policy that is not the project's."""
    return invalid("steps", f"{error.message[0].upper()}{error.message[1:]}.")


def unknown_member(steps: list[StepSpec], error: UnknownChannelsError) -> InvalidAttributesError:
    """The first member that names no channel of the project, by its place."""
    unknown = set(error.unknown)
    for n, step in enumerate(steps):
        for m, member in enumerate(step.step_members):
            if member.type == "channel" and str(member.id).lower() in unknown:
                where = f"steps.{n}.step_members.{m}.id"
                return invalid(where, "No channel with this uuid in this project.")
    return invalid("steps", error.message)


def policy_changes(spec: PolicySpec, current: PolicyRow[uuid.UUID]) -> PolicyChanges:
    """The attributes sent, and only those; a null repeat is none, as on creation."""
    sent = spec.model_fields_set
    nag = spec.nag_interval
    steps = None if spec.steps is None else tocsin_steps(spec.steps)
    return PolicyChanges(
        name=KEEP if spec.name is None or spec.name == current.name else spec.name,
        steps=KEEP if steps is None else steps.steps,
        repeat_count=spec.repeat_count or 0 if "repeat_count" in sent else KEEP,
        repeat_delay=timedelta(seconds=spec.repeat_delay or 0) if "repeat_delay" in sent else KEEP,
        nag_interval=(None if nag is None else timedelta(seconds=nag))
        if "nag_interval" in sent
        else KEEP,
        reaches=() if steps is None else steps.reaches,
    )


async def shown(services: Context, found: list[PolicyRow[uuid.UUID]]) -> list[dict[str, Any]]:
    """The policies in Better Stack's words, with the emails of the members they name."""
    user_ids = list(
        {
            user_id
            for policy in found
            for reach in policy.reaches
            for target in reach.targets
            for user_id in (target.user_id, *target.user_ids)
            if user_id is not None
        }
    )
    async with services.database.read() as connection:
        emails = await connection.run_sync(people_store.emails_of, user_ids)
    return [policy_json(policy, emails) for policy in found]


async def one_shown(services: Context, policy: PolicyRow[uuid.UUID]) -> dict[str, Any]:
    return {"data": (await shown(services, [policy]))[0]}


routes = RouteTable()


@routes("/policies", "GET")
async def list_policies(
    request: Request, services: ServicesDep, access: ReadAccess, page: Page
) -> JSONResponse:
    async with services.database.read() as connection:
        found = await connection.run_sync(store.project_policies, access.project_id)
    return page_response(request, page, await shown(services, page_of(found, page)), len(found))


@routes("/policies/{policy_id}", "GET")
async def get_policy(services: ServicesDep, access: ReadAccess, policy_id: str) -> JSONResponse:
    async with services.database.read() as connection:
        policy = await owned_policy(connection, access, policy_id)
    return JSONResponse(await one_shown(services, policy))


@routes("/policies", "POST", 201)
async def create_policy(services: ServicesDep, access: WriteAccess, body: Body) -> JSONResponse:
    spec = parse(PolicySpec, body)
    require(body, ("name",))
    assert spec.name is not None
    nag = None if spec.nag_interval is None else timedelta(seconds=spec.nag_interval)
    steps = tocsin_steps(spec.steps or [])
    draft = PolicyDraft(
        spec.name,
        steps.steps,
        spec.repeat_count or 0,
        timedelta(seconds=spec.repeat_delay or 0),
        nag,
        steps.reaches,
    )
    try:
        policy = await policy_service.create_policy(
            services, access.project_id, draft, scope=NameScope.EVERY_PROJECT
        )
    except ConflictError:
        raise invalid("name", "has already been taken.") from None
    except UnknownChannelsError as error:
        raise unknown_member(spec.steps or [], error) from None
    except InvalidError as error:
        raise refused_target(error) from None
    return JSONResponse(await one_shown(services, policy), status_code=201)


@routes("/policies/{policy_id}", "PATCH")
async def update_policy(
    services: ServicesDep, access: WriteAccess, body: Body, policy_id: str
) -> JSONResponse:
    """Change the attributes sent; `steps`, when sent, replaces every step."""
    spec = parse(PolicySpec, body)
    require(body, tuple(name for name in ("name",) if name in body))  # null: no name
    async with services.database.read() as connection:
        current = await owned_policy(connection, access, policy_id)
    try:
        policy = await policy_service.update_policy(
            services,
            access.project_id,
            current.id,
            policy_changes(spec, current),
            scope=NameScope.EVERY_PROJECT,
        )
    except NotFoundError:
        raise not_found(policy_id) from None
    except ConflictError:
        raise invalid("name", "has already been taken.") from None
    except UnknownChannelsError as error:
        raise unknown_member(spec.steps or [], error) from None
    except InvalidError as error:
        raise refused_target(error) from None
    return JSONResponse(await one_shown(services, policy))


@routes("/policies/{policy_id}", "DELETE", 204)
async def delete_policy(services: ServicesDep, access: WriteAccess, policy_id: str) -> Response:
    number = object_id(policy_id, "policy")
    try:
        await policy_service.delete_policy(services, access.project_id, number)
    except NotFoundError:
        raise not_found(policy_id) from None
    return Response(status_code=204)
