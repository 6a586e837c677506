"""OnCalendar schedules in the web app: the form's third kind of schedule, read and
filled in like cron's, its live preview, and a save through the same action as the APIs."""

from datetime import timedelta

from tests.web.conftest import Web
from tocsin.domain.records import NewCheck
from tocsin.domain.schedule import OnCalendar
from tocsin.store import checks as check_store
from tocsin.web.check_form import DEFAULTS, form_of, read_check_form

TWO_LINES = "Mon..Fri 02:00\nSat 04:00"


def test_the_form_reads_oncalendar_expressions_in_a_zone() -> None:
    spec, form = read_check_form(
        {"name": "backup", "kind": "oncalendar", "oncalendar": " Mon..Fri 02:00\r\nSat 04:00\r\n"}
        | {"tz": "Europe/Berlin", "cron": "not read", "period": "not read either"}
    )
    assert form.errors == {}
    assert spec is not None
    assert (spec.schedule, spec.tz) == (OnCalendar(TWO_LINES, "Europe/Berlin"), "Europe/Berlin")


def test_a_bad_expression_is_noted_beside_it_and_a_bad_zone_beside_the_zone() -> None:
    spec, form = read_check_form(
        {"name": "b", "kind": "oncalendar", "oncalendar": "Mon 25:00", "tz": "Mars/Olympus"}
    )
    assert spec is None
    assert form.errors == {
        "oncalendar": "invalid OnCalendar expression 'Mon 25:00': Bad hour",
        "tz": "unknown time zone 'Mars/Olympus': use an IANA name such as Europe/Berlin or UTC",
    }


def test_an_oncalendar_check_fills_in_the_form_it_reads_back_from() -> None:
    spec = NewCheck(OnCalendar(TWO_LINES, "Asia/Tokyo"), timedelta(0), name="j", tz="Asia/Tokyo")
    form = form_of(spec)
    assert (form.values["kind"], form.values["oncalendar"], form.values["tz"]) == (
        "oncalendar",
        TWO_LINES,
        "Asia/Tokyo",
    )
    assert form.values["cron"] == DEFAULTS["cron"]
    assert read_check_form(form.values)[0] == spec


async def test_the_page_offers_the_kind_and_shows_the_expressions(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    check = await web.check(name="backup", schedule=OnCalendar(TWO_LINES, "Europe/Berlin"))
    edit = await person.client.get(f"/projects/{web.project_id}/checks/{check.uuid}/edit")
    assert 'value="oncalendar" checked' in edit.text
    assert f">{TWO_LINES}</textarea>" in edit.text
    page = await person.client.get(f"/projects/{web.project_id}/checks/{check.uuid}")
    assert "OnCalendar Mon..Fri 02:00; Sat 04:00 (Europe/Berlin), grace" in page.text
    listed = await person.client.get(f"/projects/{web.project_id}/checks")
    assert "OnCalendar Mon..Fri 02:00; Sat 04:00 (Europe/Berlin)" in listed.text


async def test_saving_an_oncalendar_schedule_stores_it(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    check = await web.check(name="db backup")
    page = f"/projects/{web.project_id}/checks/{check.uuid}"
    fields = {"name": "db backup", "kind": "oncalendar", "oncalendar": TWO_LINES}
    saved = await person.post(f"{page}/edit", **fields, tz="Europe/Berlin", grace="1h")
    assert saved.status_code == 303, saved.text
    async with web.database.read() as connection:
        details = await connection.run_sync(check_store.details_by_uuid, check.uuid)
    assert details is not None
    assert details.spec.schedule == OnCalendar(TWO_LINES, "Europe/Berlin")
    refused = await person.post(f"{page}/edit", **{**fields, "oncalendar": "Funday"}, grace="1h")
    assert refused.status_code == 400
    assert "invalid OnCalendar expression &#39;Funday&#39;: Bad day-of-week" in refused.text


async def test_the_preview_lists_the_next_times_of_oncalendar_expressions(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    preview = f"/projects/{web.project_id}/schedule-preview"
    params = {"kind": "oncalendar", "oncalendar": "Mon..Fri 02:00", "tz": "Asia/Tokyo"}
    shown = (await person.client.get(preview, params=params)).json()
    assert shown["words"] == "OnCalendar Mon..Fri 02:00 (Asia/Tokyo)"
    assert len(shown["times"]) == 5
    assert all(t["local"].endswith("02:00 JST") for t in shown["times"])
    assert not any(t["local"].startswith(("Sat", "Sun")) for t in shown["times"])
    bad = await person.client.get(preview, params={**params, "oncalendar": "Mon 25:00"})
    assert bad.json() == {"error": "invalid OnCalendar expression 'Mon 25:00': Bad hour"}
    ended = await person.client.get(preview, params={**params, "oncalendar": "2001-01-01"})
    assert ended.json()["times"] == []
    empty = await person.client.get(preview, params={**params, "oncalendar": ""})
    assert "OnCalendar expression is empty" in empty.json()["error"]
