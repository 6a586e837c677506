"""Whom a step reaches, decided when it runs, inside the watcher's transaction: its
channels, every channel of a kind the project has now, and people (a member, the
entire team, whoever is on call at this moment, the next person in turn) by the
contact methods the step uses and the person has, within their hours.

Nothing is dropped silently: a step outside its hours is skipped with a timeline line,
a person with no usable contact method is named on the timeline, and a step whose
people targets reach nobody (nobody on call, say) falls through to the next step at
once, saying so.

A step may also hand the incident over to another policy of the project (Better
Stack's `policy` step member): once its other targets are reached, the incident
follows that policy from its first step, as if it had just opened."""

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from tocsin.domain import escalation
from tocsin.domain.people import (
    METHOD_CONTACTS,
    Contact,
    ContactKind,
    Method,
    Reach,
    Target,
    TargetKind,
    contacts_for,
    in_turn,
    methods_text,
    phone_method,
)
from tocsin.store import channels as channel_store
from tocsin.store import incidents as incident_store
from tocsin.store import oncall as oncall_store
from tocsin.store import people as people_store


@dataclass(slots=True)
class Pass:
    """What one pass over an incident's due steps reaches: channels and people's
    contact methods (each once, with why and, for a phone, how: `sms` or `call`), the
    timeline's lines, and the progress after it."""

    progress: escalation.Progress
    channel_ids: list[int] = field(default_factory=list)
    contacts: dict[int, tuple[str, str]] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    # The policy the incident was handed over to (None: it keeps its own).
    handed_to: int | None = None


@dataclass(slots=True)
class StepReached:
    channel_ids: list[int] = field(default_factory=list)
    contacts: dict[int, tuple[str, str]] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    falls_through: bool = False
    hand_over_to: int | None = None


# Policies handing over to each other in a ring would otherwise run for ever in one pass.
MOST_HANDOVERS = 10


def run_due(
    connection: sa.Connection,
    project_id: int,
    policy: escalation.Policy,
    progress: escalation.Progress,
    now: datetime,
) -> Pass:
    """Run every step due by `now`, as `escalation.run_due` does, resolving each one's
    targets as it runs; a step that falls through brings the next one to `now`, and a
    step that hands the incident over starts the other policy at `now`."""
    done = Pass(progress)
    handovers = 0
    while done.progress.due_at is not None and done.progress.due_at <= now:
        run, done.progress = escalation.advance(policy, done.progress)
        if run is None:
            continue
        reached = resolve_run(connection, project_id, run, now)
        add_reached(done, reached)
        due = done.progress.due_at
        if reached.hand_over_to is not None:
            handovers += 1
            policy = hand_over(connection, project_id, done, reached, run, now, handovers)
        elif reached.falls_through and due is not None and due > now:
            done.progress = escalation.Progress(done.progress.next_step, done.progress.round, now)
    return done


def add_reached(done: Pass, reached: StepReached) -> None:
    done.channel_ids += [c for c in reached.channel_ids if c not in done.channel_ids]
    for contact_id, how in reached.contacts.items():
        done.contacts.setdefault(contact_id, how)
    done.lines += reached.lines


def hand_over(
    connection: sa.Connection,
    project_id: int,
    done: Pass,
    reached: StepReached,
    run: escalation.Run,
    now: datetime,
    handovers: int,
) -> escalation.Policy:
    """The policy the incident follows from now: the one handed over to, started at
    `now`; an empty one (the escalation ends) when that policy is gone or the hand-overs
    of this pass go round in a ring."""
    policy_id = reached.hand_over_to
    assert policy_id is not None
    name = channel_store.policy_names(connection, project_id).get(policy_id)
    if name is None or handovers > MOST_HANDOVERS:
        why = "is gone" if name is None else "hands over too many times in a row"
        done.lines.append(f"{run.label}: policy {policy_id} {why}; escalation stops")
        done.progress = escalation.Progress(0, 0, None)
        return escalation.Policy([])
    policy = incident_store.load_policy(connection, policy_id)
    done.lines.append(f"{run.label}: handed over to policy {name!r}")
    done.handed_to = policy_id
    done.progress = escalation.start(policy, now)
    return policy


def resolve_run(
    connection: sa.Connection, project_id: int, run: escalation.Run, now: datetime
) -> StepReached:
    reach = run.reach
    if reach.hours is not None and not reach.hours.contains(now):
        return StepReached(lines=[f"{run.label}: skipped, outside its hours ({reach.hours.text})"])
    reached = StepReached(channel_ids=list(run.channel_ids))
    people: dict[int, str] = {}
    for position, target in enumerate(reach.targets):
        if target.kind == TargetKind.POLICY:
            reached.hand_over_to = target.policy_id
            continue
        if target.kind == TargetKind.CHANNELS_OF_KIND:
            found = people_store.channels_of_kind(connection, project_id, target.channel_kind)
            reached.channel_ids += [c for c in found if c not in reached.channel_ids]
            continue
        chosen, missing = people_of(connection, project_id, reach, position, target, now)
        for user_id, note in chosen:
            people.setdefault(user_id, note)
        reached.lines += [f"{run.label}: {line}" for line in missing]
    reach_people(connection, reach, people, now, reached, run.label)
    if reached.channel_ids or reached.contacts:
        reached.lines.insert(0, f"{run.label}: notifying {whom(reached)}")
    wanted_people = any(t.kind not in NOT_PEOPLE for t in reach.targets)
    if wanted_people and not reached.contacts and not reached.channel_ids:
        reached.falls_through = True
        reached.lines.append(f"{run.label}: reached nobody; falling through to the next step")
    return reached


NOT_PEOPLE = (TargetKind.CHANNELS_OF_KIND, TargetKind.POLICY)


def whom(reached: StepReached) -> str:
    """`2 channel(s)`, `1 channel(s) and 2 contact method(s)`, as the timeline says."""
    parts = []
    if reached.channel_ids or not reached.contacts:
        parts.append(f"{len(reached.channel_ids)} channel(s)")
    if reached.contacts:
        parts.append(f"{len(reached.contacts)} contact method(s)")
    return " and ".join(parts)


def people_of(
    connection: sa.Connection,
    project_id: int,
    reach: Reach,
    position: int,
    target: Target,
    now: datetime,
) -> tuple[list[tuple[int, str]], list[str]]:
    """The people a target means now, each with why; and lines for the timeline when
    it means nobody."""
    members = people_store.member_ids(connection, project_id)
    if target.kind == TargetKind.ENTIRE_TEAM:
        return [(m, "entire team") for m in members], [] if members else ["the team is empty"]
    if target.kind == TargetKind.MEMBER:
        if target.user_id in members:
            return [(target.user_id, "member")], []
        return [], [f"user {target.user_id} is not a member of the project"]
    if target.kind == TargetKind.ROUND_ROBIN:
        return next_person(connection, reach, position, target, members)
    return on_call(connection, project_id, target, members, now)


def next_person(
    connection: sa.Connection, reach: Reach, position: int, target: Target, members: list[int]
) -> tuple[list[tuple[int, str]], list[str]]:
    """Round robin over the target's people who are still members (or every member);
    its place is kept per step."""
    turn = [u for u in target.user_ids if u in members] if target.user_ids else members
    if not turn:
        return [], ["nobody to take a turn"]
    if reach.step_id is None:
        return [], ["the round robin has no place kept"]
    chosen = in_turn(turn, people_store.take_turn(connection, reach.step_id, position))
    assert chosen is not None
    return [(chosen, "next in turn")], []


def on_call(
    connection: sa.Connection, project_id: int, target: Target, members: list[int], now: datetime
) -> tuple[list[tuple[int, str]], list[str]]:
    user_id, name = who_is_on_call(connection, project_id, target.calendar_id, now)
    if user_id is None:
        return [], [f"nobody is on call in {name}"]
    if user_id not in members:
        return [], [f"user {user_id}, on call in {name}, is not a member of the project"]
    return [(user_id, f"on call in {name}")], []


def who_is_on_call(
    connection: sa.Connection, project_id: int, calendar_id: int | None, now: datetime
) -> tuple[int | None, str]:
    """The person on call in the project's calendar (None: its default one), and the
    calendar's name for the timeline; nobody when there is no such calendar."""
    calendar = oncall_store.calendar_in(connection, project_id, calendar_id)
    if calendar is None:
        missing = "the default calendar" if calendar_id is None else f"calendar {calendar_id}"
        return None, f"{missing} (there is none)"
    return oncall_store.on_call_user(connection, project_id, calendar.id, now), calendar.name


def reach_people(
    connection: sa.Connection,
    reach: Reach,
    people: dict[int, str],
    now: datetime,
    reached: StepReached,
    label: str,
) -> None:
    """Each person's contact methods the step uses, within their hours; a line for
    anyone who cannot be reached."""
    if not people:
        return
    contacts = people_store.contacts_of(connection, list(people))
    emails = people_store.emails_of(connection, list(people))
    for user_id, note in people.items():
        usable = contacts_for(contacts.get(user_id, []), reach.methods)
        now_usable = [c for c in usable if c.hours is None or c.hours.contains(now)]
        for contact in now_usable:
            method = phone_method(reach.methods) if contact.kind == ContactKind.PHONE else ""
            reached.contacts.setdefault(contact.id, (note, method))
        if not now_usable:
            why = unreachable(contacts.get(user_id, []), usable, reach.methods)
            reached.lines.append(f"{label}: {emails.get(user_id, user_id)} ({note}) {why}")


def unreachable(contacts: list[Contact], usable: list[Contact], methods: frozenset[Method]) -> str:
    """Why a person gets nothing, in words."""
    if usable:
        return "not reached: every contact method they have for it is outside its hours"
    kinds = {k.value for m in methods for k in METHOD_CONTACTS[m]}
    wanted = methods_text(methods) or "no method"
    return f"not reached: no verified contact method for {wanted} ({', '.join(sorted(kinds))})"
