"""Better Stack's Uptime API for heartbeats and heartbeat groups, over Tocsin's checks.

`/api/v2/heartbeats` and `/api/v2/heartbeat-groups` (and the same under /api/v3), with
`Authorization: Bearer <key>`: Tocsin's API keys, each of one project; a read-only key
reads and may change nothing. A heartbeat is a check, its id the check's number; the
ping URL is the Better Stack-style `/api/v1/heartbeat/<token>` Tocsin already serves.
Objects of another project are not found (404), as unknown ones are.

Where Tocsin differs, on purpose: a new heartbeat notifies every channel of its
project (as `tocsin check create` does) and its escalation policy, if it names one;
without one, its `email`/`sms`/`call`/`push`/`critical_alert` flags reach whoever is
on call, and `team_wait` the entire team, beside those channels;
deleting a group keeps its heartbeats, outside any group; resuming a group resumes
every heartbeat in it, and a heartbeat that joins a paused group is paused. What is
accepted for features Tocsin lacks is in `betterstack_spec`; what is shown for them,
in `betterstack_json`.
"""

import contextlib
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
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
from tocsin.api.betterstack.render import Presenter, group_json
from tocsin.api.betterstack.spec import (
    REQUIRED_ON_CREATE,
    GroupSpec,
    HeartbeatSpec,
    identifier,
    maintenance_after,
    parse,
    require,
)
from tocsin.api.common.auth import ApiAccess
from tocsin.api.common.errors import ApiError
from tocsin.api.common.routes import RouteTable
from tocsin.domain.records import (
    AlertFlags,
    CheckDetails,
    Group,
    NewCheck,
    Place,
    new_check_defaults,
)
from tocsin.domain.schedule import Period, typical_interval
from tocsin.services import checks as check_service
from tocsin.services import groups as group_service
from tocsin.services.changes import KEEP
from tocsin.services.checks import ChannelChoice, CheckOptions, UsePolicy
from tocsin.services.context import Context
from tocsin.services.errors import InvalidError, NotFoundError
from tocsin.services.groups import GroupChanges
from tocsin.services.requests import ServicesDep, services_of
from tocsin.store import checks as check_store
from tocsin.store import heartbeats as store
from tocsin.store.tables import checks


def presenter(request: Request, access: ApiAccess) -> Presenter:
    services = services_of(request)
    return Presenter(services.settings.base_url, access.read_only, services.clock.now())


async def rendered(
    request: Request, connection: AsyncConnection, access: ApiAccess, found: list[CheckDetails]
) -> list[dict[str, Any]]:
    ids = [details.record.id for details in found]
    facts = await connection.run_sync(store.heartbeat_facts, ids)
    shown = presenter(request, access)
    return [shown.heartbeat(details, facts[details.record.id]) for details in found]


async def one(
    request: Request, connection: AsyncConnection, access: ApiAccess, details: CheckDetails
) -> dict[str, Any]:
    return {"data": (await rendered(request, connection, access, [details]))[0]}


def owned_heartbeat(
    connection: sa.Connection, access: ApiAccess, heartbeat_id: str
) -> CheckDetails:
    number = object_id(heartbeat_id, "heartbeat")
    found = check_store.project_check(connection, access.project_id, number)
    if found is None:
        raise ApiError(404, f"heartbeat {heartbeat_id!r} not found")
    return found


def new_settings(current: NewCheck, spec: HeartbeatSpec, now: datetime) -> NewCheck:
    """The check's settings with the name, period and grace sent (only those). A cron
    check shows as a period (`render`); that period sent back keeps its schedule, so a
    client writing back what it read changes nothing."""
    schedule = current.schedule
    sent = None if spec.period is None else timedelta(seconds=spec.period)
    if sent is not None and sent != typical_interval(schedule, now):
        schedule = Period(sent)
    grace = current.grace if spec.grace is None else timedelta(seconds=spec.grace)
    name = current.name if spec.name is None else spec.name
    return NewCheck(
        schedule=schedule,
        grace=grace,
        name=name,
        slug=current.slug,
        tags=current.tags,
        description=current.description,
        manual_resume=current.manual_resume,
        methods=current.methods,
        tz=current.tz,
        maintenance=maintenance_after(current.maintenance, spec),
        rules=current.rules,  # no such fields in this dialect: kept as they are
        keywords=current.keywords,
    )


routes = RouteTable()


@routes("/heartbeats", "GET")
async def list_heartbeats(
    request: Request, services: ServicesDep, access: ReadAccess, page: Page
) -> JSONResponse:
    """The project's heartbeats, oldest first, a page at a time."""
    async with services.database.read() as connection:
        found = await connection.run_sync(check_store.project_checks, access.project_id)
        shown = await rendered(request, connection, access, page_of(found, page))
    return page_response(request, page, shown, len(found))


@routes("/heartbeats/{heartbeat_id}", "GET")
async def get_heartbeat(
    request: Request, services: ServicesDep, access: ReadAccess, heartbeat_id: str
) -> JSONResponse:
    async with services.database.read() as connection:
        details = await connection.run_sync(owned_heartbeat, access, heartbeat_id)
        return JSONResponse(await one(request, connection, access, details))


@routes("/heartbeats", "POST", 201)
async def create_heartbeat(
    request: Request, services: ServicesDep, access: WriteAccess, body: Body
) -> JSONResponse:
    """A new check on a period schedule; `name`, `period` and `grace` are required."""
    spec = parse(HeartbeatSpec, body)
    require(body, REQUIRED_ON_CREATE)
    settings = new_settings(new_check_defaults(), spec, services.clock.now())
    options = heartbeat_options(spec, channels=check_service.every_channel)
    with refused_in_better_stack_words("", spec):
        details = await check_service.create_check(services, access.project_id, settings, options)
    return JSONResponse(await one_now(request, services, access, details), status_code=201)


@routes("/heartbeats/{heartbeat_id}", "PATCH")
async def update_heartbeat(
    request: Request, services: ServicesDep, access: WriteAccess, body: Body, heartbeat_id: str
) -> JSONResponse:
    """Change the attributes sent, and only those. A new period or grace moves the
    deadline (`checks.alert_after`) at once, and the watcher hears of it."""
    spec = parse(HeartbeatSpec, body)
    number = object_id(heartbeat_id, "heartbeat")
    with refused_in_better_stack_words(heartbeat_id, spec):
        details = await check_service.update_check(
            services,
            access.project_id,
            number,
            lambda current: new_settings(current, spec, services.clock.now()),
            heartbeat_options(spec, channels=None),
        )
    return JSONResponse(await one_now(request, services, access, details))


def heartbeat_options(spec: HeartbeatSpec, channels: ChannelChoice | None) -> CheckOptions:
    """What a heartbeat has beyond the check's settings: simple alerting, policy, group, pause
    (a heartbeat joining a paused group is paused with the rest)."""
    sent = spec.model_fields_set
    policy = None
    if "policy_id" in sent:
        policy = UsePolicy(identifier(spec.policy_id, "policy_id"))
    place = None
    if sent & {"heartbeat_group_id", "sort_index"}:
        place = moved(spec, identifier(spec.heartbeat_group_id, "heartbeat_group_id"))
    alerts = None
    if sent & ALERT_FIELDS:
        alerts = alerts_after(spec)
    return CheckOptions(
        channels=channels, alerts=alerts, policy=policy, place=place, paused=spec.paused
    )


ALERT_FIELDS = frozenset({"email", "sms", "call", "push", "critical_alert", "team_wait"})


def alerts_after(spec: HeartbeatSpec) -> Callable[[AlertFlags], AlertFlags]:
    """The simple alerting with the attributes sent laid over it (a null flag is
    false; a null `team_wait`, never the team)."""
    sent = spec.model_fields_set

    def flag(name: str, current: bool) -> bool:
        return bool(getattr(spec, name)) if name in sent else current

    def new_flags(current: AlertFlags) -> AlertFlags:
        wait = current.team_wait
        if "team_wait" in sent:
            wait = None if spec.team_wait is None else timedelta(seconds=spec.team_wait)
        return AlertFlags(
            email=flag("email", current.email),
            sms=flag("sms", current.sms),
            call=flag("call", current.call),
            push=flag("push", current.push),
            critical_alert=flag("critical_alert", current.critical_alert),
            team_wait=wait,
        )

    return new_flags


def moved(spec: HeartbeatSpec, group_id: int | None) -> Callable[[Place], Place]:
    """To the group sent (null: none), at the place sent; an attribute not sent stays."""
    sent = spec.model_fields_set

    def new_place(current: Place) -> Place:
        return Place(
            group_id if "heartbeat_group_id" in sent else current.group_id,
            spec.sort_index if "sort_index" in sent else current.sort_index,
        )

    return new_place


@contextlib.contextmanager
def refused_in_better_stack_words(
    heartbeat_id: str, spec: HeartbeatSpec | None = None
) -> Iterator[None]:
    """The services' refusals as Better Stack words them."""
    try:
        yield
    except NotFoundError:
        raise ApiError(404, f"heartbeat {heartbeat_id!r} not found") from None
    except InvalidError as error:
        raise refusal(error, spec) from None


def refusal(error: InvalidError, spec: HeartbeatSpec | None) -> Exception:
    if spec is None:
        return invalid(error.field, error.message)
    if error.field == "policy":
        policy_id = identifier(spec.policy_id, "policy_id")
        return invalid("policy_id", f"No escalation policy {policy_id} in this project.")
    if error.field == "group":
        group_id = identifier(spec.heartbeat_group_id, "heartbeat_group_id")
        return invalid("heartbeat_group_id", f"No heartbeat group {group_id} in this project.")
    return invalid(error.field, error.message)


async def one_now(
    request: Request, services: Context, access: ApiAccess, details: CheckDetails
) -> dict[str, Any]:
    async with services.database.read() as connection:
        return await one(request, connection, access, details)


@routes("/heartbeats/{heartbeat_id}", "DELETE", 204)
async def delete_heartbeat(
    services: ServicesDep, access: WriteAccess, heartbeat_id: str
) -> Response:
    """Delete the check with its pings, flips and incidents."""
    number = object_id(heartbeat_id, "heartbeat")
    with refused_in_better_stack_words(heartbeat_id):
        await check_service.delete_check(services, access.project_id, number)
    return Response(status_code=204)


def group_not_found(group_id: str) -> ApiError:
    return ApiError(404, f"heartbeat group {group_id!r} not found")


async def owned_group(connection: AsyncConnection, access: ApiAccess, group_id: str) -> Group:
    number = object_id(group_id, "heartbeat group")
    group = await connection.run_sync(store.project_group, access.project_id, number)
    if group is None:
        raise group_not_found(group_id)
    return group


def group_changes(spec: GroupSpec) -> GroupChanges:
    """The attributes sent, and only those (a null `paused` changes nothing)."""
    sent = spec.model_fields_set
    return GroupChanges(
        name=KEEP if spec.name is None else spec.name,
        sort_index=spec.sort_index if "sort_index" in sent else KEEP,
        paused=KEEP if spec.paused is None else spec.paused,
    )


@routes("/heartbeat-groups", "GET")
async def list_groups(
    request: Request, services: ServicesDep, access: ReadAccess, page: Page
) -> JSONResponse:
    async with services.database.read() as connection:
        found = await connection.run_sync(store.project_groups, access.project_id)
    return page_response(request, page, [group_json(g) for g in page_of(found, page)], len(found))


@routes("/heartbeat-groups/{group_id}", "GET")
async def get_group(services: ServicesDep, access: ReadAccess, group_id: str) -> JSONResponse:
    async with services.database.read() as connection:
        group = await owned_group(connection, access, group_id)
    return JSONResponse({"data": group_json(group)})


@routes("/heartbeat-groups", "POST", 201)
async def create_group(services: ServicesDep, access: WriteAccess, body: Body) -> JSONResponse:
    spec = parse(GroupSpec, body)
    require(body, ("name",))
    assert spec.name is not None
    group = await group_service.create_group(
        services, access.project_id, spec.name, sort_index=spec.sort_index, paused=bool(spec.paused)
    )
    return JSONResponse({"data": group_json(group)}, status_code=201)


@routes("/heartbeat-groups/{group_id}", "PATCH")
async def update_group(
    services: ServicesDep, access: WriteAccess, body: Body, group_id: str
) -> JSONResponse:
    """Change the attributes sent. Pausing a group pauses every heartbeat in it;
    resuming resumes them all (each is new again until its next ping)."""
    spec = parse(GroupSpec, body)
    require(body, tuple(name for name in ("name",) if name in body))  # null: no name
    number = object_id(group_id, "heartbeat group")
    try:
        group = await group_service.update_group(
            services, access.project_id, number, group_changes(spec)
        )
    except NotFoundError:
        raise group_not_found(group_id) from None
    return JSONResponse({"data": group_json(group)})


@routes("/heartbeat-groups/{group_id}", "DELETE", 204)
async def delete_group(services: ServicesDep, access: WriteAccess, group_id: str) -> Response:
    """Delete the group; its heartbeats stay, outside any group."""
    number = object_id(group_id, "heartbeat group")
    try:
        await group_service.delete_group(services, access.project_id, number)
    except NotFoundError:
        raise group_not_found(group_id) from None
    return Response(status_code=204)


@routes("/heartbeat-groups/{group_id}/heartbeats", "GET")
async def list_group_heartbeats(
    request: Request, services: ServicesDep, access: ReadAccess, page: Page, group_id: str
) -> JSONResponse:
    async with services.database.read() as connection:
        group = await owned_group(connection, access, group_id)
        members = await connection.run_sync(store.group_check_ids, group.id)
        found = await connection.run_sync(check_store.details_where, checks.c.id.in_(members))
        shown = await rendered(request, connection, access, page_of(found, page))
    return page_response(request, page, shown, len(found))
