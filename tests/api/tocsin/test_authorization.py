"""Every route of Tocsin's own API refuses a missing, malformed, unknown, revoked or
foreign key, and a read-only key wherever it would change something; the routes are
read from the application, so a route added later is walked too."""

from typing import Any

import httpx
from fastapi.routing import APIRoute, iter_route_contexts

from tests.api.conftest import Api
from tests.helpers import add_channel
from tocsin.api.tocsin.http import PREFIX, read_key, write_key
from tocsin.domain.identifiers import new_api_key


def own_routes(api: Api) -> list[tuple[str, APIRoute]]:
    found = []
    for context in iter_route_contexts(api.app.web.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.path.startswith(PREFIX):
            found += [(method, route) for method in sorted(route.methods or ())]
    assert len(found) >= 20
    return found


def needs_write(route: APIRoute) -> bool:
    calls = {d.call for d in route.dependant.dependencies}
    assert len(calls & {read_key, write_key}) == 1, route.path
    return write_key in calls


async def send(api: Api, method: str, path: str, key: str | None) -> httpx.Response:
    headers = {} if key is None else {"Authorization": f"Bearer {key}"}
    return await api.client.request(method, path, headers=headers, json={})


def error_code(response: httpx.Response) -> tuple[int, Any]:
    return response.status_code, response.json()["error"]["code"]


async def test_every_route_refuses_whoever_lacks_the_right_key(api: Api) -> None:
    await add_channel(api.database, "webhook", {"url": "https://example.com/hook"}, "pager")
    headers = {"Authorization": f"Bearer {api.key}"}
    created = await api.client.post(f"{PREFIX}/checks", json={"name": "ours"}, headers=headers)
    check_id = created.json()["id"]
    revoked = await api.new_key(api.project_id)
    await api.revoke(revoked)
    values = {"check_id": check_id, "n": "1", "incident_id": "1", "policy_id": "1"}
    values["calendar_id"] = "1"
    values["window_id"] = "1"
    values["channel_id"] = "00000000-0000-4000-8000-000000000000"

    for method, route in own_routes(api):
        path = route.path.format(**values)
        for key in (None, "", "short", new_api_key(read_only=False), revoked):
            refused = await send(api, method, path, key)
            assert (method, path, error_code(refused)) == (method, path, (401, "unauthorized"))
            assert refused.headers["www-authenticate"] == "Bearer"
        if needs_write(route):
            read_only = await send(api, method, path, api.read_key)
            assert (method, path, error_code(read_only)) == (method, path, (403, "forbidden"))
        if "{check_id}" in route.path:
            foreign = await send(api, method, path, api.other_key)
            assert (method, path, error_code(foreign)) == (method, path, (404, "not_found"))
    still = await api.client.get(f"{PREFIX}/checks/{check_id}", headers=headers)
    assert still.json()["name"] == "ours"


async def test_the_key_goes_only_in_the_authorization_header(api: Api) -> None:
    for headers in ({"X-Api-Key": api.key}, {"Authorization": f"Basic {api.key}"}):
        refused = await api.client.get(f"{PREFIX}/checks", headers=headers)
        assert error_code(refused) == (401, "unauthorized")
    queried = await api.client.get(f"{PREFIX}/checks", params={"api_key": api.key})
    assert error_code(queried) == (401, "unauthorized")
