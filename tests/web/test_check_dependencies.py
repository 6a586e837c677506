"""A check's parents in the web app: ticked in the form's "more rules", refused beside
their field when they would close a cycle, listed (with links) on both checks' pages,
and a held incident's page says what holds it."""

import uuid

import httpx

from tests.helpers import incidents_of
from tests.web.conftest import Person, Web
from tests.web.test_check_alerting import FILLED, created_check
from tocsin.domain.records import CheckRecord


async def create(person: Person, web: Web, name: str, *parents: CheckRecord) -> CheckRecord:
    response = await person.client.post(
        f"/projects/{web.project_id}/checks/new",
        data={
            "csrf_token": person.csrf,
            **FILLED,
            "name": name,
            "parent": [str(p.uuid) for p in parents],
        },
    )
    return await created_check(web, response)


async def test_parents_are_ticked_saved_and_listed_on_both_pages(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    nas = await create(person, web, "nas")
    form = await person.client.get(f"/projects/{web.project_id}/checks/new")
    assert 'id="more-rules"' in form.text
    assert f'name="parent" value="{nas.uuid}"' in form.text

    backup = await create(person, web, "backup", nas)
    base = f"/projects/{web.project_id}/checks"
    child_page = (await person.client.get(f"{base}/{backup.uuid}")).text
    assert "Depends on" in child_page
    assert f'href="{base}/{nas.uuid}">nas</a>' in child_page
    parent_page = (await person.client.get(f"{base}/{nas.uuid}")).text
    assert f'href="{base}/{backup.uuid}">backup</a>' in parent_page

    edit = (await person.client.get(f"{base}/{backup.uuid}/edit")).text
    assert f'value="{nas.uuid}" checked' in edit
    assert 'class="more-rules" open' in edit  # a rule under it is set
    assert f'value="{backup.uuid}"' not in edit  # not its own parent


async def test_a_cycle_is_refused_beside_the_field(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    nas = await create(person, web, "nas")
    backup = await create(person, web, "backup", nas)
    response = await edit(person, web, nas, backup.uuid)
    assert response.status_code == 400
    assert 'id="parents-error"' in response.text
    assert "nas -&gt; backup -&gt; nas" in response.text


async def test_a_stranger_is_refused_beside_the_field(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    nas = await create(person, web, "nas")
    response = await edit(person, web, nas, uuid.uuid4())
    assert response.status_code == 400
    assert "choose among this project&#39;s checks" in response.text


async def edit(person: Person, web: Web, check: CheckRecord, parent: uuid.UUID) -> httpx.Response:
    return await person.client.post(
        f"/projects/{web.project_id}/checks/{check.uuid}/edit",
        data={"csrf_token": person.csrf, **FILLED, "name": check.name, "parent": [str(parent)]},
    )


async def test_a_held_incident_says_what_holds_it_and_the_parents_says_what_it_holds(
    web: Web,
) -> None:
    person = await web.signed_in("ops@example.com")
    nas = await create(person, web, "nas")
    backup = await create(person, web, "backup", nas)
    for check in (nas, backup):
        response = await web.client().post(f"/ping/{check.uuid}/fail")
        assert response.status_code == 200
    [parent_incident] = await incidents_of(web.database, nas)
    [held] = await incidents_of(web.database, backup)
    base = f"/projects/{web.project_id}/incidents"

    held_page = (await person.client.get(f"{base}/{held.id}")).text
    assert "parent nas is down: this incident notifies nobody" in held_page
    assert "held: parent nas is down" in held_page  # on the timeline
    parent_page = (await person.client.get(f"{base}/{parent_incident.id}")).text
    assert '<dd id="holding">backup:' in parent_page
    listed = (await person.client.get(base)).text
    assert listed.count(">held</span>") == 1  # the backup's, not the NAS's
