"""The Maintenance page, and the snooze controls of a check's page, an incident's page
and the page an alert links to."""

from tests.helpers import timeline
from tests.web.conftest import Web
from tocsin.domain.signing import ACK_PURPOSE, sign


async def test_a_member_adds_and_removes_windows(web: Web) -> None:
    record = await web.check(name="db backup", tags="nas")
    member = await web.signed_in("ana@example.com", "member")
    base = f"/projects/{web.project_id}/maintenance"
    empty = await member.client.get(base)
    assert "No maintenance windows." in empty.text
    added = await member.post(
        base, name="nightly", scope=str(record.id), kind="recurring", start="02:00",
        end="04:00", tz="Europe/Berlin", day="0",
    )  # fmt: skip
    assert added.status_code == 303
    once = await member.post(
        base, name="NAS move", scope="tag", tag="nas", kind="once", starts="2030-01-31 02:00",
        ends="2030-01-31 04:00",
    )  # fmt: skip
    assert once.status_code == 303
    page = await member.client.get(base)
    assert "check db backup" in page.text
    assert "every Mon, 02:00 to 04:00 Europe/Berlin" in page.text
    assert "tag nas" in page.text
    assert "once, 2030-01-31 02:00 to 2030-01-31 04:00 UTC" in page.text
    check_page = await member.client.get(f"/projects/{web.project_id}/checks/{record.uuid}")
    assert "nightly: mon 02:00-04:00" in check_page.text
    assert "NAS move" in check_page.text
    removed = await member.post(f"{base}/1/remove")
    assert removed.status_code == 303
    assert "nightly" not in (await member.client.get(base)).text
    assert (await member.post(f"{base}/99/remove")).status_code == 404


async def test_the_edit_form_says_which_windows_apply_and_a_new_check_only_links(
    web: Web,
) -> None:
    record = await web.check(name="db backup", tags="nas")
    other = await web.check(name="other")
    member = await web.signed_in("ana@example.com", "member")
    base = f"/projects/{web.project_id}/maintenance"
    checks = f"/projects/{web.project_id}/checks"
    edit = f"{checks}/{record.uuid}/edit"
    assert "No maintenance window covers this check." in (await member.client.get(edit)).text
    for window in (
        {"name": "nightly", "scope": str(record.id), "kind": "recurring", "day": "0",
         "start": "02:00", "end": "04:00", "tz": "Europe/Berlin"},
        {"name": "NAS move", "scope": "tag", "tag": "nas", "kind": "once",
         "starts": "2030-01-31 02:00", "ends": "2030-01-31 04:00"},
        {"name": "not this one", "scope": str(other.id), "kind": "once",
         "starts": "2030-01-31 02:00", "ends": "2030-01-31 04:00"},
    ):  # fmt: skip
        assert (await member.post(base, **window)).status_code == 303
    assert (await member.post(f"{checks}/{record.uuid}/snooze", duration="2h")).status_code == 303
    form = (await member.client.get(edit)).text
    assert "nightly: every Mon, 02:00 to 04:00 Europe/Berlin, for this check" in form
    assert (
        "NAS move: once, 2030-01-31 02:00 to 2030-01-31 04:00 UTC, for every check tagged nas"
    ) in form
    assert "Snoozed by ana@example.com until" in form
    assert "not this one" not in form
    assert f'href="{base}"' in form
    refused = (await member.post(edit, name="db backup", kind="period", period="1x")).text
    assert "nightly: every Mon" in refused  # still listed beside the error
    new = (await member.client.get(f"{checks}/new")).text
    assert 'id="form-windows"' not in new
    assert f'href="{base}"' in new


async def test_a_bad_window_is_explained_beside_the_form(web: Web) -> None:
    member = await web.signed_in("ana@example.com", "member")
    base = f"/projects/{web.project_id}/maintenance"
    for data, problem in (
        ({"name": "x", "kind": "recurring", "start": "02:00", "end": "04:00"}, "at least one day"),
        ({"name": "x", "kind": "recurring", "day": "0", "start": "2am", "end": "4"}, "time of day"),
        ({"name": "x", "kind": "once", "starts": "soon", "ends": "later"}, "not a date"),
        ({"name": "", "kind": "once", "starts": "2030-01-01", "ends": "2030-01-02"}, "a name"),
        ({"name": "x", "scope": "123456", "kind": "once", "starts": "2030-01-01",
          "ends": "2030-01-02"}, "choose a check"),
    ):  # fmt: skip
        response = await member.post(base, **data)
        assert (response.status_code, problem in response.text) == (400, True), response.text


async def test_a_viewer_sees_no_form_and_is_refused(web: Web) -> None:
    viewer = await web.signed_in("vic@example.com", "viewer")
    base = f"/projects/{web.project_id}/maintenance"
    assert "Add a window" not in (await viewer.client.get(base)).text
    assert (await viewer.post(base, name="x")).status_code == 403


async def test_a_check_is_snoozed_and_woken_from_its_page(web: Web) -> None:
    record = await web.check(name="db backup")
    member = await web.signed_in("ana@example.com", "member")
    path = f"/projects/{web.project_id}/checks/{record.uuid}"
    assert (await member.post(f"{path}/snooze", duration="2h")).status_code == 303
    assert "Snoozed by ana@example.com until" in (await member.client.get(path)).text
    assert (await member.post(f"{path}/unsnooze")).status_code == 303
    assert "Snoozed by" not in (await member.client.get(path)).text
    assert (await member.post(f"{path}/unsnooze")).status_code == 409
    assert (await member.post(f"{path}/snooze", duration="forever")).status_code == 400


async def test_an_incident_is_snoozed_and_woken_from_its_page(web: Web) -> None:
    incident_id = await web.incident()
    member = await web.signed_in("ana@example.com", "member")
    path = f"/projects/{web.project_id}/incidents/{incident_id}"
    assert "Snooze 2h" in (await member.client.get(path)).text
    assert (await member.post(f"{path}/snooze", duration="2h")).status_code == 303
    assert "Snoozed by ana@example.com until" in (await member.client.get(path)).text
    assert (await member.post(f"{path}/unsnooze")).status_code == 303
    kinds = [kind for kind, _ in await timeline(web.database, incident_id)]
    assert kinds[-2:] == ["snoozed", "unsnoozed"]
    await member.post(f"{path}/resolve")
    assert (await member.post(f"{path}/snooze")).status_code == 409


async def test_the_alerts_link_snoozes_for_two_hours(web: Web) -> None:
    incident_id = await web.incident()
    secret = web.app.web.state.services.secret
    token = sign(secret, ACK_PURPOSE, incident_id, web.clock.now().replace(year=2100))
    client = web.client()
    page = await client.get(f"/incidents/{incident_id}", params={"token": token})
    assert "Snooze 2h" in page.text
    snoozed = await client.post(
        f"/incidents/{incident_id}/snooze", data={"token": token, "by": "Ana"}
    )
    assert snoozed.status_code == 303
    shown = await client.get(snoozed.headers["location"])
    assert "Snoozed for 2 hours" in shown.text
    assert "<strong>snoozed</strong> by Ana: snoozed until" in shown.text
    forged = await client.post(f"/incidents/{incident_id}/snooze", data={"token": "1.x"})
    assert forged.status_code == 403
