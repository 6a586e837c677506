"""An update through each API dialect keeps every setting that dialect has no field
for: rules on runs, keyword rules, an OnCalendar schedule, Better Stack's check window
and parents, changed one name at a time through Healthchecks', Better Stack's and
Tocsin's APIs in turn."""

from dataclasses import replace
from typing import Any
from uuid import UUID

import httpx
import sqlalchemy as sa

from tests.api.conftest import Api
from tests.api.tocsin.test_api import Client, client  # noqa: F401 - the fixture
from tocsin.api.tocsin.http import PREFIX
from tocsin.domain.records import NewCheck
from tocsin.services.dependencies import parent_uuids
from tocsin.store import checks as check_store


async def settings_of(api: Api, check_id: int) -> tuple[NewCheck, list[str]]:
    """The check's settings and its parents' uuids, as stored."""

    def read(connection: sa.Connection) -> tuple[NewCheck, list[str]]:
        found = check_store.project_check(connection, api.project_id, check_id)
        assert found is not None
        return found.spec, [str(uuid) for uuid in parent_uuids(connection, check_id)]

    return await api.database.read_with(read)


async def call(api: Api, method: str, path: str, body: dict[str, Any]) -> httpx.Response:
    """A request with the key where each dialect looks for it."""
    headers = {"X-Api-Key": api.key, "Authorization": f"Bearer {api.key}"}
    return await api.client.request(method, path, json=body, headers=headers)


async def test_an_update_through_each_dialect_keeps_what_it_cannot_say(
    api: Api,
    client: Client,  # noqa: F811
) -> None:
    nas = await client.ok("POST", "/checks", {"name": "nas"})
    created = await client.ok(
        "POST",
        "/checks",
        {
            "name": "backup",
            "oncalendar": "Mon..Fri *-*-* 02:00\nSat *-*-* 04:00",
            "tz": "Europe/Paris",
            "grace": 600,
            "rules": {"min_duration": "5m", "min_interval": "1h", "failure_threshold": 3},
            "keywords": {"success": "done", "failure": "ERROR", "http_body": True},
            "parents": [nas["id"]],
        },
    )
    record = await api.database.read_with(check_store.check_by_uuid, UUID(created["uuid"]))
    assert record is not None
    check_id = record.id
    window = {
        "maintenance_days": ["sat", "sun"],
        "maintenance_from": "01:00:00",
        "maintenance_to": "03:00:00",
        "maintenance_timezone": "Europe/Paris",
    }
    heartbeat = f"/api/v2/heartbeats/{check_id}"
    assert (await call(api, "PATCH", heartbeat, window)).status_code == 200
    before, parents = await settings_of(api, check_id)
    assert before.maintenance is not None
    assert before.keywords.filter_http_body
    assert parents == [str(nas["uuid"])]

    for name, method, path in (
        ("by healthchecks", "POST", f"/api/v3/checks/{created['uuid']}"),
        ("by better stack", "PATCH", heartbeat),
        ("by tocsin", "PATCH", f"{PREFIX}/checks/{created['id']}"),
    ):
        response = await call(api, method, path, {"name": name})
        assert response.status_code == 200, (name, response.text)
        after, after_parents = await settings_of(api, check_id)
        assert after == replace(before, name=name), name
        assert after_parents == parents, name


HEALTHCHECKS_WRITABLE = (
    "name",
    "slug",
    "tags",
    "desc",
    "grace",
    "timeout",
    "schedule",
    "tz",
    "manual_resume",
    "methods",
    "start_kw",
    "success_kw",
    "failure_kw",
    "filter_subject",
    "filter_body",
    "filter_http_body",
    "filter_default_fail",
)
BETTER_STACK_WRITABLE = (
    "name",
    "period",
    "grace",
    "paused",
    "maintenance_days",
    "maintenance_from",
    "maintenance_to",
    "maintenance_timezone",
)


TOCSIN_WRITABLE = (
    "name",
    "slug",
    "tags",
    "description",
    "period",
    "cron",
    "oncalendar",
    "tz",
    "grace",
    "manual_resume",
    "post_only",
    "keywords",
    "parents",
)


async def test_a_client_writing_back_what_it_read_changes_nothing(
    api: Api,
    client: Client,  # noqa: F811
) -> None:
    created = await client.ok(
        "POST",
        "/checks",
        {
            "name": "backup",
            "oncalendar": "Mon..Fri *-*-* 02:00",
            "tz": "Europe/Paris",
            "rules": {"max_duration": "2h", "recovery_threshold": 2},
            "keywords": {"start": "begin", "success": "done", "http_body": True},
        },
    )
    record = await api.database.read_with(check_store.check_by_uuid, UUID(created["uuid"]))
    assert record is not None
    before, _ = await settings_of(api, record.id)

    hc_path = f"/api/v3/checks/{created['uuid']}"
    read = (await call(api, "GET", hc_path, {})).json()
    written = {k: read[k] for k in HEALTHCHECKS_WRITABLE if k in read}
    assert (await call(api, "POST", hc_path, written)).status_code == 200
    assert (await settings_of(api, record.id))[0] == before, "healthchecks"

    bs_path = f"/api/v2/heartbeats/{record.id}"
    attributes = (await call(api, "GET", bs_path, {})).json()["data"]["attributes"]
    written = {k: attributes[k] for k in BETTER_STACK_WRITABLE if k in attributes}
    assert (await call(api, "PATCH", bs_path, written)).status_code == 200
    assert (await settings_of(api, record.id))[0] == before, "better stack"

    tocsin_path = f"{PREFIX}/checks/{created['id']}"
    shown = (await call(api, "GET", tocsin_path, {})).json()
    written = {k: shown[k] for k in TOCSIN_WRITABLE if shown.get(k) is not None}
    written["rules"] = {k: v for k, v in shown["rules"].items() if v is not None}
    assert (await call(api, "PATCH", tocsin_path, written)).status_code == 200
    assert (await settings_of(api, record.id))[0] == before, "tocsin"
