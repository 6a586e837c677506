"""Every page of the web app refuses whoever may not see it. The routes are read from the
application itself, so a page added later is walked too; the public ones are named here,
each for a reason."""

from datetime import timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from fastapi.routing import APIRoute, iter_route_contexts

from tests.web.conftest import Person, Web
from tocsin.domain.checks import Status, status
from tocsin.domain.oncall import Override, Rotation
from tocsin.domain.people import ContactKind
from tocsin.domain.windows import OneOff, Scope, Window
from tocsin.server.app import TocsinApp
from tocsin.store import checks as check_store
from tocsin.store import people as people_store
from tocsin.store.channels import insert_channel, insert_policy, project_channels, project_policies
from tocsin.store.incidents import get_incident
from tocsin.store.keys import create_key, list_keys
from tocsin.store.maintenance import insert_window
from tocsin.store.oncall import (
    calendars_of,
    insert_calendar,
    insert_override,
    insert_rotation,
    overrides_of,
    rotations_of,
)
from tocsin.store.users import insert_invitation, project_members

# Public on purpose: the sign-in, setup and sign-up forms; the alert's signed incident
# link and badges (each checks its own signature); the API (its own keys, its own walk);
# on-call calendar feeds (calendar apps cannot sign in: the URL's secret token is the key);
# Slack's, Telegram's and Twilio's callbacks (each checks its service's signature, and
# the signed token of the incident it acknowledges: tests/inbound).
# The invitation and password reset pages check their own signed tokens.
DAY = timedelta(days=1)
PUBLIC = {"/login", "/setup", "/signup", "/invite", "/password/forgot", "/password/reset"}
PUBLIC_PREFIXES = ("/api/", "/incidents/", "/badge/", "/b/", "/oncall/feed/", "/integrations/")


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


async def objects(web: Web, project_id: int) -> dict[str, Any]:
    """One of each thing a project page's URL can name, in the given project."""
    check = await web.check(project_id, name="db backup")
    async with web.database.write() as connection:
        channel = await connection.run_sync(
            lambda sync: insert_channel(
                sync,
                project_id,
                "slack",
                "",
                {"url": "https://x"},
                web.clock.now(),
                assign_to_all_checks=True,
            )
        )
        policy = await connection.run_sync(
            lambda sync: insert_policy(sync, project_id, "night", [], web.clock.now())
        )
        key, _secret = await connection.run_sync(
            lambda sync: create_key(sync, project_id, "ci", False, web.clock.now())
        )
        invitation = await connection.run_sync(
            lambda sync: insert_invitation(
                sync, project_id, "asked@example.com", "viewer", "x", web.clock.now(), DAY
            )
        )
    member = await web.user(f"member-{project_id}@example.com", "member", project_id)
    return {
        "check": check.uuid,
        "incident": await web.incident(project_id, name="disk"),
        "channel": channel.uuid,
        "policy": policy,
        "key": key.id,
        "member": member,
        "invitation": invitation.id,
        "n": 1,  # a ping's number in its check's log
        **(await on_call(web, project_id, member)),
        "contact_id": await contact_of(web, f"contact-{project_id}@example.com"),
        "window": await window_of(web, project_id),
    }


async def window_of(web: Web, project_id: int) -> int:
    def work(connection: sa.Connection) -> int:
        when = OneOff(web.clock.now(), web.clock.now() + DAY)
        window = Window(0, project_id, "move", when, Scope())
        return insert_window(connection, window, web.clock.now())

    return await web.database.write_with(work)


async def on_call(web: Web, project_id: int, member: int) -> dict[str, int]:
    """A calendar with a rotation and an override of `member`."""
    now = web.clock.now()
    rotation = Rotation((member,), now, "UTC")
    override = Override(member, now, now + DAY)

    def work(sync: sa.Connection) -> dict[str, int]:
        calendar = insert_calendar(sync, project_id, "Primary", f"token-{project_id}", now)
        return {
            "calendar": calendar,
            "rotation": insert_rotation(sync, calendar, "Weekly", rotation, now),
            "override": insert_override(sync, calendar, override, now),
        }

    async with web.database.write() as connection:
        return await connection.run_sync(work)


async def contact_of(web: Web, email: str) -> int:
    """A contact method of someone else than whoever walks the pages."""
    user_id = await web.user(email)
    async with web.database.write() as connection:
        return await connection.run_sync(
            lambda sync: people_store.insert_contact(
                sync,
                user_id,
                ContactKind.NTFY,
                "their-topic",
                web.clock.now(),
                verified=None,
                hours=None,
            )
        )


def fill(route: str, project_id: int, ids: dict[str, Any]) -> str:
    return route.format(project_id=project_id, **ids)


def names_an_object(route: str) -> bool:
    return route.rstrip("/").split("/")[-1].startswith("{") or route.count("{") > 1


async def send(client: httpx.AsyncClient, method: str, path: str, csrf: str) -> httpx.Response:
    data = {
        "csrf_token": csrf,
        "confirm": "yes",
        "name": "x",
        "period": "1d",
        "grace": "1h",
        "text": "x",
        "role": "viewer",
        "email": "someone@example.com",
    }
    if method == "POST":
        return await client.post(path, data=data)
    return await client.request(method, path)


async def test_every_page_sends_anonymous_visitors_to_sign_in(web: Web) -> None:
    ids = await objects(web, web.project_id)
    client = web.client()
    for method, route in web_routes(web.app):
        path = fill(route, web.project_id, ids)
        response = await send(client, method, path, "")
        if method in ("GET", "HEAD"):
            assert (path, response.status_code) == (path, 303)
            assert response.headers["location"].startswith("/login?next=")
        else:
            assert (method, path, response.status_code) == (method, path, 401)
    assert await unchanged(web, ids)


async def unchanged(web: Web, ids: dict[str, Any]) -> bool:
    """Nothing the walk named was changed by it."""
    async with web.database.read() as connection:
        check = await connection.run_sync(check_store.details_by_uuid, ids["check"])
        incident = await connection.run_sync(get_incident, ids["incident"])
    assert check is not None
    assert incident is not None
    async with web.database.read() as connection:
        channels = await connection.run_sync(project_channels, check.record.project_id)
        policies = await connection.run_sync(project_policies, check.record.project_id)
        members = await connection.run_sync(project_members, check.record.project_id)
        keys = await connection.run_sync(list_keys, check.record.project_id)
        calendars = await connection.run_sync(calendars_of, check.record.project_id)
        rotations = await connection.run_sync(rotations_of, ids["calendar"])
        far = web.clock.now() + 10 * DAY
        overrides = await connection.run_sync(overrides_of, ids["calendar"], far - 20 * DAY, far)
    assert ([r.id for r in rotations], [o.id for o in overrides]) == (
        [ids["rotation"]],
        [ids["override"]],
    )
    assert [(c.id, c.name, c.feed_token) for c in calendars] == [
        (ids["calendar"], "Primary", f"token-{check.record.project_id}")
    ]
    assert [(k.id, k.revoked) for k in keys] == [(ids["key"], None)]
    assert [c.uuid for c in channels] == [ids["channel"]]
    assert [(p.id, p.name) for p in policies] == [(ids["policy"], "night")]
    assert (ids["member"], "member") in [(user.id, role) for user, role in members]
    current = status(check.record.state, web.clock.now())
    assert (current, incident.status) == (Status.NEW, "open")
    return True


async def test_every_project_page_is_not_found_for_an_outsider(web: Web) -> None:
    ours = await objects(web, web.project_id)
    theirs = await objects(web, web.other_project_id)
    outsider = await web.signed_in("out@example.com", project_id=web.other_project_id)
    for method, route in project_routes(web.app):
        for project_id in (web.project_id, web.other_project_id):
            path = fill(route, project_id, ours)
            if project_id == web.other_project_id and not names_an_object(route):
                continue  # their own project's page
            response = await send(outsider.client, method, path, outsider.csrf)
            assert (method, path, response.status_code) == (method, path, 404)
    assert await unchanged(web, ours)
    assert await unchanged(web, theirs)


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
