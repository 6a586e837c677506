"""Whom a check alerts, as the check form sets it: its escalation policy (or the project
default, every channel of the check at once) and the channels it notifies. Only the
project's own policies and channels are offered, and only they are accepted."""

from dataclasses import dataclass

import sqlalchemy as sa

from tocsin.domain.records import ChannelRow
from tocsin.services.checks import CheckOptions, UsePolicy, these_channels
from tocsin.services.errors import InvalidError
from tocsin.store import channels as channel_store
from tocsin.web.access import parse_id
from tocsin.web.check_form import CheckForm

DEFAULT_POLICY = "Project default: every channel of the check at once"
# What the form says beside a field that names something not of this project.
REFUSALS = {
    "policy": "choose one of this project's escalation policies",
    "channels": "choose among this project's channels",
}


@dataclass(frozen=True, slots=True)
class Choices:
    """The policies (by id) and channels a check of the project may use."""

    policies: dict[int, str]
    channels: list[ChannelRow]


@dataclass(frozen=True, slots=True)
class Alerting:
    policy_id: int | None
    channel_ids: list[int]


def project_choices(connection: sa.Connection, project_id: int) -> Choices:
    return Choices(
        channel_store.policy_names(connection, project_id),
        channel_store.project_channels(connection, project_id),
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


def read_alerting(
    form: CheckForm, choices: Choices, policy: str, channels: list[str]
) -> Alerting | None:
    """The policy and channels chosen, or None with an error beside the field that names
    something not of this project."""
    form.values["policy"] = policy
    form.channels = set(channels)
    policy_id = parse_id(policy) if policy else None
    if policy and policy_id not in choices.policies:
        form.errors["policy"] = REFUSALS["policy"]
    by_uuid = {str(channel.uuid): channel.id for channel in choices.channels}
    if any(sent not in by_uuid for sent in channels):
        form.errors["channels"] = REFUSALS["channels"]
    if form.errors:
        return None
    return Alerting(policy_id, list(dict.fromkeys(by_uuid[sent] for sent in channels)))


def alerting_options(alerting: Alerting) -> CheckOptions:
    """The policy and channels chosen, to be saved with the check's settings."""
    return CheckOptions(
        channels=these_channels(alerting.channel_ids), policy=UsePolicy(alerting.policy_id)
    )


def show_refusal(form: CheckForm, error: InvalidError) -> None:
    """A policy or channel the form offered, gone before the check was saved."""
    form.errors[error.field] = REFUSALS.get(error.field, error.message)
