"""`tocsin cron sync`: one check per crontab job, and each job line run under `tocsin run`."""

import dataclasses
import difflib
import getpass
import shutil
import socket
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
import typer

from tocsin.cli.checks import run
from tocsin.cli.common import CommandError, console, fail_on_errors, load_settings
from tocsin.domain.checks import Status
from tocsin.domain.clock import SystemClock
from tocsin.domain.crontab import CronJob, parse_crontab, rewritten
from tocsin.domain.durations import parse_duration
from tocsin.domain.records import NewCheck
from tocsin.domain.schedule import cron_schedule, validate_grace
from tocsin.services import checks as check_service
from tocsin.services.checks import CheckOptions
from tocsin.store import checks as check_store
from tocsin.store.projects import default_project, ping_key
from tocsin.store.tables import checks

app = typer.Typer(help="Monitor the jobs of a crontab.", no_args_is_help=True)
MAX_NAME = 100


@app.command("sync")
def sync(
    crontab: Path | None = typer.Option(None, "--crontab", help="A crontab file."),
    user: bool = typer.Option(False, "--user", help="Your crontab, through `crontab -l`."),
    grace: str = typer.Option("1h", help="Grace of the checks it creates."),
    apply: bool = typer.Option(False, "--apply", help="Make the checks and write the crontab."),
    prune: bool = typer.Option(
        False, "--prune", help="With --apply, pause the checks of jobs gone from this crontab."
    ),
) -> None:
    """Show (with --apply: make) a check per job and the crontab running each under `tocsin run`."""
    with fail_on_errors():
        if (crontab is None) == (not user):
            raise CommandError("give either --crontab FILE or --user")
        settings = load_settings()
        text = read_crontab(crontab)
        parsed = parse_crontab(text)
        source = source_tag(crontab)
        specs = [job_spec(job, parse_duration(grace), source) for job in parsed.jobs]
        for reason in parsed.skipped:
            console.print(f"skipped {reason}")
        plan = SyncPlan(specs, source, apply, prune)
        changes, ping_key = run(settings, plan.sync)
        for change in changes:
            console.print(change)
        environment = {"TOCSIN_RUN_SERVER": settings.base_url, "TOCSIN_PING_KEY": ping_key}
        new_text = "\n".join(rewritten(parsed, tocsin_path(), environment)) + "\n"
        show_diff(text, new_text)
        if apply and new_text != text:
            write_crontab(crontab, text, new_text)
        elif not apply:
            console.print("Nothing changed; --apply makes the checks and writes the crontab.")


def source_tag(crontab: Path | None) -> str:
    """The tag that marks the checks this crontab's jobs own, so that a job taken out
    of this crontab can be told from a check somebody made by hand or another host's."""
    place = str(crontab.resolve()) if crontab is not None else f"~{getpass.getuser()}"
    return "crontab:" + f"{socket.gethostname()}:{place}".replace(" ", "_")


def job_spec(job: CronJob, grace: timedelta, source: str) -> NewCheck:
    schedule = cron_schedule(job.expression, job.tz)
    name = " ".join(job.command.split())[:MAX_NAME]
    return NewCheck(
        schedule, validate_grace(grace), name=name, slug=job.slug, tags=source, tz=job.tz
    )


@dataclasses.dataclass
class SyncPlan:
    specs: list[NewCheck]
    source: str
    apply: bool
    prune: bool

    def sync(self, connection: sa.Connection) -> tuple[list[str], str]:
        """Create the checks that are missing, reschedule those whose job moved, and
        (with prune) pause those whose job is gone."""
        now = SystemClock().now()
        project_id = default_project(connection, now)
        changes = [self.sync_job(connection, project_id, spec, now) for spec in self.specs]
        changes += self.gone_jobs(connection, project_id, now)
        return changes, ping_key(connection, project_id)

    def sync_job(
        self, connection: sa.Connection, project_id: int, spec: NewCheck, now: datetime
    ) -> str:
        found = check_store.details_where(
            connection, (checks.c.project_id == project_id) & (checks.c.slug == spec.slug)
        )
        verb = "create" if not found else "unchanged"
        if found and found[0].spec.schedule != spec.schedule:
            verb = "reschedule"
        if found and self.apply:
            current = found[0].spec
            owned = dataclasses.replace(
                current,
                schedule=spec.schedule,
                tz=spec.tz,
                tags=with_tag(current.tags, self.source),
            )
            check_service.update_check_in(connection, found[0], owned, now)
        elif not found and self.apply:
            # As `tocsin check create` makes it: notifying every channel of the project.
            options = CheckOptions(channels=check_service.every_channel)
            check_service.create_check_in(connection, project_id, spec, now, options)
        return f"{verb} check {spec.slug!r} ({spec.schedule.describe()})"

    def gone_jobs(self, connection: sa.Connection, project_id: int, now: datetime) -> list[str]:
        """Checks this crontab made whose job is no longer in it."""
        slugs = {spec.slug for spec in self.specs}
        owned = check_store.details_where(
            connection,
            (checks.c.project_id == project_id)
            & checks.c.tags.contains(self.source, autoescape=True),
            for_update=True,
        )
        changes = []
        for check in owned:
            record = check.record
            if record.slug in slugs or self.source not in record.tags.split():
                continue
            if record.state.status == Status.PAUSED:
                changes.append(f"gone from the crontab: check {record.slug!r} (paused)")
            elif self.prune and self.apply:
                check_service.pause_check_in(connection, record, now)
                changes.append(f"pause check {record.slug!r} (gone from the crontab)")
            else:
                changes.append(
                    f"gone from the crontab: check {record.slug!r} (--prune --apply pauses it)"
                )
        return changes


def with_tag(tags: str, tag: str) -> str:
    words = tags.split()
    return tags if tag in words else " ".join([*words, tag])


def read_crontab(path: Path | None) -> str:
    if path is not None:
        return path.read_text()
    listed = subprocess.run(["crontab", "-l"], capture_output=True, text=True)
    if listed.returncode != 0 and "no crontab" not in listed.stderr:
        raise CommandError(f"crontab -l failed: {listed.stderr.strip()}")
    return listed.stdout


def write_crontab(path: Path | None, old: str, new: str) -> None:
    backup = (path or Path.cwd() / "crontab").with_name(f"{(path or Path('crontab')).name}.bak")
    backup.write_text(old)
    if path is not None:
        path.write_text(new)
    else:
        subprocess.run(["crontab", "-"], input=new, text=True, check=True)
    console.print(f"Wrote the crontab; the previous one is in {backup}.")


def show_diff(old: str, new: str) -> None:
    diff = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), "crontab", "crontab (new)"
    )
    console.print("".join(diff) or "The crontab already runs every job under tocsin run.")


def tocsin_path() -> str:
    """Where this `tocsin` is, so cron (whose PATH is short) finds it."""
    invoked = Path(sys.argv[0])
    if invoked.name == "tocsin" and invoked.exists():
        return str(invoked.resolve())
    return shutil.which("tocsin") or "tocsin"
