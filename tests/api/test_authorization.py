"""Every route under /api/ refuses whoever lacks the right key. The routes are read from
the application itself, so a route added later is walked too; the status endpoint and
the API's documentation are left out, on purpose: they are public, as Healthchecks'
status is. Each dialect has its walk (Healthchecks' keys in `X-Api-Key`, Better Stack's
in `Authorization: Bearer`, Tocsin's own API in tests/api/tocsin/test_authorization.py), and every
route must belong to one of them."""

import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from fastapi.routing import APIRoute, iter_route_contexts

from tests.api.conftest import Api
from tests.helpers import add_channel
from tocsin.api.betterstack.http import BetterStackRoute, bearer_read_access, bearer_write_access
from tocsin.api.healthchecks.http import HealthchecksRoute, read_access, write_access
from tocsin.api.tocsin.http import PREFIX
from tocsin.domain.identifiers import new_api_key
from tocsin.domain.naming import unique_key
from tocsin.server.app import TocsinApp

PUBLIC = {f"/api/v{v}/status/" for v in (1, 2, 3)} | {"/api/openapi.json", "/api/docs"}


ACCESS = (
    (read_access, "read"),
    (write_access, "write"),
    (bearer_read_access, "read"),
    (bearer_write_access, "write"),
)


def all_api_routes(app: TocsinApp) -> list[tuple[str, APIRoute]]:
    """(method, route) of every route under /api/, as the OpenAPI generator sees them."""
    found = []
    for context in iter_route_contexts(app.web.routes):
        route = context.original_route
        # Tocsin's own API has its own walk (tests/api/tocsin/test_authorization.py).
        if not isinstance(route, APIRoute) or route.path.startswith(PREFIX):
            continue
        if route.path.startswith("/api/"):
            methods = sorted(route.methods or ())
            found += [(m, route) for m in methods if route.path not in PUBLIC]
    return found


def api_routes(
    app: TocsinApp, dialect: type[APIRoute] = HealthchecksRoute
) -> list[tuple[str, APIRoute]]:
    """The routes of one dialect, each walked by that dialect's test."""
    found = [(m, r) for m, r in all_api_routes(app) if isinstance(r, dialect)]
    assert len(found) > 20  # two or three versions of every endpoint
    return found


def test_every_api_route_belongs_to_a_dialect_whose_walk_covers_it(api: Api) -> None:
    walked = (HealthchecksRoute, BetterStackRoute)
    strays = [(m, r.path) for m, r in all_api_routes(api.app) if not isinstance(r, walked)]
    assert strays == []


def access_of(route: APIRoute) -> str:
    """Which key an endpoint demands, read from its dependencies."""
    calls = {dependency.call for dependency in route.dependant.dependencies}
    kinds = [kind for call, kind in ACCESS if call in calls]
    assert len(kinds) == 1, f"{route.path} {route.methods} must demand exactly one kind of key"
    return kinds[0]


async def send(
    api: Api, method: str, path: str, headers: dict[str, str], body: Any = None
) -> httpx.Response:
    content = None if body is None else json.dumps(body)
    return await api.client.request(method, path, headers=headers, content=content)


def mentions(response: httpx.Response, secrets: list[str]) -> list[str]:
    return [secret for secret in secrets if secret in response.text]


async def test_every_api_route_refuses_missing_wrong_revoked_and_foreign_keys(api: Api) -> None:
    await add_channel(api.database, "webhook", {"url": "https://example.com/hook"}, "pager")
    check = await api.create(name="nightly backup", tags="prod", channels="*")
    await api.ping(check, content=b"backup output")
    await api.ping(check, "/fail")
    revoked = await api.new_key(api.project_id)
    await api.revoke(revoked)
    ours = [check["uuid"], check["name"], unique_key(uuid.UUID(check["uuid"])), check["channels"]]

    for method, route in api_routes(api.app):
        path = route.path.format(code=check["uuid"], n="1")
        if method == "OPTIONS":
            preflight = await send(api, method, path, {})
            assert (path, preflight.status_code, preflight.content) == (path, 204, b"")
            continue
        body = {"name": "renamed"} if method == "POST" else None
        for key, problem in (
            (None, "missing api key"),
            ("", "missing api key"),
            ("short", "missing api key"),
            (new_api_key(read_only=False), "wrong api key"),
            (revoked, "wrong api key"),
        ):
            headers = {} if key is None else {"X-Api-Key": key}
            refused = await send(api, method, path, headers, body)
            assert (method, path, refused.status_code, refused.json()) == (
                method,
                path,
                401,
                {"error": problem},
            )
            assert refused.headers["access-control-allow-origin"] == "*"
        if method == "POST":
            in_body = await send(api, method, path, {}, {"api_key": revoked, "name": "x"})
            assert (path, in_body.status_code) == (path, 401)
        if access_of(route) == "write":
            read_only = await send(api, method, path, {"X-Api-Key": api.read_key}, body)
            assert (method, path, read_only.status_code, read_only.json()) == (
                method,
                path,
                401,
                {"error": "wrong api key"},
            )
        foreign = await send(api, method, path, {"X-Api-Key": api.other_key}, body)
        if "{code}" in route.path:
            assert (method, path, foreign.status_code) == (method, path, 403)
        else:
            assert foreign.status_code in (200, 201), (method, path, foreign.text)
        assert mentions(foreign, ours) == [], (method, path)

    unchanged = await api.get(f"/api/v3/checks/{check['uuid']}")
    assert unchanged.status_code == 200
    assert {k: unchanged.json()[k] for k in ("name", "status", "n_pings", "channels")} == {
        "name": "nightly backup",
        "status": "down",
        "n_pings": 2,
        "channels": check["channels"],
    }


async def test_a_revoked_key_stops_working_at_once(api: Api) -> None:
    key = await api.new_key(api.project_id)
    assert (await api.get("/api/v3/checks/", key=key)).status_code == 200
    await api.revoke(key)
    refused = await api.get("/api/v3/checks/", key=key)
    assert (refused.status_code, refused.json()) == (401, {"error": "wrong api key"})


async def test_a_read_only_key_reads_but_never_writes(api: Api) -> None:
    check = await api.create(name="reports")
    listed = await api.get("/api/v3/checks/", key=api.read_key)
    assert [c["name"] for c in listed.json()["checks"]] == ["reports"]
    for path in ("/api/v3/checks/", f"/api/v3/checks/{check['uuid']}/pause"):
        refused = await api.post(path, {"name": "x"}, key=api.read_key)
        assert (refused.status_code, refused.json()) == (401, {"error": "wrong api key"})
    in_body = await api.client.post("/api/v3/checks/", json={"api_key": api.read_key})
    assert in_body.status_code == 401


async def test_the_key_may_come_in_a_post_body_but_not_in_a_query(api: Api) -> None:
    created = await api.client.post("/api/v3/checks/", json={"api_key": api.key, "name": "b"})
    assert created.status_code == 201
    queried = await api.client.get("/api/v3/checks/", params={"api_key": api.key})
    assert (queried.status_code, queried.json()) == (401, {"error": "missing api key"})


async def test_a_check_of_another_project_is_forbidden_and_an_unknown_one_not_found(
    api: Api,
) -> None:
    theirs = (await api.post("/api/v3/checks/", {"name": "theirs"}, key=api.other_key)).json()
    forbidden = await api.get(f"/api/v3/checks/{theirs['uuid']}")
    missing = await api.get(f"/api/v3/checks/{uuid.uuid4()}")
    by_unique_key = await api.get(f"/api/v3/checks/{unique_key(uuid.UUID(theirs['uuid']))}")
    assert forbidden.status_code == 403
    assert "theirs" not in forbidden.text
    assert (missing.status_code, missing.json()) == (404, {"error": "not found"})
    assert by_unique_key.status_code == 404  # looked up among the key's own checks only


async def test_a_key_records_when_it_was_last_used_to_the_minute(api: Api) -> None:
    async def last_used() -> object:
        async with api.database.read() as connection:
            return await connection.scalar(
                sa.text("SELECT last_used FROM api_keys WHERE prefix = :p"), {"p": api.key[:8]}
            )

    assert await last_used() is None
    await api.get("/api/v3/checks/")
    first = await last_used()
    api.clock.advance(timedelta(seconds=30))
    await api.get("/api/v3/checks/")
    assert await last_used() == first  # no write for every request
    api.clock.advance(timedelta(seconds=31))
    await api.get("/api/v3/checks/")
    assert await last_used() != first


async def better_stack_objects(api: Api) -> dict[str, str]:
    """One object of each kind in the key's project, to fill the walked paths."""
    await add_channel(api.database, "webhook", {"url": "https://example.com/hook"}, "pager")
    bearer = {"Authorization": f"Bearer {api.key}"}

    async def made(path: str, body: dict[str, Any]) -> str:
        response = await api.client.post(path, json=body, headers=bearer)
        assert response.status_code == 201, response.text
        return str(response.json()["data"]["id"])

    group_id = await made("/api/v2/heartbeat-groups", {"name": "nightly"})
    policy_id = await made("/api/v3/policies", {"name": "night shift"})
    body = {"name": "nightly backup", "period": 60, "grace": 0, "heartbeat_group_id": group_id}
    heartbeat_id = await made("/api/v2/heartbeats", body)
    token = await api.run("SELECT token FROM checks WHERE id = :id", id=int(heartbeat_id))
    assert (await api.client.get(f"/api/v1/heartbeat/{token}/fail")).status_code == 200
    incident_id = await api.run("SELECT id FROM incidents")
    calendar = await api.client.get("/api/v2/on-calls/default", headers=bearer)
    return {
        "calendar_id": calendar.json()["data"]["id"],
        "heartbeat_id": heartbeat_id,
        "group_id": group_id,
        "policy_id": policy_id,
        "incident_id": str(incident_id),
        "token": token,
    }


def walk_body(method: str, path: str) -> Any:
    name = f"renamed by {method} {path}"  # policy names are unique
    if method == "POST" and path.endswith("/heartbeats"):
        return {"name": name, "period": 60, "grace": 0}
    return {"name": name} if method in ("POST", "PATCH") and "incidents" not in path else None


async def test_every_better_stack_route_refuses_missing_wrong_revoked_and_foreign_keys(
    api: Api,
) -> None:
    objects = await better_stack_objects(api)
    revoked = await api.new_key(api.project_id)
    await api.revoke(revoked)
    before = await api.run("SELECT COUNT(*) FROM incident_events")

    for method, route in api_routes(api.app, BetterStackRoute):
        path = route.path.format(**objects)
        body = walk_body(method, path)
        for headers, problem in (
            ({}, "missing api key"),
            ({"Authorization": ""}, "missing api key"),
            ({"Authorization": "Bearer short"}, "missing api key"),
            ({"Authorization": f"Token {api.key}"}, "missing api key"),
            ({"X-Api-Key": api.key}, "missing api key"),
            ({"Authorization": f"Bearer {new_api_key(read_only=False)}"}, "wrong api key"),
            ({"Authorization": f"Bearer {revoked}"}, "wrong api key"),
        ):
            refused = await send(api, method, path, headers, body)
            assert (method, path, refused.status_code, refused.json()) == (
                method,
                path,
                401,
                {"errors": problem},
            )
        if access_of(route) == "write":
            headers = {"Authorization": f"Bearer {api.read_key}"}
            read_only = await send(api, method, path, headers, body)
            assert (method, path, read_only.status_code) == (method, path, 401)
        foreign = await send(api, method, path, {"Authorization": f"Bearer {api.other_key}"}, body)
        if "{" in route.path:
            assert (method, path, foreign.status_code) == (method, path, 404)
        else:
            assert foreign.status_code in (200, 201), (method, path, foreign.text)
        assert mentions(foreign, ["nightly", "night shift", objects["token"]]) == [], path

    unchanged = await api.client.get(
        f"/api/v2/heartbeats/{objects['heartbeat_id']}",
        headers={"Authorization": f"Bearer {api.key}"},
    )
    assert unchanged.json()["data"]["attributes"]["name"] == "nightly backup"
    assert unchanged.json()["data"]["attributes"]["status"] == "down"
    assert await api.run("SELECT COUNT(*) FROM incident_events") == before
