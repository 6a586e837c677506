"""Checks in Tocsin's own API: list (by tag, status, text), read, create, update in part
(with `If-Match`), pause, resume, delete, and each check's pings, bodies and flips.

A check's `id` is its unique key, which does not reveal the ping URL, so read-only
keys can name checks too; read-write keys may also use the uuid."""

import contextlib
import uuid
from collections.abc import Iterator
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
from tocsin.domain.dependencies import LinkedCheck
from tocsin.domain.naming import is_unique_key, unique_key
from tocsin.domain.records import ChannelRow, CheckDetails
from tocsin.services import checks as check_service
from tocsin.services.checks import Alerting, ChannelChoice, CheckOptions, UsePolicy
from tocsin.services.context import Context
from tocsin.services.dependencies import ParentChoice
from tocsin.services.errors import ConflictError, InvalidError, NotFoundError
from tocsin.services.requests import ServicesDep, services_of
from tocsin.store import checks as check_store
from tocsin.store import pings as ping_store
from tocsin.store.channels import channel_uuids, check_policies
from tocsin.store.dependencies import parents_of

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


def find_check(connection: sa.Connection, access: ApiAccess, code: str) -> CheckDetails:
    """The check `code` names in the key's project; any other is simply not found."""
    check_uuid = as_uuid(code)
    if check_uuid is None and is_unique_key(code):
        found = check_store.project_checks(connection, access.project_id)
        check_uuid = next((d.record.uuid for d in found if check_out_id(d) == code), None)
    details = None
    if check_uuid is not None:
        details = check_store.details_by_uuid(connection, check_uuid)
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
    parents = await connection.run_sync(parents_of, [d.record.id for d in found])
    return [
        check_out(
            d, uuids.get(d.record.id, []), policies.get(d.record.id), now, base_url, secret
        ).model_copy(update={"parents": [unique_key(p.uuid) for p in parents.get(d.record.id, [])]})
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
    options = alerting_options(body, unsent=check_service.every_channel)
    with refused_in_tocsin_words("", body):
        details = await check_service.create_check(
            services, access.project_id, new_settings(body), options
        )
    return await shown_now(request, response, services, access, details)


def alerting_options(body: CheckFields, unsent: ChannelChoice | None) -> CheckOptions:
    """The channels and the policy sent; `unsent` is the channels' when none are."""
    channels = unsent if body.channels is None else by_uuid(body.channels)
    policy = None
    if body.policy is not None:
        policy = UsePolicy(None if body.policy == "default" else body.policy)
    parents = None if body.parents is None else parents_by_key(body.parents)
    return CheckOptions(channels=channels, policy=policy, parents=parents)


def parents_by_key(sent: list[str]) -> ParentChoice:
    """Parents by the ids the API shows (or by uuid), each a check of the project."""

    def choose(available: list[LinkedCheck]) -> list[int]:
        ids = {unique_key(check.uuid): check.id for check in available}
        ids.update({str(check.uuid): check.id for check in available})
        unknown = [key for key in sent if key.lower() not in ids]
        if unknown:
            raise FieldsError({"parents": f"no check {', '.join(unknown)} in this project"})
        return list(dict.fromkeys(ids[key.lower()] for key in sent))

    return choose


def by_uuid(sent: list[uuid.UUID]) -> ChannelChoice:
    def choose(available: list[ChannelRow]) -> list[int]:
        ids = {channel.uuid: channel.id for channel in available}
        unknown = [str(c) for c in sent if c not in ids]
        if unknown:
            raise FieldsError({"channels": f"no channel {', '.join(unknown)} in this project"})
        return list(dict.fromkeys(ids[c] for c in sent))

    return choose


@contextlib.contextmanager
def refused_in_tocsin_words(code: str, body: CheckFields | None = None) -> Iterator[None]:
    """The services' refusals as this API words them (a check gone since it was read
    is not found, as it would be a moment later)."""
    try:
        yield
    except NotFoundError:
        raise ApiError(404, f"no check {code!r} in this key's project") from None
    except InvalidError as error:
        if error.field == "policy" and body is not None:
            raise FieldsError({"policy": f"no policy {body.policy} in this project"}) from None
        raise FieldsError({error.field: error.message}) from None


async def shown_now(
    request: Request, response: Response, services: Context, access: ApiAccess, d: CheckDetails
) -> CheckOut:
    async with services.database.read() as connection:
        return await shown_one(request, response, connection, access, d)


async def check_to_change(services: Context, access: ApiAccess, code: str) -> CheckDetails:
    return await services.database.read_with(find_check, access, code)


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
    found = await check_to_change(services, access, check_id)
    now, base_url = services.clock.now(), services.settings.base_url

    def still_as_read(details: CheckDetails, alerting: Alerting) -> None:
        channels, policy = alerting.channels, alerting.policy_id
        before = check_out(
            details, channels, policy, now, base_url, not access.read_only
        ).model_copy(update={"parents": [unique_key(u) for u in alerting.parents]})
        require_match(if_match, settings_tag(before))

    with refused_in_tocsin_words(check_id, body):
        details = await check_service.update_check(
            services,
            access.project_id,
            found.record.id,
            lambda current: patched(current, body),
            alerting_options(body, unsent=None),
            expect=None if if_match is None else still_as_read,
        )
    return await shown_now(request, response, services, access, details)


@router.delete("/checks/{check_id}", status_code=204, tags=["checks"])
async def delete_check(services: ServicesDep, access: WriteKey, check_id: CheckId) -> Response:
    """Delete a check with its pings, flips and incidents."""
    found = await check_to_change(services, access, check_id)
    with refused_in_tocsin_words(check_id):
        await check_service.delete_check(services, access.project_id, found.record.id)
    return Response(status_code=204)


@router.post("/checks/{check_id}/pause", response_model=CheckOut, tags=["checks"])
async def pause_check(
    request: Request, services: ServicesDep, response: Response, access: WriteKey, check_id: CheckId
) -> CheckOut:
    """Pause: no alerts until a ping or a resume. Pausing a paused check changes nothing."""
    found = await check_to_change(services, access, check_id)
    with refused_in_tocsin_words(check_id):
        details, _flip = await check_service.pause_check(
            services, access.project_id, found.record.id
        )
    return await shown_now(request, response, services, access, details)


@router.post("/checks/{check_id}/resume", response_model=CheckOut, tags=["checks"])
async def resume_check(
    request: Request, services: ServicesDep, response: Response, access: WriteKey, check_id: CheckId
) -> CheckOut:
    """Resume a paused check (new again until its next ping); others are left as they are."""
    details = await check_to_change(services, access, check_id)
    # A check that is not paused stays as it is.
    with refused_in_tocsin_words(check_id), contextlib.suppress(ConflictError):
        details = await check_service.resume_check(services, access.project_id, details.record.id)
    return await shown_now(request, response, services, access, details)


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
