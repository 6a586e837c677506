"""The seed story with people, end to end: the in-process app with its watcher and
notifier running, a real SMTP server (aiosmtpd), and a clock set to just before 20:00 in
Berlin that then runs at the real pace. One member is on call by day and another by
night (a weekly rotation with a night layer), a third is only on the team. A 3 s
heartbeat follows "the person on call by email at once; the entire team after 4 s".
Down by day: only the day member is emailed, then, unacknowledged, all three 4 s later.
Down again once night has begun: only the night member, who acknowledges from the
link in the mail."""

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

import httpx

from tests.conftest import settings_for
from tests.helpers import incidents_of, make_check, timeline, use_policy
from tests.receivers import Mail, SmtpReceiver
from tests.web.conftest import add_user
from tocsin.domain.oncall import Restriction
from tocsin.domain.people import Method, TargetKind
from tocsin.domain.records import CheckRecord
from tocsin.domain.schedule import Period
from tocsin.server.app import create_app
from tocsin.services import oncall, people, policies
from tocsin.services.context import Context
from tocsin.services.policies import NameScope, PolicyDraft, ReachSpec, TargetSpec
from tocsin.store.database import Database
from tocsin.store.projects import default_project

S = timedelta(seconds=1)
BERLIN = "Europe/Berlin"
# 19:59:30 in Berlin on a Wednesday in June: 30 s of day, then the night layer.
START = datetime(2026, 6, 10, 17, 59, 30, tzinfo=UTC)
NIGHT = datetime(2026, 6, 10, 18, 0, 0, tzinfo=UTC)
SITE = "http://tocsin.test"


@dataclass
class RunningClock:
    """Now at the real pace, from an instant chosen by the test."""

    offset: timedelta

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def restart(self, at: datetime) -> None:
        """Now is `at` again: the story starts after however long the setup took."""
        self.offset = at - datetime.now(UTC)


async def until(probe: Callable[[], bool], what: str, limit: float = 20) -> None:
    give_up = time.monotonic() + limit
    while not probe():
        if time.monotonic() > give_up:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0.05)


async def until_logged(database: Database, incident_id: int, line: str) -> None:
    """Until the incident's timeline has the line: the notifier records a delivery
    after the mail has reached the server, so the mail alone is not enough."""
    give_up = time.monotonic() + 20
    while line not in [message for _, message in await timeline(database, incident_id)]:
        if time.monotonic() > give_up:
            raise AssertionError(f"gave up waiting for {line!r} on the timeline")
        await asyncio.sleep(0.05)


def downs(smtp: SmtpReceiver) -> list[Mail]:
    return [mail for mail in smtp.mail if mail.subject.endswith("is DOWN")]


def mailed_to(smtp: SmtpReceiver, email: str) -> Callable[[], bool]:
    return lambda: any(email in mail.recipients for mail in smtp.mail)


def recipients(mails: list[Mail]) -> list[str]:
    return sorted(address for mail in mails for address in mail.recipients)


async def test_the_seed_story_with_people(
    database_url: str, smtp: SmtpReceiver, tmp_path: Path
) -> None:
    settings = settings_for(
        database_url,
        site_url=SITE,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_security="none",
        notify_timeout=2 * S,
    )
    clock = RunningClock(START - datetime.now(UTC))
    app = create_app(settings, clock, run_watcher=True, run_notifier=True)
    async with app.web.router.lifespan_context(app.web):
        context: Context = app.web.state.services
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=SITE) as client:
            await run_story(context, clock, client, smtp)


async def team(context: Context, smtp: SmtpReceiver) -> tuple[int, dict[str, int]]:
    """Three members with confirmed account emails, each confirmed by following the
    link mailed to it."""
    async with context.database.write() as connection:
        project_id = await connection.run_sync(default_project, context.clock.now())
    ids = {}
    for name in ("day", "night", "third"):
        email = f"{name}@example.com"
        user_id = ids[name] = await add_user(context.database, email, "member", project_id)
        contact = await people.add_account_email(context, user_id)
        assert await people.send_verification(context, user_id, contact.id) == ""
        await until(mailed_to(smtp, email), f"{email}'s link")
        [mail] = [m for m in smtp.mail if email in m.recipients]
        found = re.search(r"\?contact=(\d+)&token=(\S+)", mail.part("text/plain"))
        assert found is not None
        await people.verify_contact(context, user_id, int(found.group(1)), found.group(2))
    smtp.mail.clear()
    return project_id, ids


async def calendar(context: Context, project_id: int, ids: dict[str, int]) -> None:
    """Primary: the day member all week, a night layer over it from 20:00 to 08:00."""
    primary = await oncall.default_calendar(context, project_id)
    monday = datetime(2026, 6, 8, 7, 0, tzinfo=UTC)
    await oncall.add_rotation(
        context,
        project_id,
        primary.id,
        oncall.RotationSpec("days", [ids["day"]], monday, BERLIN, 1, "week", 0),
    )
    nights = Restriction(clock_time(20), clock_time(8))
    spec = oncall.RotationSpec("nights", [ids["night"]], monday, BERLIN, 1, "week", 1, nights)
    await oncall.add_rotation(context, project_id, primary.id, spec)


async def heartbeat(context: Context, project_id: int) -> CheckRecord:
    email = frozenset({Method.EMAIL})
    draft = PolicyDraft(
        "people",
        [(0 * S, []), (4 * S, [])],
        reaches=(
            ReachSpec((TargetSpec(TargetKind.ON_CALL),), email),
            ReachSpec((TargetSpec(TargetKind.ENTIRE_TEAM),), email),
        ),
    )
    policy = await policies.create_policy(context, project_id, draft, scope=NameScope.PROJECT)
    check = await make_check(
        context.database, name="nightly backup", schedule=Period(3 * S), grace=S
    )
    await use_policy(context.database, check, policy.id)
    return check


async def run_story(
    context: Context, clock: RunningClock, client: httpx.AsyncClient, smtp: SmtpReceiver
) -> None:
    project_id, ids = await team(context, smtp)
    await calendar(context, project_id, ids)
    clock.restart(START)  # 30 s of day left, however long the setup took
    check = await heartbeat(context, project_id)
    database = context.database

    # By day: the person on call first, alone …
    assert (await client.get(f"/ping/{check.uuid}")).status_code == 200
    await until(lambda: len(downs(smtp)) >= 1, "the day member's alert")
    assert recipients(downs(smtp)) == ["day@example.com"]
    assert context.clock.now() < NIGHT
    [incident] = await incidents_of(database, check)
    await until_logged(
        database, incident.id, "down alert: emailed day@example.com (on call in Primary)"
    )
    assert "?token=" in downs(smtp)[0].part("text/plain")  # the acknowledge link

    # … then, unacknowledged, the entire team 4 s later.
    await until(lambda: len(downs(smtp)) >= 4, "the team's alerts")
    assert recipients(downs(smtp)[1:]) == [
        "day@example.com",
        "night@example.com",
        "third@example.com",
    ]
    assert context.clock.now() < NIGHT

    # Back up; pinged until the night layer has begun.
    while context.clock.now() < NIGHT + S:
        assert (await client.get(f"/ping/{check.uuid}")).status_code == 200
        await asyncio.sleep(0.5)
    before = len(downs(smtp))

    # Down at night: only the night member, who acknowledges from the mail's link.
    await until(lambda: len(downs(smtp)) > before, "the night member's alert")
    night_mail = downs(smtp)[before]
    assert night_mail.recipients == ["night@example.com"]
    found = re.search(r"/incidents/(\d+)\?token=(\S+)", night_mail.part("text/plain"))
    assert found is not None
    acknowledged = await client.post(
        f"/incidents/{found.group(1)}/ack", data={"token": found.group(2), "by": "night"}
    )
    assert acknowledged.status_code == 303
    [_, second] = await incidents_of(database, check)
    assert second.status == "acknowledged"
    assert second.progress.due_at is None  # the team's step will not run
    await until_logged(
        database, second.id, "down alert: emailed night@example.com (on call in Primary)"
    )
    assert recipients(downs(smtp)[before:]) == ["night@example.com"]
