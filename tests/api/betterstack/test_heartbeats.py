"""The Better Stack contract for heartbeats and heartbeat groups: shapes, pagination
across pages, partial updates, deadlines that follow a new period, and group pauses."""

from datetime import timedelta
from typing import Any

import httpx
import sqlalchemy as sa

from tests.api.conftest import SITE, Api
from tocsin.store.tables import checks


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def call(
    api: Api, method: str, path: str, body: Any = None, key: str | None = None
) -> httpx.Response:
    headers = bearer(api.key if key is None else key)
    return await api.client.request(method, path, json=body, headers=headers)


async def new_heartbeat(api: Api, **fields: Any) -> dict[str, Any]:
    body = {"name": "backup", "period": 3600, "grace": 300, **fields}
    response = await call(api, "POST", "/api/v2/heartbeats", body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()["data"]
    return created


async def alert_after(api: Api, heartbeat_id: str) -> Any:
    query = sa.select(checks.c.alert_after).where(checks.c.id == int(heartbeat_id))
    async with api.database.read() as connection:
        return await connection.scalar(query)


async def test_a_new_heartbeat_has_the_attributes_better_stack_gives(api: Api) -> None:
    created = await new_heartbeat(api)
    attributes = created["attributes"]
    assert created["type"] == "heartbeat"
    assert isinstance(created["id"], str)
    assert attributes["url"].startswith(f"{SITE}/api/v1/heartbeat/")
    assert attributes | {"url": None, "created_at": None, "updated_at": None} == {
        "url": None,
        "name": "backup",
        "period": 3600,
        "grace": 300,
        "email": False,
        "call": False,
        "sms": False,
        "push": False,
        "critical_alert": False,
        "team_wait": None,
        "team_name": None,
        "policy_id": None,
        "heartbeat_group_id": None,
        "sort_index": None,
        "paused": False,
        "paused_at": None,
        "maintenance_days": [],
        "maintenance_from": None,
        "maintenance_to": None,
        "maintenance_timezone": "UTC",
        "status": "pending",
        "created_at": None,
        "updated_at": None,
    }
    again = await call(api, "GET", f"/api/v3/heartbeats/{created['id']}")
    assert again.json() == {"data": created}


async def test_the_ping_url_turns_the_heartbeat_up_and_a_read_only_key_never_sees_it(
    api: Api,
) -> None:
    created = await new_heartbeat(api)
    url = created["attributes"]["url"].removeprefix(SITE)
    assert (await api.client.get(url)).status_code == 200
    shown = await call(api, "GET", f"/api/v2/heartbeats/{created['id']}", key=api.read_key)
    assert shown.json()["data"]["attributes"]["status"] == "up"
    assert shown.json()["data"]["attributes"]["url"] is None


async def test_lists_page_by_next_and_by_last_alike(api: Api) -> None:
    for n in range(5):
        await new_heartbeat(api, name=f"job {n}")
    first = (await call(api, "GET", "/api/v2/heartbeats?per_page=2")).json()
    assert first["pagination"] == {
        "first": f"{SITE}/api/v2/heartbeats?page=1&per_page=2",
        "last": f"{SITE}/api/v2/heartbeats?page=3&per_page=2",
        "prev": None,
        "next": f"{SITE}/api/v2/heartbeats?page=2&per_page=2",
    }
    names, page = [], first
    while True:
        names += [h["attributes"]["name"] for h in page["data"]]
        if page["pagination"]["next"] is None:
            break
        page = (await call(api, "GET", page["pagination"]["next"])).json()
    assert names == [f"job {n}" for n in range(5)]
    third = (await call(api, "GET", "/api/v2/heartbeats?page=3&per_page=2")).json()
    assert [h["attributes"]["name"] for h in third["data"]] == ["job 4"]
    assert third["pagination"]["prev"] == f"{SITE}/api/v2/heartbeats?page=2&per_page=2"
    default = (await call(api, "GET", "/api/v2/heartbeats")).json()
    assert len(default["data"]) == 5
    assert default["pagination"]["next"] is None


async def test_a_patch_changes_only_what_it_sends_and_moves_the_deadline(api: Api) -> None:
    created = await new_heartbeat(api)
    heartbeat_id = created["id"]
    await api.client.get(created["attributes"]["url"].removeprefix(SITE))
    before = await alert_after(api, heartbeat_id)
    assert before == api.clock.now() + timedelta(seconds=3900)
    response = await call(api, "PATCH", f"/api/v2/heartbeats/{heartbeat_id}", {"period": 60})
    assert response.status_code == 200, response.text
    attributes = response.json()["data"]["attributes"]
    assert (attributes["name"], attributes["period"], attributes["grace"]) == ("backup", 60, 300)
    assert await alert_after(api, heartbeat_id) == api.clock.now() + timedelta(seconds=360)


async def test_pausing_and_resuming_by_patch(api: Api) -> None:
    created = await new_heartbeat(api)
    path = f"/api/v2/heartbeats/{created['id']}"
    paused = (await call(api, "PATCH", path, {"paused": True})).json()["data"]["attributes"]
    assert (paused["status"], paused["paused"]) == ("paused", True)
    assert paused["paused_at"] is not None
    resumed = (await call(api, "PATCH", path, {"paused": False})).json()["data"]["attributes"]
    assert (resumed["status"], resumed["paused_at"]) == ("pending", None)


async def test_deleting_a_heartbeat(api: Api) -> None:
    created = await new_heartbeat(api)
    path = f"/api/v2/heartbeats/{created['id']}"
    deleted = await call(api, "DELETE", path)
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert (await call(api, "GET", path)).status_code == 404


async def test_a_group_pause_holds_its_heartbeats_and_a_resume_releases_them(api: Api) -> None:
    group = (await call(api, "POST", "/api/v2/heartbeat-groups", {"name": "nightly"})).json()
    group_id = group["data"]["id"]
    assert group["data"]["type"] == "heartbeat_group"
    inside = await new_heartbeat(api, heartbeat_group_id=int(group_id), sort_index=2)
    outside = await new_heartbeat(api, name="other")
    assert inside["attributes"]["heartbeat_group_id"] == int(group_id)

    path = f"/api/v2/heartbeat-groups/{group_id}"
    paused = await call(api, "PATCH", path, {"paused": True})
    assert paused.json()["data"]["attributes"]["paused"] is True
    members = (await call(api, "GET", f"{path}/heartbeats")).json()["data"]
    assert [(h["id"], h["attributes"]["status"]) for h in members] == [(inside["id"], "paused")]
    other = await call(api, "GET", f"/api/v2/heartbeats/{outside['id']}")
    assert other.json()["data"]["attributes"]["status"] == "pending"
    joining = await new_heartbeat(api, name="late joiner", heartbeat_group_id=group_id)
    assert joining["attributes"]["status"] == "paused"

    await call(api, "PATCH", path, {"paused": False})
    members = (await call(api, "GET", f"{path}/heartbeats")).json()["data"]
    assert {h["attributes"]["status"] for h in members} == {"pending"}

    assert (await call(api, "DELETE", path)).status_code == 204
    kept = await call(api, "GET", f"/api/v2/heartbeats/{inside['id']}")
    assert kept.json()["data"]["attributes"]["heartbeat_group_id"] is None


async def test_another_projects_heartbeat_is_not_found(api: Api) -> None:
    theirs = await call(
        api, "POST", "/api/v2/heartbeats", {"name": "t", "period": 60, "grace": 0}, api.other_key
    )
    found = await call(api, "GET", f"/api/v2/heartbeats/{theirs.json()['data']['id']}")
    assert found.status_code == 404
    assert "errors" in found.json()


async def test_a_maintenance_window_is_set_shown_changed_and_cleared(api: Api) -> None:
    window = {
        "maintenance_days": ["mon", "tue"],
        "maintenance_from": "23:00:00",
        "maintenance_to": "02:00:00",
        "maintenance_timezone": "Europe/Amsterdam",
    }
    created = await new_heartbeat(api, **window)
    attributes = created["attributes"]
    assert {key: attributes[key] for key in window} == window
    path = f"/api/v2/heartbeats/{created['id']}"
    changed = await call(api, "PATCH", path, {"maintenance_to": "03:30:00"})
    assert changed.status_code == 200, changed.text
    shown = changed.json()["data"]["attributes"]
    assert (shown["maintenance_days"], shown["maintenance_to"]) == (["mon", "tue"], "03:30:00")
    cleared = await call(api, "PATCH", path, {"maintenance_days": []})
    assert cleared.json()["data"]["attributes"]["maintenance_from"] is None


async def test_a_deadline_inside_the_window_moves_to_its_end(api: Api) -> None:
    # The test clock stands at a known moment: open a window around the deadline.
    deadline = api.clock.now() + timedelta(seconds=3900)
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[deadline.weekday()]
    start = (deadline - timedelta(minutes=10)).time().replace(microsecond=0)
    end = (deadline + timedelta(minutes=50)).time().replace(microsecond=0)
    if end <= start:  # the window would cross midnight: keep to whole days instead
        start = end = start.replace(hour=0, minute=0, second=0)
    created = await new_heartbeat(
        api,
        maintenance_days=[day],
        maintenance_from=start.isoformat(),
        maintenance_to=end.isoformat(),
    )
    await api.client.get(created["attributes"]["url"].removeprefix(SITE))
    moved = await alert_after(api, created["id"])
    assert moved > deadline
    assert moved.time().replace(microsecond=0) == end


async def test_a_bad_maintenance_window_names_the_attribute_at_fault(api: Api) -> None:
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"maintenance_days": ["funday"]}, "maintenance_days", "unknown weekday funday"),
        ({"maintenance_days": ["mon"]}, "maintenance_from", "is required with maintenance_days."),
        (
            {"maintenance_days": ["mon"], "maintenance_from": "25:00", "maintenance_to": "01:00"},
            "maintenance_from",
            "invalid time of day '25:00'",
        ),
        (
            {
                "maintenance_days": ["mon"],
                "maintenance_from": "01:00",
                "maintenance_to": "02:00",
                "maintenance_timezone": "Amsterdam",
            },
            "maintenance_timezone",
            "unknown time zone 'Amsterdam'",
        ),
    ]
    for fields, attribute, message in cases:
        body = {"name": "backup", "period": 3600, "grace": 300, **fields}
        response = await call(api, "POST", "/api/v2/heartbeats", body)
        assert response.status_code == 422, (fields, response.text)
        assert response.json()["errors"][attribute][0].startswith(message), response.text


async def cron_heartbeat(api: Api, cron: str) -> dict[str, Any]:
    """A check on a cron schedule (Better Stack's API cannot make one), as a heartbeat."""
    body = {"name": "nightly", "cron": cron, "tz": "Europe/Berlin", "grace": 600}
    made = await call(api, "POST", "/api/tocsin/v1/checks", body)
    assert made.status_code == 201, made.text
    listed = (await call(api, "GET", "/api/v2/heartbeats")).json()["data"]
    (found,) = [h for h in listed if h["attributes"]["name"] == "nightly"]
    return dict(found)


async def test_a_cron_check_shows_the_period_between_its_runs(api: Api) -> None:
    daily = await cron_heartbeat(api, "0 2 * * *")
    assert daily["attributes"]["period"] == 86400
    shown = await call(api, "GET", f"/api/v2/heartbeats/{daily['id']}")
    assert shown.json()["data"]["attributes"]["period"] == 86400


async def test_writing_back_the_period_shown_keeps_the_cron_schedule(api: Api) -> None:
    daily = await cron_heartbeat(api, "0 2 * * 1-5")
    path = f"/api/v2/heartbeats/{daily['id']}"
    same = await call(api, "PATCH", path, {"period": 86400, "grace": 900})
    assert same.status_code == 200, same.text
    tocsin_view = (await call(api, "GET", "/api/tocsin/v1/checks")).json()["items"]
    assert [(c["cron"], c["grace"]) for c in tocsin_view] == [("0 2 * * 1-5", 900)]
    other = await call(api, "PATCH", path, {"period": 3600})
    assert other.json()["data"]["attributes"]["period"] == 3600
    tocsin_view = (await call(api, "GET", "/api/tocsin/v1/checks")).json()["items"]
    assert [(c["cron"], c["period"]) for c in tocsin_view] == [(None, 3600)]


async def test_a_blank_name_is_refused(api: Api) -> None:
    body = {"name": "  ", "period": 3600, "grace": 300}
    response = await call(api, "POST", "/api/v2/heartbeats", body)
    assert response.status_code == 422, response.text
    assert "a check needs a name" in response.text
