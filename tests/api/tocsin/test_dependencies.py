"""A check's parents through Tocsin's API: set by id or uuid, read back by id, cleared,
and refused with the field named (a stranger, the check itself, a cycle)."""

import pytest

from tests.api.conftest import Api
from tests.api.tocsin.test_api import Client


@pytest.fixture
def client(api: Api) -> Client:
    return Client(api)


async def test_parents_are_set_read_and_cleared(client: Client) -> None:
    nas = await client.ok("POST", "/checks", {"name": "nas"})
    db = await client.ok("POST", "/checks", {"name": "db"})
    backup = await client.ok("POST", "/checks", {"name": "backup", "parents": [nas["id"]]})
    assert backup["parents"] == [nas["id"]]

    changed = await client.ok(
        "PATCH", f"/checks/{backup['id']}", {"parents": [db["uuid"], nas["id"]]}
    )
    assert sorted(changed["parents"]) == sorted([nas["id"], db["id"]])
    renamed = await client.ok("PATCH", f"/checks/{backup['id']}", {"name": "backups"})
    assert renamed["parents"] == changed["parents"]  # left alone when not sent

    cleared = await client.ok("PATCH", f"/checks/{backup['id']}", {"parents": []})
    assert cleared["parents"] == []


async def test_bad_parents_are_refused_with_the_field_named(client: Client) -> None:
    nas = await client.ok("POST", "/checks", {"name": "nas"})
    backup = await client.ok("POST", "/checks", {"name": "backup", "parents": [nas["id"]]})

    async def refusal(check: dict[str, str], parents: object) -> str:
        response = await client.call("PATCH", f"/checks/{check['id']}", {"parents": parents})
        assert response.status_code == 422, response.text
        return str(response.json()["error"]["fields"])

    assert "cycle: nas -> backup -> nas" in await refusal(nas, [backup["id"]])
    assert "cannot depend on itself" in await refusal(nas, [nas["id"]])
    assert "no check nonsense" in await refusal(nas, ["nonsense"])
    assert await refusal(nas, ["x" * 41])
    assert await refusal(nas, [nas["id"]] * 21)


async def test_a_held_incident_names_its_parent_and_the_parents_names_what_it_holds(
    client: Client, api: Api
) -> None:
    nas = await client.ok("POST", "/checks", {"name": "nas"})
    await client.ok("POST", "/checks", {"name": "backup", "parents": [nas["id"]]})
    listed = await client.ok("GET", "/checks")
    for check in listed["items"]:
        await api.client.post(f"/ping/{check['uuid']}/fail")
    incidents = {i["check_name"]: i for i in (await client.ok("GET", "/incidents"))["items"]}
    assert (incidents["backup"]["held_by"], incidents["backup"]["holding"]) == ("nas", [])
    assert incidents["nas"]["holding"] == ["backup"]
    assert incidents["nas"]["held_by"] is None
    one = await client.ok("GET", f"/incidents/{incidents['nas']['id']}")
    assert one["holding"] == ["backup"]


async def test_the_etag_covers_the_parents(client: Client) -> None:
    nas = await client.ok("POST", "/checks", {"name": "nas"})
    backup = await client.ok("POST", "/checks", {"name": "backup", "parents": [nas["id"]]})
    read = await client.call("GET", f"/checks/{backup['id']}")
    etag = read.headers["ETag"]
    matched = await client.call(
        "PATCH", f"/checks/{backup['id']}", {"parents": []}, **{"If-Match": etag}
    )
    assert matched.status_code == 200, matched.text
    assert matched.headers["ETag"] != etag
    stale = await client.call(
        "PATCH", f"/checks/{backup['id']}", {"parents": [nas["id"]]}, **{"If-Match": etag}
    )
    assert stale.status_code == 412
