"""`tocsin cron sync`: one check per crontab job, and each job line run under `tocsin run`."""

import difflib
import getpass
import shutil
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import typer

from tocsin.cli.common import CommandError, act, console, fail_on_errors, load_settings
from tocsin.cli.helpscreens import Group
from tocsin.domain.crontab import CronJob, parse_crontab, rewritten
from tocsin.domain.durations import parse_duration
from tocsin.domain.records import NewCheck
from tocsin.domain.schedule import cron_schedule, validate_grace
from tocsin.services.crontab import JobChange, Verb, sync_crontab

app = typer.Typer(cls=Group, help="Monitor the jobs of a crontab.", no_args_is_help=True)
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
        synced = act(
            settings, lambda c: sync_crontab(c, specs, source, dry_run=not apply, prune=prune)
        )
        for change in synced.changes:
            console.print(described(change))
        environment = {
            "TOCSIN_RUN_SERVER": settings.base_url,
            "TOCSIN_PING_KEY": synced.ping_key,
        }
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


def described(change: JobChange) -> str:
    if change.verb == Verb.PAUSE:
        return f"pause check {change.slug!r} (gone from the crontab)"
    if change.verb == Verb.GONE_PAUSED:
        return f"gone from the crontab: check {change.slug!r} (paused)"
    if change.verb == Verb.GONE:
        return f"gone from the crontab: check {change.slug!r} (--prune --apply pauses it)"
    return f"{change.verb.value} check {change.slug!r} ({change.schedule})"


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
