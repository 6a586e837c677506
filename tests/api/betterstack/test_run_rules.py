"""Better Stack's API has no rules on runs: an update through it keeps a check's rules,
and a heartbeat failing under its threshold is `up` in its words."""

from tests.api.betterstack.test_heartbeats import call, new_heartbeat
from tests.api.conftest import Api
from tests.api.healthchecks.test_run_rules import RULES, rules_of, with_rules
from tocsin.store import checks as check_store


async def test_an_update_keeps_the_rules_and_failing_is_up(api: Api) -> None:
    created = await new_heartbeat(api)
    path = f"/api/v2/heartbeats/{created['id']}"
    shown = (await call(api, "GET", path)).json()["data"]["attributes"]
    found = await api.database.read_with(
        check_store.project_check, api.project_id, int(created["id"])
    )
    assert found is not None
    check_uuid = str(found.record.uuid)
    await with_rules(api, check_uuid)
    updated = await call(api, "PATCH", path, {"name": "nightly", "period": 7200})
    assert updated.status_code == 200, updated.text
    assert await rules_of(api, check_uuid) == RULES
    await api.client.post(f"{shown['url']}/fail")
    status = (await call(api, "GET", path)).json()["data"]["attributes"]["status"]
    assert status == "up"
