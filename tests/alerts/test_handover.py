"""A step that hands the incident over to another policy (Better Stack's `policy` step
member): the incident follows that policy from its first step, at once; a policy that
is gone, or hand-overs in a ring, end the escalation with a timeline line."""

from datetime import timedelta

from tests.alerts.test_reach import DOWN_AT, S, escalate, go_down, member, policy_reaching, queued
from tests.helpers import T0, add_policy, incidents_of, make_check, timeline
from tocsin.domain.people import ContactKind, Reach, Target, TargetKind
from tocsin.store.channels import update_policy
from tocsin.store.database import Database
from tocsin.store.fastpath.runners import BatchRunner


async def people_policy(database: Database, name: str, *reaches: tuple[timedelta, Reach]) -> int:
    policy_id = await add_policy(database, name, [(wait, []) for wait, _ in reaches])
    async with database.write() as connection:
        await connection.run_sync(
            update_policy,
            policy_id,
            {},
            [(wait, []) for wait, _ in reaches],
            [reach for _, reach in reaches],
        )
    return policy_id


def hand_over_to(policy_id: int) -> Reach:
    return Reach((Target(TargetKind.POLICY, policy_id=policy_id),))


def team() -> Reach:
    return Reach((Target(TargetKind.ENTIRE_TEAM),))


async def test_the_incident_follows_the_policy_it_is_handed_over_to(
    database: Database, runner: BatchRunner
) -> None:
    await member(database, "ann@example.com", (ContactKind.EMAIL, "ann@example.com"))
    night = await people_policy(database, "night", (timedelta(0), team()), (10 * S, team()))
    record = await make_check(database, now=T0)
    await policy_reaching(database, record, (5 * S, hand_over_to(night)))
    incident_id = await go_down(database, runner, record)
    assert await queued(database) == []

    await escalate(database, DOWN_AT + 6 * S)
    [incident] = await incidents_of(database, record)
    assert incident.policy_id == night
    assert await queued(database) == [("ann@example.com", "down", "entire team")]
    assert ("escalated", "step 1: handed over to policy 'night'") in await timeline(
        database, incident_id
    )
    await escalate(database, DOWN_AT + 17 * S)
    assert len(await queued(database)) == 2


async def test_hand_overs_in_a_ring_stop(database: Database, runner: BatchRunner) -> None:
    first = await people_policy(database, "first", (timedelta(0), Reach()))
    second = await people_policy(database, "second", (timedelta(0), hand_over_to(first)))
    async with database.write() as connection:
        await connection.run_sync(
            update_policy, first, {}, [(timedelta(0), [])], [hand_over_to(second)]
        )
    record = await make_check(database, now=T0)
    await policy_reaching(database, record, (timedelta(0), hand_over_to(first)))
    incident_id = await go_down(database, runner, record)
    [incident] = await incidents_of(database, record)
    assert incident.next_escalation_at is None
    lines = [message for _kind, message in await timeline(database, incident_id)]
    assert any("hands over too many times in a row; escalation stops" in line for line in lines)
