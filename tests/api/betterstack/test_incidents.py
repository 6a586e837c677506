"""The Better Stack contract for incidents (filters, acknowledge, resolve, timeline,
delete) and escalation policies (a round trip through Tocsin's steps), and bad input
refused with a message, never a crash."""

from datetime import timedelta
from typing import Any

import pytest

from tests.api.betterstack.test_heartbeats import call, new_heartbeat
from tests.api.conftest import SITE, Api
from tests.helpers import add_channel


async def failed_heartbeat(api: Api, name: str = "backup") -> dict[str, Any]:
    created = await new_heartbeat(api, name=name)
    failed = await api.client.post(created["attributes"]["url"].removeprefix(SITE) + "/fail")
    assert failed.status_code == 200
    return created


async def only_incident(api: Api, query: str = "") -> dict[str, Any]:
    listed = (await call(api, "GET", f"/api/v3/incidents{query}")).json()["data"]
    assert len(listed) == 1, listed
    found: dict[str, Any] = listed[0]
    return found


async def test_a_failed_heartbeat_opens_an_incident_that_lists_and_filters(api: Api) -> None:
    heartbeat = await failed_heartbeat(api)
    await failed_heartbeat(api, name="other")
    incident = await only_incident(api, f"?heartbeat_id={heartbeat['id']}")
    assert incident["type"] == "incident"
    attributes = incident["attributes"]
    assert (attributes["name"], attributes["status"]) == ("backup", "Started")
    assert attributes["heartbeat_id"] == int(heartbeat["id"])
    assert attributes["resolved_at"] is None
    day = api.clock.now().date().isoformat()
    both = (await call(api, "GET", f"/api/v3/incidents?from={day}&to={day}")).json()
    assert len(both["data"]) == 2
    none = (await call(api, "GET", "/api/v3/incidents?resolved=true")).json()
    assert none["data"] == []
    paged = (await call(api, "GET", "/api/v3/incidents?per_page=1&resolved=false")).json()
    assert paged["pagination"]["next"].endswith("page=2&per_page=1&resolved=false")


async def test_incidents_are_paged_in_order_with_their_total(api: Api) -> None:
    for name in ("a", "b", "c"):
        await failed_heartbeat(api, name=name)
        api.clock.advance(timedelta(seconds=1))

    async def page(number: int) -> dict[str, Any]:
        found: dict[str, Any] = (
            await call(api, "GET", f"/api/v3/incidents?per_page=2&page={number}")
        ).json()
        return found

    first, second, beyond = await page(1), await page(2), await page(3)
    names = [i["attributes"]["name"] for p in (first, second) for i in p["data"]]
    assert names == ["c", "b", "a"]
    assert first["pagination"]["last"].endswith("page=2&per_page=2")
    assert second["pagination"]["next"] is None
    assert beyond["data"] == []


async def test_acknowledge_resolve_and_the_timeline(api: Api) -> None:
    await failed_heartbeat(api)
    incident_id = (await only_incident(api))["id"]
    path = f"/api/v3/incidents/{incident_id}"
    acknowledged = await call(api, "POST", f"{path}/acknowledge", {"acknowledged_by": "ann"})
    assert acknowledged.json()["data"]["attributes"]["status"] == "Acknowledged"
    assert acknowledged.json()["data"]["attributes"]["acknowledged_by"] == "ann"
    assert (await call(api, "POST", f"{path}/acknowledge")).status_code == 409
    resolved = await call(api, "POST", f"{path}/resolve")
    assert resolved.json()["data"]["attributes"]["status"] == "Resolved"
    assert resolved.json()["data"]["attributes"]["resolved_by"].startswith("API key #")
    assert (await call(api, "POST", f"{path}/resolve")).status_code == 409
    items = (await call(api, "GET", f"{path}/timeline")).json()["data"]
    titles = [item["attributes"]["data"]["title"] for item in items]
    assert titles == ["opened", "acknowledged", "resolved"]
    assert items[1]["attributes"]["data"]["author"] == "ann"
    assert (await call(api, "DELETE", path)).status_code == 204
    assert (await call(api, "GET", path)).status_code == 404


async def test_a_policy_round_trips_through_tocsins_steps(api: Api) -> None:
    pager = await add_channel(api.database, "webhook", {"url": "https://example.com/h"}, "pager")
    body = {
        "name": "night shift",
        "repeat_count": 2,
        "repeat_delay": 600,
        "steps": [
            {"type": "escalation", "wait_before": 0, "urgency_id": None, "step_members": []},
            {"wait_before": 300, "step_members": [{"type": "channel", "id": str(pager.uuid)}]},
        ],
    }
    created = await call(api, "POST", "/api/v3/policies", body)
    assert created.status_code == 201, created.text
    policy = created.json()["data"]
    assert policy["attributes"]["steps"][1] == {
        "type": "escalation",
        "wait_before": 300,
        "urgency_id": None,
        "step_members": [{"type": "channel", "id": str(pager.uuid)}],
    }
    path = f"/api/v3/policies/{policy['id']}"
    patched = (await call(api, "PATCH", path, {"repeat_count": 0})).json()["data"]
    assert patched["attributes"] == policy["attributes"] | {"repeat_count": 0}
    heartbeat = await new_heartbeat(api, policy_id=policy["id"])
    assert heartbeat["attributes"]["policy_id"] == int(policy["id"])
    assert (await call(api, "DELETE", path)).status_code == 204
    again = await call(api, "GET", f"/api/v2/heartbeats/{heartbeat['id']}")
    assert again.json()["data"]["attributes"]["policy_id"] is None


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v2/heartbeats", {"name": "x", "period": "60", "grace": 0}, "period"),
        ("/api/v2/heartbeats", {"name": "x", "period": 60}, "grace"),
        ("/api/v2/heartbeats", {"name": "x", "period": 60, "grace": 10**30}, "grace"),
        ("/api/v2/heartbeats", {"name": "x", "period": 60, "grace": 0, "colour": 1}, "colour"),
        ("/api/v2/heartbeats", {"name": "x", "period": 60, "grace": 0, "sms": "yes"}, "sms"),
        ("/api/v2/heartbeats", {"name": "\u2603" * 101, "period": 60, "grace": 0}, "name"),
        ("/api/v2/heartbeats", {"name": "a\u0000", "period": 60, "grace": 0}, "name"),
        (
            "/api/v2/heartbeats",
            {"name": "x", "period": 60, "grace": 0, "policy_id": 7},
            "policy_id",
        ),
        (
            "/api/v2/heartbeats",
            {"name": "x", "period": 60, "grace": 0, "team_wait": -1},
            "team_wait",
        ),
        ("/api/v2/heartbeat-groups", {"name": ""}, "name"),
        ("/api/v3/policies", {"name": "p", "steps": [{"type": "time_branching"}]}, "steps.0.type"),
        ("/api/v3/policies", {"name": "p", "steps": [{"urgency_id": 3}]}, "steps.0.urgency_id"),
        (
            "/api/v2/heartbeats",
            {"name": "x", "period": 60, "grace": 0, "policy_id": "\u00b2"},
            "policy_id",
        ),
        (
            "/api/v2/heartbeats",
            {"name": "x", "period": 60, "grace": 0, "policy_id": "9" * 5000},
            "policy_id",
        ),
    ],
)
async def test_bad_attributes_are_refused_by_name(
    api: Api, path: str, body: dict[str, Any], field: str
) -> None:
    refused = await call(api, "POST", path, body)
    assert refused.status_code == 422, refused.text
    assert list(refused.json()["errors"]) == [field]
    assert all(isinstance(m, str) and m for m in refused.json()["errors"][field])


@pytest.mark.parametrize(
    "path",
    [
        "/api/v2/heartbeats?page=0",
        "/api/v2/heartbeats?per_page=x",
        "/api/v3/incidents?from=yesterday",
        "/api/v3/incidents?resolved=maybe",
        "/api/v3/incidents?team_name=ops",
        "/api/v3/incidents?heartbeat_id=99999999999999",
        # Digits str.isdigit() takes, which int() refuses: once a 500.
        "/api/v2/heartbeats?per_page=\u00b2",
        "/api/v2/heartbeats?page=" + "9" * 5000,
    ],
)
async def test_bad_queries_are_refused_with_a_reason(api: Api, path: str) -> None:
    refused = await call(api, "GET", path)
    assert refused.status_code == 400
    assert isinstance(refused.json()["errors"], str)


@pytest.mark.parametrize("raw", [b"{", b"[1]", b'"x"', b"\xff\xfe"])
async def test_a_body_that_is_not_an_object_is_refused(api: Api, raw: bytes) -> None:
    headers = {"Authorization": f"Bearer {api.key}"}
    refused = await api.client.post("/api/v2/heartbeats", content=raw, headers=headers)
    assert refused.status_code == 400


@pytest.mark.parametrize("object_id", ["x", "-1", "99999999999", "1.5", "\u0661"])
async def test_an_id_that_is_no_number_is_not_found(api: Api, object_id: str) -> None:
    for kind in ("heartbeats", "heartbeat-groups", "incidents", "policies"):
        assert (await call(api, "GET", f"/api/v3/{kind}/{object_id}")).status_code == 404
