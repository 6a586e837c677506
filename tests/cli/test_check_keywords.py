"""`tocsin check keywords`: a check's keyword rules shown in plain words, changed in
part, turned off, and a pattern RE2 refuses refused in one line."""

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
