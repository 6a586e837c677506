"""Checks in Tocsin's own API: list (by tag, status, text), read, create, update in part
(with `If-Match`), pause, resume, delete, and each check's pings, bodies and flips.

A check's `id` is its unique key, which does not reveal the ping URL, so read-only
keys can name checks too; read-write keys may also use the uuid."""

import uuid
from typing import Annotated

import sqlalchemy as sa
from fastapi import Path, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncConnection

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
    CheckCreate,
    CheckFields,
    CheckOut,
    FlipOut,
    Page,
    PingOut,
    StatusWord,
)
from tocsin.api.tocsin.pages import CursorParam, Limit, decode_cursor, page_of, paginate
from tocsin.api.tocsin.render import SETTINGS, check_out, flip_out, new_settings, ping_out
from tocsin.api.tocsin.render import settings_after as patched
from tocsin.domain.checks import pause, resume
from tocsin.domain.naming import is_unique_key, unique_key
from tocsin.domain.records import CheckDetails
from tocsin.services.requests import ServicesDep, services_of
from tocsin.store import checks as check_store
from tocsin.store import pings as ping_store
from tocsin.store.channels import (
    assign_all_channels,
    channel_uuids,
    check_policies,
    policy_names,
    project_channels,
    set_check_channels,
    set_check_policy,
)
from tocsin.store.checks import Transition

CheckId = Annotated[
    str, Path(max_length=40, description="The check's `id`, or its uuid (read-write keys).")
]
Tags = Annotated[list[str] | None, Query(max_length=10, description="Every one must match.")]
Statuses = Annotated[list[StatusWord] | None, Query(max_length=6)]
Text = Annotated[str | None, Query(max_length=100, description="In name, slug, tags, text.")]
PingNumber = Annotated[int, Path(ge=1, le=2**31 - 1)]


def as_uuid(code: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(code)
    except ValueError:
        return None


def find_check(
    connection: sa.Connection, access: ApiAccess, code: str, *, for_update: bool = False
) -> CheckDetails:
    """The check `code` names in the key's project; any other is simply not found."""
    check_uuid = as_uuid(code)
    if check_uuid is None and is_unique_key(code):
        found = check_store.project_checks(connection, access.project_id)
        check_uuid = next((d.record.uuid for d in found if check_out_id(d) == code), None)
    details = None
    if check_uuid is not None:
        details = check_store.details_by_uuid(connection, check_uuid, for_update=for_update)
    if details is None or details.record.project_id != access.project_id:
        raise ApiError(404, f"no check {code!r} in this key's project")
    return details


def check_out_id(details: CheckDetails) -> str:
    return unique_key(details.record.uuid)


async def shown(
    request: Request, connection: AsyncConnection, access: ApiAccess, found: list[CheckDetails]
) -> list[CheckOut]:
    services = services_of(request)
    uuids = await connection.run_sync(lambda c: channel_uuids(c, project_id=access.project_id))
    policies = await connection.run_sync(check_policies, access.project_id)
    now, base_url = services.clock.now(), services.settings.base_url
    secret = not access.read_only
    return [
        check_out(d, uuids.get(d.record.id, []), policies.get(d.record.id), now, base_url, secret)
        for d in found
    ]


async def shown_one(
    request: Request,
    response: Response,
    connection: AsyncConnection,
    access: ApiAccess,
    d: CheckDetails,
) -> CheckOut:
    (result,) = await shown(request, connection, access, [d])
    response.headers["ETag"] = settings_tag(result)
    return result


def settings_tag(check: CheckOut) -> str:
    return etag_of(check.model_dump(mode="json", include=SETTINGS))


def listed(check: CheckOut, tags: set[str], statuses: set[str], text: str) -> bool:
    if not tags.issubset(check.tags) or (statuses and check.status not in statuses):
        return False
    haystack = " ".join([check.name, check.slug, check.description, *check.tags]).casefold()
    return text.casefold() in haystack


router = endpoint_router()


@router.get("/checks", response_model=Page[CheckOut], tags=["checks"])
async def list_checks(
    request: Request,
    services: ServicesDep,
    access: ReadKey,
    tag: Tags = None,
    status: Statuses = None,
    text: Text = None,
    limit: Limit = 50,
    cursor: CursorParam = None,
) -> Page[CheckOut]:
    """The project's checks, oldest first, filtered by tags (all must match), statuses
    (any may match) and a text to find."""
    async with services.database.read() as connection:
        found = await connection.run_sync(check_store.project_checks, access.project_id)
        rendered = await shown(request, connection, access, found)
    ids = {id(c): d.record.id for c, d in zip(rendered, found, strict=True)}
    chosen = [c for c in rendered if listed(c, set(tag or ()), set(status or ()), text or "")]
    items, next_cursor = paginate(chosen, lambda c: ids[id(c)], limit, cursor)
    return Page[CheckOut](items=items, next_cursor=next_cursor)


@router.post("/checks", status_code=201, response_model=CheckOut, tags=["checks"])
async def create_check(
    request: Request, services: ServicesDep, response: Response, access: WriteKey, body: CheckCreate
) -> CheckOut:
    """Create a check. Without `channels` it notifies every channel of the project."""
    async with services.database.write() as connection:
        now = services.clock.now()
        record = await connection.run_sync(
            check_store.insert_check, access.project_id, new_settings(body), now
        )
        if body.channels is None:
            await connection.run_sync(assign_all_channels, record.id, access.project_id)
        details = await connection.run_sync(check_store.written_details, record.id)
        await use_channels(connection, access, details, body)
        await use_policy(connection, access, details, body)
        result = await shown_one(request, response, connection, access, details)
    services.deadline_moved(details.record.alert_after)
    return result


async def use_channels(
    connection: AsyncConnection, access: ApiAccess, details: CheckDetails, body: CheckFields
) -> None:
    if body.channels is None:
        return
    available = {
        c.uuid: c.id for c in await connection.run_sync(project_channels, access.project_id)
    }
    unknown = [str(c) for c in body.channels if c not in available]
    if unknown:
        raise FieldsError({"channels": f"no channel {', '.join(unknown)} in this project"})
    chosen = list(dict.fromkeys(available[c] for c in body.channels))
    await connection.run_sync(set_check_channels, details.record.id, chosen)


async def use_policy(
    connection: AsyncConnection, access: ApiAccess, details: CheckDetails, body: CheckFields
) -> None:
    if body.policy is None:
        return
    policy_id = None if body.policy == "default" else body.policy
    names = await connection.run_sync(policy_names, access.project_id)
    if policy_id is not None and policy_id not in names:
        raise FieldsError({"policy": f"no policy {policy_id} in this project"})
    await connection.run_sync(set_check_policy, details.record.id, policy_id)


@router.get("/checks/{check_id}", response_model=CheckOut, tags=["checks"])
async def get_check(
    request: Request, services: ServicesDep, response: Response, access: ReadKey, check_id: CheckId
) -> CheckOut:
    """One check, with its settings' ETag (send it as `If-Match` when changing it)."""
    async with services.database.read() as connection:
        details = await connection.run_sync(find_check, access, check_id)
        return await shown_one(request, response, connection, access, details)


@router.patch(
    "/checks/{check_id}", response_model=CheckOut, responses=PRECONDITION, tags=["checks"]
)
async def update_check(
    request: Request,
    services: ServicesDep,
    response: Response,
    access: WriteKey,
    check_id: CheckId,
    body: CheckFields,
    if_match: IfMatch = None,
) -> CheckOut:
    """Change the fields sent, and only those. With `If-Match`, only if the settings
    are still the ones read (412 otherwise)."""
    async with services.database.write() as connection:
        details = await connection.run_sync(find_check, access, check_id, for_update=True)
        (before,) = await shown(request, connection, access, [details])
        require_match(if_match, settings_tag(before))
        settings = patched(details.spec, body)
        if settings != details.spec:
            await connection.run_sync(
                check_store.update_spec, details.record, settings, services.clock.now()
            )
        await use_channels(connection, access, details, body)
        await use_policy(connection, access, details, body)
        details = await connection.run_sync(check_store.written_details, details.record.id)
        result = await shown_one(request, response, connection, access, details)
    services.deadline_moved(details.record.alert_after)
    return result


@router.delete("/checks/{check_id}", status_code=204, tags=["checks"])
async def delete_check(services: ServicesDep, access: WriteKey, check_id: CheckId) -> Response:
    """Delete a check with its pings, flips and incidents."""
    async with services.database.write() as connection:
        details = await connection.run_sync(find_check, access, check_id, for_update=True)
        await connection.run_sync(check_store.delete_check, details.record.id)
    return Response(status_code=204)


async def change_state(
    request: Request, response: Response, access: ApiAccess, code: str, transition: Transition
) -> CheckOut:
    services = services_of(request)
    async with services.database.write() as connection:
        details = await connection.run_sync(find_check, access, code, for_update=True)
        now = services.clock.now()
        await connection.run_sync(check_store.apply_transition, details.record, transition, now)
        details = await connection.run_sync(check_store.written_details, details.record.id)
        return await shown_one(request, response, connection, access, details)


@router.post("/checks/{check_id}/pause", response_model=CheckOut, tags=["checks"])
async def pause_check(
    request: Request, response: Response, access: WriteKey, check_id: CheckId
) -> CheckOut:
    """Pause: no alerts until a ping or a resume. Pausing a paused check changes nothing."""
    return await change_state(request, response, access, check_id, pause)


@router.post("/checks/{check_id}/resume", response_model=CheckOut, tags=["checks"])
async def resume_check(
    request: Request, response: Response, access: WriteKey, check_id: CheckId
) -> CheckOut:
    """Resume a paused check (new again until its next ping); others are left as they are."""
    return await change_state(request, response, access, check_id, resume)


@router.get("/checks/{check_id}/pings", response_model=Page[PingOut], tags=["checks"])
async def list_pings(
    services: ServicesDep,
    access: ReadKey,
    check_id: CheckId,
    limit: Limit = 50,
    cursor: CursorParam = None,
) -> Page[PingOut]:
    """The check's pings, newest first."""
    before = decode_cursor(cursor)
    async with services.database.read() as connection:
        details = await connection.run_sync(find_check, access, check_id)
        found = await connection.run_sync(
            ping_store.list_pings, details.record.id, limit + 1, before=before
        )
    items, next_cursor = page_of(found, lambda p: p.n, limit)
    return Page[PingOut](items=[ping_out(p) for p in items], next_cursor=next_cursor)


@router.get(
    "/checks/{check_id}/pings/{n}/body",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    tags=["checks"],
)
async def ping_body(
    services: ServicesDep, access: ReadKey, check_id: CheckId, n: PingNumber
) -> Response:
    """The body ping `n` carried, as it was sent (up to TOCSIN_PING_BODY_LIMIT bytes)."""
    async with services.database.read() as connection:
        details = await connection.run_sync(find_check, access, check_id)
        body = await connection.run_sync(ping_store.ping_body, details.record.id, n)
    if not body:
        raise ApiError(404, f"ping {n} of this check has no body")
    return Response(body, media_type="text/plain")


@router.get("/checks/{check_id}/flips", response_model=Page[FlipOut], tags=["checks"])
async def list_flips(
    services: ServicesDep,
    access: ReadKey,
    check_id: CheckId,
    limit: Limit = 50,
    cursor: CursorParam = None,
) -> Page[FlipOut]:
    """The check's status changes, newest first."""
    below_id = decode_cursor(cursor)
    async with services.database.read() as connection:
        details = await connection.run_sync(find_check, access, check_id)
        # One more than a page, to know whether there is a next one.
        found = await connection.run_sync(
            check_store.flips_by_id, details.record.id, below_id, limit + 1
        )
    items, next_cursor = page_of(found, lambda f: f.id, limit)
    return Page[FlipOut](items=[flip_out(f) for f in items], next_cursor=next_cursor)
