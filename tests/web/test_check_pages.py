"""The checks table, a check's page, the create form, and what viewers may not do."""

import re
from datetime import timedelta

from tests.helpers import reload
from tests.web.conftest import Web
from tocsin.domain.checks import Status
from tocsin.domain.schedule import Period

FILLED = {"name": "", "tags": "", "kind": "period", "period": "1d", "grace": "1h"}
FILLED |= {"cron": "0 2 * * *", "tz": "UTC"}


def rows_of(text: str) -> list[str]:
    return [part.split('"', 1)[0] for part in text.split('data-uuid="')[1:]]


async def test_the_checks_page_shows_status_by_word_and_icon_schedule_and_times(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    await web.check(name="db backup", tags="prod db")
    page = await person.client.get(f"/projects/{web.project_id}/checks")
    assert page.status_code == 200
    for words in ("db backup", "every 1d", "○</span> new", "after the first ping", ">prod<"):
        assert words in page.text


async def test_filters_and_sorting_run_on_the_server(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    backup = await web.check(name="b backup", tags="prod")
    report = await web.check(name="a report", tags="staging")
    base = f"/projects/{web.project_id}/checks"
    everything = await person.client.get(base)
    assert rows_of(everything.text) == [str(report.uuid), str(backup.uuid)]
    for query, expected in (
        ("?tag=prod", [backup]),
        ("?q=REPORT", [report]),
        ("?status=new", [report, backup]),
        ("?status=down", []),
        ("?sort=nonsense&tag=", [report, backup]),
    ):
        page = await person.client.get(base + "/rows" + query)
        assert rows_of(page.text) == [str(c.uuid) for c in expected], query
    assert "No check matches these filters." in (await person.client.get(base + "?status=up")).text


async def test_creating_a_check_shows_its_ping_urls(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    base = f"/projects/{web.project_id}/checks"
    form = {"name": "nightly", "tags": " a  b ", "kind": "cron", "cron": "0 2 * * *"}
    created = await person.post(f"{base}/new", **form, tz="Asia/Tokyo", grace="30m")
    assert created.status_code == 303
    page = await person.client.get(created.headers["location"])
    assert "cron 0 2 * * * (Asia/Tokyo), grace 30m" in page.text
    assert "https://tocsin.example/ping/" in page.text
    assert "https://tocsin.example/api/v1/heartbeat/" in page.text
    assert "0 2 * * * /path/to/job.sh &amp;&amp; curl -fsS" in page.text


async def test_a_bad_field_is_explained_beside_it_and_nothing_is_created(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    base = f"/projects/{web.project_id}/checks"
    for fields, problem in (
        ({"period": "soon"}, "invalid duration &#39;soon&#39;"),
        ({"period": "0s"}, "period must be between 1s and 52w1d, not 0s"),
        ({"grace": "-1h"}, "invalid duration"),
        ({"kind": "cron", "cron": "every day"}, "it needs 5 fields"),
        ({"kind": "cron", "tz": "Mars/Olympus"}, "unknown time zone"),
        ({"kind": "sometimes"}, "choose a period, a cron expression or OnCalendar expressions"),
        ({"name": "x" * 101}, "a name has at most 100 characters"),
    ):
        refused = await person.post(f"{base}/new", **{**FILLED, **fields})
        assert refused.status_code == 400, fields
        assert problem in refused.text, fields
    assert rows_of((await person.client.get(base)).text) == []


async def test_pause_resume_and_delete_with_confirmation(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    check = await web.check(name="db backup")
    page = f"/projects/{web.project_id}/checks/{check.uuid}"
    assert (await person.post(f"{page}/pause")).status_code == 303
    assert (await reload(web.database, check)).state.status == Status.PAUSED
    assert "Resume" in (await person.client.get(page)).text
    assert (await person.post(f"{page}/resume")).status_code == 303
    assert (await reload(web.database, check)).state.status == Status.NEW
    unconfirmed = await person.post(f"{page}/delete")
    assert unconfirmed.status_code == 400
    assert (await person.post(f"{page}/delete", confirm="yes")).status_code == 303
    assert (await person.client.get(page)).status_code == 404


async def test_a_viewer_sees_no_buttons_and_cannot_change_anything(web: Web) -> None:
    viewer = await web.signed_in("look@example.com", role="viewer")
    check = await web.check(name="db backup")
    base = f"/projects/{web.project_id}/checks"
    listing = await viewer.client.get(base)
    detail = await viewer.client.get(f"{base}/{check.uuid}")
    assert "New check" not in listing.text
    assert not any(word in detail.text for word in (">Pause<", ">Delete<", "/pause", "/delete"))
    for path in (f"{base}/{check.uuid}/pause", f"{base}/{check.uuid}/delete", f"{base}/new"):
        refused = await viewer.post(path, confirm="yes", name="x")
        assert refused.status_code == 403
        assert "Viewers can look at this project but not change it." in refused.text
    assert (await reload(web.database, check)).state.status == Status.NEW


async def test_a_user_of_several_projects_picks_one(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    await web.user_in("ops@example.com", web.other_project_id, "viewer")
    home = await person.client.get("/")
    assert home.status_code == 200
    assert f"/projects/{web.other_project_id}/checks" in home.text
    assert "(viewer)" in home.text


async def test_every_field_in_error_is_explained_at_once(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    base = f"/projects/{web.project_id}/checks"
    sent = {**FILLED, "name": " ", "kind": "cron", "cron": "every day", "tz": "Mars/Olympus"}
    refused = await person.post(f"{base}/new", **{**sent, "grace": "90"})
    assert refused.status_code == 400
    for field, problem in (
        ("name", "a check needs a name people recognise"),
        ("cron", "it needs 5 fields"),
        ("tz", "unknown time zone"),
        ("grace", "a unit is required"),
    ):
        shown = re.search(rf'id="{field}-error">([^<]*)<', refused.text)
        assert shown is not None, field
        assert problem in shown.group(1).replace("&#39;", "'"), field
    assert rows_of((await person.client.get(base)).text) == []


async def test_the_new_check_form_starts_on_a_daily_schedule(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    page = await person.client.get(f"/projects/{web.project_id}/checks/new")
    assert 'value="cron" checked' in page.text
    assert 'value="period" checked' not in page.text
    assert 'id="cron" name="cron" value="0 2 * * *"' in page.text
    assert "For a job that runs at set times, such as a nightly backup" in page.text


async def test_a_check_on_a_period_of_a_day_shows_a_hint_to_use_a_schedule(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    daily = await web.check(name="db backup")  # every 1d
    page = await person.client.get(f"/projects/{web.project_id}/checks/{daily.uuid}")
    assert 'id="schedule-hint">A job that runs every 1d is better watched with a schedule' in (
        page.text.replace("&#39;", "'")
    )
    assert f'/checks/{daily.uuid}/edit">Change the schedule</a>' in page.text
    hourly = await web.check(name="sync", schedule=Period(timedelta(hours=1)))
    page = await person.client.get(f"/projects/{web.project_id}/checks/{hourly.uuid}")
    assert "schedule-hint" not in page.text
