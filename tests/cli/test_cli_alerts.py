"""`tocsin channel`, `tocsin policy` and `tocsin incident`, in-process on a real database."""

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.alerts.test_notifier import fail_a_delivery
from tests.helpers import add_channel, run_json, run_ok, send_pings
from tests.receivers import HttpReceiver
from tocsin.cli import app
from tocsin.domain.checks import Action
from tocsin.store.channels import list_channels
from tocsin.store.database import Database
from tocsin.store.fastpath.runners import BatchRunner
from tocsin.store.projects import default_project
from tocsin.store.users import add_membership, insert_user


def run_fails(cli: CliRunner, *args: str) -> str:
    result = cli.invoke(app, list(args))
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ")
    return result.output


def test_channels_are_added_listed_and_removed(cli: CliRunner) -> None:
    assert "Added email channel 'ops'" in run_ok(
        cli, "channel", "add", "email", "--name", "ops", "--set", "to=ops@example.com"
    )
    run_ok(
        cli,
        "channel",
        "add",
        "webhook",
        "--set",
        "url=https://example.com/hook",
        "--set",
        'headers={"X-Token": "abc"}',
        "--set",
        "down.method=PUT",
    )
    listed = run_json(cli, "channel", "list")
    assert [(c["name"], c["kind"]) for c in listed] == [("ops", "email"), ("", "webhook")]
    # The nameless one still has a label: its kind and the start of its uuid.
    assert [c["label"] for c in listed] == ["ops", f"webhook {listed[1]['uuid'][:8]}"]
    assert "Removed 'ops'" in run_ok(cli, "channel", "remove", "ops", "--yes")
    assert [c["kind"] for c in run_json(cli, "channel", "list")] == ["webhook"]


async def test_a_webhook_body_that_looks_like_json_stays_its_template(
    cli: CliRunner, database: Database
) -> None:
    body = '{"check": "$NAME", "status": "$STATUS", "ack": "$ACK_URL"}'
    # In a thread: the command runs its own event loop.
    await asyncio.to_thread(
        run_ok,
        cli,
        "channel",
        "add",
        "webhook",
        "--name",
        "pager",
        "--set",
        "url=https://example.com/hook",
        "--set",
        f"body={body}",
        "--set",
        'headers={"X-Token": "abc"}',
        "--set",
        "down.body=[1]",
    )
    [channel] = await database.read_with(list_channels)
    assert channel.config == {
        "url": "https://example.com/hook",
        "body": body,
        "headers": {"X-Token": "abc"},
        "down": {"body": "[1]"},
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["channel", "add", "carrier-pigeon"], "unknown channel kind 'carrier-pigeon'"),
        (["channel", "add", "email", "--set", "to=not-an-address"], "not an email address"),
        (["channel", "add", "slack"], "url: Field required"),
        (
            ["channel", "add", "slack", "--set", "url=x", "--set", "colour=red"],
            "colour: Extra inputs are not permitted",
        ),
        (["channel", "add", "slack", "--set", "url"], "--set wants key=value"),
        (["channel", "add", "slack", "--config", "[1]"], "--config must be a JSON object"),
        (["channel", "test", "nothing-here"], "no channel matches 'nothing-here'"),
        (["policy", "create", "p", "--step", "soon:email"], "invalid duration 'soon'"),
        (["policy", "create", "p", "--step", "email"], "a step is WAIT:WHOM"),
        (["policy", "create", "p", "--step", "0s:team;methods=fax"], "unknown method 'fax'"),
        (["policy", "create", "p", "--step", "0s:team;hours=8-20@Mars"], "unknown time zone"),
        (["policy", "create", "p", "--step", "0s:team;colour=red"], "options are methods="),
        (["policy", "create", "p", "--step", "0s:on-call=main"], "takes a calendar's id"),
        (["policy", "create", "p", "--step", "0s:every=fax"], "unknown channel kind 'fax'"),
        (["policy", "create", "p", "--step", "0s:member=x@example.com"], "no member"),
        (["policy", "create", "p", "--step", "0s:nobody"], "no channel matches 'nobody'"),
        (["policy", "remove", "ghost"], "no policy named 'ghost'"),
        (["incident", "ack", "99"], "no incident 99"),
    ],
)
def test_mistakes_are_one_line_errors(cli: CliRunner, args: list[str], message: str) -> None:
    assert message in run_fails(cli, *args)


async def test_channel_test_sends_a_real_message(
    cli: CliRunner, receiver: HttpReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOCSIN_ALLOW_PRIVATE_WEBHOOKS", "true")
    # In a thread: each command runs its own event loop, while ours serves the receiver.
    add = ["channel", "add", "slack", "--name", "team", "--set", f"url={receiver.url}/s"]
    await asyncio.to_thread(run_ok, cli, *add)
    output = await asyncio.to_thread(run_ok, cli, "channel", "test", "team")
    assert "Test message sent to 'team'." in output
    [request] = receiver.requests
    assert request.json()["text"] == "Test notification from Tocsin for a test check"


async def test_a_failing_channel_test_says_why_and_exits_1(
    cli: CliRunner, receiver: HttpReceiver
) -> None:
    add = ["channel", "add", "slack", "--name", "team", "--set", f"url={receiver.url}/s"]
    await asyncio.to_thread(run_ok, cli, *add)
    result = await asyncio.to_thread(cli.invoke, app, ["channel", "test", "team"])
    assert result.exit_code == 1
    assert "failed (permanent): refusing to send to the internal address 127.0.0.1" in (
        result.output
    )
    assert receiver.requests == []


def test_policies_are_created_listed_used_and_removed(cli: CliRunner) -> None:
    run_ok(cli, "channel", "add", "email", "--name", "ops", "--set", "to=ops@example.com")
    run_ok(cli, "channel", "add", "slack", "--name", "chat", "--set", "url=https://x.example")
    output = run_ok(
        cli,
        "policy",
        "create",
        "night",
        "--step",
        "0s:ops,chat",
        "--step",
        "10m:ops",
        "--repeat",
        "2",
        "--repeat-delay",
        "1h",
        "--nag",
        "30m",
    )
    assert "Created policy 'night' with 2 step(s)." in output
    table = run_ok(cli, "policy", "list")
    for expected in ("night", "after 0s: ops, chat; after 10m: ops", "2x after 1h", "30m"):
        assert expected in table
    assert "a policy named 'night' exists already" in run_fails(cli, "policy", "create", "night")
    run_ok(cli, "check", "create", "--name", "backup", "--policy", "night")
    assert "now follows the 'default' policy" in run_ok(
        cli, "check", "set-policy", "backup", "default"
    )
    assert "no policy named 'day'" in run_fails(cli, "check", "set-policy", "backup", "day")
    assert "Removed policy 'night'." in run_ok(cli, "policy", "remove", "night")


async def test_policy_steps_reach_people_with_methods_and_hours(
    cli: CliRunner, database: Database
) -> None:
    async with database.write() as connection:
        project_id = await connection.run_sync(default_project, datetime.now(UTC))
        user_id = await connection.run_sync(
            insert_user, "ann@example.com", "x", False, datetime.now(UTC)
        )
        await connection.run_sync(add_membership, user_id, project_id, "member")
    # In a thread: each command runs its own event loop.
    await asyncio.to_thread(
        run_ok,
        cli,
        "policy",
        "create",
        "people",
        "--step",
        "0s:on-call,member=ann@example.com;methods=email;hours=08:00-20:00@Europe/Berlin",
        "--step",
        "4s:team,every=slack,next",
    )
    table = await asyncio.to_thread(run_ok, cli, "policy", "list")
    flat = " ".join(table.split())
    for expected in (
        "on call, ann@example.com by email",
        "08:00-20:00 Europe/Berlin only",
        "the entire team, every slack channel, the next person in turn by email,push",
    ):
        assert expected in flat.replace("│ ", "").replace(" │", "")


def test_incidents_are_listed_shown_acknowledged_commented_and_resolved(
    cli: CliRunner, database_url: str
) -> None:
    run_ok(cli, "channel", "add", "email", "--name", "ops", "--set", "to=ops@example.com")
    check = run_json(cli, "check", "create", "--name", "backup")
    asyncio.run(send_pings(database_url, uuid.UUID(check["uuid"]), [Action.FAIL]))
    [incident] = run_json(cli, "incident", "list")
    assert (incident["check"], incident["status"], incident["cause_detail"]) == (
        "backup",
        "open",
        "failed",
    )
    number = str(incident["id"])
    # Open incidents say how long they have been open, not "Resolved: never".
    listed, shown_open = run_ok(cli, "incident", "list"), run_ok(cli, "incident", "show", number)
    assert "open for " in listed
    assert "never" not in listed
    assert "\nOpen for " in shown_open
    assert "never" not in shown_open
    assert f"Acknowledged incident {number}." in run_ok(
        cli, "incident", "ack", number, "--by", "ada"
    )
    run_ok(cli, "incident", "comment", number, "restarting the job", "--by", "ada")
    assert "0 recovery notice(s) queued" in run_ok(cli, "incident", "resolve", number)
    assert run_json(cli, "incident", "list") == []
    [resolved] = run_json(cli, "incident", "list", "--all")
    assert (resolved["status"], resolved["acknowledged_by"], resolved["resolved_by"]) == (
        "resolved",
        "ada",
        "cli",
    )
    assert "Resolved " in run_ok(cli, "incident", "show", number)
    assert " by cli, after " in run_ok(cli, "incident", "show", number)
    shown: dict[str, Any] = json.loads(run_ok(cli, "incident", "show", number, "--json"))
    kinds = [event["kind"] for event in shown["timeline"]]
    assert kinds == ["opened", "escalated", "acknowledged", "comment", "resolved"]
    assert "already resolved" in run_fails(cli, "incident", "resolve", number)


async def test_a_failing_channel_is_listed_with_a_warning(
    cli: CliRunner, database: Database, runner: BatchRunner, receiver: HttpReceiver
) -> None:
    await fail_a_delivery(database, runner, receiver, "pager")
    await add_channel(database, "webhook", {"url": f"{receiver.url}/fine"}, "fine")

    output = await asyncio.to_thread(run_ok, cli, "channel", "list")
    assert "FAILING since 2026-03-01 12:00:01 UTC" in output
    assert "HTTP 503: busy" in output
    assert "Warning: 1 channel(s) failing (pager): alerts to them are not getting" in output
    listed = await asyncio.to_thread(run_json, cli, "channel", "list")
    assert [(c["name"], c["failing_since"]) for c in listed] == [
        ("pager", "2026-03-01T12:00:01+00:00"),
        ("fine", None),
    ]
