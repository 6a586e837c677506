"""Planning a sync: what applying a monitors file would create, update (naming the
fields), delete with `--prune`, or leave unchanged, in the order it must be done."""

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from tocsin.domain.monitors import ChannelSpec, CheckSpec, Monitors, PolicySpec
from tocsin.domain.monitors_plan import Change, plan, summary
from tocsin.domain.records import NewCheck
from tocsin.domain.schedule import Cron, Period

SLACK = ChannelSpec("slack", {"url": "https://hooks.slack.com/services/T0/B0/secret"})
MAIL = ChannelSpec("email", {"to": ["ops@example.com"]})
ESCALATE = PolicySpec(
    steps=((timedelta(0), ("mail",)), (timedelta(minutes=10), ("ops", "mail"))),
    repeat_count=2,
    repeat_delay=timedelta(minutes=30),
    nag_interval=timedelta(hours=1),
)
BACKUP = CheckSpec(
    NewCheck(
        Cron("0 2 * * *", "Europe/Berlin"),
        timedelta(minutes=30),
        name="DB backup",
        slug="db-backup",
        tags="db nightly",
        tz="Europe/Berlin",
    ),
    policy="escalate",
)
QUEUE = CheckSpec(
    NewCheck(Period(timedelta(minutes=15)), timedelta(minutes=5), name="queue", slug="queue"),
    channels=("ops",),
)
PROJECT = Monitors(
    checks={"db-backup": BACKUP, "queue": QUEUE},
    channels={"ops": SLACK, "mail": MAIL},
    policies={"escalate": ESCALATE},
)


def lines(desired: Monitors, current: Monitors, *, prune: bool = False) -> list[str]:
    return [str(change) for change in plan(desired, current, prune=prune)]


def with_check(monitors: Monitors, key: str, check: CheckSpec) -> Monitors:
    return replace(monitors, checks={**monitors.checks, key: check})


def test_everything_is_created_in_an_empty_project_channels_then_policies_then_checks() -> None:
    assert lines(PROJECT, Monitors()) == [
        "create channel 'ops'",
        "create channel 'mail'",
        "create policy 'escalate'",
        "create check 'db-backup'",
        "create check 'queue'",
    ]


def test_the_same_monitors_change_nothing() -> None:
    changes = plan(PROJECT, PROJECT, prune=True)
    assert {change.verb for change in changes} == {"unchanged"}
    assert [change.key for change in changes] == ["ops", "mail", "escalate", "db-backup", "queue"]


def test_without_prune_what_the_file_leaves_out_is_kept() -> None:
    assert lines(Monitors(), PROJECT) == []


def test_with_prune_what_the_file_leaves_out_is_deleted() -> None:
    assert lines(
        Monitors(checks={"queue": QUEUE}, channels={"ops": SLACK}), PROJECT, prune=True
    ) == [
        "unchanged channel 'ops'",
        "delete channel 'mail'",
        "delete policy 'escalate'",
        "unchanged check 'queue'",
        "delete check 'db-backup'",
    ]


@pytest.mark.parametrize(
    ("settings", "fields"),
    [
        ({"name": "Nightly DB backup"}, ("name",)),
        ({"schedule": Cron("0 3 * * *", "Europe/Berlin")}, ("schedule",)),
        (
            {"schedule": Period(timedelta(days=1)), "grace": timedelta(hours=1)},
            ("schedule", "grace"),
        ),
        ({"tags": "db"}, ("tags",)),
        ({"description": "dumps"}, ("description",)),
        ({"manual_resume": True}, ("manual_resume",)),
        ({"methods": "POST"}, ("methods",)),
        ({"tz": "UTC"}, ("tz",)),
    ],
)
def test_an_update_names_the_check_fields_that_differ(
    settings: dict[str, Any], fields: tuple[str, ...]
) -> None:
    changed = replace(BACKUP, settings=replace(BACKUP.settings, **settings))
    [change] = [
        c
        for c in plan(with_check(PROJECT, "db-backup", changed), PROJECT, prune=False)
        if c.what == "check" and c.key == "db-backup"
    ]
    assert change == Change("update", "check", "db-backup", fields)


def test_a_check_found_by_its_uuid_keeps_its_slug_so_the_slug_is_no_difference() -> None:
    key = "6f1c1d0e-3b7a-4c55-9f1e-0a2b3c4d5e6f"
    stored = CheckSpec(replace(QUEUE.settings, slug=""))
    wanted = CheckSpec(replace(QUEUE.settings, slug=key))
    assert lines(Monitors(checks={key: wanted}), Monitors(checks={key: stored})) == [
        f"unchanged check '{key}'"
    ]


def test_pausing_linking_channels_and_a_policy_are_check_fields_too() -> None:
    changed = replace(QUEUE, paused=True, channels=("mail",), policy="escalate")
    assert str(plan(with_check(PROJECT, "queue", changed), PROJECT, prune=False)[-1]) == (
        "update check 'queue' (paused, channels, policy)"
    )


def test_channels_are_compared_as_sets_and_none_means_every_channel() -> None:
    every = replace(QUEUE, channels=None)
    listed = replace(QUEUE, channels=("mail", "ops"))
    assert lines(with_check(PROJECT, "queue", listed), with_check(PROJECT, "queue", every))[-1] == (
        "unchanged check 'queue'"
    )


def test_a_check_on_every_channel_changes_when_the_file_adds_a_channel() -> None:
    every = replace(QUEUE, channels=None)
    current = Monitors(checks={"queue": every}, channels={"ops": SLACK})
    desired = Monitors(checks={"queue": every}, channels={"ops": SLACK, "mail": MAIL})
    assert lines(desired, current)[-1] == "update check 'queue' (channels)"


def test_a_channel_update_names_the_settings_that_differ_never_their_values() -> None:
    rotated = ChannelSpec("slack", {"url": "https://hooks.slack.com/services/T0/B0/rotated"})
    [change] = plan(
        Monitors(channels={"ops": rotated}), Monitors(channels={"ops": SLACK}), prune=False
    )
    assert change == Change("update", "channel", "ops", ("url",))
    assert "rotated" not in str(change)
    assert "secret" not in str(change)


def test_a_channel_update_names_settings_added_removed_and_the_kind() -> None:
    before = ChannelSpec("webhook", {"url": "https://x", "body": "down", "method": "PUT"})
    after = ChannelSpec("webhook", {"url": "https://x", "headers": {"A": "b"}, "method": "PUT"})
    assert lines(Monitors(channels={"h": after}), Monitors(channels={"h": before})) == [
        "update channel 'h' (headers, body)"
    ]
    assert lines(Monitors(channels={"h": MAIL}), Monitors(channels={"h": SLACK})) == [
        "update channel 'h' (kind, to, url)"
    ]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"repeat_count": 3}, "update policy 'escalate' (repeat_count)"),
        ({"repeat_delay": timedelta(hours=1)}, "update policy 'escalate' (repeat_delay)"),
        ({"nag_interval": None}, "update policy 'escalate' (nag_interval)"),
        (
            {"steps": ((timedelta(0), ("mail",)),), "repeat_count": 0},
            "update policy 'escalate' (steps, repeat_count)",
        ),
        (
            {"steps": ((timedelta(0), ("mail",)), (timedelta(minutes=5), ("ops", "mail")))},
            "update policy 'escalate' (steps)",
        ),
        (
            {"steps": ((timedelta(minutes=10), ("ops", "mail")), (timedelta(0), ("mail",)))},
            "update policy 'escalate' (steps)",
        ),
    ],
)
def test_a_policy_update_names_what_differs(changes: dict[str, Any], expected: str) -> None:
    changed = replace(ESCALATE, **changes)
    assert lines(
        Monitors(policies={"escalate": changed}), Monitors(policies={"escalate": ESCALATE})
    ) == [expected]


def test_the_channels_of_a_step_are_a_set() -> None:
    shuffled = replace(
        ESCALATE, steps=((timedelta(0), ("mail",)), (timedelta(minutes=10), ("mail", "ops")))
    )
    assert lines(Monitors(policies={"p": shuffled}), Monitors(policies={"p": ESCALATE})) == [
        "unchanged policy 'p'"
    ]


def test_a_change_reads_as_a_line_of_the_plan() -> None:
    assert str(Change("create", "check", "db-backup")) == "create check 'db-backup'"
    assert str(Change("update", "channel", "ops slack", ("url", "kind"))) == (
        "update channel 'ops slack' (url, kind)"
    )
    assert str(Change("delete", "policy", "it's")) == 'delete policy "it\'s"'


def test_the_summary_counts_every_verb_even_at_zero() -> None:
    assert summary([]) == "0 to create, 0 to update, 0 to delete, 0 unchanged"
    changes = plan(
        Monitors(checks={"queue": replace(QUEUE, paused=True)}, channels={"new": MAIL}),
        PROJECT,
        prune=True,
    )
    assert summary(changes) == "1 to create, 1 to update, 4 to delete, 0 unchanged"
