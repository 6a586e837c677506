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
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncConnection

from tocsin.api.betterstack.http import (
    Body,
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
from tocsin.services.requests import ServicesDep
from tocsin.store import channels as store

Steps = list[tuple[timedelta, list[int]]]


async def owned_policy(
    connection: AsyncConnection, access: ApiAccess, policy_id: str
) -> PolicyRow[uuid.UUID]:
    number = object_id(policy_id, "policy")
    found = await connection.run_sync(store.project_policies, access.project_id, number)
    if not found:
        raise ApiError(404, f"policy {policy_id!r} not found")
    return found[0]


async def tocsin_steps(
    connection: AsyncConnection, access: ApiAccess, steps: list[StepSpec]
) -> Steps:
    """Each step's wait and the ids of the project's channels its members name."""
    available = await connection.run_sync(store.project_channels, access.project_id)
    by_uuid = {str(channel.uuid): channel.id for channel in available}
    result: Steps = []
    for n, step in enumerate(steps):
        channel_ids: list[int] = []
        for m, member in enumerate(step.step_members):
            if member.id.lower() not in by_uuid:
                where = f"steps.{n}.step_members.{m}.id"
                raise invalid(where, "No channel with this uuid in this project.")
            channel_ids.append(by_uuid[member.id.lower()])
        result.append((timedelta(seconds=step.wait_before), list(dict.fromkeys(channel_ids))))
    return result


def policy_values(spec: PolicySpec) -> dict[str, Any]:
    """The policy's columns among the attributes sent."""
    return spec.model_dump(
        include={"name", "repeat_count", "repeat_delay", "nag_interval"}, exclude_unset=True
    )


async def refuse_taken_name(connection: AsyncConnection, spec: PolicySpec) -> None:
    """Names are unique, as the command line names policies by them."""
    if spec.name is None:
        return
    taken = await connection.run_sync(store.policies_named, spec.name)
    if taken:
        raise invalid("name", "has already been taken.")


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
    async with services.database.write() as connection:
        await refuse_taken_name(connection, spec)
        steps = await tocsin_steps(connection, access, spec.steps or [])
        nag = None if spec.nag_interval is None else timedelta(seconds=spec.nag_interval)
        policy_id = await connection.run_sync(
            lambda sync: store.insert_policy(
                sync,
                access.project_id,
                str(spec.name),
                steps,
                services.clock.now(),
                repeat_count=spec.repeat_count or 0,
                repeat_delay=timedelta(seconds=spec.repeat_delay or 0),
                nag_interval=nag,
            )
        )
        policy = await owned_policy(connection, access, str(policy_id))
    return JSONResponse({"data": policy_json(policy)}, status_code=201)


@routes("/policies/{policy_id}", "PATCH")
async def update_policy(
    services: ServicesDep, access: WriteAccess, body: Body, policy_id: str
) -> JSONResponse:
    """Change the attributes sent; `steps`, when sent, replaces every step."""
    spec = parse(PolicySpec, body)
    async with services.database.write() as connection:
        policy = await owned_policy(connection, access, policy_id)
        if spec.name != policy.name:
            await refuse_taken_name(connection, spec)
        steps = None
        if spec.steps is not None:
            steps = await tocsin_steps(connection, access, spec.steps)
        values = policy_values(spec)
        await connection.run_sync(store.update_policy, policy.id, values, steps)
        policy = await owned_policy(connection, access, policy_id)
    return JSONResponse({"data": policy_json(policy)})


@routes("/policies/{policy_id}", "DELETE", 204)
async def delete_policy(services: ServicesDep, access: WriteAccess, policy_id: str) -> Response:
    async with services.database.write() as connection:
        policy = await owned_policy(connection, access, policy_id)
        await connection.run_sync(store.delete_policy, policy.id)
    return Response(status_code=204)
