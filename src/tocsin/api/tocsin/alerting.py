"""Where alerts go, in Tocsin's own API: channels (list, read, create, delete) and
escalation policies (list, read, create, replace with `If-Match`, delete). Channel
settings are validated by the kind's own model and never shown again: they hold the
service's secrets."""

from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID

import sqlalchemy as sa
from fastapi import Path, Response

from tocsin.alerts.notifier import send_test
from tocsin.api.common.auth import ApiAccess
from tocsin.api.common.errors import ApiError
from tocsin.api.tocsin.http import (
    PRECONDITION,
    FieldsError,
    IfMatch,
    ReadKey,
    WriteKey,
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
)
from tocsin.api.tocsin.pages import CursorParam, Limit, paginate
from tocsin.api.tocsin.render import channel_out, policy_out
from tocsin.domain.records import ChannelRow
from tocsin.services.requests import ServicesDep
from tocsin.store import channels as channel_store
from tocsin.store.incidents import load_policy

PolicyId = Annotated[int, Path(ge=1, le=2**31 - 1)]
CONFLICT: dict[int | str, dict[str, Any]] = {409: {"model": ErrorOut, "description": "conflict"}}


def owned_channel(connection: sa.Connection, access: ApiAccess, channel_id: UUID) -> ChannelRow:
    for channel in channel_store.project_channels(connection, access.project_id):
        if channel.uuid == channel_id:
            return channel
    raise ApiError(404, f"no channel {channel_id} in this key's project")


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

    def insert(connection: sa.Connection) -> ChannelRow:
        return channel_store.insert_channel(
            connection,
            access.project_id,
            body.kind,
            body.name,
            body.config,
            services.clock.now(),
            assign_to_all_checks=body.assign_to_checks,
        )

    async with services.database.write() as connection:
        return channel_out(await connection.run_sync(insert))


@router.delete("/channels/{channel_id}", status_code=204, tags=["channels"])
async def delete_channel(services: ServicesDep, access: WriteKey, channel_id: UUID) -> Response:
    """Remove a channel; checks and policies stop using it."""

    def delete(connection: sa.Connection) -> None:
        channel_store.delete_channel(connection, owned_channel(connection, access, channel_id).id)

    async with services.database.write() as connection:
        await connection.run_sync(delete)
    return Response(status_code=204)


@router.post("/channels/{channel_id}/test", response_model=ChannelTestOut, tags=["channels"])
async def test_channel(services: ServicesDep, access: WriteKey, channel_id: UUID) -> ChannelTestOut:
    """Send a real test message to the channel now, as `tocsin channel test` does, and
    say how it went."""
    async with services.database.read() as connection:
        row = await connection.run_sync(lambda c: owned_channel(c, access, channel_id))
    error = await send_test(services.settings, row)
    if error is None:
        return ChannelTestOut(sent=True, error=None, permanent=None)
    return ChannelTestOut(sent=False, error=str(error), permanent=error.permanent)


def read_policy(connection: sa.Connection, access: ApiAccess, policy_id: int) -> PolicyOut:
    names = channel_store.policy_names(connection, access.project_id)
    if policy_id not in names:
        raise ApiError(404, f"no policy {policy_id} in this key's project")
    uuids = {c.id: c.uuid for c in channel_store.project_channels(connection, access.project_id)}
    return policy_out(policy_id, names[policy_id], load_policy(connection, policy_id), uuids)


def tagged(response: Response, policy: PolicyOut) -> PolicyOut:
    response.headers["ETag"] = etag_of(policy.model_dump(mode="json"))
    return policy


def planned_steps(
    connection: sa.Connection, access: ApiAccess, body: PolicyIn
) -> list[tuple[timedelta, list[int]]]:
    """The steps with channel ids; a channel of another project is unknown."""
    ids = {c.uuid: c.id for c in channel_store.project_channels(connection, access.project_id)}
    unknown = sorted({str(c) for step in body.steps for c in step.channels if c not in ids})
    if unknown:
        raise FieldsError({"steps": f"no channel {', '.join(unknown)} in this project"})
    return [(s.wait, list(dict.fromkeys(ids[c] for c in s.channels))) for s in body.steps]


def refuse_taken_name(
    connection: sa.Connection, access: ApiAccess, name: str, policy_id: int | None
) -> None:
    taken = channel_store.policy_names(connection, access.project_id)
    if any(n == name and i != policy_id for i, n in taken.items()):
        raise ApiError(409, f"a policy named {name!r} exists already")


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

    def insert(connection: sa.Connection) -> PolicyOut:
        refuse_taken_name(connection, access, body.name, None)
        policy_id = channel_store.insert_policy(
            connection,
            access.project_id,
            body.name,
            planned_steps(connection, access, body),
            services.clock.now(),
            repeat_count=body.repeat_count,
            repeat_delay=body.repeat_delay,
            nag_interval=body.nag_interval,
        )
        return read_policy(connection, access, policy_id)

    async with services.database.write() as connection:
        return tagged(response, await connection.run_sync(insert))


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

    def replace(connection: sa.Connection) -> PolicyOut:
        current = read_policy(connection, access, policy_id)
        require_match(if_match, etag_of(current.model_dump(mode="json")))
        refuse_taken_name(connection, access, body.name, policy_id)
        values = channel_store.policy_values(
            body.name, body.repeat_count, body.repeat_delay, body.nag_interval
        )
        steps = planned_steps(connection, access, body)
        channel_store.update_policy(connection, policy_id, values, steps)
        return read_policy(connection, access, policy_id)

    async with services.database.write() as connection:
        return tagged(response, await connection.run_sync(replace))


@router.delete("/policies/{policy_id}", status_code=204, tags=["policies"])
async def delete_policy(services: ServicesDep, access: WriteKey, policy_id: PolicyId) -> Response:
    """Remove a policy; its checks go back to notifying all their channels at once."""

    def delete(connection: sa.Connection) -> None:
        read_policy(connection, access, policy_id)
        channel_store.delete_policy(connection, policy_id)

    async with services.database.write() as connection:
        await connection.run_sync(delete)
    return Response(status_code=204)
