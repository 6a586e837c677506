"""Whom a check alerts, as the check form sets it: its escalation policy (or the project
default, every channel of the check at once), the channels it notifies, and the checks
it depends on (whose being down holds its alerts). Only the project's own policies,
channels and checks are offered, and only they are accepted."""

from dataclasses import dataclass, field

import sqlalchemy as sa

from tocsin.domain.dependencies import LinkedCheck
from tocsin.domain.records import ChannelRow
from tocsin.services.checks import CheckOptions, UsePolicy, these_channels
from tocsin.services.dependencies import these
from tocsin.services.errors import InvalidError
from tocsin.store import channels as channel_store
from tocsin.store import dependencies as dependency_store
from tocsin.web.access import parse_id
from tocsin.web.check_form import CheckForm

DEFAULT_POLICY = "Project default: every channel of the check at once"
# What the form says beside a field that names something not of this project.
REFUSALS = {
    "policy": "choose one of this project's escalation policies",
    "channels": "choose among this project's channels",
    "parents": "choose among this project's checks",
}


@dataclass(frozen=True, slots=True)
class Choices:
    """The policies (by id) and channels a check of the project may use."""

    policies: dict[int, str]
    channels: list[ChannelRow]
    checks: list[LinkedCheck] = field(default_factory=list)  # possible parents


@dataclass(frozen=True, slots=True)
class Alerting:
    policy_id: int | None
    channel_ids: list[int]
    parent_ids: list[int] = field(default_factory=list)


def project_choices(connection: sa.Connection, project_id: int) -> Choices:
    return Choices(
        channel_store.policy_names(connection, project_id),
        channel_store.project_channels(connection, project_id),
        dependency_store.project_checks(connection, project_id),
    )


def fill_new(form: CheckForm, choices: Choices) -> None:
    """A new check notifies every channel of its project, as on the command line."""
    form.channels = {str(channel.uuid) for channel in choices.channels}


def fill_current(
    connection: sa.Connection, form: CheckForm, project_id: int, check_id: int
) -> None:
    policy_id = channel_store.check_policies(connection, project_id).get(check_id)
    form.values["policy"] = "" if policy_id is None else str(policy_id)
    used = channel_store.channel_uuids(connection, check_id=check_id).get(check_id, [])
    form.channels = {str(channel_uuid) for channel_uuid in used}
    parents = dependency_store.parents_of(connection, [check_id]).get(check_id, [])
    form.parents = {str(parent.uuid) for parent in parents}


def read_alerting(
    form: CheckForm, choices: Choices, policy: str, channels: list[str], parents: list[str]
) -> Alerting | None:
    """The policy, channels and parents chosen, or None with an error beside the field
    that names something not of this project."""
    form.values["policy"] = policy
    form.channels = set(channels)
    form.parents = set(parents)
    policy_id = parse_id(policy) if policy else None
    if policy and policy_id not in choices.policies:
        form.errors["policy"] = REFUSALS["policy"]
    by_uuid = {str(channel.uuid): channel.id for channel in choices.channels}
    if any(sent not in by_uuid for sent in channels):
        form.errors["channels"] = REFUSALS["channels"]
    checks = {str(check.uuid): check.id for check in choices.checks}
    if any(sent not in checks for sent in parents):
        form.errors["parents"] = REFUSALS["parents"]
    if form.errors:
        return None
    channel_ids = list(dict.fromkeys(by_uuid[sent] for sent in channels))
    return Alerting(policy_id, channel_ids, list(dict.fromkeys(checks[p] for p in parents)))


def alerting_options(alerting: Alerting) -> CheckOptions:
    """The policy and channels chosen, to be saved with the check's settings."""
    return CheckOptions(
        channels=these_channels(alerting.channel_ids),
        policy=UsePolicy(alerting.policy_id),
        parents=these(alerting.parent_ids),
    )


def show_refusal(form: CheckForm, error: InvalidError) -> None:
    """A policy, channel or check the form offered, gone before the check was saved; or
    parents that would close a cycle, said as the service says it."""
    cycle = error.field == "parents" and "not a check" not in error.message
    form.errors[error.field] = error.message if cycle else REFUSALS.get(error.field, error.message)
