"""`--depends-on` on `tocsin check create` and `edit`, `--no-depends-on`, and what
`tocsin check show` prints of a check's parents and children."""

import asyncio
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.helpers import run_json, run_ok, send_pings
from tocsin.cli import app
from tocsin.domain.checks import Action


def make(cli: CliRunner, name: str, *args: str) -> None:
    run_ok(cli, "check", "create", "--name", name, *args)


def test_parents_are_set_on_create_changed_on_edit_and_shown(cli: CliRunner) -> None:
    make(cli, "nas")
    make(cli, "db")
    make(cli, "backup", "--depends-on", "nas", "--depends-on", "db")
    shown = run_json(cli, "check", "show", "backup")
    assert [p["name"] for p in shown["parents"]] == ["db", "nas"]
    assert [c["name"] for c in run_json(cli, "check", "show", "nas")["children"]] == ["backup"]

    run_ok(cli, "check", "edit", "backup", "--depends-on", "nas")
    text = run_ok(cli, "check", "show", "backup")
    assert "Depends on:" in text
    assert "nas (new)" in text
    assert "db" not in text.split("Depends on:")[1]

    run_ok(cli, "check", "edit", "backup", "--no-depends-on")
    assert run_json(cli, "check", "show", "backup")["parents"] == []


def test_bad_parents_are_refused_in_words(cli: CliRunner) -> None:
    make(cli, "nas")
    make(cli, "backup", "--depends-on", "nas")

    def refusal(*args: str) -> str:
        result = cli.invoke(app, list(args))
        assert result.exit_code != 0
        return " ".join(result.output.split())

    assert "cycle: nas -> backup -> nas" in refusal(
        "check", "edit", "nas", "--depends-on", "backup"
    )
    assert "nas cannot depend on itself" in refusal("check", "edit", "nas", "--depends-on", "nas")
    assert "no check named 'tape'" in refusal(
        "check", "create", "--name", "x", "--depends-on", "tape"
    )
    assert "exclude each other" in refusal(
        "check", "edit", "nas", "--depends-on", "backup", "--no-depends-on"
    )


def test_a_backup_keeps_the_dependencies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOCSIN_DATABASE_URL", f"sqlite:///{tmp_path / 'tocsin.db'}")
    cli = CliRunner()
    run_ok(cli, "migrate")
    make(cli, "nas")
    make(cli, "backup", "--depends-on", "nas")
    run_ok(cli, "backup", str(tmp_path / "copy.db"))
    monkeypatch.setenv("TOCSIN_DATABASE_URL", f"sqlite:///{tmp_path / 'copy.db'}")
    assert [p["name"] for p in run_json(cli, "check", "show", "backup")["parents"]] == ["nas"]


def test_incident_show_says_what_holds_it_and_what_it_holds(
    cli: CliRunner, database_url: str
) -> None:
    make(cli, "nas")
    make(cli, "backup", "--depends-on", "nas")
    checks = {c["name"]: c["uuid"] for c in run_json(cli, "check", "list")}
    asyncio.run(send_pings(database_url, uuid.UUID(checks["nas"]), [Action.FAIL]))
    asyncio.run(send_pings(database_url, uuid.UUID(checks["backup"]), [Action.FAIL]))
    found = {i["check"]: i["id"] for i in run_json(cli, "incident", "list")}
    held = run_ok(cli, "incident", "show", str(found["backup"]))
    assert "Held: parent nas is down; it notifies nobody." in held
    assert "held: held: parent nas is down" in held  # the timeline line
    shown = run_json(cli, "incident", "show", str(found["nas"]))
    assert (shown["held_by"], shown["holding"]) == (None, ["backup"])
