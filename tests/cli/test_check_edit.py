"""`tocsin check edit`: every option `create` takes, each set, changed and left alone
when another is given, and refused in the words `create` uses; `create` with the
keyword options."""

from typing import Any

import pytest
from typer.testing import CliRunner

from tests.helpers import run_json, run_ok
from tocsin.cli import app

# A check with every setting away from its default, so that any option can change it.
EVERYTHING = (
    *("--name", "backup", "--slug", "backup", "--tags", "prod", "--desc", "the NAS"),
    *("--cron", "0 2 * * *", "--tz", "Europe/Berlin", "--grace", "30m"),
    *("--manual-resume", "--post-only"),
    *("--min-duration", "1m", "--max-duration", "2h", "--min-interval", "10m"),
    *("--interval-from", "starts", "--failure-threshold", "2", "--recovery-threshold", "2"),
    *("--failure", "ERROR", "--success", "OK", "--start", "begin"),
    *("--http-body", "--email-subject", "--email-body", "--default-fail"),
)


def flat(document: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """`{"rules": {"min_duration": 60}}` as `{"rules.min_duration": 60}`."""
    found: dict[str, Any] = {}
    for key, value in document.items():
        if isinstance(value, dict):
            found |= flat(value, f"{prefix}{key}.")
        else:
            found[f"{prefix}{key}"] = value
    return found


def shown(cli: CliRunner, check: str = "backup") -> dict[str, Any]:
    return flat(run_json(cli, "check", "show", check))


def changed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in after.items() if before.get(key) != value}


def refusal(cli: CliRunner, *args: str) -> str:
    result = cli.invoke(app, list(args))
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: "), result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    return result.output.strip()


def test_create_sets_every_option(cli: CliRunner) -> None:
    run_ok(cli, "check", "create", *EVERYTHING)
    check = shown(cli)
    assert {key: check[key] for key in ("name", "slug", "tags", "description")} == {
        "name": "backup",
        "slug": "backup",
        "tags": "prod",
        "description": "the NAS",
    }
    assert (check["schedule"], check["tz"], check["grace"]) == (
        "cron 0 2 * * * (Europe/Berlin)",
        "Europe/Berlin",
        1800.0,
    )
    assert (check["manual_resume"], check["post_only"], check["policy"]) == (True, True, None)
    assert {k: v for k, v in check.items() if k.startswith("rules.")} == {
        "rules.min_duration": 60.0,
        "rules.max_duration": 7200.0,
        "rules.min_interval": 600.0,
        "rules.interval_from": "starts",
        "rules.failure_threshold": 2,
        "rules.recovery_threshold": 2,
    }
    assert {k: v for k, v in check.items() if k.startswith("keywords.")} == {
        "keywords.start": "begin",
        "keywords.success": "OK",
        "keywords.failure": "ERROR",
        "keywords.regex": False,
        "keywords.http_body": True,
        "keywords.email_subject": True,
        "keywords.email_body": True,
        "keywords.default_fail": True,
    }


def test_create_takes_the_keyword_options_and_says_them_in_words(cli: CliRunner) -> None:
    run_ok(cli, "check", "create", "--name", "backup", "--failure", "ERROR, FAIL", "--http-body")
    text = " ".join(run_ok(cli, "check", "show", "backup").split())
    assert "Keyword rules: A body containing ERROR or FAIL is a failure; any other body is" in text
    assert run_json(cli, "check", "keywords", "backup")["failure"] == "ERROR, FAIL"


EDITS = [
    (["--name", "nightly"], {"name": "nightly"}),
    (["--slug", "night_1"], {"slug": "night_1"}),
    (["--tags", " db   nas "], {"tags": "db nas"}),
    (["--desc", "tape"], {"description": "tape"}),
    (["--period", "2h"], {"schedule": "every 2h"}),
    (["--cron", "0 3 * * *"], {"schedule": "cron 0 3 * * * (Europe/Berlin)"}),
    (["--oncalendar", "Mon 02:00"], {"schedule": "OnCalendar Mon 02:00 (Europe/Berlin)"}),
    (
        ["--oncalendar", "Mon 02:00", "--oncalendar", "Sat 04:00", "--tz", "UTC"],
        {"schedule": "OnCalendar Mon 02:00; Sat 04:00 (UTC)", "tz": "UTC"},
    ),
    (["--tz", "Asia/Tokyo"], {"schedule": "cron 0 2 * * * (Asia/Tokyo)", "tz": "Asia/Tokyo"}),
    (["--grace", "2h"], {"grace": 7200.0}),
    (["--no-manual-resume"], {"manual_resume": False}),
    (["--no-post-only"], {"post_only": False}),
    (["--min-duration", "5m"], {"rules.min_duration": 300.0}),
    (["--min-duration", "off"], {"rules.min_duration": None}),
    (["--max-duration", "3h"], {"rules.max_duration": 10800.0}),
    (["--min-interval", "off"], {"rules.min_interval": None}),
    (["--interval-from", "successes"], {"rules.interval_from": "successes"}),
    (["--failure-threshold", "3"], {"rules.failure_threshold": 3}),
    (["--recovery-threshold", "1"], {"rules.recovery_threshold": 1}),
    (["--failure", "FAIL"], {"keywords.failure": "FAIL"}),
    (["--success", ""], {"keywords.success": ""}),
    (["--start", "go"], {"keywords.start": "go"}),
    (["--regex"], {"keywords.regex": True}),
    (["--no-http-body"], {"keywords.http_body": False}),
    (["--no-email-subject"], {"keywords.email_subject": False}),
    (["--no-email-body"], {"keywords.email_body": False}),
    (["--default-ignore"], {"keywords.default_fail": False}),
]


@pytest.mark.parametrize(("args", "expected"), EDITS, ids=[" ".join(a) for a, _ in EDITS])
def test_edit_changes_what_is_given_and_leaves_the_rest(
    cli: CliRunner, args: list[str], expected: dict[str, Any]
) -> None:
    run_ok(cli, "check", "create", *EVERYTHING)
    before = shown(cli)
    run_ok(cli, "check", "edit", "backup", *args)
    after = shown(cli, expected.get("name", "backup"))
    words = {"keywords_in_words", "status"}  # follow from the rules; a new check stays new
    assert {k: v for k, v in changed(before, after).items() if k not in words} == expected


def test_the_keyword_rules_words_follow_an_edit(cli: CliRunner) -> None:
    run_ok(cli, "check", "create", *EVERYTHING)
    run_ok(cli, "check", "edit", "backup", "--no-email-subject", "--no-email-body")
    assert run_json(cli, "check", "show", "backup")["keywords_in_words"] == (
        "A body containing ERROR is a failure; one containing OK is a success; one "
        "containing begin is the start of a run; any other body is a failure."
    )


def test_setting_what_is_already_set_changes_nothing(cli: CliRunner) -> None:
    run_ok(cli, "check", "create", *EVERYTHING)
    before = shown(cli)
    run_ok(cli, "check", "edit", "backup", *EVERYTHING)
    run_ok(cli, "check", "edit", "backup")
    assert shown(cli) == before


def test_edit_prints_the_check_as_show_does(cli: CliRunner) -> None:
    run_ok(cli, "check", "create", "--name", "backup")
    output = run_ok(cli, "check", "edit", "backup", "--grace", "2h")
    assert output.startswith("Updated 'backup'.\n")
    assert output.removeprefix("Updated 'backup'.\n") == run_ok(cli, "check", "show", "backup")
    edited = run_json(cli, "check", "edit", "backup", "--desc", "nightly")
    assert edited == run_json(cli, "check", "show", "backup")


def test_a_zone_alone_moves_an_oncalendar_schedule_and_an_expression_keeps_the_zone(
    cli: CliRunner,
) -> None:
    run_ok(cli, "check", "create", "--name", "b", "--oncalendar", "daily", "--tz", "Asia/Tokyo")
    run_ok(cli, "check", "edit", "b", "--tz", "Europe/Paris")
    assert run_json(cli, "check", "show", "b")["schedule"] == "OnCalendar daily (Europe/Paris)"
    run_ok(cli, "check", "edit", "b", "--cron", "5 4 * * *")
    assert run_json(cli, "check", "show", "b")["schedule"] == "cron 5 4 * * * (Europe/Paris)"
    run_ok(cli, "check", "edit", "b", "--period", "1h")
    run_ok(cli, "check", "edit", "b", "--cron", "5 4 * * *")  # the zone given before
    assert run_json(cli, "check", "show", "b")["schedule"] == "cron 5 4 * * * (Europe/Paris)"


def test_a_policy_is_chosen_by_name_and_default_goes_back_to_all_channels(
    cli: CliRunner,
) -> None:
    run_ok(cli, "policy", "create", "quiet")
    run_ok(cli, "check", "create", "--name", "backup", "--policy", "quiet")
    assert run_json(cli, "check", "show", "backup")["policy"] == "quiet"
    assert "Policy:              quiet" in run_ok(cli, "check", "show", "backup")
    run_ok(cli, "check", "edit", "backup", "--policy", "default")
    assert run_json(cli, "check", "show", "backup")["policy"] is None
    run_ok(cli, "check", "edit", "backup", "--policy", "quiet")
    run_ok(cli, "check", "edit", "backup", "--desc", "left alone")
    assert run_json(cli, "check", "show", "backup")["policy"] == "quiet"


REFUSED = [
    ["--name", ""],
    ["--name", "n" * 101],
    ["--slug", "Bad Slug"],
    ["--slug", "s" * 101],
    ["--tags", "t " * 251],
    ["--desc", "d" * 10_001],
    ["--period", "90"],
    ["--period", "400d"],
    ["--cron", "every day"],
    ["--oncalendar", "Mon 25:00"],
    ["--cron", "0 2 * * *", "--tz", "Mars/Olympus"],
    ["--period", "1h", "--cron", "0 2 * * *"],
    ["--cron", "0 2 * * *", "--oncalendar", "daily"],
    ["--period", "1h", "--tz", "Europe/Berlin"],
    ["--grace", "400d"],
    ["--grace", "soon"],
    ["--policy", "loud"],
    ["--min-duration", "10m", "--max-duration", "5m"],
    ["--min-interval", "90"],
    ["--interval-from", "sometimes"],
    ["--failure-threshold", "0"],
    ["--recovery-threshold", "0"],
    ["--regex", "--failure", r"(a)\1"],
    ["--success", "x" * 201],
    ["--depends-on", "tape"],
    ["--depends-on", "nas", "--no-depends-on"],
]


@pytest.mark.parametrize("args", REFUSED, ids=[" ".join(a)[:40] for a in REFUSED])
def test_a_refused_option_is_the_one_line_create_gives_and_changes_nothing(
    cli: CliRunner, args: list[str]
) -> None:
    run_ok(cli, "check", "create", "--name", "nas")
    run_ok(cli, "check", "create", *EVERYTHING)
    before = shown(cli)
    from_create = refusal(
        cli, "check", "create", *(["--name", "x"] if "--name" not in args else []), *args
    )
    assert refusal(cli, "check", "edit", "backup", *args) == from_create
    assert shown(cli) == before
    assert len(run_json(cli, "check", "list")) == 2


def test_a_zone_alone_on_a_period_is_refused_as_on_create(cli: CliRunner) -> None:
    run_ok(cli, "check", "create", "--name", "b", "--period", "1h")
    assert refusal(cli, "check", "edit", "b", "--tz", "Asia/Tokyo") == refusal(
        cli, "check", "create", "--name", "x", "--tz", "Asia/Tokyo"
    )


def test_an_unknown_check_is_refused(cli: CliRunner) -> None:
    assert refusal(cli, "check", "edit", "tape", "--grace", "1h") == (
        "error: no check matches 'tape'"
    )


def test_show_lists_the_windows_that_apply_and_the_snooze(cli: CliRunner) -> None:
    run_ok(cli, "check", "create", "--name", "backup", "--tags", "nas")
    run_ok(cli, "check", "create", "--name", "other")
    empty = run_ok(cli, "check", "show", "backup")
    assert "Maintenance:         -" in empty
    assert "Snoozed:             -" in empty
    window = ("--days", "mon,tue", "--from", "02:00", "--to", "04:00")
    run_ok(cli, "maintenance", "add", "disks", "--tag", "nas", *window, "--tz", "Europe/Berlin")
    run_ok(cli, "maintenance", "add", "move", "--start", "2099-01-01T00:00:00Z",
           "--end", "2099-01-02T00:00:00Z")  # fmt: skip
    run_ok(cli, "maintenance", "add", "theirs", "--check", "other", *window)
    run_ok(cli, "check", "snooze", "backup", "2h", "--by", "eve")
    text = run_ok(cli, "check", "show", "backup")
    assert "Maintenance:         disks: mon, tue 02:00-04:00 (Europe/Berlin) (tag nas)" in text
    assert "move: 2099-01-01 00:00 to 2099-01-02 00:00 UTC (project)" in text
    assert "theirs" not in text
    assert "Snoozed:             by eve until 20" in text
    shown_json = run_json(cli, "check", "show", "backup")
    assert [w["name"] for w in shown_json["maintenance"]] == ["disks", "move"]
    assert shown_json["maintenance"][0]["days"] == ["mon", "tue"]
    assert shown_json["snooze"]["by"] == "eve"
    run_ok(cli, "check", "unsnooze", "backup")
    assert run_json(cli, "check", "show", "backup")["snooze"] is None
