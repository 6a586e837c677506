"""Better Stack's escalation policies (`/api/v3/policies`, also under /api/v2) over
Tocsin's policies.

The mapping: `repeat_count` and `repeat_delay` are Tocsin's own; each `escalation` step
is a Tocsin step, `wait_before` seconds after the previous one (or the incident's
opening), notifying the channels its `step_members` name as `{"type": "channel", "id":
"<channel uuid>"}`. A PATCH that sends `steps` replaces them all. An empty list of steps
is a "silent" policy: incidents are recorded and nobody is paged. What is refused, and
why, is in `betterstack_spec`. Deleting a policy returns its heartbeats to the default
(every channel of the check at once).
"""

import uuid
from datetime import timedelta

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
from tocsin.api.betterstack.pages import page_of
from tocsin.api.betterstack.render import policy_json
from tocsin.api.betterstack.spec import PolicySpec, StepSpec, parse, require
from tocsin.api.common.auth import ApiAccess
from tocsin.api.common.errors import ApiError
from tocsin.api.common.routes import RouteTable
from tocsin.domain.records import PolicyRow
from tocsin.services import policies as policy_service
from tocsin.services.changes import KEEP
from tocsin.services.errors import ConflictError, NotFoundError
from tocsin.services.policies import (
    NameScope,
    PolicyChanges,
    PolicyDraft,
    Steps,
    UnknownChannelsError,
)
from tocsin.services.requests import ServicesDep
from tocsin.store import channels as store


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


def tocsin_steps(steps: list[StepSpec]) -> Steps:
    """Each step's wait and the channel uuids its members name."""
    return [
        (timedelta(seconds=step.wait_before), [member.id.lower() for member in step.step_members])
        for step in steps
    ]


def unknown_member(steps: list[StepSpec], error: UnknownChannelsError) -> InvalidAttributesError:
    """The first member that names no channel of the project, by its place."""
    unknown = set(error.unknown)
    for n, step in enumerate(steps):
        for m, member in enumerate(step.step_members):
            if member.id.lower() in unknown:
                where = f"steps.{n}.step_members.{m}.id"
                return invalid(where, "No channel with this uuid in this project.")
    return invalid("steps", error.message)


def policy_changes(spec: PolicySpec, current: PolicyRow[uuid.UUID]) -> PolicyChanges:
    """The attributes sent, and only those; a null repeat is none, as on creation."""
    sent = spec.model_fields_set
    nag = spec.nag_interval
    return PolicyChanges(
        name=KEEP if spec.name is None or spec.name == current.name else spec.name,
        steps=KEEP if spec.steps is None else tocsin_steps(spec.steps),
        repeat_count=spec.repeat_count or 0 if "repeat_count" in sent else KEEP,
        repeat_delay=timedelta(seconds=spec.repeat_delay or 0) if "repeat_delay" in sent else KEEP,
        nag_interval=(None if nag is None else timedelta(seconds=nag))
        if "nag_interval" in sent
        else KEEP,
    )


routes = RouteTable()


@routes("/policies", "GET")
async def list_policies(
    request: Request, services: ServicesDep, access: ReadAccess, page: Page
) -> JSONResponse:
    async with services.database.read() as connection:
        found = await connection.run_sync(store.project_policies, access.project_id)
    return page_response(request, page, [policy_json(p) for p in page_of(found, page)], len(found))


@routes("/policies/{policy_id}", "GET")
async def get_policy(services: ServicesDep, access: ReadAccess, policy_id: str) -> JSONResponse:
    async with services.database.read() as connection:
        policy = await owned_policy(connection, access, policy_id)
    return JSONResponse({"data": policy_json(policy)})


@routes("/policies", "POST", 201)
async def create_policy(services: ServicesDep, access: WriteAccess, body: Body) -> JSONResponse:
    spec = parse(PolicySpec, body)
    require(body, ("name",))
    assert spec.name is not None
    nag = None if spec.nag_interval is None else timedelta(seconds=spec.nag_interval)
    draft = PolicyDraft(
        spec.name,
        tocsin_steps(spec.steps or []),
        spec.repeat_count or 0,
        timedelta(seconds=spec.repeat_delay or 0),
        nag,
    )
    try:
        policy = await policy_service.create_policy(
            services, access.project_id, draft, scope=NameScope.EVERY_PROJECT
        )
    except ConflictError:
        raise invalid("name", "has already been taken.") from None
    except UnknownChannelsError as error:
        raise unknown_member(spec.steps or [], error) from None
    return JSONResponse({"data": policy_json(policy)}, status_code=201)


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
    return JSONResponse({"data": policy_json(policy)})


@routes("/policies/{policy_id}", "DELETE", 204)
async def delete_policy(services: ServicesDep, access: WriteAccess, policy_id: str) -> Response:
    number = object_id(policy_id, "policy")
    try:
        await policy_service.delete_policy(services, access.project_id, number)
    except NotFoundError:
        raise not_found(policy_id) from None
    return Response(status_code=204)
