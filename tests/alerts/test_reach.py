"""Steps that reach people, resolved when they run, on a real database with a moved
clock: a member, the entire team, the next person in turn, every channel of a kind;
methods, hours, and steps that fall through when they reach nobody."""

from datetime import datetime, time, timedelta
from urllib.parse import parse_qs

import sqlalchemy as sa

from tests.alerts.test_incidents import PERIOD_GRACE, ping, watch
from tests.alerts.test_notifier import LINKS, outbound
from tests.helpers import (
    T0,
    FakeClock,
    add_channel,
    add_policy,
    incidents_of,
    make_check,
    timeline,
    use_policy,
)
from tests.receivers import HttpReceiver, Reply, SmtpReceiver
from tocsin.alerts import incidents as actions
from tocsin.alerts.notifier import Notifier
from tocsin.domain.people import ActiveHours, ContactKind, Method, Reach, Target, TargetKind
from tocsin.domain.records import CheckRecord
from tocsin.notify.http import http_client
from tocsin.notify.people import Providers
from tocsin.notify.twilio import TwilioAccount
from tocsin.store import people as people_store
from tocsin.store.channels import update_policy
from tocsin.store.database import Database
from tocsin.store.fastpath.runners import BatchRunner
from tocsin.store.projects import default_project
from tocsin.store.tables import contact_methods, notifications
from tocsin.store.users import add_membership, insert_user

S = timedelta(seconds=1)
DOWN_AT = T0 + PERIOD_GRACE  # 13:05 UTC, when the deadline passes


async def member(
    database: Database, email: str, *contacts: tuple[ContactKind, str], verified: bool = True
) -> int:
    """A member of the default project with these contact methods."""

    def work(connection: sa.Connection) -> int:
        project_id = default_project(connection, T0)
        user_id = insert_user(connection, email, "x", False, T0)
        add_membership(connection, user_id, project_id, "member")
        for kind, address in contacts:
            people_store.insert_contact(
                connection,
                user_id,
                kind,
                address,
                T0,
                verified=T0 if verified else None,
                hours=None,
            )
        return user_id

    async with database.write() as connection:
        return await connection.run_sync(work)


async def policy_reaching(
    database: Database, record: CheckRecord, *reaches: tuple[timedelta, Reach]
) -> int:
    policy_id = await add_policy(database, "people", [(wait, []) for wait, _ in reaches])
    async with database.write() as connection:
        await connection.run_sync(
            update_policy,
            policy_id,
            {},
            [(wait, []) for wait, _ in reaches],
            [reach for _, reach in reaches],
        )
    await use_policy(database, record, policy_id)
    return policy_id


async def queued(database: Database) -> list[tuple[str, str, str]]:
    """(address, kind, note) of every notification to a person, oldest first."""
    query = (
        sa.select(contact_methods.c.address, notifications.c.kind, notifications.c.note)
        .join(notifications, notifications.c.contact_id == contact_methods.c.id)
        .order_by(notifications.c.id)
    )
    async with database.read() as connection:
        return [tuple(row) for row in (await connection.execute(query)).all()]


async def go_down(database: Database, runner: BatchRunner, record: CheckRecord) -> int:
    await ping(runner, record, T0)
    await watch(database, runner, DOWN_AT + S)
    [incident] = await incidents_of(database, record)
    return incident.id


async def escalate(database: Database, at: datetime) -> None:
    async with database.write() as connection:
        await connection.run_sync(actions.escalate_due, at, 100, skip_locked=False)


async def test_a_member_is_reached_by_the_step_methods_only(
    database: Database, runner: BatchRunner
) -> None:
    await member(
        database,
        "alice@example.com",
        (ContactKind.EMAIL, "alice@example.com"),
        (ContactKind.NTFY, "alice-alerts"),
        (ContactKind.PHONE, "+4930123456"),
    )
    alice = (await people_ids(database))[0]
    record = await make_check(database, now=T0)
    email_only = Reach((Target(TargetKind.MEMBER, user_id=alice),), frozenset({Method.EMAIL}))
    await policy_reaching(database, record, (timedelta(0), email_only))
    incident_id = await go_down(database, runner, record)

    assert await queued(database) == [("alice@example.com", "down", "member")]
    assert (
        "escalated",
        "step 1: notifying 1 contact method(s)",
    ) in await timeline(database, incident_id)


async def people_ids(database: Database) -> list[int]:
    async with database.read() as connection:
        return await connection.run_sync(people_store.member_ids, 1)


async def test_the_entire_team_after_a_wait_and_a_person_without_methods_is_named(
    database: Database, runner: BatchRunner
) -> None:
    await member(database, "a@example.com", (ContactKind.EMAIL, "a@example.com"))
    await member(database, "b@example.com", (ContactKind.EMAIL, "b@example.com"))
    await member(database, "c@example.com", (ContactKind.EMAIL, "c@example.com"), verified=False)
    a, _b, _c = await people_ids(database)
    record = await make_check(database, now=T0)
    first = Reach((Target(TargetKind.MEMBER, user_id=a),))
    team = Reach((Target(TargetKind.ENTIRE_TEAM),))
    await policy_reaching(database, record, (timedelta(0), first), (4 * S, team))
    incident_id = await go_down(database, runner, record)
    await escalate(database, DOWN_AT + 3 * S)
    assert [address for address, _, _ in await queued(database)] == ["a@example.com"]

    await escalate(database, DOWN_AT + 4 * S)
    assert await queued(database) == [
        ("a@example.com", "down", "member"),
        ("a@example.com", "down", "entire team"),
        ("b@example.com", "down", "entire team"),
    ]
    lines = [message for _, message in await timeline(database, incident_id)]
    assert (
        "step 2: c@example.com (entire team) not reached: no verified contact method for "
        "email,push (email, ntfy, pushover, slack, telegram)"
    ) in lines


async def test_a_round_robin_moves_on_each_time_and_keeps_its_place_per_step(
    database: Database, runner: BatchRunner
) -> None:
    for name in ("a", "b", "c"):
        await member(database, f"{name}@example.com", (ContactKind.EMAIL, f"{name}@example.com"))
    a, _b, c = await people_ids(database)
    record = await make_check(database, now=T0)
    turns = Reach((Target(TargetKind.ROUND_ROBIN, user_ids=(c, a)),))
    await policy_reaching(database, record, (timedelta(0), turns))
    chosen = []
    for round_ in range(3):
        start = T0 + round_ * timedelta(days=1)
        await ping(runner, record, start)
        await watch(database, runner, start + PERIOD_GRACE + S)
        chosen.append((await queued(database))[-1][0])
        [incident, *_] = [i for i in await incidents_of(database, record) if i.status == "open"]
        async with database.write() as connection:
            await connection.run_sync(actions.resolve, incident, start + PERIOD_GRACE + S, "test")
    assert chosen == ["c@example.com", "a@example.com", "c@example.com"]


async def test_a_step_outside_its_hours_is_skipped_and_one_reaching_nobody_falls_through(
    database: Database, runner: BatchRunner
) -> None:
    await member(database, "a@example.com", (ContactKind.EMAIL, "a@example.com"))
    slack = await add_channel(database, "slack", {"url": "https://hooks.example/x"})
    record = await make_check(database, now=T0)
    nights = Reach(
        (Target(TargetKind.ENTIRE_TEAM),), hours=ActiveHours(time(20), time(8), "Europe/Berlin")
    )
    nobody = Reach((Target(TargetKind.ON_CALL),))
    every_slack = Reach((Target(TargetKind.CHANNELS_OF_KIND, channel_kind="slack"),))
    await policy_reaching(
        database,
        record,
        (timedelta(0), nights),
        (timedelta(0), nobody),
        (timedelta(hours=1), every_slack),
    )
    incident_id = await go_down(database, runner, record)  # 14:05 in Berlin: day

    lines = [message for _, message in await timeline(database, incident_id)]
    assert "step 1: skipped, outside its hours (20:00-08:00 Europe/Berlin)" in lines
    assert "step 2: nobody is on call in the default calendar (there is none)" in lines
    assert "step 2: reached nobody; falling through to the next step" in lines
    assert "step 3: notifying 1 channel(s)" in lines
    async with database.read() as connection:
        channel_ids = list(
            await connection.scalars(
                sa.select(notifications.c.channel_id).order_by(notifications.c.id)
            )
        )
    assert channel_ids == [slack.id]
    assert await queued(database) == []


async def test_the_notifier_delivers_to_a_person_and_the_timeline_says_how(
    database: Database, runner: BatchRunner, receiver: HttpReceiver, smtp: SmtpReceiver
) -> None:

    await member(
        database,
        "alice@example.com",
        (ContactKind.EMAIL, "alice@example.com"),
        (ContactKind.NTFY, "alice-alerts"),
    )
    [alice] = await people_ids(database)
    record = await make_check(database, now=T0)
    await policy_reaching(
        database, record, (timedelta(0), Reach((Target(TargetKind.MEMBER, user_id=alice),)))
    )
    incident_id = await go_down(database, runner, record)

    async with http_client() as client:
        notifier = Notifier(
            database,
            runner,
            outbound(client, smtp_port=smtp.port),
            LINKS,
            FakeClock(DOWN_AT + 2 * S),
            timeout=5 * S,
            recheck=S,
            max_age=timedelta(hours=1),
            providers=Providers(ntfy_url=receiver.url),
        )
        assert await notifier.deliver_due() == 2
    await smtp.wait_for(1)
    assert smtp.mail[0].recipients == ["alice@example.com"]
    assert "/incidents/" in smtp.mail[0].part("text/plain")
    [push] = receiver.on("/alice-alerts")
    assert "Acknowledge" in push.headers["actions"]
    lines = [message for _, message in await timeline(database, incident_id)]
    assert "down alert: emailed alice@example.com (member)" in lines
    assert "down alert: sent by ntfy to alice@example.com (member)" in lines


async def test_a_failed_delivery_to_a_person_is_on_the_timeline_with_why(
    database: Database, runner: BatchRunner, receiver: HttpReceiver
) -> None:

    await member(database, "alice@example.com", (ContactKind.NTFY, "alice-alerts"))
    [alice] = await people_ids(database)
    record = await make_check(database, now=T0)
    team = Reach((Target(TargetKind.ENTIRE_TEAM),), frozenset({Method.PUSH}))
    await policy_reaching(database, record, (timedelta(0), team))
    incident_id = await go_down(database, runner, record)
    receiver.default = Reply(503, b"busy")
    async with http_client() as client:
        notifier = Notifier(
            database,
            runner,
            outbound(client),
            LINKS,
            FakeClock(DOWN_AT + 2 * S),
            timeout=5 * S,
            recheck=S,
            max_age=timedelta(hours=1),
            providers=Providers(ntfy_url=receiver.url),
        )
        assert await notifier.deliver_due() == 1
    lines = [message for _, message in await timeline(database, incident_id)]
    [failed] = [line for line in lines if "failed" in line]
    assert failed.startswith(
        "down alert to alice@example.com by ntfy (entire team) failed: HTTP 503"
    ), failed
    async with database.read() as connection:
        [contact] = (await connection.run_sync(people_store.contacts_of, [alice]))[alice]
    assert "503" in contact.last_error


def twilio_at(receiver: HttpReceiver) -> TwilioAccount:
    return TwilioAccount("AC1", "instance-token", "+15550001111", receiver.url)


async def deliver_to_people(database: Database, runner: BatchRunner, providers: Providers) -> int:
    async with http_client() as client:
        notifier = Notifier(
            database,
            runner,
            outbound(client),
            LINKS,
            FakeClock(DOWN_AT + 2 * S),
            timeout=5 * S,
            recheck=S,
            max_age=timedelta(hours=1),
            providers=providers,
        )
        return await notifier.deliver_due()


async def test_a_phone_is_called_or_texted_as_each_step_asks(
    database: Database, runner: BatchRunner, receiver: HttpReceiver
) -> None:
    receiver.default = Reply(201, b'{"sid": "SM1", "status": "queued"}')
    await member(database, "alice@example.com", (ContactKind.PHONE, "+4930123456"))
    await member(database, "bob@example.com", (ContactKind.PHONE, "+4930654321"))
    alice, bob = await people_ids(database)
    record = await make_check(database, now=T0)
    call = Reach((Target(TargetKind.MEMBER, user_id=alice),), frozenset({Method.CALL}))
    text = Reach((Target(TargetKind.MEMBER, user_id=bob),), frozenset({Method.SMS}))
    await policy_reaching(database, record, (timedelta(0), call), (timedelta(0), text))
    incident_id = await go_down(database, runner, record)

    assert await deliver_to_people(database, runner, Providers(twilio=twilio_at(receiver))) == 2
    [placed] = receiver.on("/2010-04-01/Accounts/AC1/Calls.json")
    fields = parse_qs(placed.body.decode())
    assert fields["To"] == ["+4930123456"]
    assert "Press 1 to acknowledge" in fields["Twiml"][0]
    assert "channel=" not in fields["Twiml"][0]  # the instance's token checks the key
    [sent] = receiver.on("/2010-04-01/Accounts/AC1/Messages.json")
    assert parse_qs(sent.body.decode())["To"] == ["+4930654321"]
    lines = [message for _, message in await timeline(database, incident_id)]
    assert "down alert: called alice@example.com at +4930123456 (member)" in lines
    assert "down alert: sent an SMS to bob@example.com at +4930654321 (member)" in lines


async def test_without_a_twilio_account_the_timeline_says_sms_and_calls_are_not_set_up(
    database: Database, runner: BatchRunner
) -> None:
    await member(database, "alice@example.com", (ContactKind.PHONE, "+4930123456"))
    [alice] = await people_ids(database)
    record = await make_check(database, now=T0)
    call = Reach((Target(TargetKind.MEMBER, user_id=alice),), frozenset({Method.CALL}))
    await policy_reaching(database, record, (timedelta(0), call))
    incident_id = await go_down(database, runner, record)

    assert await deliver_to_people(database, runner, Providers()) == 1
    lines = [message for _, message in await timeline(database, incident_id)]
    [given_up] = [line for line in lines if "given up" in line]
    assert given_up.startswith(
        "down alert to alice@example.com by phone (member) given up after attempt 1: "
        "SMS and calls are not set up: TOCSIN_TWILIO_ACCOUNT_SID"
    ), given_up
