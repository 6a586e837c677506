"""Maintenance windows and snoozes in Tocsin's own API."""

import pytest

from tests.api.conftest import Api
from tests.api.tocsin.test_api import Client


@pytest.fixture
def client(api: Api) -> Client:
    return Client(api)


async def test_windows_are_added_listed_and_removed(client: Client) -> None:
    check = await client.ok("POST", "/checks", {"name": "db backup", "tags": ["nas"]})
    nightly = await client.ok(
        "POST",
        "/maintenance",
        {"name": "nightly", "check": check["id"], "days": ["mon", "tue"], "from": "23:00",
         "to": "01:00", "tz": "Europe/Berlin", "by": "ana"},
    )  # fmt: skip
    assert nightly | {"id": 0} == {
        "id": 0,
        "name": "nightly",
        "check": check["id"],
        "tag": None,
        "snooze": False,
        "created_by": "ana",
        "days": ["mon", "tue"],
        "from": "23:00",
        "to": "01:00",
        "tz": "Europe/Berlin",
        "starts_at": None,
        "ends_at": None,
    }
    once = await client.ok(
        "POST",
        "/maintenance",
        {"name": "NAS move", "tag": "nas", "starts_at": "2030-01-31T02:00:00Z",
         "ends_at": "2030-01-31T04:00:00Z"},
    )  # fmt: skip
    assert (once["starts_at"], once["created_by"]) == ("2030-01-31T02:00:00+00:00", "api")
    listed = await client.ok("GET", "/maintenance")
    assert [w["name"] for w in listed] == ["nightly", "NAS move"]
    other = await client.ok("POST", "/checks", {"name": "other"})
    covering = await client.ok("GET", f"/maintenance?check={other['id']}")
    assert covering == []
    covering = await client.ok("GET", f"/maintenance?check={check['id']}")
    assert [w["name"] for w in covering] == ["nightly", "NAS move"]
    missing = await client.call("GET", "/maintenance?check=nope")
    assert missing.status_code == 404
    assert (await client.call("DELETE", f"/maintenance/{once['id']}")).status_code == 204
    assert [w["name"] for w in await client.ok("GET", "/maintenance")] == ["nightly"]
    gone = await client.call("DELETE", f"/maintenance/{once['id']}")
    assert gone.status_code == 404


async def test_bad_windows_are_422s_that_say_why(client: Client) -> None:
    async def problem(body: dict[str, object]) -> str:
        response = await client.call("POST", "/maintenance", body)
        assert response.status_code == 422, response.text
        message: str = response.json()["error"]["message"]
        return message

    assert "needs days, from and to" in await problem({"name": "x", "days": ["mon"]})
    assert "end after it starts" in await problem(
        {"name": "x", "starts_at": "2030-01-01T02:00:00Z", "ends_at": "2030-01-01T01:00:00Z"}
    )
    assert "with a zone" in await problem(
        {"name": "x", "starts_at": "2030-01-01T02:00:00", "ends_at": "2030-01-01T03:00:00"}
    )
    assert "days" in await problem({"name": "x", "days": ["funday"], "from": "01:00", "to": "2:00"})
    assert "Mars" in await problem(
        {"name": "x", "days": ["mon"], "from": "01:00", "to": "02:00", "tz": "Mars/Olympus"}
    )
    check = await client.ok("POST", "/checks", {"name": "a"})
    assert "not both" in await problem(
        {"name": "x", "check": check["id"], "tag": "t", "days": ["mon"], "from": "01:00",
         "to": "02:00"}
    )  # fmt: skip
    missing = await client.call(
        "POST", "/maintenance", {"name": "x", "check": "nope", "days": ["mon"], "from": "01:00",
                                 "to": "02:00"}
    )  # fmt: skip
    assert missing.status_code == 404


async def test_a_check_and_an_incident_are_snoozed_and_woken(client: Client, api: Api) -> None:
    check = await client.ok("POST", "/checks", {"name": "a"})
    snooze = await client.ok("POST", f"/checks/{check['id']}/snooze", {"duration": "2h"})
    assert (snooze["snooze"], snooze["check"]) == (True, check["id"])
    woken = await client.call("POST", f"/checks/{check['id']}/unsnooze", {})
    assert woken.status_code == 204
    again = await client.call("POST", f"/checks/{check['id']}/unsnooze", {})
    assert again.status_code == 409
    too_long = await client.call("POST", f"/checks/{check['id']}/snooze", {"duration": "90d"})
    assert too_long.status_code == 422

    await api.client.post(f"/ping/{check['uuid']}/fail")
    (incident,) = (await client.ok("GET", "/incidents?open_only=true"))["items"]
    path = f"/incidents/{incident['id']}"
    await client.ok("POST", f"{path}/snooze", {"duration": 3600, "by": "ana"})
    await client.ok("POST", f"{path}/unsnooze", {"by": "ana"})
    timeline = await client.ok("GET", f"{path}/timeline")
    kinds = [(e["kind"], e["actor"]) for e in timeline["items"]]
    assert kinds[-2:] == [("snoozed", "ana"), ("unsnoozed", "ana")]
    assert "snoozed until" in timeline["items"][-2]["message"]
    not_snoozed = await client.call("POST", f"{path}/unsnooze", {})
    assert not_snoozed.status_code == 409
