"""Tocsin's own API as a client meets it: shapes, pages, filters, partial updates with
If-Match, idempotent pause and resume, incidents, channels and policies."""

from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.alerts.test_incidents import watch
from tests.api.conftest import Api, running_api
from tests.receivers import HttpReceiver, Reply
from tocsin.api.tocsin.http import PREFIX
from tocsin.store.users import add_membership, insert_user


class Client:
    def __init__(self, api: Api) -> None:
        self.api = api
        self.headers = {"Authorization": f"Bearer {api.key}"}

    async def call(
        self, method: str, path: str, body: Any = None, **headers: str
    ) -> httpx.Response:
        return await self.api.client.request(
            method, PREFIX + path, json=body, headers={**self.headers, **headers}
        )

    async def ok(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        response = await self.call(method, path, body, **headers)
        assert response.status_code in (200, 201), response.text
        return response.json()


@pytest.fixture
def client(api: Api) -> Client:
    return Client(api)


async def test_a_check_is_created_read_and_listed_in_one_shape(client: Client) -> None:
    created = await client.ok(
        "POST", "/checks", {"name": "DB Backup", "cron": "0 2 * * *", "tz": "Europe/Berlin"}
    )
    assert {k: created[k] for k in ("name", "slug", "cron", "tz", "period", "status")} == {
        "name": "DB Backup",
        "slug": "db-backup",
        "cron": "0 2 * * *",
        "tz": "Europe/Berlin",
        "period": None,
        "status": "new",
    }
    read = await client.ok("GET", f"/checks/{created['id']}")
    listed = await client.ok("GET", "/checks")
    assert read == created == listed["items"][0]
    assert listed["next_cursor"] is None


async def test_pages_cover_every_check_once(client: Client) -> None:
    for n in range(5):
        await client.ok("POST", "/checks", {"name": f"job {n}"})
    names: list[str] = []
    cursor = None
    while True:
        query = "/checks?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = await client.ok("GET", query)
        names += [c["name"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert names == [f"job {n}" for n in range(5)]
    bad = await client.call("GET", "/checks?cursor=nonsense")
    assert (bad.status_code, list(bad.json()["error"]["fields"])) == (422, ["cursor"])


async def test_filters_by_tag_status_and_text(client: Client) -> None:
    await client.ok("POST", "/checks", {"name": "backup", "tags": ["prod", "db"]})
    paused = await client.ok("POST", "/checks", {"name": "reports", "tags": ["prod"]})
    await client.ok("POST", f"/checks/{paused['id']}/pause")

    async def names(query: str) -> list[str]:
        return [c["name"] for c in (await client.ok("GET", "/checks?" + query))["items"]]

    assert await names("tag=prod&tag=db") == ["backup"]
    assert await names("status=paused") == ["reports"]
    assert await names("text=BACK") == ["backup"]
    assert await names("tag=prod") == ["backup", "reports"]


async def test_a_patch_changes_only_what_it_sends_and_honours_if_match(client: Client) -> None:
    created = await client.call("POST", "/checks", {"name": "a", "period": "1h", "grace": 300})
    etag = created.headers["etag"]
    check_id = created.json()["id"]
    changed = await client.call(
        "PATCH", f"/checks/{check_id}", {"grace": "10m"}, **{"If-Match": etag}
    )
    assert changed.status_code == 200
    assert {k: changed.json()[k] for k in ("name", "period", "grace")} == {
        "name": "a",
        "period": 3600,
        "grace": 600,
    }
    stale = await client.call("PATCH", f"/checks/{check_id}", {"name": "b"}, **{"If-Match": etag})
    assert (stale.status_code, stale.json()["error"]["code"]) == (412, "precondition_failed")
    assert (await client.ok("GET", f"/checks/{check_id}"))["name"] == "a"
    fresh = changed.headers["etag"]
    renamed = await client.ok("PATCH", f"/checks/{check_id}", {"name": "b"}, **{"If-Match": fresh})
    assert renamed["name"] == "b"


async def test_a_ping_does_not_change_the_etag(client: Client, api: Api) -> None:
    created = await client.call("POST", "/checks", {"name": "a"})
    await api.client.post(f"/ping/{created.json()['uuid']}")
    read = await client.call("GET", f"/checks/{created.json()['id']}")
    assert read.json()["n_pings"] == 1
    assert read.headers["etag"] == created.headers["etag"]


async def test_pause_and_resume_are_idempotent(client: Client) -> None:
    check = await client.ok("POST", "/checks", {"name": "a"})
    for _ in range(2):
        assert (await client.ok("POST", f"/checks/{check['id']}/pause"))["status"] == "paused"
    for _ in range(2):
        assert (await client.ok("POST", f"/checks/{check['id']}/resume"))["status"] == "new"
    flips = await client.ok("GET", f"/checks/{check['id']}/flips")
    assert [(f["old_status"], f["new_status"]) for f in flips["items"]] == [
        ("paused", "new"),
        ("new", "paused"),
    ]


async def test_flips_come_newest_first_a_page_at_a_time(client: Client) -> None:
    check = await client.ok("POST", "/checks", {"name": "a"})
    for _ in range(2):
        await client.ok("POST", f"/checks/{check['id']}/pause")
        await client.ok("POST", f"/checks/{check['id']}/resume")
    path = f"/checks/{check['id']}/flips?limit=3"
    first = await client.ok("GET", path)
    second = await client.ok("GET", f"{path}&cursor={first['next_cursor']}")
    assert second["next_cursor"] is None
    pages = [[f["new_status"] for f in page["items"]] for page in (first, second)]
    assert pages == [["new", "paused", "new"], ["paused"]]


async def test_incidents_come_newest_first_a_page_at_a_time_filtered(
    client: Client, api: Api
) -> None:
    checks = [await client.ok("POST", "/checks", {"name": name}) for name in "abc"]
    for check in checks:
        await api.client.post(f"/ping/{check['uuid']}/fail")
    first = await client.ok("GET", "/incidents?limit=2")
    second = await client.ok("GET", f"/incidents?limit=2&cursor={first['next_cursor']}")
    assert second["next_cursor"] is None
    names = [i["check_name"] for page in (first, second) for i in page["items"]]
    assert names == ["c", "b", "a"]
    await client.ok("POST", f"/incidents/{first['items'][0]['id']}/resolve", {})
    resolved = await client.ok("GET", "/incidents?status=resolved")
    assert [i["check_name"] for i in resolved["items"]] == ["c"]
    still_open = await client.ok("GET", "/incidents?open_only=true&limit=1")
    assert [i["check_name"] for i in still_open["items"]] == ["b"]
    of_a = await client.ok("GET", f"/incidents?check={checks[0]['id']}")
    assert [i["check_name"] for i in of_a["items"]] == ["a"]
    assert (await client.ok("GET", "/incidents?check=nothing"))["items"] == []


async def test_pings_come_newest_first_in_pages_with_their_bodies(client: Client, api: Api) -> None:
    check = await client.ok("POST", "/checks", {"name": "a"})
    for n in range(3):
        await api.client.post(f"/ping/{check['uuid']}", content=f"run {n}".encode())
    first = await client.ok("GET", f"/checks/{check['id']}/pings?limit=2")
    second = await client.ok("GET", f"/checks/{check['id']}/pings?cursor={first['next_cursor']}")
    assert [p["n"] for p in first["items"] + second["items"]] == [3, 2, 1]
    body = await client.call("GET", f"/checks/{check['id']}/pings/1/body")
    assert (body.status_code, body.text) == (200, "run 0")
    missing = await client.call("GET", f"/checks/{check['id']}/pings/9/body")
    assert missing.json()["error"]["code"] == "not_found"


async def test_a_read_only_key_sees_no_ping_url(client: Client, api: Api) -> None:
    check = await client.ok("POST", "/checks", {"name": "a"})
    headers = {"Authorization": f"Bearer {api.read_key}"}
    read = await api.client.get(f"{PREFIX}/checks/{check['id']}", headers=headers)
    assert (read.json()["uuid"], read.json()["ping_url"]) == (None, None)
    assert check["uuid"] not in read.text


async def test_a_check_is_deleted(client: Client) -> None:
    check = await client.ok("POST", "/checks", {"name": "a"})
    assert (await client.call("DELETE", f"/checks/{check['id']}")).status_code == 204
    gone = await client.call("GET", f"/checks/{check['id']}")
    assert gone.status_code == 404


async def test_an_incident_is_listed_acknowledged_commented_and_resolved(
    client: Client, api: Api
) -> None:
    check = await client.ok("POST", "/checks", {"name": "a"})
    await api.client.post(f"/ping/{check['uuid']}/fail")
    listed = await client.ok("GET", f"/incidents?open_only=true&check={check['id']}")
    (incident,) = listed["items"]
    path = f"/incidents/{incident['id']}"
    for _ in range(2):
        acked = await client.ok("POST", f"{path}/acknowledge", {"by": "ana"})
        assert (acked["status"], acked["acknowledged_by"]) == ("acknowledged", "ana")
    await client.ok("POST", f"{path}/comments", {"text": "on it ✓"})
    resolved = await client.ok("POST", f"{path}/resolve", {})
    assert resolved["status"] == "resolved"
    again = await client.call("POST", f"{path}/resolve", {})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "conflict")
    timeline = await client.ok("GET", f"{path}/timeline")
    assert [e["kind"] for e in timeline["items"]] == [
        "opened",
        "acknowledged",
        "comment",
        "resolved",
    ]
    assert (await client.ok("GET", "/incidents?open_only=true"))["items"] == []


async def test_channels_and_policies(client: Client) -> None:
    channel = await client.ok(
        "POST",
        "/channels",
        {"kind": "webhook", "name": "hook", "config": {"url": "https://example.com/h"}},
    )
    assert "config" not in channel
    assert (await client.ok("GET", "/channels"))["items"] == [channel]
    body = {
        "name": "pager",
        "steps": [{"wait": "5m", "channels": [channel["id"]]}],
        "nag_interval": 1800,
    }
    created = await client.call("POST", "/policies", body)
    policy = created.json()
    assert policy["steps"] == [
        {
            "wait": 300,
            "channels": [channel["id"]],
            "targets": [],
            "methods": ["email", "push"],
            "hours": None,
        }
    ]
    taken = await client.call("POST", "/policies", body)
    assert taken.status_code == 409
    path = f"/policies/{policy['id']}"
    replaced = await client.call(
        "PUT", path, {**body, "steps": []}, **{"If-Match": created.headers["etag"]}
    )
    assert replaced.json()["steps"] == []
    stale = await client.call("PUT", path, body, **{"If-Match": created.headers["etag"]})
    assert stale.status_code == 412
    assert (await client.call("DELETE", path)).status_code == 204
    assert (await client.call("DELETE", f"/channels/{channel['id']}")).status_code == 204
    assert (await client.ok("GET", "/channels"))["items"] == []


async def test_policy_steps_reach_people_of_the_project_only(client: Client) -> None:
    async with client.api.database.write() as connection:
        user_id = await connection.run_sync(
            insert_user, "ann@example.com", "x", False, client.api.clock.now()
        )
        await connection.run_sync(add_membership, user_id, client.api.project_id, "member")
    step = {
        "wait": "0s",
        "channels": [],
        "targets": [
            {"type": "on_call"},
            {"type": "member", "member": "ann@example.com"},
            {"type": "round_robin", "members": [str(user_id)]},
            {"type": "channels_of_kind", "channel_kind": "slack"},
        ],
        "methods": ["email"],
        "hours": {"start": "20:00", "end": "08:00", "zone": "Europe/Berlin"},
    }
    body = {
        "name": "people",
        "steps": [step, {"wait": "4s", "channels": [], "targets": [{"type": "entire_team"}]}],
    }
    policy = await client.ok("POST", "/policies", body)
    first, second = policy["steps"]
    assert first["targets"] == [
        {
            "type": "on_call",
            "member": None,
            "calendar": None,
            "members": [],
            "channel_kind": None,
            "policy": None,
        },
        {
            "type": "member",
            "member": "ann@example.com",
            "calendar": None,
            "members": [],
            "channel_kind": None,
            "policy": None,
        },
        {
            "type": "round_robin",
            "member": None,
            "calendar": None,
            "members": ["ann@example.com"],
            "channel_kind": None,
            "policy": None,
        },
        {
            "type": "channels_of_kind",
            "member": None,
            "calendar": None,
            "members": [],
            "channel_kind": "slack",
            "policy": None,
        },
    ]
    assert (first["methods"], first["hours"]) == (
        ["email"],
        {"start": "20:00", "end": "08:00", "zone": "Europe/Berlin"},
    )
    assert second["targets"][0]["type"] == "entire_team"
    assert await client.ok("GET", f"/policies/{policy['id']}") == policy

    outsider = {
        **body,
        "name": "other",
        "steps": [{**step, "targets": [{"type": "member", "member": "bob@example.com"}]}],
    }
    refused = await client.call("POST", "/policies", outsider)
    assert refused.status_code == 422
    assert "no member 'bob@example.com'" in refused.text
    for bad in (
        {"type": "member"},
        {"type": "channels_of_kind", "channel_kind": "fax"},
        {"type": "someone"},
    ):
        wrong = {**body, "name": "bad", "steps": [{**step, "targets": [bad]}]}
        assert (await client.call("POST", "/policies", wrong)).status_code == 422
    elsewhere = {**step, "targets": [{"type": "on_call", "calendar": 999}]}
    unknown = await client.call("POST", "/policies", {**body, "name": "x", "steps": [elsewhere]})
    assert unknown.status_code == 422
    assert "no on-call calendar 999 in this project" in unknown.text
    late = {**step, "hours": {"start": "25:00", "end": "08:00", "zone": "Mars/Olympus"}}
    assert (await client.call("POST", "/policies", {**body, "steps": [late]})).status_code == 422


async def test_the_docs_page_loads_nothing_from_another_host(api: Api) -> None:
    page = await api.client.get("/api/docs")
    assert page.status_code == 200
    assert "//" not in page.text  # no http://, https:// nor protocol-relative URL
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js"):
        assert (await api.client.get(f"/api/docs/assets/{asset}")).status_code == 200


async def test_the_document_describes_only_tocsins_own_api_as_openapi_3_1(api: Api) -> None:
    document = (await api.client.get("/api/openapi.json")).json()
    assert document["openapi"] == "3.1.0"
    assert all(path.startswith(PREFIX) for path in document["paths"])
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


async def test_a_check_takes_a_policy_by_id_and_goes_back_to_the_default(client: Client) -> None:
    policy = await client.ok("POST", "/policies", {"name": "night", "steps": []})
    created = await client.call("POST", "/checks", {"name": "backup", "policy": policy["id"]})
    assert created.json()["policy"] == policy["id"]
    path = f"/checks/{created.json()['id']}"
    unknown = await client.call("PATCH", path, {"policy": 999_999})
    assert unknown.status_code == 422
    assert "no policy 999999" in unknown.json()["error"]["fields"]["policy"]
    default = await client.call("PATCH", path, {"policy": "default"})
    assert default.json()["policy"] is None
    assert default.headers["etag"] != created.headers["etag"]  # the policy is a setting


async def test_a_channel_test_sends_a_real_message_and_says_how_it_went(
    database_url: str, receiver: HttpReceiver
) -> None:
    async with running_api(database_url, allow_private_webhooks=True) as api:
        client = Client(api)
        hook = {"url": f"{receiver.url}/hook"}
        channel = await client.ok(
            "POST", "/channels", {"kind": "webhook", "name": "hook", "config": hook}
        )
        sent = await client.ok("POST", f"/channels/{channel['id']}/test")
        assert sent == {"sent": True, "error": None, "permanent": None}
        assert len(receiver.on("/hook")) == 1
        receiver.default = Reply(status=404)
        refused = await client.ok("POST", f"/channels/{channel['id']}/test")
        assert (refused["sent"], refused["permanent"]) == (False, True)
        assert refused["error"].startswith("HTTP 404")
        read_only = {"Authorization": f"Bearer {api.read_key}"}
        response = await api.client.post(
            f"{PREFIX}/channels/{channel['id']}/test", headers=read_only
        )
        assert response.status_code == 403


async def test_pausing_a_check_with_an_open_incident_stops_its_escalation(
    client: Client, api: Api
) -> None:
    """Step 2 waits 9 s after step 1; the check is paused at 3 s, the watcher passes at
    30 s: no step 2, and the timeline says why the incident closed."""
    first, second = [
        await client.ok(
            "POST", "/channels", {"kind": "webhook", "config": {"url": f"https://example.com/{n}"}}
        )
        for n in (1, 2)
    ]
    steps = [{"wait": 0, "channels": [first["id"]]}, {"wait": 9, "channels": [second["id"]]}]
    policy = await client.ok("POST", "/policies", {"name": "pager", "steps": steps})
    check = await client.ok("POST", "/checks", {"name": "backup", "policy": policy["id"]})
    await api.client.post(f"/ping/{check['uuid']}/fail")
    (incident,) = (await client.ok("GET", "/incidents?open_only=true"))["items"]
    assert incident["status"] == "open"

    api.clock.advance(timedelta(seconds=3))
    await client.ok("POST", f"/checks/{check['id']}/pause")
    services = api.app.web.state.services
    await watch(api.database, services.runner, api.clock.advance(timedelta(seconds=27)))

    path = f"/incidents/{incident['id']}"
    closed = await client.ok("GET", path)
    assert (closed["status"], closed["resolved_by"]) == ("resolved", "pause")
    events = (await client.ok("GET", f"{path}/timeline"))["items"]
    assert [(e["kind"], e["message"]) for e in events if e["kind"] != "opened"] == [
        ("escalated", "step 1: notifying 1 channel(s)"),
        (
            "resolved",
            "check paused after 3s down: escalation and reminders stopped, no recovery notice",
        ),
    ]
    sent_or_due = "SELECT count(*) FROM notifications WHERE status != 'cancelled'"
    assert await api.run(sent_or_due) == 0  # step 1's alert, never sent, was cancelled too
    assert await api.run("SELECT count(*) FROM notifications") == 1


async def test_keyword_rules_are_set_in_part_and_shown(client: Client) -> None:
    created = await client.ok(
        "POST",
        "/checks",
        {"name": "backup", "keywords": {"failure": "ERROR, FAIL", "http_body": True}},
    )
    assert created["keywords"] == {
        "start": "",
        "success": "",
        "failure": "ERROR, FAIL",
        "regex": False,
        "http_body": True,
        "email_subject": False,
        "email_body": False,
        "default_fail": False,
    }
    changed = await client.ok(
        "PATCH", f"/checks/{created['id']}", {"keywords": {"success": "OK", "default_fail": True}}
    )
    assert changed["keywords"] == created["keywords"] | {"success": "OK", "default_fail": True}
    plain = await client.ok("POST", "/checks", {"name": "plain"})
    assert plain["keywords"]["http_body"] is False
