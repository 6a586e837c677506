"""`tocsin check keywords`: a check's keyword rules shown in plain words, changed in
part, turned off, and a pattern RE2 refuses refused in one line."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.helpers import run_json, run_ok
from tocsin.cli import app


def test_rules_are_off_until_set(cli: CliRunner) -> None:
    run_ok(cli, "check", "create", "--name", "backup")
    output = run_ok(cli, "check", "keywords", "backup")
    assert "backup: Keyword rules are off" in output


def test_rules_are_set_in_part_and_said_in_plain_words(cli: CliRunner) -> None:
    run_ok(cli, "check", "create", "--name", "backup")
    output = run_ok(
        cli, "check", "keywords", "backup", "--failure", "ERROR,FAIL", "--success", "OK",
        "--http-body",
    )  # fmt: skip
    assert (
        "backup: A body containing ERROR or FAIL is a failure; one containing OK is a "
        "success; any other body is ignored." in output
    )
    assert "failure:   ERROR,FAIL" in output
    changed = run_json(cli, "check", "keywords", "backup", "--default-fail")
    assert changed == {
        "start": "",
        "success": "OK",
        "failure": "ERROR,FAIL",
        "regex": False,
        "http_body": True,
        "email_subject": False,
        "email_body": False,
        "default_fail": True,
    }
    off = run_json(cli, "check", "keywords", "backup", "--off")
    assert (off["http_body"], off["failure"]) == (False, "ERROR,FAIL")


def test_a_pattern_re2_refuses_is_a_one_line_error(cli: CliRunner) -> None:
    run_ok(cli, "check", "create", "--name", "backup")
    result = cli.invoke(
        app, ["check", "keywords", "backup", "--regex", "--failure", r"(a)\1", "--http-body"]
    )
    assert result.exit_code == 2
    assert result.output.startswith("error: failure is not a regular expression RE2 accepts")
    assert run_json(cli, "check", "keywords", "backup")["regex"] is False  # nothing changed


def test_a_backup_keeps_the_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOCSIN_DATABASE_URL", f"sqlite:///{tmp_path / 'tocsin.db'}")
    cli = CliRunner()
    run_ok(cli, "migrate")
    run_ok(cli, "check", "create", "--name", "backup")
    run_ok(cli, "check", "keywords", "backup", "--failure", "ERROR", "--http-body", "--regex")
    run_ok(cli, "backup", str(tmp_path / "copy.db"))
    monkeypatch.setenv("TOCSIN_DATABASE_URL", f"sqlite:///{tmp_path / 'copy.db'}")
    copied = run_json(cli, "check", "keywords", "backup")
    assert (copied["failure"], copied["http_body"], copied["regex"]) == ("ERROR", True, True)


def test_export_keeps_the_rules_and_applying_it_again_changes_nothing(
    cli: CliRunner, tmp_path: Path
) -> None:
    run_ok(cli, "check", "create", "--name", "backup")
    run_ok(cli, "check", "keywords", "backup", "--failure", "ERROR, FAIL", "--http-body")
    exported = tmp_path / "monitors.yaml"
    run_ok(cli, "export", "--output", str(exported))
    assert "keywords:\n      failure: ERROR, FAIL\n      http_body: true\n" in exported.read_text()
    run_ok(cli, "check", "keywords", "backup", "--off")
    assert "update check 'backup'" in run_ok(cli, "apply", str(exported)).lower()
    assert run_json(cli, "check", "keywords", "backup")["http_body"] is True
    assert "0 to update" in run_ok(cli, "apply", str(exported))
