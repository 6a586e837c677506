"""Every page of the web app refuses whoever may not see it. The routes are read from the
application itself, so a page added later is walked too; the public ones are named here,
each for a reason."""

import httpx
from fastapi.routing import APIRoute, iter_route_contexts

from tests.helpers import reload
from tests.web.conftest import Person, Web
from tocsin.app import TocsinApp
from tocsin.checks import Status

# Public on purpose: the sign-in, setup and sign-up forms; the alert's signed incident
# link and badges (each checks its own signature); the API (its own keys, its own walk).
PUBLIC = {"/login", "/setup", "/signup"}
PUBLIC_PREFIXES = ("/api/", "/incidents/", "/badge/", "/b/")


def web_routes(app: TocsinApp) -> list[tuple[str, str]]:
    """(method, path) of every page that needs someone signed in."""
    found = []
    for context in iter_route_contexts(app.web.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or route.path in PUBLIC:
            continue
        if not route.path.startswith(PUBLIC_PREFIXES):
            found += [(method, route.path) for method in sorted(route.methods or ())]
    assert len(found) >= 12
    return found


def project_routes(app: TocsinApp) -> list[tuple[str, str]]:
    return [(m, p) for m, p in web_routes(app) if "{project_id}" in p]


async def send(client: httpx.AsyncClient, method: str, path: str, csrf: str) -> httpx.Response:
    data = {"csrf_token": csrf, "confirm": "yes", "name": "x", "period": "1d", "grace": "1h"}
    if method == "POST":
        return await client.post(path, data=data)
    return await client.request(method, path)


async def test_every_page_sends_anonymous_visitors_to_sign_in(web: Web) -> None:
    check = await web.check(name="db backup")
    client = web.client()
    for method, route in web_routes(web.app):
        path = route.format(project_id=web.project_id, check=check.uuid, n=1)
        response = await send(client, method, path, "")
        if method in ("GET", "HEAD"):
            assert (path, response.status_code) == (path, 303)
            assert response.headers["location"].startswith("/login?next=")
        else:
            assert (method, path, response.status_code) == (method, path, 401)
    assert (await reload(web.database, check)).state.status == Status.NEW


async def test_every_project_page_is_not_found_for_an_outsider(web: Web) -> None:
    ours = await web.check(name="db backup")
    theirs = await web.check(web.other_project_id, name="their job")
    outsider = await web.signed_in("out@example.com", project_id=web.other_project_id)
    for method, route in project_routes(web.app):
        for project_id, check in ((web.project_id, ours.uuid), (web.other_project_id, ours.uuid)):
            path = route.format(project_id=project_id, check=check, n=1)
            if project_id == web.other_project_id and "{check}" not in route:
                continue  # their own project's page
            response = await send(outsider.client, method, path, outsider.csrf)
            assert (method, path, response.status_code) == (method, path, 404)
    assert (await reload(web.database, ours)).state.status == Status.NEW
    assert (await reload(web.database, theirs)).state.status == Status.NEW


async def test_made_up_ids_are_not_found_never_an_error(web: Web) -> None:
    person: Person = await web.signed_in("ops@example.com")
    base = f"/projects/{web.project_id}/checks"
    for path in (
        "/projects/0/checks",
        "/projects/-1/checks",
        "/projects/abc/checks",
        "/projects/99999999999999999999/checks",
        "/projects/\uff11/checks",  # a full-width digit one
        f"{base}/not-a-uuid",
        f"{base}/00000000-0000-0000-0000-000000000000",
    ):
        assert (path, (await person.client.get(path)).status_code) == (path, 404)
        if path.startswith(base):
            refused = await person.post(path + "/pause")
            assert (path, refused.status_code) == (path, 404)
