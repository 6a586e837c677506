"""Healthchecks' API has no rules on runs: an update through it keeps a check's rules,
and a check failing under its threshold is `up` in its words."""

import uuid
from dataclasses import replace
from datetime import timedelta

import sqlalchemy as sa

from tests.api.conftest import Api
from tocsin.domain.records import CheckDetails
from tocsin.domain.run_rules import RunRules
from tocsin.store import checks as check_store

RULES = RunRules(min_duration=timedelta(minutes=5), failure_threshold=2)


async def with_rules(api: Api, check_uuid: str) -> None:
    def work(connection: sa.Connection) -> None:
        details = check_store.details_by_uuid(connection, uuid.UUID(check_uuid))
        assert details is not None
        spec = replace(details.spec, rules=RULES)
        check_store.update_spec(connection, details.record, spec, api.clock.now())

    async with api.database.write() as connection:
        await connection.run_sync(work)


async def rules_of(api: Api, check_uuid: str) -> RunRules:
    found: CheckDetails | None = await api.database.read_with(
        check_store.details_by_uuid, uuid.UUID(check_uuid)
    )
    assert found is not None
    return found.spec.rules


async def test_an_update_keeps_the_rules_and_failing_is_up(api: Api) -> None:
    created = await api.create(name="backup", timeout=3600, grace=60)
    await with_rules(api, created["uuid"])
    updated = await api.post(f"/api/v3/checks/{created['uuid']}", {"name": "nightly", "grace": 120})
    assert updated.status_code == 200, updated.text
    assert await rules_of(api, created["uuid"]) == RULES
    await api.ping(created, "/fail")
    assert (await api.get(f"/api/v3/checks/{created['uuid']}")).json()["status"] == "up"
