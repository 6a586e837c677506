"""Healthchecks' Management API (v1, v2 and v3) over Tocsin's checks.

Paths, JSON shapes, status codes and error strings are Healthchecks' own, so its
clients (scripts, the Terraform provider, dashboards) work unchanged: keys per project,
read-write and read-only; `X-Api-Key`, or `api_key` in a POST's JSON body; 401
`missing api key` / `wrong api key` (a read-only key asking to write gets the latter);
403 for a check of another project; 404 for an unknown one; 400 with Healthchecks'
`json validation error: …` strings; 409 `check is not paused`. v1 and v2 differ from v3
only as Healthchecks' do: their URLs name their version, a new name also sets the slug,
and v1 reports `started` as a status.

Where Tocsin differs, on purpose: every error has a JSON body `{"error": …}` (some of
Healthchecks' are empty or plain text); a POST body over 64 KiB is refused with 413;
there is no limit on the number of checks; pings are never pruned, so the ping list
shows the newest 100 and every stored body stays readable. What Tocsin shows for
features it lacks is in `api.healthchecks.render`; what it accepts for them, in
`api.healthchecks.spec`.
"""

import contextlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Annotated

import sqlalchemy as sa
from fastapi import Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncConnection

from tocsin.api.common.auth import ApiAccess
from tocsin.api.common.errors import ApiError
from tocsin.api.common.routes import RouteTable
from tocsin.api.healthchecks.http import Body, ReadAccess, Version, WriteAccess
from tocsin.api.healthchecks.render import Presenter, channel_json, flip_json
from tocsin.api.healthchecks.spec import (
    CheckSpec,
    SpecError,
    applied,
    chosen_channels,
    matches_unique,
    parse_spec,
)
from tocsin.domain.badges import ALL_CHECKS, project_badge_key, tag_badge_urls
from tocsin.domain.keywords import PLAIN_NAMES
from tocsin.domain.naming import is_unique_key, unique_key
from tocsin.domain.numbers import whole_number
from tocsin.domain.records import ChannelRow, CheckDetails
from tocsin.services import checks as check_service
from tocsin.services.checks import CheckOptions
from tocsin.services.context import Context
from tocsin.services.errors import ConflictError, InvalidError, NotFoundError
from tocsin.services.requests import ServicesDep, services_of
from tocsin.store import checks as check_store
from tocsin.store import pings as ping_store
from tocsin.store.channels import channel_uuids, project_channels
from tocsin.store.projects import ping_key

PING_LIST_LIMIT = 100  # Healthchecks' default ping log size
MAX_FLIP_SECONDS = 31_536_000
MAX_TIMESTAMP = 10_000_000_000  # the year 2286: Healthchecks' sanity bound
MAX_INT = 2**31 - 1  # the database's integer columns


async def badge_key(request: Request, connection: AsyncConnection, project_id: int) -> str:
    project_ping_key = await connection.run_sync(ping_key, project_id)
    return project_badge_key(services_of(request).secret, project_ping_key)


async def presenter(
    request: Request, connection: AsyncConnection, access: ApiAccess, version: int
) -> Presenter:
    services = services_of(request)
    return Presenter(
        base_url=services.settings.base_url,
        version=version,
        read_only=access.read_only,
        now=services.clock.now(),
        badge_key=await badge_key(request, connection, access.project_id),
    )


async def render(
    request: Request,
    connection: AsyncConnection,
    access: ApiAccess,
    version: int,
    details: CheckDetails,
) -> dict[str, object]:
    shown = await presenter(request, connection, access, version)
    channels: dict[int, list[uuid.UUID]] = {}
    if not access.read_only:
        channels = await connection.run_sync(
            lambda sync: channel_uuids(sync, check_id=details.record.id)
        )
    return shown.check(details, channels.get(details.record.id, []))


def parse_check_uuid(code: str) -> uuid.UUID:
    """A check's uuid in its canonical form, the only one Healthchecks' URLs match."""
    try:
        parsed = uuid.UUID(code)
    except ValueError:
        raise ApiError(404, "not found") from None
    if str(parsed) != code:
        raise ApiError(404, "not found")
    return parsed


def owned_check(
    connection: sa.Connection, access: ApiAccess, code: str, *, to_change: bool = False
) -> CheckDetails:
    """The check a URL names, by uuid (or, only to read it, by unique key), in the key's
    project."""
    if is_unique_key(code) and not to_change:
        return check_by_unique_key(connection, access, code)
    details = check_store.details_by_uuid(connection, parse_check_uuid(code))
    if details is None:
        raise ApiError(404, "not found")
    if details.record.project_id != access.project_id:
        raise ApiError(403, "this check belongs to another project")
    return details


def check_by_unique_key(connection: sa.Connection, access: ApiAccess, code: str) -> CheckDetails:
    for details in check_store.project_checks(connection, access.project_id):
        if unique_key(details.record.uuid) == code:
            return details
    raise ApiError(404, "not found")


def spec_or_400(body: dict[str, object]) -> CheckSpec:
    try:
        return parse_spec(body)
    except SpecError as error:
        raise ApiError(400, str(error)) from None


routes = RouteTable()


@routes("/checks/", "GET")
async def list_checks(
    request: Request,
    services: ServicesDep,
    access: ReadAccess,
    version: Version,
    tag: Annotated[list[str] | None, Query()] = None,
    slug: str = "",
) -> JSONResponse:
    """The project's checks; every `tag` must be among a check's tags; `slug` matches."""
    async with services.database.read() as connection:
        shown = await presenter(request, connection, access, version)
        found = await connection.run_sync(check_store.project_checks, access.project_id)
        channels: dict[int, list[uuid.UUID]] = {}
        if not access.read_only:
            channels = await connection.run_sync(
                lambda sync: channel_uuids(sync, project_id=access.project_id)
            )
    chosen = [d for d in found if listed(d, set(tag or ()), slug)]
    rendered = [shown.check(d, channels.get(d.record.id, [])) for d in chosen]
    return JSONResponse({"checks": rendered})


def listed(details: CheckDetails, tags: set[str], slug: str) -> bool:
    if slug and details.spec.slug != slug:
        return False
    return tags.issubset(details.spec.tags.split())


@routes("/checks/", "POST")
async def create_check(
    request: Request, services: ServicesDep, access: WriteAccess, version: Version, body: Body
) -> JSONResponse:
    """Create a check, or with `unique` update the one that matches (200, not 201)."""
    spec = spec_or_400(body)
    same_as = (lambda details: matches_unique(details, spec)) if spec.unique else None
    with refused_as_healthchecks():
        details, created = await check_service.create_or_update_check(
            services,
            access.project_id,
            lambda current: applied(current, spec, version),
            same_as,
            channel_options(spec),
        )
    result = await render_now(request, services, access, version, details)
    return JSONResponse(result, status_code=201 if created else 200)


def channel_options(spec: CheckSpec) -> CheckOptions:
    """The channels the request names, if it names any. A new check notifies none
    unless it does (Healthchecks' rule; the command line and slug auto-provisioning
    give it every channel). A check may be nameless, as in Healthchecks."""
    sent = spec.channels
    if sent is None:
        return CheckOptions(nameless=True)

    def choose(available: list[ChannelRow]) -> list[int]:
        try:
            return chosen_channels(sent, available)
        except SpecError as error:
            raise ApiError(400, str(error)) from None

    return CheckOptions(channels=choose, nameless=True)


@contextlib.contextmanager
def refused_as_healthchecks() -> Iterator[None]:
    """The services' refusals in Healthchecks' words (a check gone since it was read
    is not found, as it would be a moment later)."""
    try:
        yield
    except NotFoundError:
        raise ApiError(404, "not found") from None
    except ConflictError:
        raise ApiError(409, "check is not paused") from None
    except InvalidError as error:  # keyword rules a check's regex option refuses
        name = PLAIN_NAMES.get(error.field.removeprefix("keywords."), error.field)
        words = error.message.split(" is ", 1)[-1]
        raise ApiError(400, f"json validation error: {name} is {words}") from None


async def render_now(
    request: Request, services: Context, access: ApiAccess, version: int, details: CheckDetails
) -> dict[str, object]:
    async with services.database.read() as connection:
        return await render(request, connection, access, version, details)


async def check_to_change(services: Context, access: ApiAccess, code: str) -> CheckDetails:
    return await services.database.read_with(owned_check, access, code, to_change=True)


@routes("/checks/{code}", "GET")
async def get_check(
    request: Request, services: ServicesDep, access: ReadAccess, version: Version, code: str
) -> JSONResponse:
    """One check, by uuid or by its unique key."""
    async with services.database.read() as connection:
        details = await connection.run_sync(owned_check, access, code)
        return JSONResponse(await render(request, connection, access, version, details))


@routes("/checks/{code}", "POST")
async def update_check(
    request: Request,
    services: ServicesDep,
    access: WriteAccess,
    version: Version,
    body: Body,
    code: str,
) -> JSONResponse:
    """Change the fields sent, and only those."""
    found = await check_to_change(services, access, code)
    spec = spec_or_400(body)
    with refused_as_healthchecks():
        details = await check_service.update_check(
            services,
            access.project_id,
            found.record.id,
            lambda current: applied(current, spec, version),
            channel_options(spec),
        )
    return JSONResponse(await render_now(request, services, access, version, details))


@routes("/checks/{code}", "DELETE")
async def delete_check(
    request: Request, services: ServicesDep, access: WriteAccess, version: Version, code: str
) -> JSONResponse:
    """Delete a check with its pings and flips; answers with the check as it was."""
    async with services.database.read() as connection:
        details = await connection.run_sync(owned_check, access, code, to_change=True)
        result = await render(request, connection, access, version, details)
    with refused_as_healthchecks():
        await check_service.delete_check(services, access.project_id, details.record.id)
    return JSONResponse(result)


@routes("/checks/{code}/pause", "POST")
async def pause_check(
    request: Request, services: ServicesDep, access: WriteAccess, version: Version, code: str
) -> JSONResponse:
    """Pause: no deadline until a ping or a resume. Pausing a paused check is no error."""
    found = await check_to_change(services, access, code)
    with refused_as_healthchecks():
        details, _flip = await check_service.pause_check(
            services, access.project_id, found.record.id
        )
    return JSONResponse(await render_now(request, services, access, version, details))


@routes("/checks/{code}/resume", "POST")
async def resume_check(
    request: Request, services: ServicesDep, access: WriteAccess, version: Version, code: str
) -> JSONResponse:
    """Resume a paused check; it is new again until its next ping (409 if not paused)."""
    found = await check_to_change(services, access, code)
    with refused_as_healthchecks():
        details = await check_service.resume_check(services, access.project_id, found.record.id)
    return JSONResponse(await render_now(request, services, access, version, details))


@routes("/checks/{code}/pings/", "GET")
async def list_pings(
    request: Request, services: ServicesDep, access: WriteAccess, version: Version, code: str
) -> JSONResponse:
    """The newest pings, newest first."""
    async with services.database.read() as connection:
        shown = await presenter(request, connection, access, version)
        details = await connection.run_sync(owned_check, access, code)
        pings = await connection.run_sync(ping_store.list_pings, details.record.id, PING_LIST_LIMIT)
    return JSONResponse({"pings": [shown.ping(details.record.uuid, p) for p in pings]})


@routes("/checks/{code}/pings/{n}/body", "GET")
async def ping_body(services: ServicesDep, access: WriteAccess, code: str, n: str) -> Response:
    """The body a ping carried, as it was sent (up to TOCSIN_PING_BODY_LIMIT bytes)."""
    number = parse_ping_number(n)
    async with services.database.read() as connection:
        details = await connection.run_sync(owned_check, access, code)
        body = await connection.run_sync(ping_store.ping_body, details.record.id, number)
    if not body:
        raise ApiError(404, "not found")
    return Response(body, media_type="text/plain")


def parse_ping_number(n: str) -> int:
    number = whole_number(n, max_digits=10)
    if number is None or number > MAX_INT:
        raise ApiError(404, "not found")
    return number


@routes("/checks/{code}/flips/", "GET")
async def list_flips(
    request: Request, services: ServicesDep, access: ReadAccess, code: str
) -> JSONResponse:
    """Status changes, newest first; `seconds` back from now, `start`, `end` (UNIX time)."""
    since, before = flip_window(dict(request.query_params), services.clock.now())
    async with services.database.read() as connection:
        details = await connection.run_sync(owned_check, access, code)
        found = await connection.run_sync(
            check_store.list_flips, details.record.id, since=since, before=before
        )
    return JSONResponse({"flips": [flip_json(f) for f in found]})


def flip_window(params: dict[str, str], now: datetime) -> tuple[datetime | None, datetime | None]:
    """The `since` (inclusive) and `before` (exclusive) bounds of a flips request."""
    start = bounded_int(params, "start", MAX_TIMESTAMP)
    end = bounded_int(params, "end", MAX_TIMESTAMP)
    seconds = bounded_int(params, "seconds", MAX_FLIP_SECONDS)
    lower = [
        datetime.fromtimestamp(start, UTC) if start is not None else None,
        now - timedelta(seconds=seconds) if seconds else None,  # 0: no bound, as there
    ]
    known = [bound for bound in lower if bound is not None]
    upper = None if end is None else datetime.fromtimestamp(end, UTC)
    return (max(known) if known else None), upper


def bounded_int(params: dict[str, str], name: str, high: int) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    number = whole_number(value)
    if number is None or number > high:
        raise ApiError(400, f"{name} must be a whole number from 0 to {high}")
    return number


@routes("/channels/", "GET")
async def list_channels(services: ServicesDep, access: WriteAccess) -> JSONResponse:
    """The project's channels, to name in a check's `channels`."""
    async with services.database.read() as connection:
        found = await connection.run_sync(project_channels, access.project_id)
    return JSONResponse({"channels": [channel_json(c) for c in found]})


@routes("/badges/", "GET")
async def list_badges(request: Request, services: ServicesDep, access: ReadAccess) -> JSONResponse:
    """Badge URLs for every tag of the project's checks, and for all of them (`*`)."""
    async with services.database.read() as connection:
        key = await badge_key(request, connection, access.project_id)
        found = await connection.run_sync(check_store.project_checks, access.project_id)
    tags = {ALL_CHECKS} | {tag for d in found for tag in d.spec.tags.split()}
    base_url, secret = services.settings.base_url, services.secret
    return JSONResponse(
        {"badges": {tag: tag_badge_urls(base_url, secret, key, tag) for tag in sorted(tags)}}
    )
