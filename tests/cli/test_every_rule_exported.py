"""A project using every rule at once (rules on runs, keyword rules, OnCalendar, a
check's own window, windows of a check, a tag and the project, parents, a snooze)
survives `tocsin export` then `tocsin apply --prune` unchanged, and `tocsin backup`."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.helpers import run_json, run_ok
from tocsin.config import Settings

EVERY_RULE = """\
checks:
  nas:
    name: NAS
    period: 5m
    grace: 1m
    tags: [nas]
  backup:
    name: Backup
    oncalendar: |
      Mon..Fri *-*-* 02:00
      Sat *-*-* 04:00
    tz: Europe/Paris
    grace: 30m
    tags: [nas, nightly]
    depends_on: [nas]
    maintenance:
      days: [sun]
      from: "01:00"
      to: "03:30"
    runs:
      min_duration: 5m
      max_duration: 2h
      min_interval: 20h
      interval_from: starts
      failure_threshold: 3
      recovery_threshold: 2
    keywords:
      failure: ERROR, FAIL
      success: backup OK
      start: starting
      http_body: true
      default_fail: true
maintenance:
  nightly:
    check: backup
    days: [mon, tue]
    from: "23:00"
    to: "01:00"
    tz: Europe/Berlin
  NAS move:
    tag: nas
    start: 2030-01-31T02:00:00Z
    end: 2030-01-31T04:00:00Z
  weekend freeze:
    days: [sat, sun]
    from: "00:00"
    to: "00:00"
"""


@pytest.fixture
def applied(cli: CliRunner, tmp_path: Path) -> str:
    """The project applied from the file, the NAS snoozed; its export."""
    path = tmp_path / "monitors.yaml"
    path.write_text(EVERY_RULE)
    run_ok(cli, "apply", str(path))
    run_ok(cli, "check", "snooze", "nas", "2h")
    return run_ok(cli, "export")


def test_export_then_apply_prune_of_every_rule_changes_nothing(
    cli: CliRunner, applied: str, tmp_path: Path
) -> None:
    for words in ("oncalendar", "runs:", "keywords:", "depends_on", "NAS move", "03:30"):
        assert words in applied, words
    exported = tmp_path / "exported.yaml"
    exported.write_text(applied)
    windows = run_json(cli, "maintenance", "list", "--json")
    lines = run_ok(cli, "apply", str(exported), "--prune").splitlines()
    assert lines[-1] == "0 to create, 0 to update, 0 to delete, 5 unchanged."
    assert run_ok(cli, "export") == applied
    assert run_json(cli, "maintenance", "list", "--json") == windows  # the snooze too
    assert [w["name"] for w in windows if w["snooze"]] != []


def test_a_backup_keeps_every_rule(
    cli: CliRunner,
    applied: str,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("tocsin backup copies SQLite databases; PostgreSQL's is pg_dump's")
    copy = tmp_path / "copy.db"
    run_ok(cli, "backup", str(copy))
    monkeypatch.setenv("TOCSIN_DATABASE_URL", f"sqlite:///{copy}")
    assert run_ok(cli, "export") == applied


def test_editing_one_rule_on_the_command_line_keeps_every_other(
    cli: CliRunner, applied: str
) -> None:
    run_ok(cli, "check", "edit", "backup", "--failure-threshold", "4")
    changed = applied.replace("failure_threshold: 3\n", "failure_threshold: 4\n")
    assert changed != applied
    assert run_ok(cli, "export") == changed
