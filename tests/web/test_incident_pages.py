"""The incidents list and an incident's page: members acknowledge, resolve and comment;
viewers only look."""

import pytest

from tests.helpers import incidents_of, timeline
from tests.web.conftest import Web
from tocsin.store.incidents import project_incident_signature
from tocsin.web import incident_pages


async def test_the_list_shows_open_and_past_incidents_with_their_check(web: Web) -> None:
    open_id = await web.incident(name="db backup")
    past_id = await web.incident(name="mail queue")
    owner = await web.signed_in("ops@example.com")
    await owner.post(f"/projects/{web.project_id}/incidents/{past_id}/resolve")
    page = await owner.client.get(f"/projects/{web.project_id}/incidents")
    assert page.status_code == 200
    open_part, past_part = page.text.split("<h2>Past</h2>")
    assert f'data-id="{open_id}"' in open_part
    assert "db backup" in open_part
    assert f'data-id="{past_id}"' in past_part
    assert "ops@example.com" in past_part
    assert "▼" in open_part
    assert "▲" in past_part


async def test_a_member_acknowledges_comments_and_resolves(web: Web) -> None:
    incident_id = await web.incident()
    member = await web.signed_in("ana@example.com", "member")
    path = f"/projects/{web.project_id}/incidents/{incident_id}"
    page = await member.client.get(path)
    assert "failed" in page.text
    assert "Acknowledge" in page.text
    for action, data in (("acknowledge", {}), ("comment", {"text": "on it"}), ("resolve", {})):
        response = await member.post(f"{path}/{action}", **data)
        assert (action, response.status_code) == (action, 303)
        assert response.headers["location"] == path
    kinds = [kind for kind, _ in await timeline(web.database, incident_id)]
    assert kinds[-3:] == ["acknowledged", "comment", "resolved"]
    page = await member.client.get(path)
    assert "on it" in page.text
    assert "by ana@example.com" in page.text
    assert ">Resolve</button>" not in page.text


async def test_a_second_resolve_and_an_empty_comment_are_explained(web: Web) -> None:
    incident_id = await web.incident()
    member = await web.signed_in("ana@example.com", "member")
    path = f"/projects/{web.project_id}/incidents/{incident_id}"
    assert (await member.post(f"{path}/resolve")).status_code == 303
    again = await member.post(f"{path}/resolve")
    assert again.status_code == 409
    assert "already resolved" in again.text
    empty = await member.post(f"{path}/comment", text="  ")
    assert empty.status_code == 400
    assert 'id="text-error"' in empty.text
    too_long = await member.post(f"{path}/comment", text="x" * 2001)
    assert too_long.status_code == 400
    assert "x" * 2001 in too_long.text


async def test_a_viewer_sees_no_buttons_and_is_refused(web: Web) -> None:
    incident_id = await web.incident()
    viewer = await web.signed_in("look@example.com", "viewer")
    path = f"/projects/{web.project_id}/incidents/{incident_id}"
    page = await viewer.client.get(path)
    assert page.status_code == 200
    for button in ("Acknowledge", "Resolve", "Comment"):
        assert f">{button}</button>" not in page.text
    for action in ("acknowledge", "resolve", "comment"):
        assert (await viewer.post(f"{path}/{action}", text="x")).status_code == 403
    assert next(kind for kind, _ in await timeline(web.database, incident_id)) == "opened"
    assert "acknowledged" not in [kind for kind, _ in await timeline(web.database, incident_id)]


async def test_another_projects_incident_is_not_found(web: Web) -> None:
    theirs = await web.incident(web.other_project_id, name="their job")
    owner = await web.signed_in("ops@example.com")
    for path in (f"{theirs}", "0", "abc", "99999999999"):
        url = f"/projects/{web.project_id}/incidents/{path}"
        assert (path, (await owner.client.get(url)).status_code) == (path, 404)
        assert (await owner.post(f"{url}/acknowledge")).status_code == 404


async def test_the_check_page_links_to_its_incidents_only(web: Web) -> None:
    await web.incident(name="other job")
    record = await web.check(name="db backup")
    await web.client().post(f"/ping/{record.uuid}/fail")
    owner = await web.signed_in("ops@example.com")
    checks = await owner.client.get(f"/projects/{web.project_id}/checks")
    assert f'href="/projects/{web.project_id}/incidents"' in checks.text
    page = await owner.client.get(f"/projects/{web.project_id}/checks/{record.uuid}")
    link = f"/projects/{web.project_id}/incidents?check={record.uuid}"
    assert f'href="{link}"' in page.text
    listed = await owner.client.get(link)
    assert "db backup" in listed.text
    assert "other job" not in listed.text


async def test_the_lists_alone_are_served_for_the_live_page_with_the_same_filter(
    web: Web,
) -> None:
    record = await web.check(name="db backup")
    assert (await web.client().post(f"/ping/{record.uuid}/fail")).status_code == 200
    (backup,) = [found.id for found in await incidents_of(web.database, record)]
    mail = await web.incident(name="mail queue")
    viewer = await web.signed_in("vi@example.com", "viewer")
    base = f"/projects/{web.project_id}/incidents"
    page = await viewer.client.get(base)
    assert f'data-live="{base}/events"' in page.text
    lists = await viewer.client.get(f"{base}/lists")
    assert lists.status_code == 200
    assert "<h1>" not in lists.text
    assert f'data-id="{backup}"' in lists.text
    assert f'data-id="{mail}"' in lists.text
    one_check = await viewer.client.get(f"{base}/lists", params={"check": str(record.uuid)})
    assert f'data-id="{backup}"' in one_check.text
    assert f'data-id="{mail}"' not in one_check.text


async def test_the_incident_signature_moves_on_open_acknowledge_and_comment(web: Web) -> None:
    async def signature() -> object:
        async with web.database.read() as connection:
            return await connection.run_sync(project_incident_signature, web.project_id)

    empty = await signature()
    assert empty == (0, None)
    incident_id = await web.incident()
    opened = await signature()
    assert opened != empty
    member = await web.signed_in("ana@example.com", "member")
    path = f"/projects/{web.project_id}/incidents/{incident_id}"
    await member.post(f"{path}/acknowledge")
    acknowledged = await signature()
    assert acknowledged != opened
    await member.post(f"{path}/comment", text="looking")
    assert await signature() != acknowledged


async def test_past_incidents_show_the_newest_and_count_the_rest(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(incident_pages, "PAST_SHOWN", 1)
    owner = await web.signed_in("ops@example.com")
    base = f"/projects/{web.project_id}/incidents"
    ids = [await web.incident(name=name) for name in ("first", "second", "third")]
    for incident_id in ids:
        await owner.post(f"{base}/{incident_id}/resolve")
    open_ = await web.incident(name="still open")
    lists = (await owner.client.get(f"{base}/lists")).text
    open_part, past_part = lists.split("<h2>Past</h2>")
    assert f'data-id="{open_}"' in open_part
    assert [f'data-id="{i}"' in past_part for i in ids] == [False, False, True]
    assert "and 2 older." in past_part
    unknown = await owner.client.get(f"{base}/lists", params={"check": "not-a-uuid"})
    assert "No past incidents." in unknown.text
    assert f'data-id="{open_}"' not in unknown.text


@pytest.mark.parametrize("expiry", ["\u00b2", "9" * 5000])
async def test_an_alert_link_whose_expiry_only_looks_like_digits_is_refused(
    web: Web, expiry: str
) -> None:
    # str.isdigit() takes both, int() neither: each was a 500.
    incident_id = await web.incident()
    token = f"{expiry}.signature"
    client = web.client()
    shown = await client.get(f"/incidents/{incident_id}", params={"token": token})
    assert shown.status_code == 403
    acknowledged = await client.post(f"/incidents/{incident_id}/ack", data={"token": token})
    assert acknowledged.status_code == 403
    assert "acknowledged" not in [kind for kind, _ in await timeline(web.database, incident_id)]
