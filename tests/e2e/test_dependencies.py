"""A NAS and the six backups that depend on it, end to end on the real server with a
real SMTP server and short times: the NAS goes down, then the six miss their
deadlines; one alert goes out, the NAS's, naming the six it holds. When the NAS comes
back and the backups are still down, each alerts after the settle; when they come
back with it, none does."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa

from tests.conftest import settings_for, start_server, stop_server
from tests.helpers import (
    add_channel,
    add_policy,
    eventually,
    incidents_of,
    make_check,
    use_policy,
)
from tests.receivers import SmtpReceiver
from tocsin.domain.records import CheckRecord
from tocsin.domain.schedule import Period
from tocsin.store import dependencies as dependency_store
from tocsin.store.database import Database

S = timedelta(seconds=1)
SETTLE = 2 * S
CHILDREN = [f"backup {n}" for n in range(1, 7)]
LIMIT = 30.0  # seconds any condition may take on a busy machine


@dataclass
class Family:
    client: httpx.AsyncClient
    database: Database
    smtp: SmtpReceiver
    nas: CheckRecord
    children: list[CheckRecord]

    async def ping(self, *checks: CheckRecord) -> None:
        for check in checks:
            assert (await self.client.get(f"/ping/{check.uuid}")).status_code == 200

    async def all_held(self) -> bool:
        for child in self.children:
            found = await incidents_of(self.database, child)
            if not found or found[-1].held_by != self.nas.id or found[-1].release_at is None:
                return False
        return True

    async def child_notifications(self) -> int:
        ids = [child.id for child in self.children]
        query = sa.text(
            "SELECT count(*) FROM notifications JOIN incidents"
            " ON incidents.id = notifications.incident_id WHERE incidents.check_id IN "
            f"({', '.join(str(i) for i in ids)})"
        )
        async with self.database.read() as connection:
            return int((await connection.execute(query)).scalar_one())

    def subjects(self) -> list[str]:
        return [mail.subject for mail in self.smtp.mail]


@asynccontextmanager
async def nas_family(
    database_url: str, smtp: SmtpReceiver, tmp_path: Path
) -> AsyncIterator[Family]:
    """The NAS goes down 4 s after its ping and alerts 3 s later (a first step with a
    wait); the backups, pinged with it, go down a second after it."""
    server = start_server(
        database_url,
        tmp_path / "server.log",
        TOCSIN_SMTP_HOST="127.0.0.1",
        TOCSIN_SMTP_PORT=str(smtp.port),
        TOCSIN_SMTP_SECURITY="none",
        TOCSIN_NOTIFY_TIMEOUT="2s",
        TOCSIN_DEPENDENCY_SETTLE="2s",
    )
    database = Database(settings_for(database_url))
    try:
        email = await add_channel(database, "email", {"to": ["oncall@example.com"]}, "email")
        nas = await make_check(database, name="nas", schedule=Period(3 * S), grace=S)
        policy = await add_policy(database, "nas", [(3 * S, [email])])
        await use_policy(database, nas, policy)
        children = [
            await make_check(database, name=name, schedule=Period(3 * S), grace=2 * S)
            for name in CHILDREN
        ]
        async with database.write() as connection:
            for child in children:
                await connection.run_sync(dependency_store.set_parents, child.id, [nas.id])
        async with httpx.AsyncClient(base_url=server.url) as client:
            family = Family(client, database, smtp, nas, children)
            await family.ping(nas, *children)
            yield family
    finally:
        await database.close()
        stop_server(server)


async def nas_down_holding_six(family: Family) -> None:
    """The NAS's alert, the one mail, names the six backups it holds."""
    assert await eventually(family.all_held, LIMIT)
    await family.smtp.wait_for(1, LIMIT)
    assert family.subjects() == ["nas is DOWN"]
    text = family.smtp.mail[0].part("text/plain")
    assert "Holding: " + ", ".join(CHILDREN) in text
    assert await family.child_notifications() == 0
    [held] = (await incidents_of(family.database, family.children[0]))[-1:]
    assert held.next_escalation_at is None


async def test_the_nas_alerts_alone_and_the_backups_still_down_alert_after_the_settle(
    database_url: str, smtp: SmtpReceiver, tmp_path: Path
) -> None:
    async with nas_family(database_url, smtp, tmp_path) as family:
        await nas_down_holding_six(family)

        await family.ping(family.nas)
        await family.smtp.wait_for(2 + len(CHILDREN), LIMIT)
        recovered = family.smtp.mail[1]
        assert recovered.subject == "nas is UP again"
        child_mail = family.smtp.mail[2 : 2 + len(CHILDREN)]
        assert sorted(mail.subject for mail in child_mail) == [f"{n} is DOWN" for n in CHILDREN]
        # Each after the settle, counted from the NAS's recovery.
        assert all(mail.at >= recovered.at + SETTLE.total_seconds() - 1.0 for mail in child_mail)
        for child in family.children:
            [incident] = await incidents_of(family.database, child)
            assert (incident.status, incident.release_at) == ("open", None)


async def test_backups_that_come_back_with_the_nas_never_alert(
    database_url: str, smtp: SmtpReceiver, tmp_path: Path
) -> None:
    async with nas_family(database_url, smtp, tmp_path) as family:
        await nas_down_holding_six(family)

        await family.ping(family.nas, *family.children)

        async def all_resolved() -> bool:
            for child in family.children:
                [incident] = await incidents_of(family.database, child)
                if incident.status != "resolved":
                    return False
            return True

        assert await eventually(all_resolved, LIMIT)
        await family.smtp.wait_for(2, LIMIT)
        assert family.subjects()[:2] == ["nas is DOWN", "nas is UP again"]
        # Resolved incidents are never released: no child alert can follow.
        assert await family.child_notifications() == 0
        assert not any(subject.startswith("backup") for subject in family.subjects())
