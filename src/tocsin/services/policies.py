"""Escalation policies made, changed and removed. A policy's steps name their channels
by uuid (as text: whatever a front end was sent), each of which must be a channel of the
policy's project. (The policy a check follows is set with its other settings, by
`services.checks`.)

Names are unique: within the project for the web app and Tocsin's API, across every
project for the command line (which names policies without a project) and Better
Stack's API (which follows the command line)."""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import Any

import sqlalchemy as sa

from tocsin.domain.people import DEFAULT_METHODS, ActiveHours, Method, Reach, Target, TargetKind
from tocsin.domain.records import PolicyRow
from tocsin.notify.kinds import KINDS
from tocsin.services.changes import KEEP, Keep
from tocsin.services.context import Context
from tocsin.services.errors import ConflictError, InvalidError, NotFoundError, StaleError
from tocsin.store import channels as channel_store
from tocsin.store import oncall as oncall_store
from tocsin.store import people as people_store

# Each step: the wait after the step before (or the incident's opening), and the uuids
# of the channels it notifies.
Steps = list[tuple[timedelta, list[str]]]


class NameScope(Enum):
    PROJECT = "project"
    EVERY_PROJECT = "every project"


@dataclass(frozen=True, slots=True)
class TargetSpec:
    """A people target as a front end was sent it, before it is checked against the
    project: `member` by id or email; `calendar` an on-call calendar's id (None: the
    project's default); `members` the people of a round robin (empty: every member);
    `channel_kind` a channel kind, for every channel of it in the project."""

    kind: TargetKind
    member: str = ""
    calendar: int | None = None
    members: tuple[str, ...] = ()
    channel_kind: str = ""


@dataclass(frozen=True, slots=True)
class ReachSpec:
    """What a step reaches besides its channels, as sent: targets, the methods it uses
    for people, and its hours (None: any hour)."""

    targets: tuple[TargetSpec, ...] = ()
    methods: frozenset[Method] = DEFAULT_METHODS
    hours: ActiveHours | None = None


@dataclass(frozen=True, slots=True)
class PolicyDraft:
    name: str
    steps: Steps
    repeat_count: int = 0
    repeat_delay: timedelta = timedelta(0)
    nag_interval: timedelta | None = None
    # By step position; a step without one reaches only its channels.
    reaches: tuple[ReachSpec, ...] = ()


@dataclass(frozen=True, slots=True)
class PolicyChanges:
    """What to change of a policy; `KEEP` leaves a field as it is. `steps` replaces
    every step."""

    name: str | Keep = KEEP
    steps: Steps | Keep = KEEP
    repeat_count: int | Keep = KEEP
    repeat_delay: timedelta | Keep = KEEP
    nag_interval: timedelta | Keep | None = KEEP
    # With `steps`: what each new step reaches besides its channels.
    reaches: tuple[ReachSpec, ...] = ()

    @staticmethod
    def whole(draft: PolicyDraft) -> "PolicyChanges":
        """Every field of the draft: the policy replaced."""
        return PolicyChanges(
            draft.name,
            draft.steps,
            draft.repeat_count,
            draft.repeat_delay,
            draft.nag_interval,
            draft.reaches,
        )


class UnknownChannelsError(InvalidError):
    """Steps name channels that are not the project's; `unknown` holds their uuids as
    sent, sorted."""

    def __init__(self, unknown: list[str]) -> None:
        super().__init__("steps", f"no channel {', '.join(unknown)} in this project")
        self.unknown = unknown


def name_taken(name: str) -> ConflictError:
    return ConflictError(f"a policy named {name!r} exists already")


def refuse_taken_name(
    connection: sa.Connection,
    project_id: int,
    name: str,
    scope: NameScope,
    policy_id: int | None = None,
) -> None:
    """`ConflictError` if another policy (not `policy_id`) in the scope has this name."""
    if scope == NameScope.PROJECT:
        taken = channel_store.policy_names(connection, project_id)
        others = [i for i, n in taken.items() if n == name]
    else:
        others = channel_store.policies_named(connection, name)
    if any(other != policy_id for other in others):
        raise name_taken(name)


def channel_ids(
    connection: sa.Connection, project_id: int, steps: Steps
) -> list[tuple[timedelta, list[int]]]:
    """The steps with the ids of the project's channels they name, each once."""
    ids = {str(c.uuid): c.id for c in channel_store.project_channels(connection, project_id)}
    unknown = sorted({c for _, chosen in steps for c in chosen if c not in ids})
    if unknown:
        raise UnknownChannelsError(unknown)
    return [(wait, list(dict.fromkeys(ids[c] for c in chosen))) for wait, chosen in steps]


def member_id(connection: sa.Connection, members: dict[int, str], text: str) -> int:
    """A member named by id or email; `InvalidError` for anyone outside the project."""
    wanted = text.strip().lower()
    for user_id, email in members.items():
        if wanted in (str(user_id), email):
            return user_id
    raise InvalidError("steps", f"no member {text.strip()!r} in this project")


def target(connection: sa.Connection, members: dict[int, str], spec: TargetSpec) -> Target:
    if spec.kind == TargetKind.MEMBER:
        return Target(spec.kind, user_id=member_id(connection, members, spec.member))
    if spec.kind == TargetKind.ROUND_ROBIN:
        chosen = tuple(member_id(connection, members, m) for m in spec.members)
        return Target(spec.kind, user_ids=tuple(dict.fromkeys(chosen)))
    if spec.kind == TargetKind.ON_CALL:
        return Target(spec.kind, calendar_id=spec.calendar)
    if spec.kind == TargetKind.CHANNELS_OF_KIND:
        if spec.channel_kind not in KINDS:
            raise InvalidError("steps", f"unknown channel kind {spec.channel_kind!r}")
        return Target(spec.kind, channel_kind=spec.channel_kind)
    return Target(spec.kind)


def reaches(
    connection: sa.Connection, project_id: int, specs: tuple[ReachSpec, ...], steps: int
) -> list[Reach]:
    """The steps' people targets checked against the project, by position."""
    if len(specs) > steps:
        raise InvalidError("steps", "people targets name a step the policy does not have")
    members = people_store.emails_of(connection, people_store.member_ids(connection, project_id))
    for spec in specs:
        for wanted in spec.targets:
            calendar = wanted.calendar
            if (
                calendar is not None
                and oncall_store.calendar_in(connection, project_id, calendar) is None
            ):
                raise InvalidError("steps", f"no on-call calendar {calendar} in this project")
    return [
        Reach(tuple(target(connection, members, t) for t in spec.targets), spec.methods, spec.hours)
        for spec in specs
    ]


def project_policy(
    connection: sa.Connection, project_id: int, policy_id: int
) -> PolicyRow[uuid.UUID]:
    found = channel_store.project_policies(connection, project_id, policy_id)
    if not found:
        raise NotFoundError(f"no policy {policy_id} in this project")
    return found[0]


async def create_policy(
    context: Context, project_id: int, draft: PolicyDraft, *, scope: NameScope
) -> PolicyRow[uuid.UUID]:
    """A new policy of the project. With no steps it notifies nobody ("do nothing").
    `ConflictError` if the name is taken; `UnknownChannelsError` for steps naming channels that
    are not the project's."""
    now = context.clock.now()

    def work(connection: sa.Connection) -> PolicyRow[uuid.UUID]:
        refuse_taken_name(connection, project_id, draft.name, scope)
        steps = channel_ids(connection, project_id, draft.steps)
        policy_id = channel_store.insert_policy(
            connection,
            project_id,
            draft.name,
            steps,
            now,
            repeat_count=draft.repeat_count,
            repeat_delay=draft.repeat_delay,
            nag_interval=draft.nag_interval,
            reaches=reaches(connection, project_id, draft.reaches, len(steps)),
        )
        return project_policy(connection, project_id, policy_id)

    async with context.database.write() as connection:
        return await connection.run_sync(work)


def column_values(changes: PolicyChanges) -> dict[str, Any]:
    """The policy's columns the changes set."""
    values: dict[str, Any] = {}
    if not isinstance(changes.name, Keep):
        values["name"] = changes.name
    if not isinstance(changes.repeat_count, Keep):
        values["repeat_count"] = changes.repeat_count
    if not isinstance(changes.repeat_delay, Keep):
        values["repeat_delay"] = channel_store.seconds(changes.repeat_delay)
    if not isinstance(changes.nag_interval, Keep):
        nag = changes.nag_interval
        values["nag_interval"] = None if nag is None else channel_store.seconds(nag)
    return values


async def update_policy(
    context: Context,
    project_id: int,
    policy_id: int,
    changes: PolicyChanges,
    *,
    scope: NameScope,
    unchanged_since: PolicyRow[uuid.UUID] | None = None,
) -> PolicyRow[uuid.UUID]:
    """Change the policy; incidents already escalating keep their place (the watcher
    reads the policy at each step). With `unchanged_since`, only if the policy is still
    that one (`StaleError` otherwise). `NotFoundError`, `ConflictError` and
    `UnknownChannelsError` as for `create_policy`."""

    def work(connection: sa.Connection) -> PolicyRow[uuid.UUID]:
        current = project_policy(connection, project_id, policy_id)
        if unchanged_since is not None and current != unchanged_since:
            raise StaleError(f"policy {policy_id} changed since it was read")
        if not isinstance(changes.name, Keep):
            refuse_taken_name(connection, project_id, changes.name, scope, policy_id)
        steps = None
        people: list[Reach] = []
        if not isinstance(changes.steps, Keep):
            steps = channel_ids(connection, project_id, changes.steps)
            people = reaches(connection, project_id, changes.reaches, len(steps))
        channel_store.update_policy(connection, policy_id, column_values(changes), steps, people)
        return project_policy(connection, project_id, policy_id)

    async with context.database.write() as connection:
        return await connection.run_sync(work)


async def delete_policy(context: Context, project_id: int | None, policy_id: int) -> None:
    """Remove the policy (None for `project_id`: of any project); its checks go back to
    notifying all their channels at once."""

    def work(connection: sa.Connection) -> None:
        owner = channel_store.policy_project(connection, policy_id)
        if owner is None or (project_id is not None and owner != project_id):
            raise NotFoundError(f"no policy {policy_id} in this project")
        channel_store.delete_policy(connection, policy_id)

    async with context.database.write() as connection:
        await connection.run_sync(work)
