"""A crontab's jobs kept as checks through `services.crontab` on a real database: one
check per job, rescheduled when its job moves, paused when its job is gone."""

from datetime import timedelta

from tests.services.conftest import Recorder
from tocsin.domain.checks import Status
from tocsin.domain.records import CheckRecord, NewCheck
from tocsin.domain.schedule import cron_schedule
from tocsin.services.crontab import JobChange, Verb, sync_crontab
from tocsin.store import checks as check_store
from tocsin.store.projects import project_names

SOURCE = "crontab:host:/etc/crontab"
GRACE = timedelta(hours=1)


def job(slug: str, expression: str, source: str = SOURCE) -> NewCheck:
    """As `tocsin cron sync` makes a job's check: tagged with its crontab."""
    return NewCheck(cron_schedule(expression, "UTC"), GRACE, name=slug, slug=slug, tags=source)


async def stored(context: Recorder) -> dict[str, CheckRecord]:
    async with context.database.read() as connection:
        return {r.slug: r for r in await connection.run_sync(check_store.list_checks)}


def verbs(changes: list[JobChange]) -> list[tuple[Verb, str]]:
    return [(change.verb, change.slug) for change in changes]


async def test_each_job_gets_one_check_in_the_default_project(context: Recorder) -> None:
    jobs = [job("backup", "0 2 * * *"), job("report", "30 6 * * 1")]
    synced = await sync_crontab(context, jobs, SOURCE, dry_run=False, prune=False)
    assert verbs(synced.changes) == [(Verb.CREATE, "backup"), (Verb.CREATE, "report")]
    assert synced.changes[0].schedule == jobs[0].schedule.describe()
    checks = await stored(context)
    assert sorted(checks) == ["backup", "report"]
    assert checks["backup"].tags == SOURCE
    async with context.database.read() as connection:
        assert await connection.run_sync(project_names) == ["Default"]
    assert synced.ping_key

    again = await sync_crontab(context, jobs, SOURCE, dry_run=False, prune=False)
    assert verbs(again.changes) == [(Verb.UNCHANGED, "backup"), (Verb.UNCHANGED, "report")]
    assert again.ping_key == synced.ping_key
    assert sorted(await stored(context)) == ["backup", "report"]


async def test_a_moved_job_is_rescheduled_and_a_gone_one_paused_with_prune(
    context: Recorder,
) -> None:
    await sync_crontab(
        context,
        [job("backup", "0 2 * * *"), job("report", "30 6 * * 1")],
        SOURCE,
        dry_run=False,
        prune=False,
    )
    moved = [job("backup", "0 3 * * *")]

    kept = await sync_crontab(context, moved, SOURCE, dry_run=False, prune=False)
    assert verbs(kept.changes) == [(Verb.RESCHEDULE, "backup"), (Verb.GONE, "report")]
    assert (await stored(context))["report"].state.status != Status.PAUSED

    pruned = await sync_crontab(context, moved, SOURCE, dry_run=False, prune=True)
    assert verbs(pruned.changes) == [(Verb.UNCHANGED, "backup"), (Verb.PAUSE, "report")]
    checks = await stored(context)
    assert checks["report"].state.status == Status.PAUSED
    assert checks["backup"].state.schedule == moved[0].schedule

    later = await sync_crontab(context, moved, SOURCE, dry_run=False, prune=True)
    assert verbs(later.changes) == [(Verb.UNCHANGED, "backup"), (Verb.GONE_PAUSED, "report")]


async def test_a_check_of_another_crontab_is_not_its_to_pause(context: Recorder) -> None:
    elsewhere = "crontab:elsewhere"
    await sync_crontab(
        context, [job("backup", "0 2 * * *", elsewhere)], elsewhere, dry_run=False, prune=False
    )
    synced = await sync_crontab(context, [], SOURCE, dry_run=False, prune=True)
    assert synced.changes == []
    assert (await stored(context))["backup"].state.status != Status.PAUSED


async def test_a_dry_run_says_what_it_would_do_and_writes_no_check(context: Recorder) -> None:
    synced = await sync_crontab(
        context, [job("backup", "0 2 * * *")], SOURCE, dry_run=True, prune=True
    )
    assert verbs(synced.changes) == [(Verb.CREATE, "backup")]
    assert await stored(context) == {}
