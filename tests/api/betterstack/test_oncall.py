"""Better Stack's people: heartbeats' simple alerting as stored, policy steps naming
people, kinds and other policies (stored, shown back, refused by name), and the
on-call calendars in Better Stack's shapes."""

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.api.betterstack.test_heartbeats import call, new_heartbeat
from tests.api.conftest import Api
from tocsin.store.users import add_membership, insert_user


async def members(api: Api, *emails: str, project_id: int | None = None) -> list[int]:
    def work(connection: sa.Connection) -> list[int]:
        ids = []
        for email in emails:
            user_id = insert_user(connection, email, "x", False, api.clock.now())
            add_membership(connection, user_id, project_id or api.project_id, "member")
            ids.append(user_id)
        return ids

    async with api.database.write() as connection:
        return await connection.run_sync(work)


async def test_a_heartbeat_keeps_its_simple_alerting_and_a_patch_changes_what_it_sends(
    api: Api,
) -> None:
    created = await new_heartbeat(api, email=True, sms=True, critical_alert=True, team_wait=180)
    flags = {k: created["attributes"][k] for k in ("email", "sms", "call", "push")}
    assert flags == {"email": True, "sms": True, "call": False, "push": False}
    assert created["attributes"]["critical_alert"] is True
    assert created["attributes"]["team_wait"] == 180
    path = f"/api/v2/heartbeats/{created['id']}"
    patched = (await call(api, "PATCH", path, {"sms": False, "team_wait": None})).json()
    attributes = patched["data"]["attributes"]
    assert (attributes["email"], attributes["sms"], attributes["team_wait"]) == (True, False, None)
    again = (await call(api, "GET", path)).json()["data"]["attributes"]
    assert again == attributes


async def test_policy_steps_name_people_kinds_and_other_policies_and_read_back_the_same(
    api: Api,
) -> None:
    [ann] = await members(api, "ann@example.com")
    calendar = (await call(api, "GET", "/api/v2/on-calls/default")).json()["data"]
    fallback = await call(api, "POST", "/api/v3/policies", {"name": "fallback"})
    steps = [
        {
            "type": "escalation",
            "wait_before": 0,
            "urgency_id": None,
            "step_members": [
                {"type": "current_on_call", "id": int(calendar["id"])},
                {"type": "user", "email": "ann@example.com"},
            ],
        },
        {
            "type": "escalation",
            "wait_before": 60,
            "urgency_id": None,
            "step_members": [
                {"type": "entire_team"},
                {"type": "all_slack_integrations"},
                {"type": "all_microsoft_teams_integrations"},
                {"type": "all_webhook_integrations"},
                {"type": "policy", "id": fallback.json()["data"]["id"]},
            ],
        },
    ]
    response = await call(api, "POST", "/api/v3/policies", {"name": "people", "steps": steps})
    assert response.status_code == 201, response.text
    shown = response.json()["data"]["attributes"]["steps"]
    assert shown[0]["step_members"] == [
        {"type": "current_on_call", "id": int(calendar["id"])},
        {"type": "user", "id": ann, "email": "ann@example.com"},
    ]
    assert shown[1]["step_members"] == [
        {"type": "entire_team", "id": None},
        {"type": "all_slack_integrations", "id": None},
        {"type": "all_microsoft_teams_integrations", "id": None},
        {"type": "all_webhook_integrations", "id": None},
        {"type": "policy", "id": int(fallback.json()["data"]["id"])},
    ]
    path = f"/api/v3/policies/{response.json()['data']['id']}"
    read = (await call(api, "GET", path)).json()["data"]["attributes"]["steps"]
    assert read == shown
    # What was read, sent back, changes nothing.
    same = await call(api, "PATCH", path, {"steps": read})
    assert same.json()["data"]["attributes"]["steps"] == shown, same.text


@pytest.mark.parametrize(
    ("member", "field", "words"),
    [
        ({"type": "incident_metadata"}, "steps.0.step_members.0.type", "all_slack_integrations"),
        ({"type": "user", "email": "zed@example.com"}, "steps", "No member"),
        ({"type": "user"}, "steps.0.step_members.0", "needs an id or an email"),
        ({"type": "current_on_call", "id": 999}, "steps", "No on-call calendar 999"),
        ({"type": "policy", "id": 999}, "steps", "No policy 999"),
        ({"type": "policy"}, "steps.0.step_members.0", "must be the id"),
        ({"type": "channel", "id": "nope"}, "steps.0.step_members.0", "uuid"),
    ],
)
async def test_a_step_member_tocsin_cannot_take_is_refused_by_name(
    api: Api, member: dict[str, Any], field: str, words: str
) -> None:
    body = {"name": "p", "steps": [{"type": "escalation", "step_members": [member]}]}
    refused = await call(api, "POST", "/api/v3/policies", body)
    assert refused.status_code == 422, refused.text
    [message] = refused.json()["errors"][field]
    assert words in message


async def test_another_projects_people_and_calendars_cannot_be_named(api: Api) -> None:
    await members(api, "them@example.com", project_id=api.other_project_id)
    theirs = await call(api, "GET", "/api/v2/on-calls/default", key=api.other_key)
    steps = [
        {"step_members": [{"type": "current_on_call", "id": theirs.json()["data"]["id"]}]},
        {"step_members": [{"type": "user", "email": "them@example.com"}]},
    ]
    for step in steps:
        refused = await call(api, "POST", "/api/v3/policies", {"name": "p", "steps": [step]})
        assert refused.status_code == 422, refused.text
    other = theirs.json()["data"]["id"]
    assert (await call(api, "GET", f"/api/v2/on-calls/{other}")).status_code == 404


async def test_on_call_calendars_in_better_stacks_shapes(api: Api) -> None:
    ann, bob = await members(api, "ann@example.com", "bob@example.com")
    default = (await call(api, "GET", "/api/v2/on-calls/default")).json()
    calendar_id = default["data"]["id"]
    assert default["data"]["type"] == "on_call_calendar"
    assert default["data"]["attributes"] == {
        "name": "Primary",
        "default_calendar": True,
        "team_name": None,
    }
    assert default["data"]["relationships"] == {"on_call_users": {"data": []}}
    start = api.clock.now() - timedelta(hours=1)
    rotation = {
        "users": ["ann@example.com", "bob@example.com"],
        "rotation_length": 1,
        "rotation_period": "day",
        "start_rotations_at": start.isoformat(),
        "end_rotations_at": None,
    }
    path = f"/api/v2/on-calls/{calendar_id}"
    made = await call(api, "POST", f"{path}/rotation", rotation)
    assert made.status_code == 201, made.text
    assert made.json()["data"]["attributes"]["users"] == rotation["users"]

    one = (await call(api, "GET", path, key=api.read_key)).json()
    assert one["data"]["relationships"]["on_call_users"]["data"] == [
        {"id": str(ann), "type": "user"}
    ]
    assert one["included"][0]["attributes"]["email"] == "ann@example.com"
    listed = (await call(api, "GET", "/api/v2/on-calls")).json()
    assert [c["id"] for c in listed["data"]] == [calendar_id]
    assert listed["pagination"]["next"] is None

    events = (await call(api, "GET", f"{path}/events?per_page=3")).json()
    first, second, _third = events["data"]
    assert [e["attributes"]["users"] for e in events["data"]] == [
        ["ann@example.com"],
        ["bob@example.com"],
        ["ann@example.com"],
    ]
    assert first["attributes"]["ends_at"] == second["attributes"]["starts_at"]
    assert first["attributes"]["override"] is False
    assert events["pagination"]["next"] is not None
    assert bob != ann


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"users": ["nobody@example.com"]}, "users"),
        ({"rotation_period": "month"}, "rotation_period"),
        ({"rotation_length": 0}, "rotation_length"),
        ({"start_rotations_at": "soon"}, "start_rotations_at"),
        ({"users": None}, "users"),
    ],
)
async def test_a_bad_rotation_is_refused_by_name(
    api: Api, body: dict[str, Any], field: str
) -> None:
    await members(api, "ann@example.com")
    rotation = {
        "users": ["ann@example.com"],
        "rotation_length": 1,
        "rotation_period": "week",
        "start_rotations_at": "2026-03-01T09:00:00Z",
        **body,
    }
    refused = await call(api, "POST", "/api/v2/on-calls/default/rotation", rotation)
    assert refused.status_code == 422, refused.text
    assert list(refused.json()["errors"]) == [field]


async def test_unknown_calendars_are_not_found(api: Api) -> None:
    for path in ("/api/v2/on-calls/77", "/api/v2/on-calls/x/events", "/api/v2/on-calls/-1"):
        assert (await call(api, "GET", path)).status_code == 404, path


async def test_a_bad_window_of_events_is_refused(api: Api) -> None:
    path = "/api/v2/on-calls/default/events"
    for query in ("?from=soon", "?from=2026-03-02&to=2026-03-01", "?from=2026-01-01&to=2028-01-01"):
        refused = await call(api, "GET", path + query)
        assert refused.status_code == 400, (query, refused.text)
    window = await call(api, "GET", path + "?from=2026-03-01&to=2026-03-08")
    assert window.status_code == 200
