"""`tocsin apply` and `tocsin export`: a project kept in a monitors file, on a real database."""

import asyncio
from datetime import time, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.helpers import run_json, run_ok, send_pings
from tocsin.cli import app
from tocsin.config import Settings
from tocsin.domain.checks import Action
from tocsin.domain.records import CheckRecord
from tocsin.domain.schedule import Maintenance
from tocsin.store import checks as check_store
from tocsin.store.database import Database

MONITORS = """\
channels:
  ops:
    kind: slack
    url: ${SLACK_URL}
  mail:
    kind: email
    to: [ops@example.com]
policies:
  escalate:
    steps:
      - wait: 0s
        channels: [mail]
      - wait: 10m
        channels: [ops]
    repeat_count: 2
    repeat_delay: 30m
    nag_interval: 1h
checks:
  db-backup:
    name: DB backup
    cron: "0 2 * * *"
    tz: Europe/Berlin
    grace: 30m
    tags: [db, nightly]
    policy: escalate
    maintenance:
      days: [sun]
      from: 01:00
      to: 03:30
  queue:
    period: 15m
    grace: 5m
    channels: [ops]
    methods: POST
    paused: true
"""


@pytest.fixture
def monitors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SLACK_URL", "https://hooks.slack.com/services/T0/B0/secret")
    path = tmp_path / "monitors.yaml"
    path.write_text(MONITORS)
    return path


def apply(cli: CliRunner, path: Path, *options: str) -> list[str]:
    return run_ok(cli, "apply", str(path), *options).splitlines()


def checks_of(settings: Settings) -> dict[str, CheckRecord]:
    async def read() -> dict[str, CheckRecord]:
        database = Database(settings)
        try:
            return {r.slug: r for r in await database.read_with(check_store.list_checks)}
        finally:
            await database.close()

    return asyncio.run(read())


def test_it_creates_checks_channels_and_policies_from_a_file(
    cli: CliRunner, monitors: Path, settings: Settings
) -> None:
    assert apply(cli, monitors) == [
        "create channel 'ops'",
        "create channel 'mail'",
        "create policy 'escalate'",
        "create check 'db-backup'",
        "create check 'queue'",
        "5 to create, 0 to update, 0 to delete, 0 unchanged.",
    ]
    listed = {c["slug"]: c for c in run_json(cli, "check", "list")}
    assert listed["db-backup"]["name"] == "DB backup"
    assert listed["db-backup"]["schedule"] == "cron 0 2 * * * (Europe/Berlin)"
    assert listed["db-backup"]["tags"] == "db nightly"
    assert listed["queue"]["status"] == "paused"
    assert [c["name"] for c in run_json(cli, "channel", "list")] == ["ops", "mail"]
    policies = run_ok(cli, "policy", "list")
    assert "after 0s: mail; after 10m: ops" in policies
    assert "2x after 30m" in policies
    stored = checks_of(settings)
    assert stored["queue"].state.post_only
    assert stored["db-backup"].state.maintenance == Maintenance(
        frozenset({6}), time(1), time(3, 30), "Europe/Berlin"
    )
    assert stored["queue"].state.maintenance is None


def test_a_dry_run_only_prints_the_plan(cli: CliRunner, monitors: Path) -> None:
    lines = apply(cli, monitors, "--dry-run")
    assert (
        lines[-1] == "5 to create, 0 to update, 0 to delete, 0 unchanged (dry run: nothing changed)"
    )
    assert run_json(cli, "check", "list") == []
    assert run_json(cli, "channel", "list") == []


def test_applying_the_same_file_twice_changes_nothing(cli: CliRunner, monitors: Path) -> None:
    apply(cli, monitors)
    assert apply(cli, monitors)[-1] == "0 to create, 0 to update, 0 to delete, 5 unchanged."


def test_a_new_schedule_moves_the_deadline(
    cli: CliRunner, monitors: Path, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "hourly.yaml"
    path.write_text("checks:\n  hourly:\n    period: 1h\n    grace: 5m\n")
    apply(cli, path)
    before = checks_of(settings)["hourly"]
    assert before.alert_after is None  # new: no deadline until the first ping
    asyncio.run(ping(settings, before))
    pinged = checks_of(settings)["hourly"]
    assert pinged.alert_after is not None
    path.write_text("checks:\n  hourly:\n    period: 1d\n    grace: 1h\n")
    assert apply(cli, path)[0] == "update check 'hourly' (schedule, grace)"
    after = checks_of(settings)["hourly"]
    assert after.state.last_ping == pinged.state.last_ping
    assert after.alert_after == pinged.alert_after + timedelta(hours=23, minutes=55)


async def ping(settings: Settings, record: CheckRecord) -> None:
    await send_pings(settings.database_url, record.uuid, [Action.SUCCESS])


def test_prune_deletes_only_what_the_file_leaves_out(
    cli: CliRunner, monitors: Path, tmp_path: Path
) -> None:
    apply(cli, monitors)
    smaller = tmp_path / "smaller.yaml"
    smaller.write_text(
        "channels:\n  mail:\n    kind: email\n    to: [ops@example.com]\n"
        "checks:\n  queue:\n    period: 15m\n    grace: 5m\n"
    )
    kept = apply(cli, smaller)
    assert not [line for line in kept if line.startswith("delete")]
    assert "update check 'queue' (methods, paused, channels)" in kept
    assert len(run_json(cli, "check", "list")) == 2
    pruned = apply(cli, smaller, "--prune")
    assert "delete channel 'ops'" in pruned
    assert "delete policy 'escalate'" in pruned
    assert "delete check 'db-backup'" in pruned
    assert [c["slug"] for c in run_json(cli, "check", "list")] == ["queue"]
    assert [c["name"] for c in run_json(cli, "channel", "list")] == ["mail"]


def test_export_then_apply_changes_nothing(cli: CliRunner, monitors: Path, tmp_path: Path) -> None:
    apply(cli, monitors)
    run_ok(cli, "check", "create", "--name", "made by hand", "--period", "1h")  # no slug
    run_ok(cli, "channel", "add", "webhook", "--set", "url=https://example.com/${NOT_A_VARIABLE}")
    exported = tmp_path / "exported.yaml"
    run_ok(cli, "export", "--output", str(exported))
    assert exported.stat().st_mode & 0o777 == 0o600
    text = exported.read_text()
    assert "https://hooks.slack.com/services/T0/B0/secret" in text  # settings as stored
    assert "$${NOT_A_VARIABLE}" in text
    lines = apply(cli, exported, "--prune")
    assert lines[-1] == "0 to create, 0 to update, 0 to delete, 7 unchanged."
    assert run_ok(cli, "export") == text


def test_secrets_come_from_environment_variables(
    cli: CliRunner, monitors: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply(cli, monitors)
    assert "url: https://hooks.slack.com/services/T0/B0/secret" in run_ok(cli, "export")
    monkeypatch.setenv("SLACK_URL", "https://hooks.slack.com/services/T0/B0/rotated")
    assert "update channel 'ops' (url)" in apply(cli, monitors)


BAD_FILES = [
    (
        "checks:\n  a: 1d\n    grace: 1h\n",
        ["monitors.yaml:3: mapping values are not allowed here"],
    ),
    (
        "checks:\n  db-backup:\n    period: 1x\n",
        [
            "monitors.yaml:3: checks.db-backup.period: invalid duration '1x': "
            "use a number with a unit, like 90s, 15m, 1h30m or 1d"
        ],
    ),
    (
        "checks:\n  a:\n    perod: 1d\nchanels: {}\n",
        [
            "monitors.yaml:2: checks.a: needs a schedule: a period, a cron expression "
            "or OnCalendar expressions",
            "monitors.yaml:3: checks.a.perod: unknown key 'perod'; did you mean 'period'?",
            "monitors.yaml:4: chanels: unknown key 'chanels'; did you mean 'channels'?",
        ],
    ),
    (
        "checks:\n  a:\n    cron: '0 2 * *'\n  b:\n    cron: '0 2 * * *'\n    tz: Mars/Olympus\n",
        [
            "monitors.yaml:3: checks.a.cron: invalid cron expression '0 2 * *': it needs 5 "
            "fields (minute hour day-of-month month day-of-week)",
            "monitors.yaml:6: checks.b.tz: unknown time zone 'Mars/Olympus': use an IANA name "
            "such as Europe/Berlin or UTC",
        ],
    ),
    (
        "checks:\n  a:\n    period: 1d\n    channels: [ops]\n    policy: loud\n"
        "policies:\n  p:\n    steps:\n      - channels: [pager]\n",
        [
            "monitors.yaml:4: checks.a.channels[0]: no channel named 'ops' in this file",
            "monitors.yaml:5: checks.a.policy: no policy named 'loud' in this file",
            "monitors.yaml:9: policies.p.steps[0].channels[0]: no channel named 'pager' "
            "in this file",
        ],
    ),
    (
        "channels:\n  ops:\n    kind: slak\n  mail:\n    kind: email\n    to: [nobody]\n"
        "    cc: x\n  hook:\n    kind: webhook\n",
        [
            "monitors.yaml:3: channels.ops.kind: unknown channel kind 'slak'; known kinds: "
            "apprise, discord, email, googlechat, gotify, matrix, mattermost, msteams, ntfy, "
            "opsgenie, pagerduty, pushover, slack, telegram, twilio, webhook",
            "monitors.yaml:7: channels.mail.cc: unknown key 'cc'; expected one of: to",
            "monitors.yaml:8: channels.hook.url: Field required",
        ],
    ),
    (
        "channels:\n  mail:\n    kind: email\n    to: [nobody]\n",
        ["monitors.yaml:4: channels.mail.to: Value error, not an email address: nobody"],
    ),
    (
        "channels:\n  ops:\n    kind: slack\n    url: ${TOCSIN_TEST_UNSET}\n",
        ["monitors.yaml:4: channels.ops.url: environment variable TOCSIN_TEST_UNSET is not set"],
    ),
    (
        "checks:\n  Bad Slug:\n    period: 1d\n    paused: maybe\n  a:\n    period: 1d\n"
        "  a:\n    period: 2d\n",
        [
            "monitors.yaml:2: checks.Bad Slug: a check's key is its slug: lower-case letters, "
            "digits, - and _",
            "monitors.yaml:4: checks.Bad Slug.paused: expected true or false, not 'maybe'",
            "monitors.yaml:7: checks.a: duplicate key",
        ],
    ),
    (
        "policies:\n  p:\n    repeat_count: 500\n    nag_interval: 0s\n",
        [
            "monitors.yaml:3: policies.p.repeat_count: must be a whole number from 0 to 100",
            "monitors.yaml:4: policies.p.nag_interval: must be longer than 0s",
        ],
    ),
]


@pytest.mark.parametrize(("text", "problems"), BAD_FILES)
def test_a_bad_file_is_refused_whole_with_every_problem_and_its_line(
    cli: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    problems: list[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("monitors.yaml").write_text(text)
    result = cli.invoke(app, ["apply", "monitors.yaml"])
    assert result.exit_code == 2
    count = len(problems)
    summary = (
        f"error: {count} problem{'s' if count > 1 else ''} in monitors.yaml; nothing was applied"
    )
    assert result.output.splitlines() == [*problems, summary]
    assert run_json(cli, "check", "list") == []


def test_a_bad_file_changes_nothing_even_where_it_is_valid(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "monitors.yaml"
    path.write_text("checks:\n  good:\n    period: 1d\n  bad:\n    period: 1x\n")
    assert cli.invoke(app, ["apply", str(path)]).exit_code == 2
    assert run_json(cli, "check", "list") == []


def test_apply_to_an_unknown_project_is_refused(cli: CliRunner, monitors: Path) -> None:
    result = cli.invoke(app, ["apply", str(monitors), "--project", "nope"])
    assert result.exit_code == 2
    assert "error: no project named 'nope'" in result.output
