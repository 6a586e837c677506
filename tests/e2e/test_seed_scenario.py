"""The seed scenario, end to end, on the real server with short times: a heartbeat
every 2 s with 1 s grace, email and Slack at once, a webhook 3 s later if nobody
acknowledged; acknowledge from the alert's link; recover and hear about it everywhere."""

import asyncio
import time
from datetime import timedelta
from pathlib import Path

import httpx

from tests.conftest import settings_for, start_server, stop_server
from tests.helpers import add_channel, add_policy, incidents_of, make_check, reload, use_policy
from tests.receivers import HttpReceiver, SmtpReceiver
from tocsin.domain.schedule import Period
from tocsin.store.database import Database

S = timedelta(seconds=1)


async def test_the_seed_scenario(
    database_url: str, receiver: HttpReceiver, smtp: SmtpReceiver, tmp_path: Path
) -> None:
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
        await run_scenario(server.url, database, receiver, smtp)
    finally:
        await database.close()
        stop_server(server)


async def run_scenario(
    url: str, database: Database, receiver: HttpReceiver, smtp: SmtpReceiver
) -> None:
    email = await add_channel(database, "email", {"to": ["oncall@example.com"]}, "email")
    slack = await add_channel(database, "slack", {"url": f"{receiver.url}/slack"}, "slack")
    hook = await add_channel(database, "webhook", {"url": f"{receiver.url}/hook"}, "hook")
    policy = await add_policy(
        database,
        "seed",
        [(0 * S, [email, slack]), (3 * S, [hook])],
        repeat_count=1,
        repeat_delay=2 * S,  # would page again at +5 s unless acknowledged
    )
    check = await make_check(database, name="nightly backup", schedule=Period(2 * S), grace=S)
    await use_policy(database, check, policy)

    async with httpx.AsyncClient(base_url=url) as client:
        assert (await client.get(f"/ping/{check.uuid}")).status_code == 200
        deadline = (await reload(database, check)).alert_after
        assert deadline is not None

        # Down: email and Slack within a second of the deadline.
        await smtp.wait_for(1)
        await receiver.wait_for(1, "/slack")
        assert smtp.mail[0].at - deadline.timestamp() < 1.0
        assert receiver.on("/slack")[0].at - deadline.timestamp() < 1.0
        assert smtp.mail[0].subject == "nightly backup is DOWN"
        assert receiver.on("/hook") == []

        # Nobody acknowledged: the webhook 3 s later.
        await receiver.wait_for(1, "/hook")
        late = receiver.on("/hook")[0].at - deadline.timestamp()
        assert 3.0 <= late < 4.0
        ack_url = receiver.on("/slack")[0].json()["blocks"][-1]["elements"][0]["url"]

        # Acknowledge from the link: the page first (opening it changes nothing) …
        page = await client.get(ack_url)
        assert page.status_code == 200
        assert "Acknowledge</button>" in page.text
        assert (await incidents_of(database, check))[0].status == "open"
        # … then the button.
        token = ack_url.split("token=")[1]
        incident_id = (await incidents_of(database, check))[0].id
        done = await client.post(
            f"/incidents/{incident_id}/ack", data={"token": token, "by": "Ada"}
        )
        assert done.status_code == 303
        [incident] = await incidents_of(database, check)
        assert (incident.status, incident.acknowledged_by) == ("acknowledged", "Ada")

        # Nothing more is sent: the repeat due at +5 s does not happen.
        wait = deadline.timestamp() + 6.0 - time.time()
        await asyncio.sleep(max(wait, 0))
        assert (len(smtp.mail), len(receiver.requests)) == (1, 2)

        # Ping again: resolved, and every channel that was alerted hears it.
        await client.get(f"/ping/{check.uuid}")
        await smtp.wait_for(2)
        await receiver.wait_for(2, "/slack")
        await receiver.wait_for(2, "/hook")

    [resolved] = await incidents_of(database, check)
    assert (resolved.status, resolved.resolved_by) == ("resolved", "ping")
    recovery_mail = smtp.mail[1]
    assert recovery_mail.subject == "nightly backup is UP again"
    assert "Down for: " in recovery_mail.part("text/plain")
    assert receiver.on("/hook")[1].json()["status"] == "up"
    assert receiver.on("/hook")[1].json()["downtime_seconds"] > 5
    slack_recovery = receiver.on("/slack")[1].json()
    assert slack_recovery["text"] == "nightly backup is UP again"
