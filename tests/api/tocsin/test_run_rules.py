"""Rules on runs in Tocsin's API: set on create, changed field by field, refused when
they cannot hold, and the status under a threshold (`failing (1 of 2)`)."""

from tests.api.conftest import Api
from tests.api.tocsin.test_api import Client, client  # noqa: F401 - the fixture

DEFAULTS = {
    "min_duration": None,
    "max_duration": None,
    "min_interval": None,
    "interval_from": "successes",
    "failure_threshold": 1,
    "recovery_threshold": 1,
}


async def test_a_new_check_has_no_rules_on_runs(client: Client) -> None:  # noqa: F811
    created = await client.ok("POST", "/checks", {"name": "plain"})
    assert created["rules"] == DEFAULTS
    assert created["streak"] == ""


async def test_rules_are_set_changed_and_cleared_field_by_field(client: Client) -> None:  # noqa: F811
    rules = {"min_duration": "5m", "failure_threshold": 3, "min_interval": 3600}
    created = await client.ok("POST", "/checks", {"name": "backup", "rules": rules})
    assert created["rules"] == DEFAULTS | {
        "min_duration": 300,
        "min_interval": 3600,
        "failure_threshold": 3,
    }
    path = f"/checks/{created['id']}"
    changed = await client.ok(
        "PATCH",
        path,
        {"rules": {"max_duration": "30m", "min_duration": 0, "interval_from": "starts"}},
    )
    assert changed["rules"] == DEFAULTS | {
        "max_duration": 1800,
        "min_interval": 3600,
        "interval_from": "starts",
        "failure_threshold": 3,
    }
    renamed = await client.ok("PATCH", path, {"name": "nightly backup"})
    assert renamed["rules"] == changed["rules"]


async def test_rules_that_cannot_hold_are_refused_with_the_field(client: Client) -> None:  # noqa: F811
    for rules in (
        {"failure_threshold": 0},
        {"failure_threshold": 101},
        {"min_duration": "1h", "max_duration": "5m"},
        {"min_duration": None},
        {"interval_from": "sometimes"},
        {"too_fast": "5m"},
    ):
        response = await client.call("POST", "/checks", {"name": "x", "rules": rules})
        assert response.status_code == 422, (rules, response.text)
        assert "rules" in response.text


async def test_a_failure_under_the_threshold_shows_as_failing(client: Client, api: Api) -> None:  # noqa: F811
    created = await client.ok(
        "POST", "/checks", {"name": "flaky", "rules": {"failure_threshold": 2}}
    )
    await api.client.post(f"/ping/{created['uuid']}/fail")
    read = await client.ok("GET", f"/checks/{created['id']}")
    assert read["status"] == "up"
    assert read["streak"] == "failing (1 of 2)"
