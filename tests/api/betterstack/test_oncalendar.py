"""An OnCalendar check seen as a Better Stack heartbeat: its period is the gap between
its runs seen most often, as for cron, and writing that period back keeps the schedule."""

from typing import Any

from tests.api.conftest import Api


def bearer(api: Api) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.key}"}


async def test_an_oncalendar_check_shows_the_period_between_its_runs(api: Api) -> None:
    body = {"name": "weekdays", "oncalendar": "Mon..Fri 02:00", "grace": 600}
    made = await api.client.post("/api/tocsin/v1/checks", json=body, headers=bearer(api))
    assert made.status_code == 201, made.text
    listed = (await api.client.get("/api/v2/heartbeats", headers=bearer(api))).json()["data"]
    (found,) = listed
    assert found["attributes"]["period"] == 86400
    path = f"/api/v2/heartbeats/{found['id']}"
    written: Any = await api.client.patch(path, json={"period": 86400}, headers=bearer(api))
    assert written.status_code == 200, written.text
    checks = (await api.client.get("/api/tocsin/v1/checks", headers=bearer(api))).json()
    assert [c["oncalendar"] for c in checks["items"]] == ["Mon..Fri 02:00"]


async def test_past_its_last_occurrence_a_heartbeat_shows_no_far_off_date(api: Api) -> None:
    body = {"name": "y2k1", "oncalendar": "2001-01-01 00:00"}
    made = await api.client.post("/api/tocsin/v1/checks", json=body, headers=bearer(api))
    assert made.status_code == 201, made.text
    pinged = await api.client.post(f"/ping/{made.json()['uuid']}")
    assert pinged.status_code == 200, pinged.text
    listed = await api.client.get("/api/v2/heartbeats", headers=bearer(api))
    (found,) = listed.json()["data"]
    assert (found["attributes"]["status"], found["attributes"]["period"]) == ("up", 365 * 86400)
    assert "3000-" not in listed.text
