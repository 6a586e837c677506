"""A project's API keys on the web: listed for everyone in the project without the keys
themselves, created by owners and admins and shown once, revoked with confirmation; and
the ping key with the slug URL form."""

import re

from tests.web.conftest import Person, Web
from tocsin.store.keys import active_key, create_key, list_keys

SECRET = re.compile(r'<code class="url" id="new-key-secret">([^<]+)</code>')


async def keys_of(web: Web, project_id: int | None = None) -> list[tuple[str, bool, bool]]:
    """(name, read-only, revoked) of each of the project's keys."""
    async with web.database.read() as connection:
        found = await connection.run_sync(list_keys, project_id or web.project_id)
    return [(key.name, key.read_only, key.revoked is not None) for key in found]


async def a_key(web: Web, name: str, project_id: int | None = None) -> tuple[int, str]:
    async with web.database.write() as connection:
        key, secret = await connection.run_sync(
            lambda sync: create_key(
                sync, project_id or web.project_id, name, False, web.clock.now()
            )
        )
    return key.id, secret


async def test_an_owner_creates_a_key_shown_once_with_a_warning(web: Web) -> None:
    owner = await web.signed_in("ops@example.com")
    base = f"/projects/{web.project_id}/keys"
    created = await owner.post(f"{base}/new", name="terraform", access="read-only")
    assert created.status_code == 200
    assert created.headers["cache-control"] == "no-store"
    found = SECRET.search(created.text)
    assert found
    secret = found.group(1)
    assert "it will not be shown again" in created.text
    assert 'data-copy="new-key-secret"' in created.text
    async with web.database.read() as connection:
        key = await connection.run_sync(active_key, secret)
    assert key is not None
    assert (key.name, key.read_only, key.project_id) == ("terraform", True, web.project_id)
    listing = await owner.client.get(base)
    assert secret not in listing.text
    assert f"{secret[:8]}…" in listing.text
    assert "terraform" in listing.text


async def test_the_page_shows_the_ping_key_and_the_slug_url_form(web: Web) -> None:
    owner = await web.signed_in("ops@example.com")
    page = await owner.client.get(f"/projects/{web.project_id}/keys")
    found = re.search(r'<code id="ping-key">([^<]+)</code>', page.text)
    assert found
    assert f"/ping/{found.group(1)}/&lt;slug&gt;" in page.text
    assert 'href="/projects/' in page.text
    assert ">API keys</a>" in page.text


async def test_revoking_needs_the_box_ticked_and_stops_the_key(web: Web) -> None:
    owner = await web.signed_in("ops@example.com")
    key_id, secret = await a_key(web, "ci")
    revoke = f"/projects/{web.project_id}/keys/{key_id}/revoke"
    assert (await owner.post(revoke)).status_code == 400
    assert await keys_of(web) == [("ci", False, False)]
    assert (await owner.post(revoke, confirm="yes")).status_code == 303
    assert await keys_of(web) == [("ci", False, True)]
    async with web.database.read() as connection:
        assert await connection.run_sync(active_key, secret) is None
    listing = await owner.client.get(f"/projects/{web.project_id}/keys")
    assert f"{key_id}/revoke" not in listing.text


async def test_another_projects_key_cannot_be_revoked_from_here(web: Web) -> None:
    owner = await web.signed_in("ops@example.com")
    theirs, _ = await a_key(web, "theirs", web.other_project_id)
    revoke = f"/projects/{web.project_id}/keys/{theirs}/revoke"
    assert (await owner.post(revoke, confirm="yes")).status_code == 404
    assert (await owner.post(revoke.replace(str(theirs), "x"), confirm="yes")).status_code == 404
    assert await keys_of(web, web.other_project_id) == [("theirs", False, False)]


async def test_a_long_name_is_explained_beside_the_field(web: Web) -> None:
    owner = await web.signed_in("ops@example.com")
    refused = await owner.post(f"/projects/{web.project_id}/keys/new", name="x" * 101)
    assert refused.status_code == 400
    assert "a name has at most 100 characters" in refused.text
    assert await keys_of(web) == []


async def test_members_and_viewers_see_the_list_but_cannot_change_it(web: Web) -> None:
    key_id, _ = await a_key(web, "ci")
    for role in ("member", "viewer"):
        person: Person = await web.signed_in(f"{role}@example.com", role=role)
        base = f"/projects/{web.project_id}/keys"
        page = await person.client.get(base)
        assert page.status_code == 200
        assert "<td>ci</td>" in page.text
        assert "Create a key" not in page.text
        assert "/revoke" not in page.text
        assert (await person.post(f"{base}/new", name="mine")).status_code == 403
        refused = await person.post(f"{base}/{key_id}/revoke", confirm="yes")
        assert refused.status_code == 403
    assert await keys_of(web) == [("ci", False, False)]
