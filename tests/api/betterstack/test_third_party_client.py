"""A third-party Better Stack client from PyPI (`betterstack-uptime`), with its own
defaults, pointed at a real Tocsin over HTTP: heartbeats made with Better Stack's
usual attributes (`email: true`), read, changed and deleted; policies whose steps name
the person on call, the entire team, a user by email and every Slack integration; the
on-call calendars listed, the default one read with its events, and a rotation made.
Every call succeeds, and what it did is checked in Tocsin's database (which the tests
of this module share on SQLite: each names its own people)."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from betterstack.uptime import (
    BearerAuth,
    EscalationPolicy,
    Heartbeat,
    OnCallCalendar,
    PaginatedAPI,
    PolicyStep,
)

from tests.api.common.test_keys import make_key
from tests.conftest import Server
from tocsin.domain.people import TargetKind
from tocsin.store import heartbeats as heartbeat_store
from tocsin.store import oncall as oncall_store
from tocsin.store.channels import project_policies
from tocsin.store.database import Database
from tocsin.store.projects import default_project
from tocsin.store.tables import checks
from tocsin.store.users import add_membership, insert_user

# What Better Stack gives a heartbeat that says nothing else.
BETTER_STACK_DEFAULTS: dict[str, Any] = {
    "email": True,
    "sms": False,
    "call": False,
    "push": False,
    "critical_alert": False,
    "team_wait": None,
}


def client(server: Server, key: str) -> PaginatedAPI:
    """The client as its own `UptimeAPI` makes it, at Tocsin's address."""
    return PaginatedAPI(f"{server.url}/api/v2/", BearerAuth(key))


async def project_with_members(database: Database, *emails: str) -> int:
    def work(connection: sa.Connection) -> int:
        now = datetime.now(UTC)
        project_id = default_project(connection, now)
        for email in emails:
            user_id = insert_user(connection, email, "x", False, now)
            add_membership(connection, user_id, project_id, "member")
        return project_id

    async with database.write() as connection:
        return await connection.run_sync(work)


def heartbeat_round_trip(api: PaginatedAPI) -> tuple[str, str]:
    """Made with the defaults, listed, read, changed; and one made to be deleted."""
    made = Heartbeat.new(api, name="db backup", period=86400, grace=3600, **BETTER_STACK_DEFAULTS)
    assert made.email is True
    assert made.status == "pending"
    assert made.url
    gone = Heartbeat.new(api, name="old job", period=60, grace=0, **BETTER_STACK_DEFAULTS)
    listed = {h.id: h for h in Heartbeat.get_all_instances(api)}
    assert {made.id, gone.id} <= set(listed)
    read = Heartbeat(id=made.id, _api=api)
    read.fetch_data()
    assert (read.name, read.period, read.grace, read.email) == ("db backup", 86400, 3600, True)
    read.name = "database backup"
    read.sms = True
    read.team_wait = 300
    read.save()
    assert (read.name, read.sms, read.team_wait) == ("database backup", True, 300)
    created, found = Heartbeat.get_or_create(api, name="database backup")
    assert not created
    assert found.id == made.id
    gone.delete()
    return made.id, gone.id


async def test_heartbeats_with_the_clients_defaults(
    server: Server, server_database: Database
) -> None:
    await project_with_members(server_database)
    api = client(server, await make_key(server_database))
    kept, deleted = await asyncio.to_thread(heartbeat_round_trip, api)
    async with server_database.read() as connection:
        names = dict((await connection.execute(sa.select(checks.c.id, checks.c.name))).all())
        flags = await connection.run_sync(heartbeat_store.alert_flags, [int(kept)])
    assert names[int(kept)] == "database backup"
    alerts = flags[int(kept)]
    assert (alerts.email, alerts.sms, alerts.call, alerts.push) == (True, True, False, False)
    assert alerts.team_wait == timedelta(seconds=300)
    assert int(deleted) not in names


def make_policies(api: PaginatedAPI) -> EscalationPolicy:
    first = PolicyStep(wait_before=0, step_members=[{"type": "current_on_call"}])
    then = PolicyStep(
        wait_before=300,
        step_members=[
            {"type": "entire_team"},
            {"type": "user", "email": "pol-bob@example.com"},
            {"type": "all_slack_integrations"},
        ],
    )
    steps = [first.to_dict(), then.to_dict()]
    policy = EscalationPolicy.new(api, name="people", repeat_count=1, repeat_delay=600, steps=steps)
    assert policy.steps is not None
    assert [m["type"] for m in policy.steps[1]["step_members"]] == [
        "entire_team",
        "user",
        "all_slack_integrations",
    ]
    listed = {p.id: p for p in EscalationPolicy.get_all_instances(api)}
    assert listed[policy.id].steps == policy.steps
    return policy


async def test_policies_naming_people_and_kinds(server: Server, server_database: Database) -> None:
    project_id = await project_with_members(
        server_database, "pol-ann@example.com", "pol-bob@example.com"
    )
    api = client(server, await make_key(server_database))
    policy = await asyncio.to_thread(make_policies, api)
    async with server_database.read() as connection:
        [stored] = await connection.run_sync(project_policies, project_id, int(policy.id))
    first, then = stored.reaches
    assert [t.kind for t in first.targets] == [TargetKind.ON_CALL]
    assert [t.kind for t in then.targets] == [
        TargetKind.ENTIRE_TEAM,
        TargetKind.MEMBER,
        TargetKind.CHANNELS_OF_KIND,
    ]
    assert then.targets[2].channel_kind == "slack"
    assert (stored.repeat_count, stored.repeat_delay) == (1, timedelta(seconds=600))


def read_calendars(api: PaginatedAPI, start: datetime) -> tuple[str, list[dict[str, Any]]]:
    """The default calendar read, a rotation made on the listed one, its events read."""
    default = OnCallCalendar(id="default", _api=api)
    default.fetch_data()
    assert (default.name, default.default_calendar) == ("Primary", True)
    [calendar] = list(OnCallCalendar.get_all_instances(api))
    assert calendar.on_call_users == []
    made = calendar.create_rotation(
        users=["cal-ann@example.com", "cal-bob@example.com"],
        rotation_length=1,
        rotation_period="day",
        start_rotations_at=start.isoformat(),
        end_rotations_at=(start + timedelta(days=30)).isoformat(),
    )
    assert made["data"]["attributes"]["users"] == ["cal-ann@example.com", "cal-bob@example.com"]
    [again] = list(OnCallCalendar.get_all_instances(api))
    events = again.fetch_events()
    shown = [{"users": e.users, "override": e.override, "starts_at": e.starts_at} for e in events]
    return again.on_call_users[0]["id"], shown


async def test_on_call_calendars_read_and_a_rotation_made(
    server: Server, server_database: Database
) -> None:
    project_id = await project_with_members(
        server_database, "cal-ann@example.com", "cal-bob@example.com"
    )
    api = client(server, await make_key(server_database))
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    on_call, events = await asyncio.to_thread(read_calendars, api, start)
    async with server_database.read() as connection:
        [calendar] = await connection.run_sync(oncall_store.calendars_of, project_id)
        [rotation] = await connection.run_sync(oncall_store.rotations_of, calendar.id)
        now_on_call = await connection.run_sync(
            oncall_store.on_call_user, project_id, None, datetime.now(UTC)
        )
    assert (rotation.rotation.unit, rotation.rotation.length) == ("day", 1)
    assert rotation.rotation.first_handoff == start
    assert int(on_call) == now_on_call == rotation.rotation.members[0]
    assert [e["users"] for e in events[:3]] == [
        ["cal-ann@example.com"],
        ["cal-bob@example.com"],
        ["cal-ann@example.com"],
    ]
    assert not any(e["override"] for e in events)
