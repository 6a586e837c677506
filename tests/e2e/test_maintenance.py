"""Maintenance windows and snoozes on the real server with short times, a real SMTP
server and a real webhook receiver: a window that swallows a deadline (no alert inside
it, the alert after it when the job is still missing), an open incident whose
escalation step waits for a window to end, and a snoozed check and incident."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import settings_for, start_server, stop_server
from tests.helpers import (
    add_channel,
    add_policy,
    eventually,
    incidents_of,
    make_check,
    reload,
    timeline,
    use_policy,
)
from tests.receivers import HttpReceiver, SmtpReceiver
from tocsin.api.tocsin.http import PREFIX
from tocsin.domain.records import CheckRecord
from tocsin.domain.schedule import Period
from tocsin.store.database import Database
from tocsin.store.keys import create_key
from tocsin.store.projects import default_project

S = timedelta(seconds=1)
LIMIT = 30  # seconds: generous, for two shared cores


@dataclass
class Site:
    client: httpx.AsyncClient
    database: Database
    smtp: SmtpReceiver
    receiver: HttpReceiver
    key: str

    async def api(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {self.key}"}
        response = await self.client.request(method, PREFIX + path, json=body, headers=headers)
        assert response.status_code in (200, 201, 204), response.text
        return response.json() if response.content else None

    async def ping(self, record: CheckRecord, suffix: str = "") -> None:
        assert (await self.client.get(f"/ping/{record.uuid}{suffix}")).status_code == 200

    def mail_about(self, name: str) -> list[float]:
        return [mail.at for mail in self.smtp.mail if mail.subject.startswith(name)]

    async def mail_arrives(self, name: str) -> float:
        async def arrived() -> bool:
            return bool(self.mail_about(name))

        assert await eventually(arrived, LIMIT), f"no mail about {name}"
        return self.mail_about(name)[0]


@pytest.fixture
async def site(
    database_url: str, receiver: HttpReceiver, smtp: SmtpReceiver, tmp_path: Path
) -> AsyncIterator[Site]:
    server = start_server(
        database_url,
        tmp_path / "server.log",
        TOCSIN_SMTP_HOST="127.0.0.1",
        TOCSIN_SMTP_PORT=str(smtp.port),
        TOCSIN_SMTP_SECURITY="none",
        TOCSIN_ALLOW_PRIVATE_WEBHOOKS="true",
        TOCSIN_NOTIFY_TIMEOUT="2s",
    )
    database = Database(settings_for(database_url))
    try:
        key = await api_key(database)
        async with httpx.AsyncClient(base_url=server.url) as client:
            yield Site(client, database, smtp, receiver, key)
    finally:
        await database.close()
        stop_server(server)


async def api_key(database: Database) -> str:
    def work(connection: sa.Connection) -> str:
        now = datetime.now(UTC)
        project_id = default_project(connection, now)
        _key, secret = create_key(connection, project_id, "e2e", False, now)
        return secret

    return await database.write_with(work)


def instant(moment: datetime) -> str:
    return moment.isoformat()


async def test_a_window_swallows_a_deadline_and_the_alert_comes_after_it(site: Site) -> None:
    await add_channel(site.database, "email", {"to": ["ops@example.com"]}, "email")
    record = await make_check(site.database, name="nightly backup", schedule=Period(2 * S), grace=S)
    await site.ping(record)
    deadline = (await reload(site.database, record)).alert_after
    assert deadline is not None
    ends = deadline + 3 * S
    window = {"name": "NAS firmware", "starts_at": instant(deadline - 2 * S),
              "ends_at": instant(ends)}  # fmt: skip
    await site.api("POST", "/maintenance", window)

    arrived = await site.mail_arrives("nightly backup")
    assert arrived >= ends.timestamp()
    [incident] = await incidents_of(site.database, record)
    # Dated when the job was due, as the timeline of a held deadline always is.
    assert incident.opened_at == deadline


async def test_an_open_incidents_escalation_step_waits_for_the_window(site: Site) -> None:
    email = await add_channel(site.database, "email", {"to": ["ops@example.com"]}, "email")
    hook = await add_channel(site.database, "webhook", {"url": f"{site.receiver.url}/hook"})
    policy = await add_policy(site.database, "two steps", [(0 * S, [email]), (4 * S, [hook])])
    record = await make_check(site.database, name="db dump", schedule=Period(S * 3600), grace=S)
    await use_policy(site.database, record, policy)
    await site.ping(record, "/fail")  # answered once its incident is committed
    [incident] = await incidents_of(site.database, record)
    ends = incident.opened_at + 6 * S
    checks = await site.api("GET", "/checks")
    check_key = next(c["id"] for c in checks["items"] if c["name"] == "db dump")
    window = {"name": "deploy", "check": check_key, "starts_at": instant(incident.opened_at),
              "ends_at": instant(ends)}  # fmt: skip
    await site.api("POST", "/maintenance", window)

    await site.receiver.wait_for(1, "/hook", limit=LIMIT)
    assert site.receiver.on("/hook")[0].at >= ends.timestamp()
    lines = await timeline(site.database, incident.id)
    kinds = [kind for kind, _ in lines if kind != "notified"]
    assert kinds[-3:] == ["paused", "resumed", "escalated"]
    assert ("resumed", "escalation resumed: window ended") in lines


async def test_a_snoozed_check_and_a_snoozed_incident(site: Site) -> None:
    email = await add_channel(site.database, "email", {"to": ["ops@example.com"]}, "email")
    quiet = await make_check(site.database, name="report", schedule=Period(2 * S), grace=S)
    await site.ping(quiet)
    due = (await reload(site.database, quiet)).alert_after
    checks = await site.api("GET", "/checks")
    report_key = next(c["id"] for c in checks["items"] if c["name"] == "report")
    snooze = await site.api("POST", f"/checks/{report_key}/snooze", {"duration": "5s"})
    wakes = datetime.fromisoformat(snooze["ends_at"])
    assert await site.mail_arrives("report") >= wakes.timestamp()
    [down] = await incidents_of(site.database, quiet)
    assert down.opened_at == due

    hook = await add_channel(site.database, "webhook", {"url": f"{site.receiver.url}/hook"})
    policy = await add_policy(site.database, "two steps", [(0 * S, [email]), (4 * S, [hook])])
    record = await make_check(site.database, name="db dump", schedule=Period(S * 3600), grace=S)
    await use_policy(site.database, record, policy)
    await site.ping(record, "/fail")  # answered once its incident is committed
    [incident] = await incidents_of(site.database, record)
    snoozed = await site.api(
        "POST", f"/incidents/{incident.id}/snooze", {"duration": "5s", "by": "ada"}
    )
    assert snoozed["status"] == "open"
    await site.receiver.wait_for(1, "/hook", limit=LIMIT)
    lines = await timeline(site.database, incident.id)
    [(_, said)] = [(kind, message) for kind, message in lines if kind == "snoozed"]
    assert said.startswith("snoozed until ")
    events = await site.api("GET", f"/incidents/{incident.id}/timeline")
    snoozer = [e["actor"] for e in events["items"] if e["kind"] == "snoozed"]
    assert snoozer == ["ada"]
    assert ("resumed", "escalation resumed: snooze ended") in lines
    woken_at = next(e["at"] for e in events["items"] if e["kind"] == "resumed")
    snoozed_at = next(e["at"] for e in events["items"] if e["kind"] == "snoozed")
    gap = datetime.fromisoformat(woken_at) - datetime.fromisoformat(snoozed_at)
    assert gap >= 5 * S
