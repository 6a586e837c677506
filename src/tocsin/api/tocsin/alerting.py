"""Where alerts go, in Tocsin's own API: channels (list, read, create, delete) and
escalation policies (list, read, create, replace with `If-Match`, delete). Channel
settings are validated by the kind's own model and never shown again: they hold the
service's secrets. The changes are `services.channels`' and `services.policies`'."""

import uuid
from typing import Annotated, Any
from uuid import UUID

import sqlalchemy as sa
from fastapi import Path, Response

from tocsin.api.common.auth import ApiAccess
from tocsin.api.common.errors import ApiError
from tocsin.api.tocsin.http import (
    PRECONDITION,
    FieldsError,
    IfMatch,
    ReadKey,
    WriteKey,
    any_version,
    changed_since_read,
    endpoint_router,
    etag_of,
    require_match,
)
from tocsin.api.tocsin.models import (
    ChannelCreate,
    ChannelOut,
    ChannelTestOut,
    ErrorOut,
    Page,
    PolicyIn,
    PolicyOut,
    StepIn,
)
from tocsin.api.tocsin.pages import CursorParam, Limit, paginate
from tocsin.api.tocsin.render import channel_out, policy_out
from tocsin.domain.people import Method, Target, TargetKind, parse_hours
from tocsin.domain.records import ChannelRow, PolicyRow
from tocsin.services import channels as channel_service
from tocsin.services import policies as policy_service
from tocsin.services.context import Context
from tocsin.services.errors import ConflictError, InvalidError, NotFoundError, StaleError
from tocsin.services.policies import (
    NameScope,
    PolicyChanges,
    PolicyDraft,
    ReachSpec,
    TargetSpec,
)
from tocsin.services.requests import ServicesDep
from tocsin.store import channels as channel_store
from tocsin.store import people as people_store
from tocsin.store.incidents import load_policy

PolicyId = Annotated[int, Path(ge=1, le=2**31 - 1)]
CONFLICT: dict[int | str, dict[str, Any]] = {409: {"model": ErrorOut, "description": "conflict"}}


def channel_not_found(channel_id: UUID) -> ApiError:
    return ApiError(404, f"no channel {channel_id} in this key's project")


def owned_channel(connection: sa.Connection, access: ApiAccess, channel_id: UUID) -> ChannelRow:
    for channel in channel_store.project_channels(connection, access.project_id):
        if channel.uuid == channel_id:
            return channel
    raise channel_not_found(channel_id)


router = endpoint_router()


@router.get("/channels", response_model=Page[ChannelOut], tags=["channels"])
async def list_channels(
    services: ServicesDep, access: ReadKey, limit: Limit = 50, cursor: CursorParam = None
) -> Page[ChannelOut]:
    async with services.database.read() as connection:
        found = await connection.run_sync(channel_store.project_channels, access.project_id)
    items, next_cursor = paginate(found, lambda c: c.id, limit, cursor)
    return Page[ChannelOut](items=[channel_out(c) for c in items], next_cursor=next_cursor)


@router.get("/channels/{channel_id}", response_model=ChannelOut, tags=["channels"])
async def get_channel(services: ServicesDep, access: ReadKey, channel_id: UUID) -> ChannelOut:
    async with services.database.read() as connection:
        return channel_out(await connection.run_sync(owned_channel, access, channel_id))


@router.post("/channels", response_model=ChannelOut, status_code=201, tags=["channels"])
async def create_channel(
    services: ServicesDep, access: WriteKey, body: ChannelCreate
) -> ChannelOut:
    """Add a channel; its settings are checked against its kind first."""
    try:
        row = await channel_service.create_channel(
            services,
            access.project_id,
            body.kind,
            body.name,
            body.config,
            assign_to_all_checks=body.assign_to_checks,
        )
    except InvalidError as error:
        raise FieldsError({error.field: error.message}) from None
    return channel_out(row)


@router.delete("/channels/{channel_id}", status_code=204, tags=["channels"])
async def delete_channel(services: ServicesDep, access: WriteKey, channel_id: UUID) -> Response:
    """Remove a channel; checks and policies stop using it."""
    try:
        await channel_service.delete_channel(services, access.project_id, channel_id)
    except NotFoundError:
        raise channel_not_found(channel_id) from None
    return Response(status_code=204)


@router.post("/channels/{channel_id}/test", response_model=ChannelTestOut, tags=["channels"])
async def test_channel(services: ServicesDep, access: WriteKey, channel_id: UUID) -> ChannelTestOut:
    """Send a real test message to the channel now, as `tocsin channel test` does, and
    say how it went."""
    try:
        sent = await channel_service.send_test_message(services, access.project_id, channel_id)
    except NotFoundError:
        raise channel_not_found(channel_id) from None
    if sent.error is None:
        return ChannelTestOut(sent=True, error=None, permanent=None)
    return ChannelTestOut(sent=False, error=str(sent.error), permanent=sent.error.permanent)


def policy_not_found(policy_id: int) -> ApiError:
    return ApiError(404, f"no policy {policy_id} in this key's project")


def read_policy(connection: sa.Connection, access: ApiAccess, policy_id: int) -> PolicyOut:
    names = channel_store.policy_names(connection, access.project_id)
    if policy_id not in names:
        raise policy_not_found(policy_id)
    uuids = {c.id: c.uuid for c in channel_store.project_channels(connection, access.project_id)}
    policy = load_policy(connection, policy_id)
    people = {u for step in policy.steps for t in step.reach.targets for u in user_ids(t)}
    emails = people_store.emails_of(connection, sorted(people))
    return policy_out(policy_id, names[policy_id], policy, uuids, emails)


def user_ids(target: Target) -> tuple[int, ...]:
    return target.user_ids if target.user_id is None else (target.user_id, *target.user_ids)


def tagged(response: Response, policy: PolicyOut) -> PolicyOut:
    response.headers["ETag"] = etag_of(policy.model_dump(mode="json"))
    return policy


def draft_of(body: PolicyIn) -> PolicyDraft:
    steps = [(step.wait, [str(c) for c in step.channels]) for step in body.steps]
    reaches = tuple(reach_of(step) for step in body.steps)
    return PolicyDraft(
        body.name, steps, body.repeat_count, body.repeat_delay, body.nag_interval, reaches
    )


def reach_of(step: StepIn) -> ReachSpec:
    hours = None
    if step.hours is not None:
        hours = parse_hours(f"{step.hours.start}-{step.hours.end}", step.hours.zone)
    targets = tuple(
        TargetSpec(
            TargetKind(t.type),
            member=t.member or "",
            calendar=t.calendar,
            members=tuple(t.members),
            channel_kind=t.channel_kind or "",
        )
        for t in step.targets
    )
    return ReachSpec(targets, frozenset(Method(m) for m in step.methods), hours)


async def shown_policy(services: Context, access: ApiAccess, policy_id: int) -> PolicyOut:
    async with services.database.read() as connection:
        return await connection.run_sync(read_policy, access, policy_id)


@router.get("/policies", response_model=Page[PolicyOut], tags=["policies"])
async def list_policies(
    services: ServicesDep, access: ReadKey, limit: Limit = 50, cursor: CursorParam = None
) -> Page[PolicyOut]:
    def read(connection: sa.Connection) -> list[PolicyOut]:
        found = channel_store.policy_names(connection, access.project_id)
        return [read_policy(connection, access, policy_id) for policy_id in found]

    async with services.database.read() as connection:
        found = await connection.run_sync(read)
    items, next_cursor = paginate(found, lambda p: p.id, limit, cursor)
    return Page[PolicyOut](items=items, next_cursor=next_cursor)


@router.get("/policies/{policy_id}", response_model=PolicyOut, tags=["policies"])
async def get_policy(
    services: ServicesDep, response: Response, access: ReadKey, policy_id: PolicyId
) -> PolicyOut:
    async with services.database.read() as connection:
        return tagged(response, await connection.run_sync(read_policy, access, policy_id))


@router.post(
    "/policies", response_model=PolicyOut, status_code=201, responses=CONFLICT, tags=["policies"]
)
async def create_policy(
    services: ServicesDep, response: Response, access: WriteKey, body: PolicyIn
) -> PolicyOut:
    """A policy: steps in order, each notifying its channels `wait` after the one before.
    With no steps it notifies nobody ("do nothing")."""
    try:
        created = await policy_service.create_policy(
            services, access.project_id, draft_of(body), scope=NameScope.PROJECT
        )
    except ConflictError as error:
        raise ApiError(409, error.message) from None
    except InvalidError as error:
        raise FieldsError({"steps": error.message}) from None
    return tagged(response, await shown_policy(services, access, created.id))


def current_policy(
    connection: sa.Connection, access: ApiAccess, policy_id: int
) -> tuple[PolicyOut, PolicyRow[uuid.UUID]]:
    """The policy as shown (for its ETag) and as stored (to change only that version)."""
    shown = read_policy(connection, access, policy_id)
    return shown, channel_store.project_policies(connection, access.project_id, policy_id)[0]


@router.put(
    "/policies/{policy_id}",
    response_model=PolicyOut,
    responses={**CONFLICT, **PRECONDITION},
    tags=["policies"],
)
async def replace_policy(
    services: ServicesDep,
    response: Response,
    access: WriteKey,
    policy_id: PolicyId,
    body: PolicyIn,
    if_match: IfMatch = None,
) -> PolicyOut:
    """Replace a policy whole; with `If-Match`, only if it is still the one read."""
    async with services.database.read() as connection:
        current, stored = await connection.run_sync(current_policy, access, policy_id)
    require_match(if_match, etag_of(current.model_dump(mode="json")))
    try:
        await policy_service.update_policy(
            services,
            access.project_id,
            policy_id,
            PolicyChanges.whole(draft_of(body)),
            scope=NameScope.PROJECT,
            unchanged_since=None if any_version(if_match) else stored,
        )
    except NotFoundError:
        raise policy_not_found(policy_id) from None
    except StaleError:
        now = await shown_policy(services, access, policy_id)
        raise changed_since_read(etag_of(now.model_dump(mode="json"))) from None
    except ConflictError as error:
        raise ApiError(409, error.message) from None
    except InvalidError as error:
        raise FieldsError({"steps": error.message}) from None
    return tagged(response, await shown_policy(services, access, policy_id))


@router.delete("/policies/{policy_id}", status_code=204, tags=["policies"])
async def delete_policy(services: ServicesDep, access: WriteKey, policy_id: PolicyId) -> Response:
    """Remove a policy; its checks go back to notifying all their channels at once."""
    try:
        await policy_service.delete_policy(services, access.project_id, policy_id)
    except NotFoundError:
        raise policy_not_found(policy_id) from None
    return Response(status_code=204)
