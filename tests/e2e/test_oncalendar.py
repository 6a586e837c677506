"""An OnCalendar schedule end to end, on the real server with short times: a check due
every fourth second of the minute (`*:*:0/4`), made through the Healthchecks API over
HTTP, pinged once and then silent, goes down at the first slot it missed plus its grace,
and the email says when the ping was expected."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa

from tests.conftest import settings_for, start_server, stop_server
from tests.helpers import add_channel, incidents_of, reload
from tests.receivers import SmtpReceiver
from tocsin.domain.describe import stamp
from tocsin.domain.schedule import OnCalendar, next_due
from tocsin.store import checks as check_store
from tocsin.store.database import Database
from tocsin.store.keys import create_key
from tocsin.store.projects import default_project

EVERY_FOUR_SECONDS = "*:*:0/4"
GRACE = timedelta(seconds=1)


async def api_key(database: Database) -> str:
    """A read-write key of the default project, whose secret both APIs take."""

    def work(connection: sa.Connection) -> str:
        now = datetime.now(UTC)
        project_id = default_project(connection, now)
        return create_key(connection, project_id, "e2e", False, now)[1]

    async with database.write() as connection:
        return await connection.run_sync(work)


async def test_a_check_on_an_oncalendar_schedule_that_misses_a_slot_alerts(
    database_url: str, smtp: SmtpReceiver, tmp_path: Path
) -> None:
    server = start_server(
        database_url,
        tmp_path / "server.log",
        TOCSIN_SMTP_HOST="127.0.0.1",
        TOCSIN_SMTP_PORT=str(smtp.port),
        TOCSIN_SMTP_SECURITY="none",
        TOCSIN_NOTIFY_TIMEOUT="2s",
    )
    database = Database(settings_for(database_url))
    try:
        await add_channel(database, "email", {"to": ["oncall@example.com"]}, "email")
        key = await api_key(database)
        async with httpx.AsyncClient(base_url=server.url) as client:
            await run_scenario(client, database, key, smtp)
    finally:
        await database.close()
        stop_server(server)


async def run_scenario(
    client: httpx.AsyncClient, database: Database, key: str, smtp: SmtpReceiver
) -> None:
    # Healthchecks' API takes the schedule and its zone; its grace is at least a minute,
    # so Tocsin's own API, which allows less, makes it short.
    body = {"name": "sampler", "schedule": EVERY_FOUR_SECONDS, "tz": "Europe/Berlin"}
    made = await client.post(
        "/api/v3/checks/", json=body | {"channels": "*"}, headers={"X-Api-Key": key}
    )
    assert made.status_code == 201, made.text
    created = made.json()
    assert (created["schedule"], created["tz"], "timeout" in created) == (
        EVERY_FOUR_SECONDS,
        "Europe/Berlin",
        False,
    )
    tocsin = {"Authorization": f"Bearer {key}"}
    (listed,) = (await client.get("/api/tocsin/v1/checks", headers=tocsin)).json()["items"]
    changed = await client.patch(
        f"/api/tocsin/v1/checks/{listed['id']}", json={"grace": 1}, headers=tocsin
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["oncalendar"] == EVERY_FOUR_SECONDS

    assert (await client.get(f"/ping/{created['uuid']}")).status_code == 200
    (record,) = await database.read_with(check_store.list_checks)
    record = await reload(database, record)
    last_ping, deadline = record.state.last_ping, record.alert_after
    assert last_ping is not None
    assert deadline is not None
    due = next_due(OnCalendar(EVERY_FOUR_SECONDS, "Europe/Berlin"), last_ping)
    # Due at the next slot, a whole second divisible by four, not 4 s after the ping.
    assert (due.second % 4, due.microsecond) == (0, 0)
    assert last_ping < due <= last_ping + timedelta(seconds=4)
    assert deadline == due + GRACE

    # Silent: the slot is missed, and the alert goes out once its grace is over.
    await smtp.wait_for(1, limit=30)
    mail = smtp.mail[0]
    assert mail.subject == "sampler is DOWN"
    assert mail.at >= deadline.timestamp()
    text = mail.part("text/plain")
    assert f"expected by {stamp(due)}" in text
    [incident] = await incidents_of(database, record)
    assert incident.status == "open"
