"""Editing a check: the form shows its settings, a save re-derives the deadline as the
APIs do, bad fields are explained beside them, viewers are refused; and the live preview
of a cron schedule."""

from dataclasses import replace
from datetime import datetime, timedelta

from tests.helpers import reload
from tests.web.conftest import Web
from tocsin.domain.checks import CheckState, Status, alert_after
from tocsin.domain.schedule import Cron, Period
from tocsin.store import checks as check_store

EDITED = {
    "name": "nightly backup",
    "slug": "nightly-backup",
    "tags": " prod  db ",
    "description": "Runs on db-1.",
    "kind": "cron",
    "period": "1d",
    "cron": "30 3 * * *",
    "tz": "Europe/Berlin",
    "grace": "45m",
    "post_only": "yes",
    "manual_resume": "yes",
}


async def test_the_edit_form_shows_the_checks_settings(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    check = await web.check(name="db backup", slug="db-backup", tags="prod", description="hi")
    page = await person.client.get(f"/projects/{web.project_id}/checks/{check.uuid}/edit")
    assert page.status_code == 200
    for shown in ('value="db backup"', 'value="db-backup"', 'value="prod"', ">hi</textarea>"):
        assert shown in page.text
    assert 'name="period" value="1d"' in page.text
    assert 'name="grace" value="1h"' in page.text


async def test_saving_changes_every_setting_and_rederives_the_deadline(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    check = await web.check(name="db backup")
    async with web.database.write() as connection:
        await connection.run_sync(check_store.apply_transition, check, up_now, web.clock.now())
    page = f"/projects/{web.project_id}/checks/{check.uuid}"
    saved = await person.post(f"{page}/edit", **EDITED)
    assert saved.status_code == 303
    assert saved.headers["location"] == page
    async with web.database.read() as connection:
        details = await connection.run_sync(check_store.details_by_uuid, check.uuid)
    assert details is not None
    spec = details.spec
    assert (spec.name, spec.slug, spec.tags, spec.description) == (
        "nightly backup",
        "nightly-backup",
        "prod db",
        "Runs on db-1.",
    )
    assert spec.schedule == Cron("30 3 * * *", "Europe/Berlin")
    assert (spec.grace, spec.methods, spec.manual_resume) == (timedelta(minutes=45), "POST", True)
    record = details.record
    assert record.alert_after == alert_after(record.state)
    assert record.alert_after is not None
    assert record.alert_after.minute == (30 + 45) % 60


def up_now(state: CheckState, now: datetime) -> tuple[CheckState, None]:
    return replace(state, status=Status.UP, last_ping=now), None


async def test_unticked_boxes_and_a_period_turn_the_options_off(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    check = await web.check(name="db backup", methods="POST", manual_resume=True)
    form = {**EDITED, "kind": "period", "period": "2h", "tz": "Asia/Tokyo"}
    del form["post_only"], form["manual_resume"]
    await person.post(f"/projects/{web.project_id}/checks/{check.uuid}/edit", **form)
    record = await reload(web.database, check)
    assert record.state.schedule == Period(timedelta(hours=2))
    assert (record.state.post_only, record.state.manual_resume) == (False, False)


async def test_a_bad_field_is_explained_beside_it_and_nothing_changes(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    check = await web.check(name="db backup")
    edit = f"/projects/{web.project_id}/checks/{check.uuid}/edit"
    for fields, problem in (
        ({"cron": "61 * * * *"}, "invalid cron expression"),
        ({"tz": "Mars/Olympus"}, "unknown time zone"),
        ({"grace": "soon"}, "invalid duration"),
        ({"slug": "Not A Slug"}, "a slug is at most 100 lower-case letters"),
        ({"description": "x" * 10_001}, "a description has at most 10000 characters"),
    ):
        refused = await person.post(edit, **{**EDITED, **fields})
        assert refused.status_code == 400, fields
        assert problem in refused.text, fields
        assert 'value="nightly backup"' in refused.text  # what was typed stays
    assert (await reload(web.database, check)).name == "db backup"


async def test_a_viewer_cannot_edit(web: Web) -> None:
    viewer = await web.signed_in("look@example.com", role="viewer")
    check = await web.check(name="db backup")
    edit = f"/projects/{web.project_id}/checks/{check.uuid}/edit"
    assert (await viewer.client.get(edit)).status_code == 403
    assert (await viewer.post(edit, **EDITED)).status_code == 403
    assert "/edit" not in (await viewer.client.get(edit.removesuffix("/edit"))).text
    assert (await reload(web.database, check)).name == "db backup"


async def test_the_preview_explains_a_cron_schedule_and_lists_its_next_times(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    preview = f"/projects/{web.project_id}/schedule-preview"
    answer = await person.client.get(preview, params={"cron": "0 2 * * 1-5", "tz": "Asia/Tokyo"})
    assert answer.status_code == 200
    shown = answer.json()
    assert shown["words"] == "At 02:00, Monday through Friday"
    assert len(shown["times"]) == 5
    assert all(t["local"].endswith("02:00 JST") for t in shown["times"])
    assert not any(t["local"].startswith(("Sat", "Sun")) for t in shown["times"])
    bad = await person.client.get(preview, params={"cron": "0 2 * *", "tz": "UTC"})
    assert "it needs 5 fields" in bad.json()["error"]
    zone = await person.client.get(preview, params={"cron": "0 2 * * *", "tz": "Nowhere"})
    assert "unknown time zone" in zone.json()["error"]
