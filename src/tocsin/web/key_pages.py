"""A project's API keys and its ping key. Everyone in the project sees the list (never a
key itself: only its hash is kept); owners and admins create keys, each shown once, and
revoke them. The ping key, which slug URLs carry, is shown as a check's page shows it."""

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from tocsin.accounts import can_manage
from tocsin.domain.records import Membership
from tocsin.services.requests import ServicesDep, services_of
from tocsin.store import keys as key_store
from tocsin.store import projects as project_store
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

router = APIRouter(include_in_schema=False)
MAX_NAME = 100


def keys_url(membership: Membership) -> str:
    return f"/projects/{membership.project_id}/keys"


async def render_keys(
    request: Request, membership: Membership, extra: dict[str, Any] | None = None, status: int = 200
) -> Response:
    services = services_of(request)
    async with services.database.read() as connection:
        found = await connection.run_sync(key_store.list_keys, membership.project_id)
        ping_key = await connection.run_sync(project_store.ping_key, membership.project_id)
    context = {
        "membership": membership,
        "keys": found,
        "ping_key": ping_key,
        "slug_url": f"{services.settings.base_url}/ping/{ping_key}/<slug>",
        "can_manage": can_manage(membership.role),
        "base": keys_url(membership),
        "created": None,
        "errors": {},
        "name": "",
        **(extra or {}),
    }
    response = render(request, "keys.html", context, status)
    response.headers["Cache-Control"] = "no-store"  # a new key is on the page once
    return response


@router.get("/projects/{project_id}/keys")
async def keys_page(request: Request, membership: MemberDep) -> Response:
    return await render_keys(request, membership)


@router.post("/projects/{project_id}/keys/new")
async def create_key(
    request: Request, services: ServicesDep, membership: ManagerDep, form: FormDep
) -> Response:
    name, read_only = field(form, "name"), field(form, "access") == "read-only"
    if len(name) > MAX_NAME:
        errors = {"name": f"a name has at most {MAX_NAME} characters"}
        return await render_keys(request, membership, {"errors": errors, "name": name}, 400)
    now = services.clock.now()
    async with services.database.write() as connection:
        key, secret = await connection.run_sync(
            key_store.create_key, membership.project_id, name, read_only, now
        )
    return await render_keys(request, membership, {"created": {"key": key, "secret": secret}})


@router.post("/projects/{project_id}/keys/{key}/revoke")
async def revoke_key(
    services: ServicesDep, membership: ManagerDep, form: FormDep, key: str
) -> Response:
    key_id = parse_id(key)
    if key_id is None:
        raise not_found()
    now = services.clock.now()

    def work(connection: sa.Connection) -> None:
        found = key_store.key_by_id(connection, key_id)
        if found is None or found.project_id != membership.project_id:
            raise not_found()
        require_confirmation(form, "revoke")
        key_store.revoke_key(connection, key_id, now)

    async with services.database.write() as connection:
        await connection.run_sync(work)
    return RedirectResponse(keys_url(membership), status_code=303)
