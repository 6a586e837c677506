"""A crontab's jobs kept as checks (`tocsin cron sync`): one check per job in the
default project, tagged with the crontab it came from, and the checks of jobs gone
from that crontab paused. One action, all or nothing, in one write transaction; the
crontab itself (reading, rewriting, the diff) is the command line's."""

from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum

import sqlalchemy as sa

from tocsin.domain.checks import Status
from tocsin.domain.records import CheckDetails, CheckRecord, NewCheck
from tocsin.services import checks as check_service
from tocsin.services.checks import CheckOptions
from tocsin.services.context import Context
from tocsin.services.projects import project_id_in
from tocsin.store import checks as check_store
from tocsin.store.projects import ping_key
from tocsin.store.tables import checks


class Verb(Enum):
    CREATE = "create"  # a job with no check yet
    RESCHEDULE = "reschedule"  # a job whose schedule moved
    UNCHANGED = "unchanged"
    PAUSE = "pause"  # gone from the crontab, and paused (prune)
    GONE = "gone"  # gone from the crontab, left running
    GONE_PAUSED = "gone, paused"  # gone from the crontab, paused already


@dataclass(frozen=True, slots=True)
class JobChange:
    verb: Verb
    slug: str
    schedule: str = ""  # as the check's schedule describes itself; a job's only


@dataclass(frozen=True, slots=True)
class CrontabSync:
    changes: list[JobChange]
    ping_key: str  # the default project's, for the rewritten crontab's slug URLs


async def sync_crontab(
    context: Context, jobs: list[NewCheck], source: str, *, dry_run: bool, prune: bool
) -> CrontabSync:
    """Create the checks of `jobs` that are missing, reschedule those whose job moved
    and (with `prune`) pause those tagged `source` whose job is gone; with `dry_run`,
    only say so. `source` is the tag that marks the checks this crontab owns."""

    def work(connection: sa.Connection, now: datetime) -> tuple[CrontabSync, list[datetime]]:
        project_id = project_id_in(connection, "", now)
        changes, deadlines = [], []
        for job in jobs:
            change, details = sync_job(connection, project_id, job, source, now, dry_run=dry_run)
            changes.append(change)
            if details is not None and details.record.alert_after is not None:
                deadlines.append(details.record.alert_after)
        changes += gone_jobs(connection, project_id, jobs, source, now, pause=prune and not dry_run)
        return CrontabSync(changes, ping_key(connection, project_id)), deadlines

    async with context.database.write() as connection:
        synced, deadlines = await connection.run_sync(work, context.clock.now())
    for deadline in deadlines:
        context.deadline_moved(deadline)
    return synced


def sync_job(
    connection: sa.Connection,
    project_id: int,
    job: NewCheck,
    source: str,
    now: datetime,
    *,
    dry_run: bool,
) -> tuple[JobChange, CheckDetails | None]:
    """The job's change, and its check as written (None on a dry run)."""
    found = check_store.details_where(
        connection, (checks.c.project_id == project_id) & (checks.c.slug == job.slug)
    )
    verb = Verb.CREATE if not found else Verb.UNCHANGED
    if found and found[0].spec.schedule != job.schedule:
        verb = Verb.RESCHEDULE
    change = JobChange(verb, job.slug, job.schedule.describe())
    if dry_run:
        return change, None
    if found:
        current = found[0].spec
        owned = replace(
            current, schedule=job.schedule, tz=job.tz, tags=with_tag(current.tags, source)
        )
        return change, check_service.update_check_in(connection, found[0], owned, now)
    # As `tocsin check create` makes it: notifying every channel of the project.
    options = CheckOptions(channels=check_service.every_channel)
    return change, check_service.create_check_in(connection, project_id, job, now, options)


def gone_jobs(
    connection: sa.Connection,
    project_id: int,
    jobs: list[NewCheck],
    source: str,
    now: datetime,
    *,
    pause: bool,
) -> list[JobChange]:
    """The checks this crontab made whose job is no longer in it; paused if `pause`."""
    slugs = {job.slug for job in jobs}
    owned = check_store.details_where(
        connection,
        (checks.c.project_id == project_id) & checks.c.tags.contains(source, autoescape=True),
        for_update=True,
    )
    return [
        gone_job(connection, check.record, now, pause=pause)
        for check in owned
        if check.record.slug not in slugs and source in check.record.tags.split()
    ]


def gone_job(
    connection: sa.Connection, record: CheckRecord, now: datetime, *, pause: bool
) -> JobChange:
    if record.state.status == Status.PAUSED:
        return JobChange(Verb.GONE_PAUSED, record.slug)
    if not pause:
        return JobChange(Verb.GONE, record.slug)
    check_service.pause_check_in(connection, record, now)
    return JobChange(Verb.PAUSE, record.slug)


def with_tag(tags: str, tag: str) -> str:
    words = tags.split()
    return tags if tag in words else " ".join([*words, tag])
