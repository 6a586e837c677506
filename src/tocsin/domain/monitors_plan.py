"""What applying a monitors file would do: each object created, updated (and which of
its fields), deleted or left unchanged. Pure: it compares two `Monitors`, the file's
and the project's as stored, object by object under the same keys."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from typing import TypeVar

from tocsin.domain.monitors import ChannelSpec, CheckSpec, Monitors, PolicySpec, WindowSpec
from tocsin.domain.records import NewCheck

T = TypeVar("T")
VERBS = ("create", "update", "delete", "unchanged")


@dataclass(frozen=True, slots=True)
class Change:
    verb: str  # one of VERBS
    what: str  # check, channel or policy
    key: str
    fields: tuple[str, ...] = ()  # what an update changes

    def __str__(self) -> str:
        changed = f" ({', '.join(self.fields)})" if self.fields else ""
        return f"{self.verb} {self.what} {self.key!r}{changed}"


def plan(desired: Monitors, current: Monitors, *, prune: bool) -> list[Change]:
    """Channels first, then policies, then checks, then maintenance windows: each may
    name those before it."""

    def check_differences(wanted: CheckSpec, found: CheckSpec) -> list[str]:
        return check_fields(wanted, found, desired, current)

    return [
        *compare("channel", desired.channels, current.channels, channel_fields, prune),
        *compare("policy", desired.policies, current.policies, policy_fields, prune),
        *compare("check", desired.checks, current.checks, check_differences, prune),
        *compare("window", desired.windows, current.windows, window_fields, prune),
    ]


def compare(
    what: str,
    desired: dict[str, T],
    current: dict[str, T],
    differences: Callable[[T, T], Iterable[str]],
    prune: bool,
) -> list[Change]:
    changes = []
    for key, wanted in desired.items():
        if key not in current:
            changes.append(Change("create", what, key))
            continue
        changed = tuple(differences(wanted, current[key]))
        changes.append(Change("update" if changed else "unchanged", what, key, changed))
    if prune:
        changes += [Change("delete", what, key) for key in current if key not in desired]
    return changes


def check_fields(
    wanted: CheckSpec, found: CheckSpec, desired: Monitors, current: Monitors
) -> list[str]:
    # The slug is the key both were found by (or the check's uuid, which keeps its slug).
    names = [
        f.name
        for f in fields(NewCheck)
        if f.name != "slug" and getattr(wanted.settings, f.name) != getattr(found.settings, f.name)
    ]
    if wanted.paused != found.paused:
        names.append("paused")
    if set(desired.channels_of(wanted)) != set(current.channels_of(found)):
        names.append("channels")
    if wanted.policy != found.policy:
        names.append("policy")
    if set(wanted.depends_on) != set(found.depends_on):
        names.append("depends_on")
    return names


def channel_fields(wanted: ChannelSpec, found: ChannelSpec) -> list[str]:
    """The kind and the names of the settings that differ, never their values (secrets)."""
    names = ["kind"] if wanted.kind != found.kind else []
    keys = list(wanted.config) + [k for k in found.config if k not in wanted.config]
    return names + [k for k in keys if wanted.config.get(k) != found.config.get(k)]


def policy_fields(wanted: PolicySpec, found: PolicySpec) -> list[str]:
    names = [
        name
        for name in ("repeat_count", "repeat_delay", "nag_interval")
        if getattr(wanted, name) != getattr(found, name)
    ]
    # A step's channels are a set: the store keeps them in no particular order.
    steps = [(wait, set(channels)) for wait, channels in wanted.steps]
    if steps != [(wait, set(channels)) for wait, channels in found.steps]:
        names.insert(0, "steps")
    return names


def window_fields(wanted: WindowSpec, found: WindowSpec) -> list[str]:
    return [
        name for name in ("when", "check", "tag") if getattr(wanted, name) != getattr(found, name)
    ]


def summary(changes: list[Change]) -> str:
    counts = {verb: sum(c.verb == verb for c in changes) for verb in VERBS}
    return ", ".join(
        f"{count} to {verb}" if verb != "unchanged" else f"{count} unchanged"
        for verb, count in counts.items()
    )
