"""Crontab lines as people write them, read and rewritten to run under `tocsin run`."""

from pathlib import Path

from typer.testing import CliRunner

from tests.helpers import run_json, run_ok
from tocsin.domain.crontab import parse_crontab, rewritten

CORPUS = """\
# m h  dom mon dow   command
SHELL=/bin/bash
MAILTO="ops@example.com"
PATH=/usr/local/bin:/usr/bin:/bin

0 2 * * * /usr/local/bin/backup.sh --full > /var/log/backup.log 2>&1
*/15 * * * * cd /srv/app && ./manage.py clearsessions
30 4 * * mon-fri  test -x /usr/sbin/anacron || ( cd / && run-parts --report /etc/cron.daily )
CRON_TZ=Europe/Berlin
0 0 1 jan,jul * /usr/bin/find /tmp -mtime +7 -delete
@daily mysqldump --all-databases | gzip > /backups/db-$(date +\\%F).sql.gz
@hourly mail -s "it's hourly" root%hello%world
@reboot /usr/local/bin/start-agent
5 4 * * sun   /usr/local/bin/backup.sh --weekly
"""


def test_the_corpus_is_read_as_cron_reads_it() -> None:
    crontab = parse_crontab(CORPUS)
    jobs = [(j.expression, j.tz, j.slug) for j in crontab.jobs]
    assert jobs == [
        ("0 2 * * *", "UTC", "backup-sh"),
        ("*/15 * * * *", "UTC", "cd"),
        ("30 4 * * mon-fri", "UTC", "test"),
        ("0 0 1 jan,jul *", "Europe/Berlin", "find"),
        ("0 0 * * *", "Europe/Berlin", "mysqldump"),
        ("0 * * * *", "Europe/Berlin", "mail"),
        ("5 4 * * sun", "Europe/Berlin", "backup-sh-2"),
    ]
    assert crontab.skipped == ["line 13: @reboot has no schedule to watch"]


def test_a_tocsin_comment_names_the_check_of_the_job_after_it() -> None:
    crontab = parse_crontab(
        "# tocsin: slug=nightly-db\n"
        "0 2 * * * /usr/local/bin/backup.sh\n"
        "5 2 * * * /usr/local/bin/backup.sh --again\n"
        "#tocsin:slug=Not A Slug\n"
        "0 3 * * * /usr/local/bin/report.sh\n"
    )
    assert [job.slug for job in crontab.jobs] == ["nightly-db", "backup-sh", "report-sh"]
    assert crontab.skipped == ["line 4: 'Not A Slug' is not a slug (a-z, 0-9, - and _)"]


def test_each_job_runs_through_sh_under_tocsin_run_with_its_percent_stdin_outside() -> None:
    crontab = parse_crontab(CORPUS)
    lines = rewritten(crontab, "/opt/tocsin", {"TOCSIN_RUN_SERVER": "https://t.example"})
    assert lines[5] == "TOCSIN_RUN_SERVER=https://t.example"
    assert lines[6] == (
        "0 2 * * * /opt/tocsin run --check backup-sh -- "
        "sh -c '/usr/local/bin/backup.sh --full > /var/log/backup.log 2>&1'"
    )
    assert lines[11] == (
        "@daily /opt/tocsin run --check mysqldump -- "
        "sh -c 'mysqldump --all-databases | gzip > /backups/db-$(date +\\%F).sql.gz'"
    )
    assert lines[12] == (
        "@hourly /opt/tocsin run --check mail -- "
        "sh -c 'mail -s \"it'\"'\"'s hourly\" root'%hello%world"
    )
    assert lines[13] == "@reboot /usr/local/bin/start-agent"


def test_rewriting_twice_changes_nothing_more() -> None:
    environment = {"TOCSIN_RUN_SERVER": "https://t.example"}
    once = "\n".join(rewritten(parse_crontab(CORPUS), "/opt/tocsin", environment))
    again = parse_crontab(once)
    assert [j.slug for j in again.jobs] == [j.slug for j in parse_crontab(CORPUS).jobs]
    assert "\n".join(rewritten(again, "/opt/tocsin", environment)) == once


def test_sync_previews_then_applies_with_a_backup_and_is_idempotent(
    cli: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "crontab"
    path.write_text(CORPUS)
    preview = run_ok(cli, "cron", "sync", "--crontab", str(path))
    assert "create check 'backup-sh' (cron 0 2 * * * (UTC))" in preview
    assert "+0 2 * * * " in preview
    assert path.read_text() == CORPUS
    assert run_json(cli, "check", "list") == []

    applied = run_ok(cli, "cron", "sync", "--crontab", str(path), "--apply")
    assert "previous one is in" in applied
    assert (tmp_path / "crontab.bak").read_text() == CORPUS
    assert "run --check find -- sh -c" in path.read_text()
    assert "TOCSIN_PING_KEY=" in path.read_text()
    listed = {c["slug"]: c["schedule"] for c in run_json(cli, "check", "list")}
    assert listed["find"] == "cron 0 0 1 jan,jul * (Europe/Berlin)"
    assert len(listed) == 7

    written = path.read_text()
    again = run_ok(cli, "cron", "sync", "--crontab", str(path), "--apply")
    assert "already runs every job" in again
    assert "create" not in again
    assert path.read_text() == written


def test_a_job_moved_to_another_time_reschedules_its_check(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "crontab"
    path.write_text("0 2 * * * backup.sh\n")
    run_ok(cli, "cron", "sync", "--crontab", str(path), "--apply")
    path.write_text(path.read_text().replace("0 2 * * *", "0 3 * * *"))
    output = run_ok(cli, "cron", "sync", "--crontab", str(path), "--apply")
    assert "reschedule check 'backup-sh' (cron 0 3 * * * (UTC))" in output
    [check] = run_json(cli, "check", "list")
    assert check["schedule"] == "cron 0 3 * * * (UTC)"


def test_a_job_taken_out_of_the_crontab_has_its_check_paused_only_with_prune(
    cli: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "crontab"
    path.write_text("0 2 * * * backup.sh\n*/5 * * * * sync_files.sh\n")
    run_ok(cli, "cron", "sync", "--crontab", str(path), "--apply")
    run_ok(cli, "check", "create", "--name", "by hand", "--slug", "by-hand", "--period", "1h")
    path.write_text("0 2 * * * backup.sh\n")

    kept = run_ok(cli, "cron", "sync", "--crontab", str(path), "--apply")
    assert "gone from the crontab: check 'sync-files-sh' (--prune --apply pauses it)" in kept
    statuses = {c["slug"]: c["status"] for c in run_json(cli, "check", "list")}
    assert statuses == {"backup-sh": "new", "sync-files-sh": "new", "by-hand": "new"}

    pruned = run_ok(cli, "cron", "sync", "--crontab", str(path), "--apply", "--prune")
    assert "pause check 'sync-files-sh' (gone from the crontab)" in pruned
    statuses = {c["slug"]: c["status"] for c in run_json(cli, "check", "list")}
    # Checks made by hand, and the jobs still in the crontab, are left alone.
    assert statuses == {"backup-sh": "new", "sync-files-sh": "paused", "by-hand": "new"}

    again = run_ok(cli, "cron", "sync", "--crontab", str(path), "--apply", "--prune")
    assert "gone from the crontab: check 'sync-files-sh' (paused)" in again


def test_another_crontab_does_not_prune_this_ones_checks(cli: CliRunner, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.write_text("0 2 * * * backup.sh\n")
    second.write_text("0 3 * * * report.sh\n")
    run_ok(cli, "cron", "sync", "--crontab", str(first), "--apply")
    pruned = run_ok(cli, "cron", "sync", "--crontab", str(second), "--apply", "--prune")
    assert "backup-sh" not in pruned
    statuses = {c["slug"]: c["status"] for c in run_json(cli, "check", "list")}
    assert statuses == {"backup-sh": "new", "report-sh": "new"}
