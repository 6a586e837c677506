"""Rules on runs end to end, on the real server with a real SMTP server and times in
seconds: a backup that ran too fast, a run that ran too long, a job that ran too often,
and a flaky job under a threshold of 3 that alerts only at its third failure in a row
and resolves after 2 successes. Each alert names the rule and its numbers."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx

from tests.conftest import settings_for, start_server, stop_server
from tests.helpers import add_channel, eventually, incidents_of, make_check, reload
from tests.receivers import Mail, SmtpReceiver
from tocsin.domain.checks import streak
from tocsin.domain.records import CheckRecord
from tocsin.domain.run_rules import RunRules
from tocsin.domain.schedule import Period
from tocsin.store.database import Database

S = timedelta(seconds=1)
HOUR = timedelta(hours=1)


@dataclass
class Scene:
    client: httpx.AsyncClient
    database: Database
    smtp: SmtpReceiver

    async def check(self, name: str, rules: RunRules) -> CheckRecord:
        """A check on an hourly period with an hour's grace (no deadline will pass
        during a test), e-mailing ops."""
        check = await make_check(
            self.database, name=name, schedule=Period(HOUR), grace=HOUR, rules=rules
        )
        await add_channel(self.database, "email", {"to": ["ops@example.com"]}, f"{name} mail")
        return check

    async def ping(self, check: CheckRecord, kind: str = "") -> None:
        path = f"/ping/{check.uuid}" + (f"/{kind}" if kind else "")
        response = await self.client.post(path)
        assert response.status_code == 200, response.text

    async def mail(self, count: int) -> list[Mail]:
        await self.smtp.wait_for(count, limit=20)
        return self.smtp.mail


@asynccontextmanager
async def scene(database_url: str, smtp: SmtpReceiver, tmp_path: Path) -> AsyncIterator[Scene]:
    server = start_server(
        database_url,
        tmp_path / "server.log",
        TOCSIN_SMTP_HOST="127.0.0.1",
        TOCSIN_SMTP_PORT=str(smtp.port),
        TOCSIN_SMTP_SECURITY="none",
    )
    database = Database(settings_for(database_url))
    try:
        async with httpx.AsyncClient(base_url=server.url) as client:
            yield Scene(client, database, smtp)
    finally:
        await database.close()
        stop_server(server)


def cause(mail: Mail) -> str:
    return mail.part("text/plain")


async def test_a_backup_that_ran_too_fast_alerts_naming_the_rule(
    database_url: str, smtp: SmtpReceiver, tmp_path: Path
) -> None:
    async with scene(database_url, smtp, tmp_path) as it:
        backup = await it.check("db backup", RunRules(min_duration=5 * S))
        await it.ping(backup, "start")
        await it.ping(backup)
        [mail] = await it.mail(1)
        assert mail.subject == "db backup is DOWN"
        assert "too fast: ran " in cause(mail)
        assert "expected at least 5s" in cause(mail)
        [incident] = await incidents_of(it.database, backup)
        assert incident.cause == "too fast"


async def test_a_run_that_runs_too_long_alerts_before_it_ends(
    database_url: str, smtp: SmtpReceiver, tmp_path: Path
) -> None:
    async with scene(database_url, smtp, tmp_path) as it:
        report = await it.check("report", RunRules(max_duration=S))
        await it.ping(report, "start")
        [mail] = await it.mail(1)  # the watcher's, at the start plus 1 s: no finish came
        assert mail.subject == "report is DOWN"
        assert "too long: still running after 1s, expected at most 1s" in cause(mail)
        await it.ping(report)  # the late finish is a failure too: still down
        assert (await reload(it.database, report)).state.status == "down"
        [incident] = await incidents_of(it.database, report)
        assert incident.status == "open"


async def test_a_job_that_runs_too_often_alerts_naming_the_interval(
    database_url: str, smtp: SmtpReceiver, tmp_path: Path
) -> None:
    async with scene(database_url, smtp, tmp_path) as it:
        sync = await it.check("sync", RunRules(min_interval=HOUR))
        await it.ping(sync)
        assert await incidents_of(it.database, sync) == []
        await it.ping(sync)
        [mail] = await it.mail(1)
        assert mail.subject == "sync is DOWN"
        assert "too often: ran " in cause(mail)
        assert "after the previous run, expected at most once every 1h" in cause(mail)


async def test_a_flaky_job_alerts_at_its_third_failure_and_resolves_after_two_successes(
    database_url: str, smtp: SmtpReceiver, tmp_path: Path
) -> None:
    async with scene(database_url, smtp, tmp_path) as it:
        flaky = await it.check("flaky", RunRules(failure_threshold=3, recovery_threshold=2))
        for count in (1, 2):
            await it.ping(flaky, "fail")  # answered once written: the count is committed
            record = await reload(it.database, flaky)
            assert (record.state.status, streak(record.state)) == ("up", f"failing ({count} of 3)")
            assert await incidents_of(it.database, flaky) == []
        await it.ping(flaky, "fail")
        [down] = await it.mail(1)
        assert down.subject == "flaky is DOWN"
        assert "3rd failure in a row (threshold 3): failed" in cause(down)

        await it.ping(flaky)
        record = await reload(it.database, flaky)
        assert (record.state.status, streak(record.state)) == ("down", "recovering (1 of 2)")
        [still_open] = await incidents_of(it.database, flaky)
        assert still_open.status == "open"
        await it.ping(flaky)
        mails = await it.mail(2)
        assert mails[1].subject == "flaky is UP again"

        async def resolved() -> bool:
            return [i.status for i in await incidents_of(it.database, flaky)] == ["resolved"]

        assert await eventually(resolved, 10)
        assert len(smtp.mail) == 2
