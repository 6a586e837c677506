"""Keyword rules, end to end on the real server: set through Healthchecks' API with a
real HTTP client, then three bodies on the plain success URL. A success keyword keeps
the check up; a failure keyword takes it down and the alert mail names the keyword; a
body matching nothing is ignored, and with `filter_default_fail` on, is a failure."""

import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

from tests.conftest import settings_for, start_server, stop_server
from tests.helpers import add_channel, incidents_of, pings_of, reload
from tests.receivers import SmtpReceiver
from tocsin.domain.checks import Status
from tocsin.domain.records import CheckRecord
from tocsin.store import checks as check_store
from tocsin.store.database import Database
from tocsin.store.keys import create_key
from tocsin.store.projects import default_project

RULES = {
    "success_kw": "backup OK",
    "failure_kw": "ERROR,FAIL",
    "filter_http_body": True,
    "filter_default_fail": False,
}


async def test_keyword_rules_classify_three_bodies(
    database_url: str, smtp: SmtpReceiver, tmp_path: Path
) -> None:
    server = start_server(
        database_url,
        tmp_path / "server.log",
        TOCSIN_SMTP_HOST="127.0.0.1",
        TOCSIN_SMTP_PORT=str(smtp.port),
        TOCSIN_SMTP_SECURITY="none",
    )
    database = Database(settings_for(database_url))
    try:
        await add_channel(database, "email", {"to": ["oncall@example.com"]}, "email")
        key = await api_key(database)
        async with httpx.AsyncClient(base_url=server.url, headers={"X-Api-Key": key}) as client:
            await run_scenario(client, database, smtp)
    finally:
        await database.close()
        stop_server(server)


async def api_key(database: Database) -> str:
    async with database.write() as connection:
        now = datetime.now(UTC)
        project_id = await connection.run_sync(default_project, now)
        _, secret = await connection.run_sync(create_key, project_id, "", False, now)
    return str(secret)


async def run_scenario(client: httpx.AsyncClient, database: Database, smtp: SmtpReceiver) -> None:
    created = await client.post(
        "/api/v3/checks/",
        json={"name": "nightly backup", "timeout": 3600, "grace": 60, "channels": "*", **RULES},
    )
    assert created.status_code == 201, created.text
    shown = (await client.get(created.json()["update_url"])).json()
    assert shown == shown | RULES
    check = await record_of(database, shown["uuid"])

    # 1. A success keyword: up.
    await ping(client, check, b"rsync finished\nbackup OK, 12 GB\n")
    assert (await reload(database, check)).state.status == Status.UP

    # 2. A failure keyword on the success URL: down, and the alert says which.
    await ping(client, check, b"rsync: write failed: ERROR 28 (No space left)\n")
    await smtp.wait_for(1)
    mail = smtp.mail[0]
    assert mail.subject == "nightly backup is DOWN"
    assert "Cause: failed: body matched failure keyword 'ERROR'" in mail.part("text/plain")
    (incident,) = await incidents_of(database, check)
    assert incident.cause_detail == "failed: body matched failure keyword 'ERROR'"

    # 3. A body matching nothing: recorded as ignored, the check stays down.
    await ping(client, check, b"rsync: nothing to say\n")
    assert (await reload(database, check)).state.status == Status.DOWN
    assert [p.kind for p in await pings_of(database, check)] == ["success", "fail", "ign"]

    # With filter_default_fail set through the API, such a body is a failure.
    await ping(client, check, b"backup OK\n")  # up again: a recovery mail
    await smtp.wait_for(2)
    updated = await client.post(shown["update_url"], json={"filter_default_fail": True})
    assert updated.json()["filter_default_fail"] is True
    await ping(client, check, b"rsync: nothing to say\n")
    await smtp.wait_for(3)
    assert "Cause: failed: body matched no keyword, so a failure" in smtp.mail[2].part("text/plain")
    kinds = [p.kind for p in await pings_of(database, check)]
    assert kinds == ["success", "fail", "ign", "success", "fail"]


async def record_of(database: Database, check_uuid: str) -> CheckRecord:
    found = await database.read_with(check_store.check_by_uuid, uuid.UUID(check_uuid))
    assert found is not None
    return found


async def ping(client: httpx.AsyncClient, check: CheckRecord, body: bytes) -> None:
    response = await client.post(f"/ping/{check.uuid}", content=body)
    assert (response.status_code, response.text) == (200, "OK")
